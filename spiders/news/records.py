"""Crawl output (JSON Lines items) → domain `Work`s. Pure functions, no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from seascout.core.ids import InvalidIdError, url_key
from seascout.core.model import Kind, Link, LinkKind, Provenance, Venue, Work


@dataclass
class CrawlOutput:
    """What one site's crawl produced, split by item type."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    listings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0  # lines that were not JSON (a crawl killed mid-write)


def read_items(lines: Iterable[str]) -> CrawlOutput:
    out = CrawlOutput()
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            out.unreadable += 1
            continue
        kind = item.get("type")
        if kind == "article":
            out.articles.append(item)
        elif kind == "listing":
            out.listings.append(item)
        elif kind == "problem":
            out.problems.append(item)
    return out


def news_key(item: dict[str, Any]) -> str:
    """The work key: the canonical URL when it is an http(s) URL, else the fetched one.

    A canonical URL pointing at arXiv or doi.org would turn a news item into a paper key,
    so such canonicals are ignored."""
    for candidate in (item.get("canonical_url"), item.get("url")):
        if not candidate:
            continue
        try:
            key = url_key(candidate)
        except InvalidIdError:
            continue
        if key.startswith("url:"):
            return key
    raise InvalidIdError(f"no usable URL in news item {item.get('url')!r}")


def _key_or_none(url: str) -> str | None:
    try:
        return url_key(url)
    except InvalidIdError:
        return None


def article_to_work(item: dict[str, Any], *, source: str, fetched_at: datetime) -> Work:
    """One `article` item → a news `Work`; paper links stay links (never ids)."""
    published = date.fromisoformat(item["published"]) if item.get("published") else None
    links = [Link(LinkKind(ln["kind"]), ln["url"], ln.get("label")) for ln in item.get("links", [])]
    text = (item.get("text") or "").strip()
    key = news_key(item)
    page = next(c for c in (item.get("canonical_url"), item.get("url"))
                if c and _key_or_none(c) == key)
    if all(ln.url != page for ln in links):  # the page as written: http:// stays http://
        links.append(Link(LinkKind.NEWS, page, "原文"))
    return Work(
        ids=[key],
        title=(item.get("title") or item.get("anchor") or item["url"]).strip(),
        kind=Kind.NEWS,
        abstract=text or (item.get("lead") or None),
        published=published,
        venue=Venue(publisher=item.get("source_name") or None),
        language=item.get("language") or "zh",
        links=links,
        provenance=[Provenance(source=source, query=item.get("listing") or item["url"],
                               fetched_at=fetched_at, record_id=item["url"])],
    )
