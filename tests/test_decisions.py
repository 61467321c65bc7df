"""The lab's decisions: stored with who/when, refused cleanly, kept through re-crawls and
triage, and followed by `relevant_works`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lab_world import NEAR, NOISE, OCEAN, SEEN, SHIPS, build
from typer.testing import CliRunner

from seascout.app.cli import app
from seascout.core.model import Classification, Label, Work
from warehouse.db import Warehouse
from warehouse.decisions_store import DecisionError, decide, decisions
from warehouse.triage_store import save_results
from warehouse.works import upsert_works


def _table(wh: Warehouse, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with wh.read() as con:
        return con.execute(sql).fetchall()


def _relevant(wh: Warehouse) -> dict[str, int]:
    return dict(_table(wh, "SELECT work_id, section FROM relevant_works WHERE classified_by <> 'seed'"))


def test_keep_drop_move_are_stored_with_who_and_when(warehouse: Warehouse) -> None:
    build(warehouse)
    when = datetime(2026, 11, 30, 9, 0)
    kept = decide(warehouse, OCEAN, action="keep", by="lin", now=when)
    assert (kept.action, kept.section, kept.label) == ("keep", 1, Label.OCEAN_MODELS)
    moved = decide(warehouse, NEAR, action="move", section=1, by="lin", now=when)
    assert (moved.action, moved.section, moved.label) == ("move", 1, Label.OCEAN_MODELS)
    dropped = decide(warehouse, "arxiv:2611.00002", action="drop", by="wang", now=when)  # any key
    assert dropped.work_id == SHIPS and dropped.section is None and dropped.label is Label.IRRELEVANT
    rows = _table(warehouse, "SELECT work_id, action, section, label, decided_by, decided_at "
                             "FROM decisions ORDER BY work_id")
    assert rows == [(OCEAN, "keep", 1, "ocean_models", "lin", when),
                    (NEAR, "move", 1, "ocean_models", "lin", when),
                    (SHIPS, "drop", None, "irrelevant", "wang", when)]


def test_relevant_works_follows_the_decisions(warehouse: Warehouse) -> None:
    build(warehouse)
    assert _relevant(warehouse) == {OCEAN: 1, SHIPS: 3}
    decide(warehouse, SHIPS, action="drop", by="lin")
    decide(warehouse, NEAR, action="move", section=4, by="lin")
    decide(warehouse, OCEAN, action="move", section=2, by="lin", title_zh="改过的标题", summary="改过的摘要")
    assert _relevant(warehouse) == {OCEAN: 2, NEAR: 4}
    assert _table(warehouse, f"SELECT title_zh, summary, decision FROM relevant_works "
                             f"WHERE work_id = '{OCEAN}'") == [("改过的标题", "改过的摘要", "move")]
    # An edit alone keeps the earlier decision; an empty edit falls back to triage's text.
    d = decide(warehouse, OCEAN, action=None, summary="", by="wang")
    assert (d.action, d.section, d.title_zh, d.summary) == ("move", 2, "改过的标题", None)
    assert _table(warehouse, f"SELECT summary FROM relevant_works WHERE work_id = '{OCEAN}'") == [
        ("一个海洋基础模型。",)]


def test_decisions_survive_a_recrawl_and_triage(warehouse: Warehouse) -> None:
    build(warehouse)
    decide(warehouse, SHIPS, action="drop", by="lin")
    decide(warehouse, NEAR, action="move", section=1, by="lin")
    before = _table(warehouse, "SELECT * FROM decisions ORDER BY work_id")
    upsert_works(warehouse, [Work(ids=[NEAR, "doi:10.1000/seaice"], title="Sea ice concentration "
                                  "retrieval from passive microwave data (journal version)")], now=SEEN)
    save_results(warehouse, [Classification(NEAR, Label.IRRELEVANT, 0.9, "offline"),
                             Classification(SHIPS, Label.SHIP_DETECTION, 0.99, "llm")], [])
    assert _table(warehouse, "SELECT * FROM decisions ORDER BY work_id") == before
    assert _relevant(warehouse) == {OCEAN: 1, NEAR: 1}


@pytest.mark.parametrize(("key", "kwargs", "message"), [
    ("arxiv:9999.99999", {"action": "keep"}, "no such work"),
    (OCEAN, {"action": "move", "section": 9}, "section 9 does not exist"),
    (OCEAN, {"action": "move", "section": 0}, "section 0 does not exist"),
    (NOISE, {"action": "keep"}, "--section N"),
    (OCEAN, {"action": "maybe"}, "unknown action"),
])
def test_a_bad_decision_is_refused_and_changes_nothing(warehouse: Warehouse, key: str,
                                                        kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    build(warehouse)
    decide(warehouse, OCEAN, action="keep", by="lin")
    before = _table(warehouse, "SELECT * FROM decisions")
    with pytest.raises(DecisionError, match=message):
        decide(warehouse, key, by="wang", **kwargs)
    assert _table(warehouse, "SELECT * FROM decisions") == before


# --- the command ----------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("USER", "tester")
    cfg = tmp_path / "seascout.toml"
    cfg.write_text("", encoding="utf-8")
    build(Warehouse(tmp_path / "state" / "seascout.duckdb"))

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, [*args, "--config", str(cfg)])
    run.wh = Warehouse(tmp_path / "state" / "seascout.duckdb")  # type: ignore[attr-defined]
    return run


def test_decide_from_the_command_line(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("decide", NEAR, "--section", "1")
    assert r.exit_code == 0, r.output
    assert f"{NEAR}: move → section 1 (ocean_models), by tester" in r.output
    r = cli("decide", SHIPS, "--drop", "--by", "lin")
    assert r.exit_code == 0 and "dropped, by lin" in r.output
    assert [(d.work_id, d.action, d.decided_by) for d in decisions(cli.wh)] == [
        (NEAR, "move", "tester"), (SHIPS, "drop", "lin")]


@pytest.mark.parametrize("given", [
    "arXiv:2611.00001", "ARXIV:2611.00001", "2611.00001", "2611.00001v1",
    "https://arxiv.org/abs/2611.00001", "https://arxiv.org/abs/2611.00001v2",
    "doi:10.48550/arXiv.2611.00001", "https://doi.org/10.48550/arXiv.2611.00001",
])
def test_decide_takes_every_id_form_the_digest_and_arxiv_show(cli, given: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 24 #6: only lower-case `arxiv:…` used to work."""
    r = cli("decide", given, "--drop")
    assert r.exit_code == 0, r.output
    assert [(d.work_id, d.action) for d in decisions(cli.wh)] == [(OCEAN, "drop")]


def test_decide_takes_a_doi_in_any_case_and_as_a_url(cli) -> None:  # type: ignore[no-untyped-def]
    for given in ("DOI:10.3390/RS99999999", "https://doi.org/10.3390/rs99999999", "10.3390/rs99999999"):
        r = cli("decide", given, "--drop")
        assert r.exit_code == 0, r.output
    assert [(d.work_id, d.action) for d in decisions(cli.wh)] == [(SHIPS, "drop")]


@pytest.mark.parametrize(("args", "message"), [
    (["arxiv:0000.00000", "--keep"], "no such work"),
    (["not-an-id", "--keep"], "not an id"),
    ([OCEAN, "--section", "7"], "section 7 does not exist"),
    ([OCEAN, "--keep", "--drop"], "exclude each other"),
    ([OCEAN], "nothing to decide"),
    (["doi:10.1126/sciadv.aba1482", "--drop"], "is entry 1.1 of the survey document"),
    (["doi:10.1126/sciadv.aba1482", "--section", "2"], "cannot be moved to section 2"),
])
def test_decide_refuses_bad_input_in_one_line(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("decide", *args)
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert decisions(cli.wh) == []


@pytest.mark.parametrize("command", [["decide", NEAR, "--keep"], ["review", "--port", "0"]])
def test_without_a_name_decide_and_review_refuse_alike(cli, monkeypatch, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One rule for who decides: the review page never records an anonymous "reviewer"."""
    monkeypatch.delenv("USER")
    r = cli(*command)
    assert r.exit_code == 2, r.output
    assert r.output.strip() == "who decides is not known: pass --by NAME (or set $USER)"
    assert decisions(cli.wh) == []


# --- one membership rule: the `survey_membership` view ------------------------------------
def test_survey_membership_is_the_one_rule(warehouse: Warehouse) -> None:
    """Per work: in the survey (the document's entries, what the lab kept or moved) or a
    candidate (triage's undecided pick) or nowhere (dropped, rejected)."""
    build(warehouse)
    decide(warehouse, NEAR, action="move", section=4, by="lin")
    decide(warehouse, SHIPS, action="drop", by="lin")
    rows = {r[0]: r[1:] for r in _table(
        warehouse, "SELECT work_id, section, in_survey, basis FROM survey_membership")}
    assert rows[NEAR] == (4, True, "decision")
    assert rows[OCEAN] == (1, False, "triage")  # a candidate, not in the survey yet
    assert rows[SHIPS] == (None, False, "decision")
    assert rows[NOISE] == (None, False, "triage")
    assert rows["doi:10.1126/sciadv.aba1482"] == (1, True, "survey")
    assert sum(1 for r in rows.values() if r[1]) == 19  # the document's 18 and NEAR
    # relevant_works is the works in a section, read from the view
    assert dict(_table(warehouse, "SELECT work_id, in_survey FROM relevant_works "
                                  "WHERE classified_by <> 'seed'")) == {NEAR: True, OCEAN: False}


def test_a_drop_of_a_survey_entry_is_refused_and_an_old_one_has_no_effect(warehouse: Warehouse) -> None:
    build(warehouse)
    seed = "doi:10.1126/sciadv.aba1482"
    with pytest.raises(DecisionError, match=r"entry 1\.1 of the survey document 000_8bc26054f90ad24c\.md"):
        decide(warehouse, seed, action="drop", by="lin")
    assert _table(warehouse, "SELECT * FROM decisions") == []
    decide(warehouse, seed, action="keep", by="lin", title_zh="热带不稳定波预测")  # keeping is fine
    # a drop stored before the refusal existed: the document still wins
    with warehouse.write() as con:
        con.execute("UPDATE decisions SET action = 'drop', section = NULL, label = 'irrelevant'")
    assert _table(warehouse, f"SELECT section, in_survey FROM survey_membership "
                             f"WHERE work_id = '{seed}'") == [(1, True)]


def test_seascout_sql_reads_the_membership_view(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("sql", "SELECT basis, count(*) AS n FROM survey_membership WHERE in_survey "
                   "GROUP BY basis", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert "survey,18" in r.output
