"""Run every enabled paper source once: fetch → parse → store → advance cursors.

Each source runs in isolation: an exception ends that source only, is recorded in its
`SourceReport` (and in `run_errors` when a run id is given) and the others go on. Whatever a
source stored before failing stays stored, and its cursors stay where they were for the
queries that did not finish, so a rerun converges to the same warehouse.

The registry maps a source name to a `SourceSpec` (runner + "is it enabled?"), so other
sources (e.g. news) can be registered by passing an extended registry to `run_crawl`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from seascout.core.config import Settings
from seascout.core.model import SourceReport
from spiders.address_guard import trusted_origins
from spiders.http import FetchError, HttpClient, OfflineError
from spiders.source import CrawlContext, CrawlSourceReport, SourceError, SourceSkipped
from warehouse.db import Warehouse
from warehouse.state import log_error

log = logging.getLogger("seascout.crawl")

Runner = Callable[[CrawlContext], None]


@dataclass(frozen=True)
class SourceSpec:
    run: Runner
    enabled: Callable[[Settings], bool]
    disabled_hint: str = ""


def default_registry() -> dict[str, SourceSpec]:
    """The paper sources, in the order they run (arXiv first: it shares one gate)."""
    from spiders import arxiv_api, arxiv_rss, crossref, datacite, journal_feeds, openalex

    return {
        "arxiv_api": SourceSpec(arxiv_api.run, lambda s: s.config.sources.arxiv.enabled,
                                "[sources.arxiv] enabled = true"),
        "arxiv_rss": SourceSpec(arxiv_rss.run, lambda s: s.config.sources.arxiv.enabled
                                and s.config.sources.arxiv.rss_enabled,
                                "[sources.arxiv] rss_enabled = true"),
        "crossref": SourceSpec(crossref.run, lambda s: s.config.sources.crossref.enabled,
                               "[sources.crossref] enabled = true"),
        "datacite": SourceSpec(datacite.run, lambda s: s.config.sources.datacite.enabled,
                               "[sources.datacite] enabled = true"),
        "openalex": SourceSpec(openalex.run, lambda s: s.config.sources.openalex.enabled,
                               "[sources.openalex] enabled = true"),
        "journal_feeds": SourceSpec(journal_feeds.run,
                                    lambda s: s.config.sources.journal_feeds.enabled,
                                    "[sources.journal_feeds] enabled = true"),
    }


def make_http_client(settings: Settings, **overrides: object) -> HttpClient:
    """The crawl's one HTTP client: the arXiv gate from the config, our User-Agent."""
    arxiv = settings.config.sources.arxiv
    options: dict[str, object] = {
        "user_agent": settings.user_agent,
        "gate_intervals": {"arxiv": arxiv.min_interval_seconds},
        "trusted": trusted_origins(settings.config.source_urls()),
    }
    options.update(overrides)
    return HttpClient(**options)  # type: ignore[arg-type]


def run_crawl(settings: Settings, wh: Warehouse, *, sources: list[str] | None = None,
              since: date | None = None, until: date | None = None,
              run_id: str | None = None, registry: dict[str, SourceSpec] | None = None,
              http: HttpClient | None = None) -> list[SourceReport]:
    """Run the named (default: all enabled) sources; one report per source, in order."""
    registry = registry if registry is not None else default_registry()
    unknown = [s for s in sources or [] if s not in registry]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: "
                         f"{', '.join(registry)}")
    if since and until and since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    names = list(sources) if sources else list(registry)
    own_client = http is None
    client = http or make_http_client(settings)
    reports: list[SourceReport] = []
    try:
        for name in names:
            reports.append(_run_one(name, registry[name], settings, wh, client, since, until,
                                    run_id))
    finally:
        if own_client:
            client.close()
    return reports


def _run_one(name: str, spec: SourceSpec, settings: Settings, wh: Warehouse,
             client: HttpClient, since: date | None, until: date | None,
             run_id: str | None) -> CrawlSourceReport:
    report = CrawlSourceReport(source=name)
    if not spec.enabled(settings):
        report.skipped = f"disabled in the config (set {spec.disabled_hint} to enable)"
        return report
    ctx = CrawlContext(settings=settings, wh=wh, http=client, report=report, since=since,
                       until=until, log=log.info)
    before = client.requests
    started = time.monotonic()
    try:
        spec.run(ctx)
    except SourceSkipped as e:
        report.skipped = str(e)
    except OfflineError as e:
        report.errors.append(f"offline: {e}")
    except (FetchError, SourceError) as e:
        report.errors.append(str(e))
    except Exception as e:
        report.errors.append(f"{type(e).__name__}: {e}" if not str(e).startswith(
            type(e).__name__) else str(e))
    report.requests = client.requests - before
    log.info("%s: %s in %.1f s", name, report, time.monotonic() - started)
    if run_id:
        for message in report.errors:
            log_error(wh, run_id, "crawl", name, message)
        for message in report.warnings:
            log_error(wh, run_id, "crawl", name, message, level="warning")
    return report


def summarise(reports: list[SourceReport]) -> dict[str, object]:
    """Counts for the run record and the flow's return value."""
    return {
        r.source: {
            "fetched": r.fetched, "new": r.new, "updated": getattr(r, "updated", 0),
            "unusable": getattr(r, "unusable", 0),
            "stored": r.stored, "requests": r.requests, "errors": list(r.errors),
            "warnings": list(r.warnings), "skipped": r.skipped,
        }
        for r in reports
    }


def crawl_status(reports: list[SourceReport]) -> str:
    """ok (no source failed), partial (some failed, some reached their server and worked),
    failed (sources failed and none worked; idle or skipped sources prove nothing)."""
    failed = [r for r in reports if r.errors]
    if not failed:
        return "ok"
    worked = [r for r in reports if not r.skipped and r.ok and r.requests]
    return "partial" if worked else "failed"


def run_all(settings: Settings, wh: Warehouse, *, sources: list[str] | None = None,
            since: date | None = None, until: date | None = None,
            run_id: str | None = None) -> list[SourceReport]:
    """Paper sources (`run_crawl`) and, unless `sources` leaves it out, the news sites
    (`spiders.news_runner.run_news`, one report per site): what `seascout crawl` runs."""
    papers = [s for s in sources or [] if s != "news"]
    reports: list[SourceReport] = []
    if not sources or papers:
        reports += run_crawl(settings, wh, sources=papers or None, since=since, until=until,
                             run_id=run_id)
    if not sources or "news" in sources:
        from spiders.news_runner import run_news

        reports += run_news(settings, wh, since=since, run_id=run_id)
    return reports
