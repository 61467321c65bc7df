"""arXiv RSS: the latest daily announcement of the configured categories.

It catches papers the API's search index has not caught up with yet. One request per run,
through the same politeness gate as the API. An empty feed is normal on weekends and
holidays; a feed titled "Feed error for query: …" is a configuration error (a misspelled
category) and is reported with arXiv's own explanation.

The item's announce type (new, cross, replace, replace-cross) is kept in the provenance
record id: ``2411.17700v1#new``. Replacements carry the announcement date as `updated` and no
`published` date (the API knows the submission date; the merge keeps it). So does a
cross-listing of an older paper (2205.06398v2 cross-listed on 2026-09-24): only a first
version whose id is of the announcement's month (or the month before) was submitted for
that announcement.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import xml.sax
from datetime import date, datetime

import feedparser

from seascout.core import clock
from seascout.core.ids import InvalidIdError, arxiv_key, doi_key, split_arxiv_version
from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Work
from seascout.core.text import clean_text
from spiders.arxiv_api import ARXIV_GATE
from spiders.news.links import text_links
from spiders.source import CrawlContext, SourceError, UnusableRecord, keep_usable

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


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          unusable: list[str] | None = None) -> list[Work]:
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
    when = fetched_at or clock.now()
    return keep_usable(feed.entries, lambda item: _item_work(item, query, when), unusable)


def announced_as_new(arxiv_id: str, version: int | None, announce: str,
                     announced: date | None) -> bool:
    """Whether the announcement day is the paper's publication day: a new submission, or the
    cross-listing of one (first version, id of the announcement month or the month before)."""
    if announce not in ("new", "cross") or announced is None or (version or 1) != 1:
        return False
    if "/" in arxiv_id:  # old-style ids ended in 2007
        return False
    yymm = int(arxiv_id[:4])
    year, month = 2000 + yymm // 100, yymm % 100
    months_before = (announced.year - year) * 12 + announced.month - month
    return 0 <= months_before <= 1


def _item_work(item: feedparser.FeedParserDict, query: str, when: datetime) -> Work:
    raw_id = str(item.get("id") or item.get("link", ""))
    try:
        arxiv_id, version = split_arxiv_version(raw_id)
    except InvalidIdError:
        raise UnusableRecord(raw_id or repr(clean_text(item.get("title")))[:60],
                             "no arXiv id") from None
    announce = str(item.get("arxiv_announce_type", "")).strip() or "new"
    ids = [arxiv_key(arxiv_id)]
    if item.get("arxiv_doi"):
        with contextlib.suppress(InvalidIdError):
            ids.append(doi_key(str(item["arxiv_doi"]).split()[0]))
    announced = _rfc822_date(item.get("published"))
    is_new = announced_as_new(arxiv_id, version, announce, announced)
    creators = clean_text(item.get("author", ""))
    title = clean_text(item.get("title"))
    if not title:
        raise UnusableRecord(f"arxiv:{arxiv_id}", "no title")
    return Work(
        ids=ids,
        title=title,
        kind=Kind.PREPRINT,
        abstract=clean_text(_ABSTRACT_RE.sub("", str(item.get("summary", ""))),
                            paragraphs=True) or None,
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
    unusable: list[str] = []
    works = parse(response.content, query=query, unusable=unusable)
    ctx.report.fetched += len(works)
    ctx.unusable(unusable)
    if not works:
        ctx.warn("empty feed (normal on weekends and holidays)")
        return
    ctx.store(works)
    ctx.advance(query, ctx.today)
