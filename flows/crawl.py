"""Crawl flow: every enabled source once (or a backfill window with since/until).

Thin by design: settings are built at the entry; the work is `spiders.crawl.crawl`, the one
driver `seascout crawl` runs too (paper sources at once on one HTTP client, news sites each in
a Scrapy subprocess). It runs as one task: a source's own failures are already isolated in its
report, so there is nothing for a task retry to do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.runlog import IN_SUMMARY, StageLog, final_state, record
from seascout.core.config import Settings, load_settings
from seascout.core.model import SourceReport
from spiders.crawl import CrawlReport, crawl
from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_run
from warehouse.state import start_run


@task(cache_policy=NO_CACHE)
def crawl_sources(settings: Settings, wh: Warehouse, run_id: str, sources: list[str] | None,
                  since: date | None, until: date | None) -> CrawlReport:
    report = crawl(settings, wh, sources=sources, since=since, until=until, run_id=run_id)
    for r in report.sources:
        _log_source(r)
    return report


def _log_source(report: SourceReport) -> None:
    logger = get_run_logger()
    if report.skipped:
        logger.info("%s skipped: %s", report.source, report.skipped, extra=IN_SUMMARY)
    elif report.errors:
        logger.warning("%s FAILED: %s (still stored %s)", report.source, "; ".join(report.errors),
                       report.stored, extra=IN_SUMMARY)
    else:
        logger.info("%s: %s fetched, %s new, %s requests", report.source, report.fetched,
                    report.new, report.requests)


def crawl_all(settings: Settings, wh: Warehouse, log: StageLog, run_id: str, *,
              sources: list[str] | None = None, since: date | None = None,
              until: date | None = None) -> CrawlReport:
    """One crawl pass, folded into the run's record (a backfill makes one pass a month)."""
    report = crawl_sources(settings, wh, run_id, sources, since, until)
    log.add_crawl(report)
    return report


@flow(name="crawl", log_prints=True)
def crawl_flow(config_path: str | None = None, sources: list[str] | None = None,
               since: str | None = None, until: str | None = None) -> dict[str, Any]:
    """Fetch and store new papers and news; `since`/`until` (YYYY-MM-DD) make it a backfill."""
    settings = load_settings(config_path)
    wh = Warehouse(settings.db_path)
    with exclusive_run(settings.db_path, "crawl", on_wait=get_run_logger().info):
        run_id = start_run(wh, "crawl", {"sources": sources, "since": since, "until": until})
        log = StageLog()
        log.timed("crawl", lambda: crawl_all(
            settings, wh, log, run_id, sources=sources,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None))
        record(wh, run_id, log)
    return final_state(log, {  # type: ignore[return-value]  # Prefect returns the data
        "run_id": run_id, "status": log.status, "sources": log.counts.get("crawl", {}),
        "counts": log.counts, "errors": [list(e) for e in log.errors], "timings": log.timings})
