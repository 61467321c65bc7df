"""The weekly flow: seed (when the survey changed) → crawl → triage → digest → deliver.

Only wiring: each stage is a library function (`warehouse.seeds`, `spiders.crawl`,
`spiders.news_runner`, `triage.run`, `digests.run`) wrapped in a task. Retries sit on the
I/O tasks; a failed source or channel marks the run `partial` and the rest still runs.
The run record (parameters, counts per stage, errors, LLM cost, timings) lands in the
warehouse's `runs` table and, as a table artifact, in the Prefect UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from seascout.config import Settings, load_settings
from seascout.model import SourceReport
from spiders.crawl import default_registry, make_http_client, run_crawl
from spiders.http import HttpClient
from warehouse.db import Warehouse
from warehouse.seeds import seed_if_changed
from warehouse.state import finish_run, log_error, start_run


@dataclass
class StageLog:
    """What the run record keeps: counts, errors and seconds per stage."""

    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # stage, source, message
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, fn: Callable[[], Any]) -> Any:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.timings[stage] = round(self.timings.get(stage, 0) + time.monotonic() - start, 3)

    @property
    def status(self) -> str:
        return "partial" if self.errors else "ok"


@task(cache_policy=NO_CACHE)
def seed_stage(settings: Settings, wh: Warehouse) -> dict[str, Any]:
    report = seed_if_changed(wh, settings.seeds_dir)
    get_run_logger().info(report.describe() if report else "survey unchanged since the last seed")
    return vars(report) if report else {"unchanged": True}


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


@task(cache_policy=NO_CACHE)
def triage_stage(settings: Settings, wh: Warehouse, run_id: str):  # type: ignore[no-untyped-def]
    from triage.run import run_triage

    report = run_triage(settings, wh, run_id=run_id)
    get_run_logger().info(report.describe())
    return report


@task(retries=1, retry_delay_seconds=30, cache_policy=NO_CACHE)
def digest_stage(settings: Settings, wh: Warehouse, period: str | None, run_id: str,
                 deliver: bool):  # type: ignore[no-untyped-def]
    from digests.run import run_digest

    report = run_digest(settings, wh, period=period, run_id=run_id, deliver=deliver)
    get_run_logger().info(report.describe())
    return report


def _log_source(report: SourceReport) -> None:
    logger = get_run_logger()
    if report.skipped:
        logger.info("%s skipped: %s", report.source, report.skipped)
    elif report.errors:
        logger.warning("%s FAILED: %s (still stored %s)", report.source, "; ".join(report.errors),
                       report.stored)
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
    for r in reports:
        log.counts.setdefault("crawl", {})[r.source] = {
            "fetched": r.fetched, "new": r.new, "stored": r.stored, "requests": r.requests,
            "skipped": r.skipped, "errors": len(r.errors), "warnings": len(r.warnings)}
        log.errors.extend(("crawl", r.source, e) for e in r.errors)
    return reports


def _result_or_error(future: Any, name: str) -> SourceReport:
    try:
        return future.result()
    except Exception as e:  # retries exhausted on an unexpected crash
        return SourceReport(name, errors=[f"{type(e).__name__}: {e}"])


def record(wh: Warehouse, run_id: str, log: StageLog) -> None:
    for stage, source, message in log.errors:
        log_error(wh, run_id, stage, source, message)
    # LLM calls, tokens and cost are added to the run row by triage itself.
    finish_run(wh, run_id, status=log.status, counts=log.counts, timings=log.timings)


def summary_rows(log: StageLog) -> list[dict[str, Any]]:
    rows = [{"stage": "crawl", "source": s, **c} for s, c in log.counts.get("crawl", {}).items()]
    for stage in ("seed", "triage", "digest"):
        if stage in log.counts:
            rows.append({"stage": stage, "source": "", "detail": str(log.counts[stage])})
    return rows


def run_stages(settings: Settings, wh: Warehouse, log: StageLog, run_id: str, *,
               sources: list[str] | None, since: date | None, until: date | None,
               period: str | None, deliver: bool, seed: bool = True, digest: bool = True) -> Any:
    """The stages in order; each failure is recorded and the next stage still runs."""
    if seed:
        try:
            log.counts["seed"] = log.timed("seed", lambda: seed_stage(settings, wh))
        except Exception as e:
            log.errors.append(("seed", "seeds", f"{type(e).__name__}: {e}"))
    log.timed("crawl", lambda: crawl_all(settings, wh, log, run_id, sources=sources,
                                          since=since, until=until))
    try:
        tri = log.timed("triage", lambda: triage_stage(settings, wh, run_id))
        log.counts["triage"] = {"classified": tri.classified, "by_label": tri.counts,
                                "pending": tri.pending, "flagged": tri.flagged, "model": tri.model,
                                "llm_calls": tri.llm_calls, "llm_cost_usd": tri.llm_cost_usd}
    except Exception as e:
        log.errors.append(("triage", "triage", f"{type(e).__name__}: {e}"))
    if not digest:
        return None
    try:
        dig = log.timed("digest", lambda: digest_stage(settings, wh, period, run_id, deliver))
    except Exception as e:
        log.errors.append(("digest", "digest", f"{type(e).__name__}: {e}"))
        return None
    log.counts["digest"] = {"digest_id": dig.digest_id, "items": dig.items, "new": dig.new,
                            "updated": dig.updated, "deliveries": dig.deliveries}
    log.errors.extend(("deliver", dig.digest_id, e) for e in dig.errors)
    return dig


@flow(name="weekly", log_prints=True)
def weekly_flow(config_path: str | None = None, period: str | None = None,
                deliver: bool = True) -> dict[str, Any]:
    """Seed, crawl every enabled source, triage, render this week's digest and deliver it."""
    settings = load_settings(config_path)
    wh = Warehouse(settings.db_path)
    run_id = start_run(wh, "weekly", {"period": period, "deliver": deliver})
    log = StageLog()
    dig = run_stages(settings, wh, log, run_id, sources=None, since=None, until=None,
                     period=period, deliver=deliver)
    record(wh, run_id, log)
    create_table_artifact(key="weekly-summary", table=summary_rows(log),
                          description=f"seascout weekly run {run_id}: {log.status}")
    if dig is not None and dig.markdown:
        create_markdown_artifact(key="weekly-digest", markdown=dig.markdown,
                                 description=f"digest {dig.digest_id}")
    return {"run_id": run_id, "status": log.status, "counts": log.counts,
            "errors": [list(e) for e in log.errors], "timings": log.timings,
            "digest": dig.files if dig is not None else {}}
