"""Crawl flow: every enabled paper source once (or a backfill window with since/until).

Thin by design: settings are built here, at the entry; the work is `spiders.crawl`. Each
source is its own task so the Prefect UI shows which one failed; the tasks share one HTTP
client, so arXiv's politeness gate spans the API and RSS tasks. Retries sit on the source
tasks only (I/O); a source's own failures are already isolated in its report.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from seascout.config import Settings, load_settings
from seascout.model import SourceReport
from spiders.crawl import crawl_status, default_registry, make_http_client, run_crawl, summarise
from spiders.http import HttpClient
from warehouse.db import Warehouse
from warehouse.state import finish_run, start_run


@task(retries=2, retry_delay_seconds=30, cache_policy=NO_CACHE)
def crawl_source(settings: Settings, wh: Warehouse, http: HttpClient, name: str,
                 since: date | None, until: date | None, run_id: str) -> SourceReport:
    report = run_crawl(settings, wh, sources=[name], since=since, until=until, run_id=run_id,
                       http=http)[0]
    logger = get_run_logger()
    if report.errors:
        logger.warning("%s failed: %s", name, "; ".join(report.errors))
    else:
        logger.info("%s: %s fetched, %s new (%s requests)%s", name, report.fetched, report.new,
                    report.requests, f" — skipped: {report.skipped}" if report.skipped else "")
    return report


@flow(name="crawl", log_prints=True)
def crawl_flow(config_path: str | None = None, sources: list[str] | None = None,
               since: str | None = None, until: str | None = None) -> dict[str, object]:
    """Fetch and store new papers; `since`/`until` (YYYY-MM-DD) make it a backfill."""
    settings = load_settings(config_path)
    start = date.fromisoformat(since) if since else None
    end = date.fromisoformat(until) if until else None
    wh = Warehouse(settings.db_path)
    names = sources or list(default_registry())
    run_id = start_run(wh, "crawl", {"sources": names, "since": since, "until": until})
    reports: list[SourceReport] = []
    with make_http_client(settings) as http:
        for name in names:
            reports.append(crawl_source(settings, wh, http, name, start, end, run_id))
    status = crawl_status(reports)
    finish_run(wh, run_id, status=status, counts=summarise(reports))
    return {"run_id": run_id, "status": status, "sources": summarise(reports)}
