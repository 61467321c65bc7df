"""English science news and institutional RSS/Atom feeds (`sources.news.feeds`).

`fetch_feed` is the I/O (raw bytes); `parse_feed` is pure: bytes → news `Work`s.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

import feedparser
import lxml.html

from seascout.core.ids import InvalidIdError, url_key
from seascout.core.model import Author, Kind, Provenance, Work
from seascout.core.text import clean_text
from spiders.address_guard import trusted_origins
from spiders.http import (
    BodyTooLargeError,
    FetchError,
    HttpClient,
    HttpStatusError,
    RefusedAddressError,
    RetryPolicy,
)
from spiders.news.links import body_links

FEED_TIMEOUT_SECONDS = 30.0


class FeedError(RuntimeError):
    """The feed could not be fetched or is not a feed."""


def fetch_feed(url: str, *, user_agent: str, max_bytes: int) -> bytes:
    """The feed's bytes through the one HTTP client: one attempt, as before (the next run
    asks again), with the client's size cap, deadline and address guard (the configured
    feed's host is trusted; a redirect elsewhere is checked)."""
    client = HttpClient(user_agent=user_agent, timeout=FEED_TIMEOUT_SECONDS, max_bytes=max_bytes,
                        retry=RetryPolicy(max_attempts=1), trusted=trusted_origins([url]))
    try:
        return client.get(url).content
    except HttpStatusError as e:
        if e.status is None:  # a broken connection or a timeout, not an answer
            raise FeedError(f"{e.reason} for {url}") from None
        raise FeedError(f"HTTP {e.status} for {url}") from None
    except BodyTooLargeError:
        raise FeedError(f"feed larger than the size cap ({max_bytes} bytes): {url}") from None
    except RefusedAddressError as e:
        raise FeedError(f"{e.reason} (a redirect of {url} into this machine or a private "
                        "network)") from None
    except FetchError as e:
        raise FeedError(f"{e.reason} for {url}") from None
    finally:
        client.close()


def _text(html: str) -> tuple[str, list[str]]:
    """Plain text and hrefs of an HTML fragment (feed summaries are often HTML)."""
    if not html.strip():
        return "", []
    try:
        frag = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:
        return clean_text(html), []
    return clean_text(frag.text_content()), frag.xpath(".//a/@href")


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).date()
    return None


def parse_feed(body: bytes, *, name: str, url: str, fetched_at: datetime,
               unusable: list[str] | None = None) -> list[Work]:
    """Every entry with a link and a title, as a news work (source `news:<name>`); the
    others are named in `unusable` (a paper's own entry belongs to the paper sources)."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not an RSS/Atom feed: {url} ({parsed.get('bozo_exception')})")
    works: list[Work] = []
    for entry in parsed.entries:
        link, title = entry.get("link"), clean_text(entry.get("title"))
        try:
            key = url_key(link) if link and title else ""
        except InvalidIdError:
            key = ""
        if not key.startswith("url:"):
            if unusable is not None:
                unusable.append(f"{link or repr(title[:60])}: " + (
                    "no title or link" if not (link and title) else
                    "a paper's own entry (arXiv/DOI link)" if key else "no http(s) link"))
            continue
        html = entry.get("summary") or ""
        if entry.get("content"):
            html = max((c.get("value", "") for c in entry["content"]), key=len) or html
        text, hrefs = _text(html)
        lang = (entry.get("language") or parsed.feed.get("language") or "").lower()
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in title + text[:500])
        authors = [Author(a["name"]) for a in entry.get("authors", []) if a.get("name")]
        works.append(Work(
            ids=[key], title=title, kind=Kind.NEWS, abstract=text or None, authors=authors,
            published=_entry_date(entry),
            language="zh" if lang.startswith("zh") or cjk > 5 else "en",
            links=body_links(hrefs, text),
            provenance=[Provenance(source=f"news:{name}", query=url, fetched_at=fetched_at,
                                   record_id=entry.get("id") or link)],
        ))
    return works
