"""Listing pages: which links are articles, and where the next listing page is. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from spiders.news.charset import decode_html
from spiders.news.extract import ExtractionError, parse_html

_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后页|next|›|»|>)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArticleLink:
    url: str
    text: str  # the anchor text (a title hint)


def host_allowed(url: str, allowed_domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


def listing_links(url: str, body: bytes, headers: Any, *, article_pattern: str,
                  allowed_domains: list[str], listing_css: str | None = None,
                  next_css: str | None = None) -> tuple[list[ArticleLink], str | None]:
    """(article links in page order without repeats, next listing page or None)."""
    text, _ = decode_html(body, headers)
    try:
        doc = parse_html(text)
    except ExtractionError:
        return [], None
    pattern = re.compile(article_pattern)
    scope = doc
    if listing_css:
        try:
            found = doc.cssselect(listing_css)
        except Exception:
            found = []
        if found:
            scope = found[0]
    seen: set[str] = set()
    out: list[ArticleLink] = []
    for a in scope.xpath(".//a[@href]"):
        href = urldefrag(urljoin(url, a.get("href").strip()))[0]
        if not href.startswith(("http://", "https://")) or href in seen:
            continue
        if pattern.search(href) and host_allowed(href, allowed_domains):
            seen.add(href)
            out.append(ArticleLink(href, " ".join(a.text_content().split())))
    return out, _next_page(doc, url, next_css)


def _next_page(doc: Any, url: str, next_css: str | None) -> str | None:
    anchors = []
    if next_css:
        try:
            anchors = [a for el in doc.cssselect(next_css)
                       for a in ([el] if el.tag == "a" else el.xpath(".//a[@href]"))]
        except Exception:
            anchors = []
    for a in anchors or doc.xpath("//a[@href]"):
        label = " ".join(a.text_content().split()) or a.get("title", "")
        if anchors or _NEXT_TEXT.match(label):
            href = a.get("href").strip()
            if href and not href.startswith(("javascript:", "#")):
                nxt = urljoin(url, href)
                return nxt if nxt != url else None
    return None
