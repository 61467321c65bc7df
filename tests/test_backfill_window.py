"""A backfill's window and what it prints (issue 24 item 9): an unreachable source is named
once per backfill, not once a month; `--until` on a month boundary adds no one-day month."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.backfill import months
from seascout.core.model import SourceReport
from spiders.crawl import CrawlReport


def test_an_until_on_a_month_boundary_adds_no_one_day_month() -> None:
    assert months(date(2025, 1, 1), date(2025, 2, 1)) == [(date(2025, 1, 1), date(2025, 2, 1))]
    assert months(date(2024, 12, 15), date(2025, 2, 1)) == [
        (date(2024, 12, 15), date(2024, 12, 31)), (date(2025, 1, 1), date(2025, 2, 1))]
    # a window of that one day, or one that ends inside a month, is cut as before
    assert months(date(2025, 2, 1), date(2025, 2, 1)) == [(date(2025, 2, 1), date(2025, 2, 1))]
    assert months(date(2025, 1, 1), date(2025, 2, 2)) == [
        (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 2, 1), date(2025, 2, 2))]


def test_passes_fold_into_one_report_each_message_once() -> None:
    offline = "offline: cannot reach export.arxiv.org: [Errno -3] name resolution"
    report = CrawlReport()
    report.add([SourceReport("arxiv_api", fetched=4, new=4, requests=2)])  # January worked
    report.add([SourceReport("arxiv_api", requests=1, errors=[offline])])
    report.add([SourceReport("arxiv_api", requests=1, errors=[offline])])
    (arxiv,) = report.sources
    assert (arxiv.fetched, arxiv.new, arxiv.requests, arxiv.errors) == (4, 4, 4, [offline])
    assert report.status == "partial"  # a month worked: not every source failed


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_offline_backfill_names_each_unreachable_source_once(
        tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from seascout.app.cli import app
    from tests.test_papers_entry import fast_client, write_config

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "300")
    fast_client(monkeypatch)
    port = _closed_port()  # nothing listens: every request is refused, as offline
    config = write_config(tmp_path, f"http://127.0.0.1:{port}")
    result = CliRunner().invoke(app, ["backfill", "-c", str(config), "--since", "2024-01-01",
                                      "--until", "2024-03-31", "-s", "arxiv_api",
                                      "-s", "crossref"])
    assert result.exit_code == 1, result.output  # every source failed
    out = result.output
    unreachable = [line for line in out.splitlines() if f"127.0.0.1:{port}" in line]
    assert len(unreachable) == 2, out  # arxiv_api once, crossref once: not once a month
    assert sorted(line.split()[0] for line in unreachable) == ["arxiv_api", "crossref"]
