"""Journal eTOC / RSS feeds: a cheap complement to the Crossref ISSN watch.

Feeds come from ``[[sources.journal_feeds.feeds]]`` (name, url, optional journal). Items are
keyed by their DOI when the feed gives one (``prism:doi``, IEEE's ``doi``, ``dc:identifier`` or
a doi.org link) so they merge with Crossref's record of the same article, and by their URL.
Issue furniture (covers, tables of contents, "publication information") is named as unusable,
never stored as a paper. `parse` is pure.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from datetime import UTC, date, datetime
from typing import Any

import feedparser

from seascout.core import clock
from seascout.core.config import FeedConfig
from seascout.core.ids import InvalidIdError, doi_key, find_dois, url_key
from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Venue, Work
from seascout.core.text import clean_text
from spiders.arxiv_rss import cut_off
from spiders.source import (
    CrawlContext,
    SourceError,
    SourceSkipped,
    UnusableRecord,
    each_query,
    keep_usable,
)

SOURCE = "journal_feed"
# Issue furniture that TOC feeds list among the articles (IEEE: "[Front cover]", "Table of
# Contents", "IEEE Transactions on … publication information", "Information for authors").
_FRONT_MATTER_RE = re.compile(
    r"^\[?(?:(?:inside |outside )?(?:front|back) cover|table of contents|contents|"
    r"blank page|masthead|editorial board|(?:[\w ,&-]+ )?publication information|"
    r"information for authors|(?:[\w ,&-]+ )?(?:society|journal) information|"
    r"call for papers(?:[:\s][\w ,:&-]+)?)\]?$",
    re.IGNORECASE)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | \
    {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH_YEAR_RE = re.compile(r"\b([A-Za-z]{3,9})\.?(?:[-/][A-Za-z]{3,9}\.?)?\s+((?:19|20)\d{2})\b")
_IEEE_TITLE_RE = re.compile(r"^(?P<subject>.+?),\s*(?P<kind>IEEE (?:Transactions|Journal|Letters)"
                            r"(?: of| on)?)$")


class JournalFeedError(SourceError):
    """The bytes are not a feed."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          journal: str | None = None, unusable: list[str] | None = None) -> list[Work]:
    """The articles of one eTOC feed; `journal` (the feed's configured `journal`) names their
    venue, else the feed's own title, tidied (`feed_journal`). Cover pages and tables of contents are named in
    `unusable`, never stored as papers."""
    feed = feedparser.parse(body)
    problem = cut_off(body, feed)
    if problem:
        raise JournalFeedError(problem)
    if feed.bozo and not feed.entries and not feed.feed.get("title"):
        raise JournalFeedError(f"not an RSS/Atom feed ({feed.get('bozo_exception')!r})")
    when = fetched_at or clock.now()
    venue_name = clean_text(journal) or feed_journal(str(feed.feed.get("title", ""))) or None
    return keep_usable(feed.entries, lambda item: _item_work(item, query, when, venue_name),
                       unusable)


def feed_journal(title: str) -> str:
    """The journal a feed is about, from its title: "Geoscience and Remote Sensing, IEEE
    Transactions on - new TOC" → "IEEE Transactions on Geoscience and Remote Sensing"."""
    text = re.sub(r"\s*[-–]\s*(?:new\s+)?TOC\s*$", "", clean_text(title), flags=re.IGNORECASE)
    m = _IEEE_TITLE_RE.match(text)
    if m:
        return f"{m.group('kind')} {m.group('subject')}"
    m = re.match(r"^(?P<subject>.+?),\s*IEEE$", text)  # "… Letters, IEEE"
    return f"IEEE {m.group('subject')}" if m else text


def _item_work(item: feedparser.FeedParserDict, query: str, when: datetime,
               venue_name: str | None) -> Work:
    title = clean_text(item.get("title"))
    link = clean_text(item.get("link"))
    name = link or repr(title[:60])
    if not title:
        raise UnusableRecord(name, "no title")
    if _FRONT_MATTER_RE.match(title) or (venue_name and title.lower().startswith(
            venue_name.lower()) and title.lower().endswith("information")):
        raise UnusableRecord(name, f"issue front matter ({title!r}), not an article")
    ids: list[str] = []
    candidates = [str(item.get(k, "")) for k in ("prism_doi", "doi", "dc_identifier", "id")]
    for text in [*candidates, link]:
        dois = find_dois(text)
        if dois:
            try:
                ids.append(doi_key(dois[0]))
                break
            except InvalidIdError:
                continue
    if link:
        with contextlib.suppress(InvalidIdError):
            ids.append(url_key(link))
    if not ids:
        raise UnusableRecord(name, "no DOI and no http(s) link")
    published, precision = _date(item)
    first, last = clean_text(item.get("startpage")), clean_text(item.get("endpage"))
    return Work(
        ids=ids,
        title=title,
        kind=Kind.PAPER,
        abstract=clean_text(item.get("summary"), paragraphs=True) or None,
        authors=_authors(item),
        published=published,
        published_precision=precision,
        venue=Venue(journal=venue_name, volume=clean_text(item.get("volume")) or None,
                    issue=clean_text(item.get("issue")) or None,
                    pages=f"{first}-{last}" if first and last and first != last
                    else first or None),
        links=[Link(LinkKind.PAPER, link, "论文地址")] if link else [],
        provenance=[Provenance(SOURCE, query, when, str(item.get("id", link)))],
    )


def _authors(item: feedparser.FeedParserDict) -> list[Author]:
    """Atom/RSS authors; IEEE writes `<authors>A. B;  C. D</authors>`, a string."""
    raw: Any = item.get("authors", [])
    if isinstance(raw, str):
        names = [clean_text(n) for n in re.split(r"\s*;\s*", raw)]
    else:
        names = [clean_text(a.get("name")) for a in raw or [] if isinstance(a, dict)]
    return [Author(n) for n in names if n]


def _date(item: feedparser.FeedParserDict) -> tuple[date | None, str]:
    for key in ("published_parsed", "updated_parsed"):
        t = item.get(key)
        if t:
            return datetime.fromtimestamp(calendar.timegm(t), UTC).date(), "day"
    for key in ("published", "updated", "prism_coverdate", "prism_publicationdate"):
        m = _MONTH_YEAR_RE.search(str(item.get(key, "")))  # IEEE: "June  2013", "Jan.-Feb. 2014"
        if m and m.group(1).lower() in _MONTHS:
            return date(int(m.group(2)), _MONTHS[m.group(1).lower()], 1), "month"
    year = clean_text(item.get("pubyear"))
    if year.isdigit() and len(year) == 4:
        return date(int(year), 1, 1), "year"
    return None, "day"


def run(ctx: CrawlContext) -> None:
    feeds = [f for f in ctx.settings.config.sources.journal_feeds.feeds if f.kind == "journal"]
    if not feeds:
        raise SourceSkipped("no journal feeds configured (add [[sources.journal_feeds.feeds]] "
                            "entries with name and url; the Crossref ISSN watch covers the rest)")

    def one(feed: FeedConfig) -> None:
        unusable: list[str] = []
        works = parse(ctx.http.get(feed.url).content, query=feed.name,
                      journal=feed.journal or None, unusable=unusable)
        ctx.report.fetched += len(works)
        ctx.unusable(unusable)
        if works:
            ctx.store(works)
        ctx.advance(feed.name, ctx.today)

    each_query(feeds, lambda f: f.name, one)
