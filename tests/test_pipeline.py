"""The pipeline end to end: the offline demo, a rerun that sends nothing twice, and a
backfill that resumes after an interruption."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import pytest

from testing.demo import DEMO_SECRET_ENV, deliver_as_ended, demo_environment, demo_period, entries_by_section
from testing.replay import Reply
from warehouse.db import Warehouse
from warehouse.query import run_query


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the retries, drop the waiting (the backoff is seconds in production)."""
    import spiders.crawl
    from spiders.http import RetryPolicy

    real = spiders.crawl.make_http_client
    fast = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    monkeypatch.setattr(spiders.crawl, "make_http_client",
                        lambda settings, **kw: real(settings, **{"retry": fast, **kw}))


ROOT = Path(__file__).resolve().parents[1]


def rows(home: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    return run_query(Warehouse(home / "seascout.duckdb"), sql)[1]


@pytest.mark.e2e
def test_demo_command_runs_the_whole_pipeline(tmp_path: Path) -> None:
    """As a user runs it: the real `seascout demo` command in its own process."""
    home = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "seascout.app.cli", "demo", "--home", str(home)],
                          capture_output=True, text=True, timeout=1800, env=env, cwd=ROOT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "no recording for" not in out  # every request the sources made was answered
    for source in ("arxiv_api", "arxiv_rss", "crossref", "openalex", "news:demo_news"):
        assert re.search(rf"{re.escape(source)}\s.*ok", out), source
    (mail,) = sorted((home / "outbox").glob("*.eml"))
    msg = message_from_bytes(mail.read_bytes())
    assert msg["To"] == "lab@localhost" and msg.is_multipart()
    md = next((home / "digests").glob("*/seascout-*.md")).read_text(encoding="utf-8")
    assert md.startswith("[TOC]") and "# 1. 海洋大模型" in md and "# 5. 相关论坛/资讯" in md
    # The demo shows the product: real in-field arXiv items land in several sections, numbered
    # after the survey's own entries, and the demo prints them section by section.
    sections = entries_by_section(md)
    assert sum(1 for _, entries in sections if entries) >= 3, sections
    assert any(e.endswith(" SOMA-1M") for _, entries in sections for e in entries), sections
    assert not any(e.startswith("1.1 ") for _, entries in sections for e in entries)
    assert "the digest, entry by entry:" in out and "SOMA-1M" in out
    assert "> - **开源代码：**https://github.com/PeihaoWu/SOMA-1M" in md
    # DisDop (a real record) distils from the survey's own 2.4 RemoteCLIP: its 关联 line says so
    assert "> - **关联**：延续 [2.4 RemoteCLIP](https://arxiv.org/abs/2306.11029)" in md
    # figures: the first figure of the entries whose arXiv HTML version the replay serves
    assert "![](./figures/arxiv_2601.07392-" in md and "![](./figures/arxiv_2508.02384-" in md
    assert len(list(next((home / "digests").glob("*/figures")).iterdir())) == 2
    assert rows(home, "SELECT status FROM runs") == [("ok",)]
    assert rows(home, "SELECT count(*) FROM works WHERE kind = 'news'")[0][0] >= 3
    assert rows(home, "SELECT count(*) FROM classifications WHERE method = 'offline'")[0][0] > 50
    # the commands it suggests are on its own week, the recordings', not the machine's last one
    suggested = re.search(r"seascout export --format bibtex --config (\S+) --period (\S+)", out)
    assert suggested, out
    export = subprocess.run([sys.executable, "-m", "seascout.app.cli", "export", "--format",
                             "bibtex", "--config", suggested[1], "--period", suggested[2]],
                            capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
                            env={**env, "SEASCOUT_HOME": str(home)})
    assert export.returncode == 0 and "nothing to export" not in export.stderr, export.stderr
    assert export.stdout.count("@") >= 3, export.stdout


def test_weekly_rerun_stores_and_sends_nothing_twice(tmp_path: Path, prefect_harness: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.weekly import weekly_flow

    home = tmp_path / "home"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    monkeypatch.setenv(DEMO_SECRET_ENV, "k")
    with demo_environment(home) as env:
        week = demo_period(env)
        first = weekly_flow(config_path=str(env.config_path), period=week)
        works = rows(home, "SELECT work_id, content_hash FROM works ORDER BY 1")
        second = weekly_flow(config_path=str(env.config_path), period=week)
        assert first["status"] == second["status"] == "ok"
        assert len(env.mailbox.messages) == 0  # the week is still running: rendered, not sent
        deliver_as_ended(env, week)
        deliver_as_ended(env, week)
        assert len(env.mailbox.messages) == 1  # the period was delivered once
        assert rows(home, "SELECT work_id, content_hash FROM works ORDER BY 1") == works
        crawl = second["counts"]["crawl"]
        assert sum(c["new"] for c in crawl.values()) == 0
        assert second["counts"]["triage"]["classified"] == 0  # nothing left to classify
        # The figures stage, before the digest: the demo's two HTML papers once, then nothing.
        fig, again = first["counts"]["figures"], second["counts"]["figures"]
        assert fig["fetched"] == 2 and fig["later"] == 0 and "figures" in first["timings"]
        assert again["fetched"] == again["none"] == again["failed"] == 0
        assert again["known"] == fig["known"] + fig["fetched"] + fig["none"] + fig["failed"]
        # The survey is regenerated once; a rerun with nothing newly kept writes no version.
        assert Path(first["counts"]["survey"]["files"]["md"]).is_file()
        assert second["counts"]["survey"]["files"] == {}
        assert len(list((home / "survey").glob("exported-*.md"))) == 1


def test_backfill_resumes_after_the_last_finished_month(tmp_path: Path, prefect_harness: None,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        fast_retries: None) -> None:
    from flows.backfill import backfill_flow

    home = tmp_path / "home"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    with demo_environment(home) as env:
        good = env.replay.routes[0].handler
        assert good is not None

        def february_fails(req):  # type: ignore[no-untyped-def]
            if "202402" in req.query.get("search_query", ""):
                return Reply.error(503)
            return good(req)

        env.replay.routes[0].handler = february_fails
        first = backfill_flow(since="2024-01-01", until="2024-02-29", sources=["arxiv_api"],
                              config_path=str(env.config_path))
        assert first["status"] == "partial"
        assert rows(home, "SELECT value FROM cursors WHERE source = 'backfill'") == [("2024-01-31",)]

        env.replay.routes[0].handler = good
        env.replay.requests.clear()
        second = backfill_flow(since="2024-01-01", until="2024-02-29", sources=["arxiv_api"],
                               config_path=str(env.config_path))
        assert second["status"] == "ok"
        queries = [r.query["search_query"] for r in env.replay.hits("/api/query")]
        assert queries and all("202402" in q and "202401" not in q for q in queries)
        assert rows(home, "SELECT value FROM cursors WHERE source = 'backfill'") == [("2024-02-29",)]
        assert set(second["counts"]["months"]) == {"2024-02"}
