"""One crawl report (issue 22 item 3): `runs.counts` keeps one shape whoever crawled, and every
shape a row was ever written in renders through the one renderer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.runlog import StageLog, summary_markdown
from seascout.core.model import SourceReport
from spiders.crawl import CrawlReport

OFFLINE = "offline: cannot reach export.arxiv.org: [Errno -3] Temporary failure in name resolution"

# `runs.counts` as each writer left it before the one shape (issue 22 item 3):
CLI_ROW: dict[str, Any] = {  # `seascout crawl`: the sources at the top level, errors a list
    "arxiv_api": {"fetched": 0, "new": 0, "updated": 0, "unusable": 0, "stored": 0,
                  "requests": 1, "errors": [OFFLINE], "warnings": [], "skipped": None},
    "arxiv_rss": {"fetched": 3, "new": 2, "updated": 1, "unusable": 0, "stored": 3,
                  "requests": 1, "errors": [], "warnings": [], "skipped": None},
    "datacite": {"fetched": 0, "new": 0, "updated": 0, "unusable": 0, "stored": 0,
                 "requests": 0, "errors": [], "warnings": [],
                 "skipped": "disabled in the config"}}
FLOW_ROW: dict[str, Any] = {"crawl": {  # the flows: under "crawl", errors a number
    "arxiv_api": {"fetched": 0, "new": 0, "stored": 0, "requests": 1, "skipped": None,
                  "errors": 1, "warnings": 0, "unusable": 0},
    "arxiv_rss": {"fetched": 3, "new": 2, "stored": 3, "requests": 1, "skipped": None,
                  "errors": 0, "warnings": 0, "unusable": 0},
    "datacite": {"fetched": 0, "new": 0, "stored": 0, "requests": 0,
                 "skipped": "disabled in the config", "errors": 0, "warnings": 0,
                 "unusable": 0}},
    "triage": {"classified": 2, "by_label": {}}}


def _report() -> CrawlReport:
    return CrawlReport.of([
        SourceReport("arxiv_api", requests=1, errors=[OFFLINE]),
        SourceReport("arxiv_rss", fetched=3, new=2, stored=3, requests=1),
        SourceReport("datacite", skipped="disabled in the config")])


def test_the_one_shape_reads_back_as_it_was_written() -> None:
    report = _report()
    counts = json.loads(json.dumps({"crawl": report.counts()}))  # as `runs.counts` keeps it
    again = CrawlReport.from_counts(counts)
    assert again.rows() == report.rows()
    assert again.notes() == report.notes()
    assert again.status == report.status == "partial"
    assert counts["crawl"]["arxiv_api"]["errors"] == [OFFLINE]  # the message, not a number


@pytest.mark.parametrize("row", [CLI_ROW, FLOW_ROW], ids=["cli-row", "flow-row"])
def test_rows_written_in_the_old_shapes_still_render(row: dict[str, Any]) -> None:
    report = CrawlReport.from_counts(row)
    assert [r[0] for r in report.rows()] == ["arxiv_api", "arxiv_rss", "datacite"]
    assert [r[-1] for r in report.rows()] == ["failed", "ok", "skipped"]
    assert report.rows()[1][:3] == ("arxiv_rss", 3, 2)
    assert report.status == "partial"
    kinds = [(kind, source) for kind, source, _ in report.notes()]
    assert kinds == [("error", "arxiv_api"), ("skipped", "datacite")]
    log = StageLog(counts=row)
    md = summary_markdown(log, "an old run")
    assert "| arxiv_rss | 3 | 2 |" in md and "| datacite | 0 | 0 | 0 | 0 | skipped |" in md
    assert "- datacite skipped: disabled in the config" in md


def test_the_terminal_and_the_summary_show_the_same_rows_and_notes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from seascout.app import cli

    monkeypatch.setattr(cli, "console", cli.Console(width=200, soft_wrap=True, record=True))
    report = _report()
    with pytest.raises(typer.Exit) as exited:
        cli._print_run({"counts": {"crawl": report.counts()}, "status": "failed",
                        "errors": [["crawl", "arxiv_api", OFFLINE]], "run_id": "r1"})
    assert exited.value.exit_code == 1
    text = cli.console.export_text()
    table = [line.replace("│", " ").split() for line in text.splitlines()]
    md = summary_markdown(StageLog(counts={"crawl": report.counts()}), "run r1")
    for row in report.rows():
        cells = [str(c) for c in row]
        assert cells in table, (cells, text)
        assert f"| {' | '.join(cells)} |" in md
    assert text.count(OFFLINE) == 1  # under the table, not again from the run's error list
    assert f"arxiv_api {OFFLINE}" in text and "datacite skipped: disabled in the config" in text
    assert f"- arxiv_api error: {OFFLINE}" in md


def test_a_cli_crawl_and_a_flow_crawl_keep_counts_in_one_shape(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`seascout crawl` used to store the sources at the top level of `runs.counts`."""
    from seascout.app.cli import app
    from testing.replay import ReplayServer, Reply
    from tests.test_papers_entry import fast_client, write_config
    from warehouse.db import Warehouse
    from warehouse.query import run_query

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "home"))
    fast_client(monkeypatch)
    with ReplayServer() as srv:
        srv.add("/works", Reply.error(503))
        config = write_config(tmp_path, srv.base_url)
        result = CliRunner().invoke(app, ["crawl", "-c", str(config), "-s", "crossref",
                                          "-s", "datacite"])
    assert result.exit_code == 1, result.output
    (counts,) = run_query(Warehouse(tmp_path / "home" / "seascout.duckdb"),
                          "SELECT counts FROM runs")[1][0]
    crawl = json.loads(counts)["crawl"]
    assert set(crawl) == {"crossref", "datacite"}
    assert crawl["crossref"]["errors"] and isinstance(crawl["crossref"]["errors"], list)
    assert set(crawl["crossref"]) == set(_report().counts()["arxiv_api"])
