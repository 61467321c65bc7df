"""Run the news crawls and store what they find: `run_news(settings, wh, …)`.

Each site is crawled by the real Scrapy engine in its own subprocess (Scrapy's reactor
cannot restart inside one process): `python -m scrapy crawl SITE -O items.jsonl`. This
module then reads the items, turns them into `Work`s, keeps only articles newer than the
site's cursor, stores them with `upsert_works`, and only then advances the cursor. A site
that fails is an error for that site; the others go on. A listing that yields no article
links is a warning (a layout change), never a silent success. RSS/Atom feeds from
`sources.news.feeds` are read in-process with feedparser.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from seascout.core import clock
from seascout.core.config import FeedConfig, NewsConfig, NewsSiteConfig, Settings
from seascout.core.ids import InvalidIdError
from seascout.core.model import SourceReport, Work
from spiders.news.feeds import FeedError, fetch_feed, parse_feed
from spiders.news.records import CrawlOutput, article_to_work, read_items
from spiders.news.sites import builtin_sites, configured_sites
from warehouse.db import Warehouse
from warehouse.state import get_cursor, log_error, set_cursor
from warehouse.works import upsert_works

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAX_MESSAGES = 20  # per site and level; the rest are summarised


@dataclass
class CrawlJob:
    site: NewsSiteConfig
    since: date
    spider: str  # the built-in spider of that name, else the generic `news_site`


@dataclass
class CrawlResult:
    output: CrawlOutput = field(default_factory=CrawlOutput)
    stats: dict[str, Any] = field(default_factory=dict)
    returncode: int | None = 0
    failure: str | None = None  # the crawl itself failed (timeout, crash)


def run_news(settings: Settings, wh: Warehouse, *, since: date | None = None,
             sites: list[str] | None = None, run_id: str | None = None,
             site_overrides: dict[str, list[str]] | None = None) -> list[SourceReport]:
    """Crawl the configured news sites and feeds; one `SourceReport` per site or feed.

    `since` replaces every cursor (a backfill); `sites` restricts the run to these site and
    feed names; `site_overrides` replaces a site's start URLs (or a feed's URL), e.g. with a
    loopback server for tests and demos."""
    news = settings.config.sources.news
    if not news.enabled:
        return [SourceReport("news", skipped="disabled in config (sources.news.enabled = false)")]
    overrides = site_overrides or {}
    chosen = configured_sites(news)
    feeds = list(news.feeds)
    reports: list[SourceReport] = []
    if sites is not None:
        known = {s.name for s in chosen} | {f.name for f in feeds}
        for name in sites:
            if name not in known:
                reports.append(SourceReport(f"news:{name}", errors=[
                    f"unknown news site or feed {name!r} (known: {', '.join(sorted(known))})"]))
        chosen = [s for s in chosen if s.name in sites]
        feeds = [f for f in feeds if f.name in sites]
    builtin = {s.name for s in builtin_sites()}
    jobs = [CrawlJob(_override(site, overrides.get(site.name)),
                     since or _since_from_cursor(wh, site.name, news),
                     site.name if site.name in builtin else "news_site") for site in chosen]
    log_dir = settings.home / "logs" / "news"
    log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="seascout-news-") as tmp, \
            ThreadPoolExecutor(max_workers=news.parallel_sites) as pool:
        crawl: Callable[[CrawlJob], CrawlResult] = lambda job: crawl_site(  # noqa: E731
            job, settings, Path(tmp), log_dir)
        results = list(pool.map(crawl, jobs))
    for job, result in zip(jobs, results, strict=True):
        reports.append(store_site(wh, job, result))
    for feed in feeds:
        url = (overrides.get(feed.name) or [feed.url])[0]
        reports.append(run_feed(settings, wh, feed.model_copy(update={"url": url}), since))
    if run_id:
        for report in reports:
            for level, messages in (("error", report.errors), ("warning", report.warnings)):
                for message in messages:
                    log_error(wh, run_id, "crawl", report.source, message, level)
    return reports


def _override(site: NewsSiteConfig, urls: list[str] | None) -> NewsSiteConfig:
    if not urls:
        return site
    hosts = [urlsplit(u).hostname or "" for u in urls]
    domains = list(dict.fromkeys([*site.allowed_domains, *(h for h in hosts if h)]))
    return site.model_copy(update={"start_urls": list(urls), "allowed_domains": domains})


def _since_from_cursor(wh: Warehouse, name: str, news: NewsConfig) -> date:
    cursor = get_cursor(wh, f"news:{name}")
    if cursor:
        try:
            return date.fromisoformat(cursor)
        except ValueError:
            pass
    return clock.now().date() - timedelta(days=news.first_run_days)


# --- the crawl (I/O: one Scrapy subprocess) ----------------------------------------------
def crawl_command(job: CrawlJob, settings: Settings, items: Path, report: Path,
                  log: Path) -> list[str]:
    news = settings.config.sources.news
    cmd = [
        sys.executable, "-m", "scrapy", "crawl", job.spider,
        "-O", f"{items}:jsonlines",
        "-a", f"site={job.site.model_dump_json()}",
        "-a", f"since={job.since.isoformat()}",
        "-s", f"USER_AGENT={settings.user_agent}",
        "-s", f"DOWNLOAD_MAXSIZE={news.max_page_bytes}",
        "-s", f"DOWNLOAD_WARNSIZE={max(news.max_page_bytes // 2, 1)}",
        "-s", f"SEASCOUT_REPORT_FILE={report}",
        "-s", f"LOG_FILE={log}",
        "-s", f"CLOSESPIDER_TIMEOUT={news.crawl_timeout_seconds}",
    ]
    delay = job.site.download_delay if news.download_delay is None else news.download_delay
    cmd += ["-s", f"DOWNLOAD_DELAY={delay}",
            "-s", f"AUTOTHROTTLE_START_DELAY={max(delay, 0.01)}"]
    return cmd


def unreachable(urls: list[str]) -> str | None:
    """Why none of a site's hosts can be resolved, or None. Offline, this answers in
    milliseconds where a crawl would spend its retries on every start URL and robots.txt."""
    hosts = {urlsplit(u).hostname for u in urls} - {None}
    problems = []
    for host in sorted(h for h in hosts if h):
        try:
            socket.getaddrinfo(host, None)
            return None
        except (socket.gaierror, UnicodeError) as e:
            problems.append(f"{host}: {e.strerror if isinstance(e, socket.gaierror) else e}")
    return f"offline: cannot resolve {'; '.join(problems)} — check the network" if problems else None


def crawl_site(job: CrawlJob, settings: Settings, workdir: Path, log_dir: Path) -> CrawlResult:
    """Run one site's crawl in a subprocess and read back its items and stats."""
    news = settings.config.sources.news
    offline = unreachable(job.site.start_urls)
    if offline:
        return CrawlResult(failure=offline)
    items, report = workdir / f"{job.site.name}.jsonl", workdir / f"{job.site.name}.report.json"
    log = log_dir / f"{job.site.name}.log"
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "spiders.news.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    result = CrawlResult()
    try:
        proc = subprocess.run(
            crawl_command(job, settings, items, report, log), cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=news.crawl_timeout_seconds + 60, check=False)
        result.returncode = proc.returncode
        if proc.returncode != 0:
            tail = (proc.stderr or "").strip().splitlines()[-5:]
            result.failure = (f"crawl exited with code {proc.returncode}: "
                              f"{' | '.join(tail)} (log: {log})")
    except subprocess.TimeoutExpired:
        result.returncode = None
        result.failure = f"crawl timed out after {news.crawl_timeout_seconds + 60} s (log: {log})"
    except OSError as e:
        result.failure = f"could not start the crawl: {e}"
    if items.exists():
        with items.open(encoding="utf-8") as fh:
            result.output = read_items(fh)
    if report.exists():
        with contextlib.suppress(json.JSONDecodeError):
            result.stats = json.loads(report.read_text(encoding="utf-8")).get("stats", {})
    return result


# --- storing (pure filtering + one upsert + the cursor) ----------------------------------
def store_site(wh: Warehouse, job: CrawlJob, result: CrawlResult) -> SourceReport:
    source = f"news:{job.site.name}"
    out = result.output
    report = SourceReport(source, fetched=len(out.articles),
                          requests=int(result.stats.get("downloader/request_count", 0)))
    if result.failure:
        report.errors.append(result.failure)
    _report_problems(report, out)
    article_links = sum(int(x.get("articles", 0)) for x in out.listings)
    if not out.listings and not out.articles and not report.errors:
        report.errors.append("the crawl fetched no listing page (site down or blocked?)")
    elif out.listings and article_links == 0:
        report.warnings.append(
            f"{len(out.listings)} listing page(s) but no link matched the article pattern "
            f"{job.site.article_pattern!r}: the site's layout may have changed")
    fetched_at = clock.now()
    works, undated, _older, bad = select_new(out.articles, job.since, source, fetched_at)
    if undated:
        report.warnings.append(f"{undated} article(s) without a publication date (kept)")
    if bad:
        report.warnings.append(f"{bad} article(s) without a usable URL (dropped)")
    if works:
        result_ = upsert_works(wh, works, now=fetched_at)
        report.stored = len(result_.work_ids)
        report.new = len(result_.inserted)
    _advance_cursor(wh, source, works)
    return report


def _advance_cursor(wh: Warehouse, source: str, stored: list[Work]) -> None:
    """Move the cursor to the newest stored date; never backwards (a backfill keeps it)."""
    newest = max((w.published for w in stored if w.published), default=None)
    if newest is None:
        return
    set_cursor(wh, source, "", newest.isoformat(), forward_only=True)


def select_new(articles: list[dict[str, Any]], since: date, source: str,
               fetched_at: datetime) -> tuple[list[Work], int, int, int]:
    """(works dated on/after `since` or undated, #undated, #older, #without a URL)."""
    works: list[Work] = []
    undated = older = bad = 0
    for item in articles:
        try:
            work = article_to_work(item, source=source, fetched_at=fetched_at)
        except (InvalidIdError, KeyError, ValueError):
            bad += 1
            continue
        if work.published is None:
            undated += 1
        elif work.published < since:
            older += 1
            continue
        works.append(work)
    return works, undated, older, bad


def _report_problems(report: SourceReport, out: CrawlOutput) -> None:
    by_level: dict[str, list[str]] = {"error": [], "warning": []}
    skipped = Counter[str]()
    for p in out.problems:
        level = p.get("level", "warning")
        if level == "skipped":
            skipped[p.get("stage", "article")] += 1
        else:
            by_level.setdefault(level, []).append(str(p.get("message", "")))
    for level, target in (("error", report.errors), ("warning", report.warnings)):
        messages = by_level.get(level, [])
        target.extend(messages[:MAX_MESSAGES])
        if len(messages) > MAX_MESSAGES:
            target.append(f"… and {len(messages) - MAX_MESSAGES} more {level}s")
    if skipped:
        report.warnings.append(f"{sum(skipped.values())} page(s) skipped: disallowed by robots.txt")
    if out.unreadable:
        report.warnings.append(f"{out.unreadable} unreadable item line(s) in the crawl output")


# --- feeds --------------------------------------------------------------------------------
def run_feed(settings: Settings, wh: Warehouse, feed: FeedConfig,
             since: date | None) -> SourceReport:
    news = settings.config.sources.news
    source = f"news:{feed.name}"
    report = SourceReport(source, requests=1)
    try:
        body = fetch_feed(feed.url, user_agent=settings.user_agent, max_bytes=news.max_page_bytes)
        unusable: list[str] = []
        works = parse_feed(body, name=feed.name, url=feed.url, fetched_at=clock.now(),
                           unusable=unusable)
    except FeedError as e:
        report.errors.append(str(e))
        return report
    report.fetched = len(works)
    report.warnings += [f"unusable record {u}" for u in unusable[:MAX_MESSAGES]]
    if not works:
        report.warnings.append(f"the feed {feed.url} had no entries")
        return report
    start = since or _since_from_cursor(wh, feed.name, news)
    fresh = [w for w in works if w.published is None or w.published >= start]
    if fresh:
        stored = upsert_works(wh, fresh)
        report.stored, report.new = len(stored.work_ids), len(stored.inserted)
    _advance_cursor(wh, source, fresh)
    return report
