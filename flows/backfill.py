"""The backfill flow: crawl a past window month by month, triage, optionally render the
digests of the past weeks (never delivered: nobody wants last year's mail).

Resumable: each finished month is recorded as a cursor (`backfill`, <window>), so rerunning
the same backfill after an interruption continues with the first unfinished month. Every
stage is idempotent, so a month cut off halfway is simply crawled again without duplicates.

    prefect deployment run 'backfill/backfill' --param since=2024-01-01 --param until=2024-06-30
    seascout backfill --since 2024-01-01
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.crawl import crawl_all
from flows.runlog import StageLog, final_state, record, summary_markdown
from flows.weekly import digest_stage, triage_stage
from seascout.core.config import Settings, load_settings
from seascout.core.period import today
from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_run
from warehouse.state import get_cursor, set_cursor, start_run


def months(since: date, until: date) -> list[tuple[date, date]]:
    """[since, until] cut at month boundaries: (first day, last day) of each piece. An `until`
    on the first of a month (`--until 2025-02-01`, a month boundary) is crawled with the month
    before it, not as a month of its own one day long."""
    pieces = []
    start = since
    while start <= until:
        nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        pieces.append((start, min(nxt - timedelta(days=1), until)))
        start = nxt
    if len(pieces) > 1 and pieces[-1][0] == pieces[-1][1] == until and until.day == 1:
        pieces[-2:] = [(pieces[-2][0], until)]
    return pieces


def iso_weeks(since: date, until: date) -> list[str]:
    """ISO week ids (2024-W01) of every complete or partial week in the window."""
    weeks: list[str] = []
    day = since
    while day <= until:
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
        if label not in weeks:
            weeks.append(label)
        day += timedelta(days=7 - day.weekday() if day.weekday() else 7)
    return weeks


def window_key(since: date, until: date, sources: list[str] | None) -> str:
    return f"{since}..{until}|{','.join(sorted(sources)) if sources else 'all'}"


@task(cache_policy=NO_CACHE)
def mark_done(wh: Warehouse, key: str, month_end: date) -> None:
    set_cursor(wh, "backfill", key, month_end.isoformat(), forward_only=True)


@flow(name="backfill", log_prints=True)
def backfill_flow(since: str, until: str | None = None, sources: list[str] | None = None,
                  digest: bool = False, config_path: str | None = None) -> dict[str, Any]:
    """Crawl [since, until] (YYYY-MM-DD; until defaults to today) month by month, resuming
    after the last finished month; then triage; with `digest`, render each past week."""
    settings: Settings = load_settings(config_path)
    start = date.fromisoformat(since)
    end = date.fromisoformat(until) if until else today(settings.config.digest.timezone)
    if start > end:
        raise ValueError(f"since {start} is after until {end}")
    with exclusive_run(settings.db_path, "backfill", on_wait=get_run_logger().info):
        return _backfill(settings, since, start, end, sources, digest)


def _backfill(settings: Settings, since: str, start: date, end: date, sources: list[str] | None,
              digest: bool) -> Any:
    wh = Warehouse(settings.db_path)
    key = window_key(start, end, sources)
    done = get_cursor(wh, "backfill", key)
    pieces = [p for p in months(start, end) if not done or p[1] > date.fromisoformat(done)]
    logger = get_run_logger()
    if done:
        logger.info("resuming backfill %s after %s: %d month(s) left", key, done, len(pieces))
    run_id = start_run(wh, "backfill", {"since": since, "until": str(end), "sources": sources,
                                        "digest": digest, "resumed_after": done})
    log = StageLog()
    for n, (first, last) in enumerate(pieces, 1):
        report = log.timed("crawl", partial(crawl_all, settings, wh, log, run_id,
                                            sources=sources, since=first, until=last))
        log.counts.setdefault("months", {})[f"{first:%Y-%m}"] = report.new
        logger.info("month %d/%d (%s … %s): %d new", n, len(pieces), first, last, report.new)
        if not report.failed:  # only a clean month counts as done
            mark_done(wh, key, last)
    tri = log.timed("triage", lambda: triage_stage(settings, wh, run_id))
    log.counts["triage"] = {"classified": tri.classified, "by_label": tri.counts}
    if digest:
        for week in iso_weeks(start, end):
            dig = log.timed("digest", partial(digest_stage, settings, wh, week, run_id, False))
            log.counts.setdefault("digests", {})[week] = dig.items
    record(wh, run_id, log)
    title = (f"seascout backfill {start} … {end} "
             f"({', '.join(sources) if sources else 'all sources'}), run {run_id}")
    create_markdown_artifact(key="backfill-summary", markdown=summary_markdown(log, title),
                             description=f"{title}: {log.status}")
    return final_state(log, {  # type: ignore[return-value]  # Prefect returns the data
        "run_id": run_id, "status": log.status, "window": key, "counts": log.counts,
        "errors": [list(e) for e in log.errors], "timings": log.timings})
