"""Triage learns from the lab's decisions, and `seascout eval --decisions` scores it on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_world import NEAR, NOISE, OCEAN, SHIPS, build
from typer.testing import CliRunner

from seascout.app.cli import app
from seascout.core.config import Settings
from seascout.core.model import Label
from triage.classifier import Doc
from triage.run import build_classifier, decision_items, training_extra
from warehouse.db import Warehouse
from warehouse.decisions_store import decide


def _decide_all(wh: Warehouse) -> None:
    decide(wh, OCEAN, action="keep", by="lin")
    decide(wh, SHIPS, action="drop", by="lin")
    decide(wh, NEAR, action="move", section=1, by="lin")
    decide(wh, NOISE, action="drop", by="lin")


def test_decisions_become_training_examples(warehouse: Warehouse) -> None:
    build(warehouse)
    seeds_only = training_extra(warehouse)
    _decide_all(warehouse)
    items = decision_items(warehouse)
    assert [(it.work.work_id, it.label) for it in items] == [
        (OCEAN, Label.OCEAN_MODELS), (NOISE, Label.IRRELEVANT), (NEAR, Label.OCEAN_MODELS),
        (SHIPS, Label.IRRELEVANT)]
    extra = training_extra(warehouse)
    assert extra[:len(seeds_only)] == seeds_only  # the survey's entries first, as before
    added = extra[len(seeds_only):]
    assert [(d.title, lb) for d, lb in added] == [(it.work.title, it.label) for it in items]
    assert all(isinstance(d, Doc) and d.text for d, _ in added)
    assert training_extra(warehouse, with_decisions=False) == seeds_only


def test_the_next_run_trains_on_them(warehouse: Warehouse, settings: Settings) -> None:
    build(warehouse)
    before = build_classifier(settings, warehouse)
    _decide_all(warehouse)
    after = build_classifier(settings, warehouse)
    assert after is not before  # a new fit: the decisions are in its training data
    assert build_classifier(settings, warehouse, with_decisions=False) is before
    assert build_classifier(settings, warehouse) is after  # and reused while nothing changes


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    cfg = tmp_path / "seascout.toml"
    cfg.write_text("", encoding="utf-8")
    wh = Warehouse(tmp_path / "state" / "seascout.duckdb")
    build(wh)

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, [*args, "--config", str(cfg)])
    run.wh = wh  # type: ignore[attr-defined]
    return run


def test_eval_decisions_scores_and_cross_validates(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("eval", "--decisions")
    assert r.exit_code == 2 and "decided nothing yet" in r.output
    _decide_all(cli.wh)
    r = cli("eval", "--decisions", "--folds", "5")
    assert r.exit_code == 2 and "needs at least 5" in r.output and "Traceback" not in r.output
    r = cli("eval", "--decisions", "--folds", "2", "--repeats", "1")
    assert r.exit_code == 0, r.output
    assert "the lab's decisions: 4 (2 in a section, 2 dropped)" in r.output
    assert "offline classifier without the decisions (4 items)" in r.output
    assert "1x 2-fold cross-validation" in r.output


def test_eval_without_labels_or_decisions_says_what_to_pass(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("eval")
    assert r.exit_code == 2 and "--labels FILE.jsonl" in r.output
