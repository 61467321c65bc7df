"""Journal eTOC / RSS feeds: a cheap complement to the Crossref ISSN watch.

Feeds come from ``[[sources.journal_feeds.feeds]]`` (name, url). Items are keyed by their
DOI when the feed gives one (``prism:doi``, ``dc:identifier`` or a doi.org link) so they merge
with Crossref's record of the same article, otherwise by their URL. `parse` is pure.
"""

from __future__ import annotations

import calendar
import contextlib
from datetime import UTC, date, datetime

import feedparser

from seascout.config import FeedConfig
from seascout.ids import InvalidIdError, doi_key, find_dois, url_key
from seascout.model import Author, Kind, Link, LinkKind, Provenance, Venue, Work
from spiders.arxiv_rss import cut_off
from spiders.source import CrawlContext, SourceError, SourceSkipped, each_query

SOURCE = "journal_feed"


class JournalFeedError(SourceError):
    """The bytes are not a feed."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          journal: str | None = None) -> list[Work]:
    feed = feedparser.parse(body)
    problem = cut_off(body, feed)
    if problem:
        raise JournalFeedError(problem)
    if feed.bozo and not feed.entries and not feed.feed.get("title"):
        raise JournalFeedError(f"not an RSS/Atom feed ({feed.get('bozo_exception')!r})")
    when = fetched_at or datetime.now()
    venue_name = journal or str(feed.feed.get("title", "")).strip() or None
    works = []
    for item in feed.entries:
        title = " ".join(str(item.get("title", "")).split())
        link = str(item.get("link", "")).strip()
        if not title or not link:
            continue
        ids: list[str] = []
        candidates = [str(item.get(k, "")) for k in ("prism_doi", "dc_identifier", "id")]
        for text in [*candidates, link]:
            dois = find_dois(text)
            if dois:
                try:
                    ids.append(doi_key(dois[0]))
                    break
                except InvalidIdError:
                    continue
        with contextlib.suppress(InvalidIdError):
            ids.append(url_key(link))
        if not ids:
            continue
        authors = [Author(str(a.get("name", "")).strip()) for a in item.get("authors", [])
                   if a.get("name")]
        works.append(Work(
            ids=ids,
            title=title,
            kind=Kind.PAPER,
            abstract=_summary(item) or None,
            authors=authors,
            published=_date(item),
            venue=Venue(journal=venue_name),
            links=[Link(LinkKind.PAPER, link, "论文地址")],
            provenance=[Provenance(SOURCE, query, when, str(item.get("id", link)))],
        ))
    return works


def _summary(item: feedparser.FeedParserDict) -> str:
    from lxml import html

    text = str(item.get("summary", "")).strip()
    if "<" in text:
        try:
            text = html.fragment_fromstring(text, create_parent="div").text_content()
        except Exception:
            return ""
    return " ".join(text.split())


def _date(item: feedparser.FeedParserDict) -> date | None:
    for key in ("published_parsed", "updated_parsed"):
        t = item.get(key)
        if t:
            return datetime.fromtimestamp(calendar.timegm(t), UTC).date()
    return None


def run(ctx: CrawlContext) -> None:
    feeds = [f for f in ctx.settings.config.sources.journal_feeds.feeds if f.kind == "journal"]
    if not feeds:
        raise SourceSkipped("no journal feeds configured (add [[sources.journal_feeds.feeds]] "
                            "entries with name and url; the Crossref ISSN watch covers the rest)")

    def one(feed: FeedConfig) -> None:
        works = parse(ctx.http.get(feed.url).content, query=feed.name, journal=None)
        ctx.report.fetched += len(works)
        if works:
            ctx.store(works)
        ctx.advance(feed.name, ctx.today)

    each_query(feeds, lambda f: f.name, one)
