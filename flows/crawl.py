"""Crawl flow: every enabled source once (or a backfill window with since/until).

Thin by design: settings are built at the entry; the work is `spiders.crawl` (papers) and
`spiders.news_runner` (news sites, each a Scrapy subprocess). Each paper source is its own
task, submitted concurrently: they share one HTTP client, so arXiv's API and RSS still pass
one 3-second gate. Retries sit on these I/O tasks only; a source's own failures are already
isolated in its report.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.runlog import IN_SUMMARY, StageLog, final_state, record
from seascout.core.config import Settings, load_settings
from seascout.core.model import SourceReport
from spiders.crawl import default_registry, make_http_client, run_crawl
from spiders.http import HttpClient
from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_run
from warehouse.state import start_run


@task(retries=2, retry_delay_seconds=20, cache_policy=NO_CACHE)
def paper_source(settings: Settings, wh: Warehouse, http: HttpClient, name: str,
                 since: date | None, until: date | None, run_id: str) -> SourceReport:
    (report,) = run_crawl(settings, wh, sources=[name], since=since, until=until, run_id=run_id,
                          http=http)
    _log_source(report)
    return report


@task(retries=1, retry_delay_seconds=20, cache_policy=NO_CACHE)
def news_sources(settings: Settings, wh: Warehouse, since: date | None, run_id: str) -> list[SourceReport]:
    from spiders.news_runner import run_news

    reports = run_news(settings, wh, since=since, run_id=run_id)
    for r in reports:
        _log_source(r)
    return reports


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
              until: date | None = None) -> list[SourceReport]:
    """Paper sources concurrently (arXiv's API and RSS still share one 3-second gate through
    the one client) and the news sites in their own subprocesses, all at once."""
    wanted = sources or [*default_registry(), "news"]
    reports: list[SourceReport] = []
    with make_http_client(settings) as http:
        futures = [paper_source.submit(settings, wh, http, name, since, until, run_id)
                   for name in wanted if name != "news"]
        news = news_sources.submit(settings, wh, since, run_id) if "news" in wanted else None
        for name, fut in zip([n for n in wanted if n != "news"], futures, strict=True):
            reports.append(_result_or_error(fut, name))
        if news is not None:
            try:
                reports.extend(news.result())
            except Exception as e:  # the news runner itself crashed: one line, run goes on
                reports.append(SourceReport("news", errors=[f"{type(e).__name__}: {e}"]))
    log.crawled.extend(reports)
    for r in reports:
        log.counts.setdefault("crawl", {})[r.source] = {
            "fetched": r.fetched, "new": r.new, "stored": r.stored, "requests": r.requests,
            "skipped": r.skipped, "errors": len(r.errors), "warnings": len(r.warnings),
            "unusable": getattr(r, "unusable", 0)}
        log.errors.extend(("crawl", r.source, e) for e in r.errors)
    return reports


def _result_or_error(future: Any, name: str) -> SourceReport:
    try:
        return future.result()
    except Exception as e:  # retries exhausted on an unexpected crash
        return SourceReport(name, errors=[f"{type(e).__name__}: {e}"])


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
        "errors": [list(e) for e in log.errors]})
