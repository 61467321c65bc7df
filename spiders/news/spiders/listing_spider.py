"""The listing page → article pages spider, driven entirely by a `NewsSiteConfig`.

`scrapy crawl news_site -a site=NAME` crawls a site from `seascout.toml`
(`[[sources.news.sites]]`); `-a site='{json}'` passes a whole site configuration (what the
runner does). Built-in sites subclass it with their own `name` (`scrapy crawl cas`).

Arguments: `site`, `since=YYYY-MM-DD` (skip articles whose URL dates them earlier). The
download delay is the `DOWNLOAD_DELAY` setting: each built-in spider sets its site's, the
runner passes the configured one with `-s DOWNLOAD_DELAY=…`.

Items (JSON Lines rows) carry a `type`:
- `article`: an extracted article (see `Article.to_item`) plus `site` and `listing`;
- `listing`: one listing page and how many article links it had;
- `problem`: a failed request — `level` error/warning, `stage` listing/article, `message`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from seascout.core.config import NewsSiteConfig, load_settings
from spiders.news.dates import date_from_url
from spiders.news.extract import ExtractionError, extract_article
from spiders.news.listing import listing_links
from spiders.news.sites import builtin_site, configured_sites


class ListingSpider(scrapy.Spider):
    name = "news_site"
    builtin: str | None = None  # subclasses for built-in sites set the site name

    def __init__(self, site: str | None = None, since: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.site = self._resolve(site)
        self.since = date.fromisoformat(since) if since else None
        self.allowed_domains = list(self.site.allowed_domains)

    def _resolve(self, site: str | None) -> NewsSiteConfig:
        if site and site.lstrip().startswith("{"):
            return NewsSiteConfig.model_validate(json.loads(site))
        if self.builtin and not site:
            return builtin_site(self.builtin)
        wanted = site or self.builtin
        if not wanted:
            raise ValueError("pass the site: scrapy crawl news_site -a site=NAME "
                             "(a [[sources.news.sites]] name in seascout.toml)")
        for cfg in configured_sites(load_settings().config.sources.news):
            if cfg.name == wanted:
                return cfg
        raise ValueError(f"no news site named {wanted!r} in the configuration")

    async def start(self) -> AsyncIterator[Any]:
        for url in self.site.start_urls:
            yield self._listing_request(url, page=1, listing=url)

    def _listing_request(self, url: str, *, page: int, listing: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              meta={"stage": "listing", "page": page, "listing": listing})

    def parse_listing(self, response: Response) -> Iterator[Any]:
        links, next_url = listing_links(
            response.url, response.body, response.headers,
            article_pattern=self.site.article_pattern,
            allowed_domains=self.site.allowed_domains, listing_css=self.site.listing_css,
            next_css=self.site.next_css,
        )
        listing = response.meta.get("listing", response.url)
        newer = 0
        for link in links:
            dated = date_from_url(link.url)
            if self.since and dated and dated < self.since:
                continue
            newer += 1
            yield scrapy.Request(link.url, callback=self.parse_article, errback=self.on_error,
                                 meta={"stage": "article", "listing": listing,
                                       "anchor": link.text})
        yield {"type": "listing", "site": self.site.name, "url": response.url,
               "listing": listing, "articles": len(links), "newer": newer}
        page = int(response.meta.get("page", 1))
        if next_url and newer and page < self.site.max_pages:
            yield self._listing_request(next_url, page=page + 1, listing=listing)

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        listing = response.meta.get("listing", "")
        try:
            article = extract_article(response.url, response.body, response.headers,
                                      title_css=self.site.title_css,
                                      date_css=self.site.date_css, body_css=self.site.body_css)
        except ExtractionError as e:
            yield self._problem("warning", "article", response.url, listing, str(e))
            return
        item = article.to_item()
        if self.site.language:
            item["language"] = self.site.language
        item.update({"type": "article", "site": self.site.name, "listing": listing,
                     "anchor": response.meta.get("anchor", "")})
        yield item

    def on_error(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        meta = request.meta if request is not None else {}
        stage = meta.get("stage", "article")
        listing = meta.get("listing", url)
        level = "error" if stage == "listing" else "warning"
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
            message = f"HTTP {status} for {url}"
        elif failure.check(DownloadCancelledError, CancelledError):
            cap = self.settings.getint("DOWNLOAD_MAXSIZE")
            level = "warning"
            message = f"page dropped: larger than the size cap ({cap} bytes): {url}"
        elif failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            message = f"forbidden by robots.txt, skipped: {url}"
            level = "error" if stage == "listing" else "skipped"
        else:
            message = f"{type(failure.value).__name__} for {url}: {failure.value}".strip()
        yield self._problem(level, stage, url, listing, message)

    def _problem(self, level: str, stage: str, url: str, listing: str,
                 message: str) -> dict[str, Any]:
        host = urlsplit(url).hostname or ""
        return {"type": "problem", "site": self.site.name, "level": level, "stage": stage,
                "url": url, "host": host, "listing": listing, "message": message}
