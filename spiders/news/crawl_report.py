"""A Scrapy extension that writes the crawl's stats and close reason to a JSON file.

The runner reads it to count requests and to tell "the site was down" from "the listing had
no articles". The extension instance is held by Scrapy's extension manager, so the bound
method connected to the (weak-reference) signal stays alive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class CrawlReport:
    def __init__(self, crawler: Crawler, path: Path):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        target = crawler.settings.get("SEASCOUT_REPORT_FILE")
        if not target:
            raise NotConfigured("SEASCOUT_REPORT_FILE not set")
        ext = cls(crawler, Path(target))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats: dict[str, Any] = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        self.path.write_text(json.dumps({"reason": reason, "stats": stats}, default=str),
                             encoding="utf-8")
