"""A run's true state everywhere it is shown: the `runs` row, the Prefect state and message,
the summary artifact (readable Markdown) and the digest preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.runlog import StageLog, digest_preview, final_state, run_result, summary_markdown
from seascout.core.model import SourceReport
from spiders.crawl import CrawlReport
from testing.demo import demo_environment
from testing.replay import Reply
from warehouse.db import Warehouse
from warehouse.query import run_query

OFFLINE = "offline: cannot reach export.arxiv.org (ConnectError)"


def _log(*reports: SourceReport) -> StageLog:
    log = StageLog()
    log.add_crawl(CrawlReport.of(reports))
    return log


def test_every_source_failed_is_failed_with_the_reasons() -> None:
    log = _log(SourceReport("arxiv_api", errors=[OFFLINE]),
               SourceReport("crossref", errors=["HTTP 503 | Service Unavailable"]),
               SourceReport("datacite", skipped="disabled in the config"))
    assert log.status == "failed"
    state = final_state(log, {"status": log.status})
    assert state.is_failed()
    assert state.message == ("every source failed: crawl arxiv_api, crawl crossref "
                             "(messages in the run's summary artifact)")


def test_a_partial_run_is_completed_and_says_what_failed() -> None:
    ok = SourceReport("arxiv_rss", fetched=3, new=3, requests=1)
    log = _log(SourceReport("arxiv_api", errors=[OFFLINE]), ok)
    assert log.status == "partial"
    state = final_state(log, {"status": "partial"})
    assert state.is_completed() and state.name == "Partial"
    assert state.message == "partial: crawl arxiv_api failed (messages in the run's summary artifact)"
    assert final_state(_log(ok), {}).is_completed() and final_state(_log(ok), {}).name == "Completed"


def test_the_summary_is_a_readable_markdown_table() -> None:
    log = _log(SourceReport("arxiv_api", errors=["HTTP 503 | Service Unavailable\nretry later"]),
               SourceReport("arxiv_rss", fetched=3, new=3, requests=1))
    log.counts["triage"] = {"classified": 3, "by_label": {"ocean_models": 2, "irrelevant": 1}}
    log.counts["digest"] = {"digest_id": "2026-W48", "items": 2, "new": 2, "updated": 0,
                            "deliveries": {"email": "sent"}}
    log.timings = {"crawl": 1.234, "triage": 0.5}
    md = summary_markdown(log, "seascout backfill 2024-01-01 … 2024-02-29 (all sources)")
    assert "{" not in md and "'" not in md  # no Python dict or repr anywhere
    assert "| arxiv_rss | 3 | 3 | 0 | 1 | ok |" in md
    assert "| arxiv_api | 0 | 0 | 0 | 0 | failed |" in md
    assert "- arxiv_api error: HTTP 503 \\| Service Unavailable retry later" in md
    assert "| triage | 3 classified (irrelevant 1, ocean_models 2) |" in md
    assert "| digest | 2026-W48: 2 items (2 new, 0 updated); deliveries: email sent |" in md
    for line in md.splitlines():  # every table row has as many cells as its header
        if line.startswith("|"):
            cells = line.replace("\\|", "").count("|")
            assert cells in (3, 4, 7), line


def test_the_digest_preview_renders_in_the_ui() -> None:
    md = ("[TOC]\n\n# 0. 导出\n\n| 2026-W48 | [seascout-2026-W48.pdf](./seascout-2026-W48.pdf) | PDF |\n"
          "![图](./src/img/a.png) [论文](https://doi.org/10.1/x) [up](#top)\n")
    preview = digest_preview(md, "2026-W48")
    assert "[TOC]" not in preview and preview.startswith("# 0. 导出")
    assert "| seascout-2026-W48.pdf |" in preview and "./" not in preview
    assert "[论文](https://doi.org/10.1/x)" in preview and "[up](#top)" in preview
    online = digest_preview(md, "2026-W48", "https://lab.example.org/digests/")
    assert "[seascout-2026-W48.pdf](https://lab.example.org/digests/2026-W48/seascout-2026-W48.pdf)" in online


def _console_handlers_write_to_this_tests_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect's console log handlers keep the stream of the first test that configured them,
    which pytest may have closed since: point them at this test's stderr."""
    import logging
    import sys

    names = ["", *(n for n in logging.Logger.manager.loggerDict if n.startswith("prefect"))]
    for name in names:
        for handler in logging.getLogger(name).handlers:
            console = getattr(handler, "console", None)
            if console is not None:
                monkeypatch.setattr(console, "file", sys.stderr)


def test_a_backfill_whose_every_source_failed_ends_failed_in_prefect(
        tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import spiders.crawl
    from flows.backfill import backfill_flow
    from spiders.http import RetryPolicy

    real = spiders.crawl.make_http_client
    fast = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
    monkeypatch.setattr(spiders.crawl, "make_http_client",
                        lambda settings, **kw: real(settings, **{"retry": fast, **kw}))
    _console_handlers_write_to_this_tests_stderr(monkeypatch)
    home = tmp_path / "home"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    with demo_environment(home) as env:
        env.replay.routes[0].handler = lambda req: Reply.error(503)  # arXiv's API is down
        state = backfill_flow(since="2024-01-01", until="2024-01-31", sources=["arxiv_api"],
                              config_path=str(env.config_path), return_state=True)
        assert state.is_failed(), state
        assert state.message is not None and state.message.startswith("every source failed: crawl arxiv_api")
        result = run_result(state)
        assert result["status"] == "failed"
        partial = backfill_flow(since="2024-01-01", until="2024-01-31",
                                sources=["arxiv_api", "arxiv_rss"],
                                config_path=str(env.config_path), return_state=True)
        assert partial.is_completed() and partial.name == "Partial"
        assert partial.message is not None and "arxiv_api" in partial.message
        assert "arxiv_rss" not in partial.message
    rows = run_query(Warehouse(home / "seascout.duckdb"),
                     "SELECT status FROM runs WHERE flow = 'backfill' ORDER BY started_at")[1]
    assert rows == [("failed",), ("partial",)]


def test_the_terminal_prints_a_failure_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI prints every error in its summary; the live log of the run it shows first
    leaves out the lines the summary repeats (the Prefect UI keeps them)."""
    import logging

    import flows.crawl
    from seascout.app import cli

    seen: list[str] = []

    class Terminal(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    terminal = Terminal()
    logging.getLogger().addHandler(terminal)
    run_logger = logging.getLogger("prefect.task_runs.test")
    run_logger.setLevel(logging.INFO)
    monkeypatch.setattr(flows.crawl, "get_run_logger", lambda: run_logger)

    class Done:
        def result(self, raise_on_failure: bool = True) -> dict[str, str]:
            return {"status": "failed"}

    def run() -> Done:
        flows.crawl._log_source(SourceReport("arxiv_api", errors=[OFFLINE]))
        flows.crawl._log_source(SourceReport("arxiv_rss", fetched=3, new=3, requests=1))
        return Done()

    try:
        assert cli._run_flow("testing", run) == {"status": "failed"}
        flows.crawl._log_source(SourceReport("arxiv_api", errors=[OFFLINE]))  # outside the CLI
    finally:
        logging.getLogger().removeHandler(terminal)
    assert seen == ["arxiv_rss: 3 fetched, 3 new, 1 requests",
                    f"arxiv_api FAILED: {OFFLINE} (still stored 0)"]


def test_a_failed_deployment_run_is_one_line_not_a_traceback(prefect_harness: None) -> None:
    """Issue 24 item 8: `seascout serve` runs a deployment as `python -m prefect.engine`
    does — `run_flow(flow, error_logger=…)`, which takes the run's result. A Failed state
    holding a dict made that a `TypeError: Unexpected result for failed state` and a 40-line
    traceback in the serve terminal."""
    import logging

    from prefect import flow
    from prefect.flow_engine import run_flow

    from flows.runlog import RunFailed

    log = _log(SourceReport("arxiv_api", errors=[OFFLINE]))

    @flow(name="fails")
    def fails() -> object:
        return final_state(log, {"run_id": "r1", "status": log.status})

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    engine_log = logging.getLogger("prefect.flow_runs")
    keep = Keep()
    engine_log.addHandler(keep)
    try:
        with pytest.raises(RunFailed, match="every source failed: crawl arxiv_api") as failed:
            run_flow(fails, error_logger=engine_log)  # type: ignore[arg-type]
    finally:
        engine_log.removeHandler(keep)
    assert failed.value.result == {"run_id": "r1", "status": "failed"}  # the record rides along
    said = [r.getMessage() for r in records]
    assert any(m.startswith("Finished in state Failed(") and "every source failed" in m
               for m in said), said
    assert [r.getMessage() for r in records if r.exc_info] == []  # no traceback
