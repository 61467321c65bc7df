"""arXiv RSS: the latest daily announcement of the configured categories.

It catches papers the API's search index has not caught up with yet. One request per run,
through the same politeness gate as the API. An empty feed is normal on weekends and
holidays; a feed titled "Feed error for query: …" is a configuration error (a misspelled
category) and is reported with arXiv's own explanation.

The item's announce type (new, cross, replace, replace-cross) is kept in the provenance
record id: ``2411.17700v1#new``. Replacements carry the announcement date as `updated` and no
`published` date (the API knows the submission date; the merge keeps it).
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import xml.sax
from datetime import date, datetime

import feedparser

from seascout.ids import InvalidIdError, arxiv_key, doi_key, split_arxiv_version
from seascout.model import Author, Kind, Link, LinkKind, Provenance, Work
from spiders.arxiv_api import ARXIV_GATE
from spiders.news.links import text_links
from spiders.source import CrawlContext, SourceError

SOURCE = "arxiv_rss"
_ABSTRACT_RE = re.compile(r"^.*?Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.DOTALL)
_FEED_END_RE = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)>\s*$")


class RssFeedError(SourceError):
    """arXiv answered with its "Feed error" feed (bad category) or with something not RSS."""


def cut_off(body: bytes, feed: feedparser.FeedParserDict) -> str | None:
    """Why a feed looks cut off (a download truncated but served whole), else None.

    feedparser's loose parser returns the items before the cut with only `bozo` set; storing
    them would advance the cursor past the items that were lost."""
    exc = feed.get("bozo_exception")
    if feed.get("bozo") and isinstance(exc, xml.sax.SAXParseException) \
            and not _FEED_END_RE.search(body[-256:]):
        return f"the feed ends before its closing tag ({exc}); {len(body)} bytes received"
    return None


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> list[Work]:
    """The works announced in one arXiv RSS feed (pure). Raises `RssFeedError`."""
    feed = feedparser.parse(body)
    problem = cut_off(body, feed)
    if problem:
        raise RssFeedError(f"arXiv RSS: {problem}; the next run asks again")
    title = str(feed.feed.get("title", ""))
    if title.startswith("Feed error"):
        raise RssFeedError(
            f"arXiv RSS: {feed.feed.get('description', title)} — fix the categories in "
            "[sources.arxiv] categories")
    if feed.bozo and not feed.entries and not title:
        raise RssFeedError(f"arXiv RSS: not a feed ({feed.get('bozo_exception')!r})")
    when = fetched_at or datetime.now()
    works = []
    for item in feed.entries:
        work = _item_work(item, query, when)
        if work is not None:
            works.append(work)
    return works


def _item_work(item: feedparser.FeedParserDict, query: str, when: datetime) -> Work | None:
    try:
        arxiv_id, version = split_arxiv_version(str(item.get("id") or item.get("link", "")))
    except InvalidIdError:
        return None
    announce = str(item.get("arxiv_announce_type", "")).strip() or "new"
    ids = [arxiv_key(arxiv_id)]
    if item.get("arxiv_doi"):
        with contextlib.suppress(InvalidIdError):
            ids.append(doi_key(str(item["arxiv_doi"]).split()[0]))
    announced = _rfc822_date(item.get("published"))
    is_new = announce in ("new", "cross")
    creators = str(item.get("author", ""))
    return Work(
        ids=ids,
        title=" ".join(str(item.get("title", "")).split()),
        kind=Kind.PREPRINT,
        abstract=_ABSTRACT_RE.sub("", str(item.get("summary", ""))).strip() or None,
        authors=[Author(n.strip()) for n in creators.split(",") if n.strip()],
        published=announced if is_new else None,
        updated=announced,
        categories=[str(t["term"]) for t in item.get("tags", []) if t.get("term")],
        arxiv_version=version,
        journal_ref=str(item.get("arxiv_journal_reference", "")).strip() or None,
        links=[Link(LinkKind.PAPER, f"https://arxiv.org/abs/{arxiv_id}", "论文地址"),
               *text_links(str(item.get("summary", "")))],
        provenance=[Provenance(SOURCE, query, when,
                               f"{arxiv_id}{f'v{version}' if version else ''}#{announce}")],
    )


def _rfc822_date(value: object) -> date | None:
    """The announcement date as arXiv wrote it (US Eastern), not shifted to UTC."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(value)).date()
    except (TypeError, ValueError):
        return None


def feed_url(base: str, categories: list[str]) -> str:
    return base.rstrip("/") + "/" + "+".join(categories)


def run(ctx: CrawlContext) -> None:
    cfg = ctx.settings.config.sources.arxiv
    query = "+".join(cfg.categories)
    response = ctx.http.get(feed_url(cfg.rss_url, cfg.categories), gate=ARXIV_GATE)
    works = parse(response.content, query=query)
    ctx.report.fetched += len(works)
    if not works:
        ctx.warn("empty feed (normal on weekends and holidays)")
        return
    ctx.store(works)
    ctx.advance(query, ctx.today)
