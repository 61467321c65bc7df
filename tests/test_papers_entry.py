"""`seascout crawl` and the `crawl` flow, end to end against the replay server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testing.replay import ReplayServer, Reply, arxiv_feed

PAPERS = Path(__file__).parent / "fixtures" / "papers"


@pytest.fixture
def srv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        server.add("/api/query", Reply.raw(arxiv_feed(
            [("2601.00001", datetime(2026, 1, 5, 10))], 1), "application/atom+xml"))
        server.add("/rss/physics.ao-ph",
                   Reply.file(PAPERS / "arxiv_rss/rss_empty_archive_test_2024-11-28.xml"))
        server.add("/works", Reply.error(503))
        yield server


def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the retries, drop the waiting (the backoff is seconds in production)."""
    import spiders.crawl
    from spiders.http import RetryPolicy

    real = spiders.crawl.make_http_client
    fast = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.02)
    monkeypatch.setattr(spiders.crawl, "make_http_client",
                        lambda settings, **kw: real(settings, **{"retry": fast, **kw}))


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "seascout.toml"
    path.write_text(f"""
contact_email = "lab@example.org"
[topics]
ocean_models = ["ocean model"]
rs_foundation_models = []
ship_detection = []
datasets = []
[sources.arxiv]
api_url = "{base}/api/query"
rss_url = "{base}/rss/"
categories = ["physics.ao-ph"]
min_interval_seconds = 0.05
[sources.crossref]
base_url = "{base}"
journals = {{ "2375-2548" = "Science Advances" }}
[sources.datacite]
enabled = false
[sources.openalex]
base_url = "{base}"
[sources.news]
enabled = false
""", encoding="utf-8")
    return path


def test_cli_crawl_prints_table_errors_and_summary(srv: ReplayServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from seascout.app.cli import app

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "home"))
    fast_client(monkeypatch)
    config = write_config(tmp_path, srv.base_url)
    result = CliRunner().invoke(app, ["crawl", "--config", str(config), "--until", "2026-01-08"])
    out = result.output
    assert result.exit_code == 0, out  # arXiv worked, so the run is partial, not failed
    assert "arxiv_api" in out and "crossref" in out and "HTTP 503 after 5 attempts" in out
    assert "[sources.datacite] enabled = true" in out and "OPENALEX_API_KEY" in out
    assert "crawl partial: 1 new" in out

    only_crossref = CliRunner().invoke(app, ["crawl", "-c", str(config), "--source", "crossref"])
    assert only_crossref.exit_code == 1 and "crawl failed" in only_crossref.output
    bad = CliRunner().invoke(app, ["crawl", "-c", str(config), "--source", "nope"])
    assert bad.exit_code == 2 and "unknown source" in bad.output


def test_crawl_flow_with_since_until(srv: ReplayServer, tmp_path: Path, prefect_harness: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.crawl import crawl_flow
    from warehouse.db import Warehouse
    from warehouse.state import get_cursor

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "home"))
    fast_client(monkeypatch)
    config = write_config(tmp_path, srv.base_url)
    result = crawl_flow(config_path=str(config), sources=["arxiv_api", "arxiv_rss"],
                        since="2026-01-01", until="2026-01-08")
    assert result["status"] == "ok"
    assert result["sources"]["arxiv_api"]["new"] == 1  # type: ignore[index]
    q = srv.hits("/api/query")[0].query["search_query"]
    assert "submittedDate:[202601010000 TO 202601082359]" in q
    wh = Warehouse(tmp_path / "home" / "seascout.duckdb")
    assert get_cursor(wh, "arxiv_api", "cat:physics.ao-ph") == "2026-01-05T10:00"  # newest stored submission
