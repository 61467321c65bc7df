"""Adding one article by hand (`seascout add URL`): fetch politely, extract, store.

The survey cites WeChat articles and other pages no crawl reaches. The page is fetched with
the crawler's User-Agent, only if the site's robots.txt allows it, with the same size cap,
and extracted by the same `extract_article` as crawled pages. Source: `manual`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.model import Work
from spiders import http
from spiders.address_guard import trusted_origins
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


def fetch_page(url: str, *, user_agent: str, max_bytes: int) -> Fetched:
    """The page through the one HTTP client, robots.txt asked first; the host the user named
    is trusted, a redirect anywhere else is checked."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url!r}")
    with http.HttpClient(user_agent=user_agent, timeout=TIMEOUT_SECONDS, max_bytes=max_bytes,
                         retry=http.RetryPolicy(max_attempts=1),
                         trusted=trusted_origins([url])) as client:
        try:
            page = client.get(url, robots=True)
        except http.RobotsDisallowedError:
            raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows {url}") from None
        except http.HttpStatusError as e:
            raise FetchError(f"HTTP {e.status} for {url}" if e.status else
                             f"{e.reason} for {url}") from None
        except http.BodyTooLargeError:
            raise FetchError(f"page larger than the size cap ({max_bytes} bytes)") from None
        except http.RefusedAddressError as e:
            raise FetchError(f"{e.reason} (a redirect of {url} or of its robots.txt into this "
                             "machine or a private network)") from None
        except http.FetchError as e:
            raise FetchError(f"{e.reason} for {url}") from None
    return Fetched(page.url, dict(page.headers), page.content)


def add_article(settings: Settings, wh: Warehouse, url: str) -> tuple[Work, Article, UpsertResult]:
    """Fetch, extract and store one article; raises FetchError."""
    page = fetch_page(url, user_agent=settings.user_agent,
                      max_bytes=settings.config.sources.news.max_page_bytes)
    article = extract_article(page.url, page.body, page.headers)
    item = {**article.to_item(), "listing": url}
    work = article_to_work(item, source="manual", fetched_at=clock.now())
    result = upsert_works(wh, [work])
    return work, article, result
