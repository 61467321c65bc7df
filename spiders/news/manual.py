"""Adding one article by hand (`seascout add URL`): fetch politely, extract, store.

The survey cites WeChat articles and other pages no crawl reaches. The page is fetched with
the crawler's User-Agent, only if the site's robots.txt allows it, with the same size cap,
and extracted by the same `extract_article` as crawled pages. Source: `manual`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.model import Work
from spiders.news.extract import Article, extract_article
from spiders.news.records import article_to_work
from warehouse.db import Warehouse
from warehouse.works import UpsertResult, upsert_works

TIMEOUT_SECONDS = 30.0


class FetchError(RuntimeError):
    """The page could not be fetched (robots.txt, HTTP status, size, network)."""


@dataclass
class Fetched:
    url: str  # after redirects
    headers: dict[str, str]
    body: bytes


def robots_allows(client: httpx.Client, url: str, user_agent: str) -> bool:
    """True unless the site's robots.txt disallows the URL (an absent robots.txt allows)."""
    parts = urlsplit(url)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        response = client.get(robots_url)
    except httpx.HTTPError:
        return True  # unreachable robots.txt: Scrapy's behaviour too
    if response.status_code in (401, 403):
        return False
    if response.status_code >= 400:
        return True
    parser = RobotFileParser()
    parser.parse(response.text.splitlines())
    return parser.can_fetch(user_agent, url)


def fetch_page(url: str, *, user_agent: str, max_bytes: int) -> Fetched:
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url!r}")
    from spiders.address_guard import AddressRefused, GuardedTransport, trusted_origins

    # the host the user named is trusted; a redirect anywhere else is checked
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True,
                      transport=GuardedTransport(trusted_origins([url])),
                      headers={"User-Agent": user_agent}) as client:
        try:
            allowed = robots_allows(client, url, user_agent)
        except AddressRefused as e:
            raise FetchError(f"refused: {e} (robots.txt of {url} redirects into this machine "
                             "or a private network)") from None
        if not allowed:
            raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows {url}")
        try:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise FetchError(f"HTTP {response.status_code} for {url}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"page larger than the size cap ({max_bytes} bytes)")
                    chunks.append(chunk)
                return Fetched(str(response.url), dict(response.headers), b"".join(chunks))
        except httpx.HTTPError as e:
            raise FetchError(f"{type(e).__name__} for {url}: {e}") from e
        except AddressRefused as e:
            raise FetchError(f"refused: {e} (a redirect of {url} into this machine or a "
                             "private network)") from None


def add_article(settings: Settings, wh: Warehouse, url: str) -> tuple[Work, Article, UpsertResult]:
    """Fetch, extract and store one article; raises FetchError."""
    page = fetch_page(url, user_agent=settings.user_agent,
                      max_bytes=settings.config.sources.news.max_page_bytes)
    article = extract_article(page.url, page.body, page.headers)
    item = {**article.to_item(), "listing": url}
    work = article_to_work(item, source="manual", fetched_at=clock.now())
    result = upsert_works(wh, [work])
    return work, article, result
