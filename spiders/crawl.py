"""Run every enabled paper source once: fetch → parse → store → advance cursors.

Each source runs in isolation: an exception ends that source only, is recorded in its
`SourceReport` (and in `run_errors` when a run id is given) and the others go on. Whatever a
source stored before failing stays stored, and its cursors stay where they were for the
queries that did not finish, so a rerun converges to the same warehouse.

The registry maps a source name to a `SourceSpec` (runner + "is it enabled?"), so other
sources (e.g. news) can be registered by passing an extended registry to `run_crawl`.

`crawl` is the one driver `seascout crawl` and every flow call; its `CrawlReport` is the one
shape `runs.counts["crawl"]` keeps and the one thing the terminal and the Prefect summary
render.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from seascout.core.config import Settings
from seascout.core.model import SourceReport
from spiders.address_guard import trusted_origins
from spiders.http import FetchError, HttpClient, OfflineError
from spiders.source import CrawlContext, CrawlSourceReport, SourceError, SourceSkipped
from warehouse.db import Warehouse
from warehouse.state import log_error

log = logging.getLogger("seascout.crawl")

Runner = Callable[[CrawlContext], None]
NEWS = "news"  # the news sites and feeds, as one name for `--source`


class CrawlError(ValueError):
    """A crawl asked for what cannot run: an unknown source, a window that ends before it
    starts."""


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
        raise CrawlError(f"unknown source(s) {', '.join(unknown)}; known: "
                         f"{', '.join(registry)}")
    if since and until and since > until:
        raise CrawlError(f"--since {since} is after --until {until}")
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


def crawl_status(reports: list[SourceReport]) -> str:
    """ok (no source failed), partial (some failed, some reached their server and worked),
    failed (sources failed and none worked; idle or skipped sources prove nothing)."""
    failed = [r for r in reports if r.errors]
    if not failed:
        return "ok"
    worked = [r for r in reports if not r.skipped and r.ok and r.requests]
    return "partial" if worked else "failed"


@dataclass
class CrawlReport:
    """What a crawl did, source by source: the one shape `runs.counts["crawl"]` keeps
    (`counts`), read back from any row (`from_counts`), and the rows and notes the terminal
    and the Prefect summary both show."""

    sources: list[CrawlSourceReport] = field(default_factory=list)
    # sources that reached their server and kept no error in some pass: a backfill whose
    # January worked and whose February failed is partial, not failed
    worked: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, reports: Iterable[SourceReport]) -> CrawlReport:
        report = cls()
        report.add(reports)
        return report

    def add(self, reports: Iterable[SourceReport]) -> None:
        """Fold in another pass (a backfill's next month): counts add up; a message already
        kept (the same unreachable host every month) is kept once."""
        mine = {r.source: r for r in self.sources}
        for r in reports:
            kept = mine.get(r.source)
            if kept is None:
                kept = mine[r.source] = CrawlSourceReport(source=r.source, skipped=r.skipped)
                self.sources.append(kept)
            elif kept.skipped and not r.skipped:
                kept.skipped = None  # it ran in this pass
            for name in ("fetched", "stored", "new", "requests", "updated", "unusable"):
                setattr(kept, name, getattr(kept, name) + getattr(r, name, 0))
            if not r.skipped and r.ok and r.requests:
                self.worked.add(r.source)
            kept.errors.extend(e for e in dict.fromkeys(r.errors) if e not in kept.errors)
            kept.warnings.extend(w for w in dict.fromkeys(r.warnings) if w not in kept.warnings)

    @property
    def status(self) -> str:
        """As `crawl_status`, over every pass: failed when sources failed and none worked."""
        if not self.failed:
            return "ok"
        return "partial" if self.worked else "failed"

    @property
    def new(self) -> int:
        return sum(r.new for r in self.sources)

    @property
    def failed(self) -> list[CrawlSourceReport]:
        return [r for r in self.sources if r.errors]

    def counts(self) -> dict[str, dict[str, Any]]:
        """`runs.counts["crawl"]`: per source its numbers, why it was skipped, and its error
        and warning messages (lists)."""
        return {r.source: {"fetched": r.fetched, "new": r.new, "updated": r.updated,
                           "unusable": r.unusable, "stored": r.stored, "requests": r.requests,
                           "skipped": r.skipped, "errors": list(r.errors),
                           "warnings": list(r.warnings)}
                for r in self.sources}

    @classmethod
    def from_counts(cls, counts: Mapping[str, Any]) -> CrawlReport:
        """A `runs.counts` value of any age: `{"crawl": {source: …}}` (errors a list, or a
        number in rows written before the one shape), or an old `seascout crawl` row with the
        sources at the top level."""
        crawl = counts.get("crawl")
        if not isinstance(crawl, Mapping):
            crawl = {k: v for k, v in counts.items() if isinstance(v, Mapping) and "fetched" in v}
        report = cls()
        for source, c in crawl.items():
            if not isinstance(c, Mapping):
                continue
            r = CrawlSourceReport(source=str(source), skipped=c.get("skipped") or None)
            for name in ("fetched", "stored", "new", "requests", "updated", "unusable"):
                value = c.get(name, 0)
                setattr(r, name, value if isinstance(value, int) else 0)
            r.errors = _messages(c.get("errors"), "error(s); the messages are in run_errors")
            r.warnings = _messages(c.get("warnings"), "warning(s); see run_errors")
            report.sources.append(r)
            if not r.skipped and r.ok and r.requests:
                report.worked.add(r.source)
        return report

    def rows(self) -> list[tuple[str, int, int, int, int, str]]:
        """source, fetched, new, updated, requests, state (ok, partial, failed, skipped)."""
        return [(r.source, r.fetched, r.new, r.updated, r.requests, _state(r))
                for r in self.sources]

    def notes(self, warnings_per_source: int = 3) -> list[tuple[str, str, str]]:
        """(kind, source, text) under the table: why a source was skipped, every error, the
        first warnings of a source that worked."""
        out: list[tuple[str, str, str]] = []
        for r in self.sources:
            if r.skipped:
                out.append(("skipped", r.source, r.skipped))
            out += [("error", r.source, e) for e in r.errors]
            if not r.errors:
                out += [("warning", r.source, w) for w in r.warnings[:warnings_per_source]]
        return out

    def summary(self) -> str:
        return (f"crawl {self.status}: {self.new} new, "
                f"{sum(r.updated for r in self.sources)} updated from {len(self.worked)} "
                f"source(s); {len(self.failed)} failed, "
                f"{sum(1 for r in self.sources if r.skipped)} skipped")


def _state(r: SourceReport) -> str:
    if r.skipped:
        return "skipped"
    if r.errors:
        return "partial" if r.fetched else "failed"
    return "ok"


def _messages(value: object, counted: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, int) and value > 0:
        return [f"{value} {counted}"]
    return []


def crawl(settings: Settings, wh: Warehouse, *, sources: list[str] | None = None,
          since: date | None = None, until: date | None = None,
          run_id: str | None = None) -> CrawlReport:
    """The one crawl driver (`seascout crawl`, the crawl, weekly and backfill flows): the
    named (default: every) paper source and the news sites, at once; the paper sources share
    one HTTP client, so arXiv's API and RSS still pass one gate. A source's failure, even a
    crash, is its report's error (in `run_errors` with a run id); the others go on."""
    registry = default_registry()
    wanted = list(dict.fromkeys(sources)) if sources else [*registry, NEWS]
    unknown = [s for s in wanted if s not in registry and s != NEWS]
    if unknown:
        raise CrawlError(f"unknown source(s) {', '.join(unknown)}; known: "
                         f"{', '.join([*registry, NEWS])}")
    if since and until and since > until:
        raise CrawlError(f"--since {since} is after --until {until}")
    papers = [name for name in wanted if name != NEWS]
    reports: list[SourceReport] = []
    with make_http_client(settings) as http, \
            ThreadPoolExecutor(max_workers=len(papers) + 1, thread_name_prefix="crawl") as pool:
        futures = [(name, pool.submit(_run_one, name, registry[name], settings, wh, http,
                                      since, until, run_id)) for name in papers]
        news = pool.submit(_news, settings, wh, since, run_id) if NEWS in wanted else None
        for name, future in futures:
            reports += _outcome(future, name, wh, run_id)
        if news is not None:
            reports += _outcome(news, NEWS, wh, run_id)
    return CrawlReport.of(reports)


def _news(settings: Settings, wh: Warehouse, since: date | None,
          run_id: str | None) -> list[SourceReport]:
    from spiders.news_runner import run_news

    return run_news(settings, wh, since=since, run_id=run_id)


def _outcome(future: Future[Any], name: str, wh: Warehouse,
             run_id: str | None) -> list[SourceReport]:
    try:
        result = future.result()
    except Exception as e:  # the source's runner itself crashed: that source's error
        message = f"{type(e).__name__}: {e}"
        if run_id:
            log_error(wh, run_id, "crawl", name, message)
        return [SourceReport(name, errors=[message])]
    return list(result) if isinstance(result, list) else [result]
