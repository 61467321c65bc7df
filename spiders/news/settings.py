"""Scrapy settings for the news crawls (`scrapy.cfg` at the repository root points here).

Politeness first: robots.txt obeyed, AutoThrottle on, a per-site download delay (each
spider's `download_delay`), few concurrent requests per host, a User-Agent that names a
contact address from `seascout.toml`, a page-size cap, and requests (redirects included)
outside a site's allowed domains dropped by Scrapy's OffsiteMiddleware, and requests to
this machine or a private network dropped by `address_check.PublicAddressOnly`. Scrapy 2.19's remote
control port (code execution) and the telnet console are off.
"""

from __future__ import annotations


def _user_agent() -> str:
    """The configured User-Agent (with `contact_email`), or a contact-less default."""
    try:
        from seascout.core.config import load_settings

        return load_settings().user_agent
    except Exception:  # a broken config must not break `scrapy list`; the runner passes -s
        return "seascout/0.1 (+https://github.com/seascout/seascout)"


BOT_NAME = "seascout"
SPIDER_MODULES = ["spiders.news.spiders"]
NEWSPIDER_MODULE = "spiders.news.spiders"

USER_AGENT = _user_agent()
ROBOTSTXT_OBEY = True
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 2.0  # built-in spiders set their site's; the runner passes -s DOWNLOAD_DELAY
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 %
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

DOWNLOAD_MAXSIZE = 5_000_000  # NewsConfig.max_page_bytes; larger pages are dropped
DOWNLOAD_WARNSIZE = 2_000_000
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
HTTPERROR_ALLOWED_CODES: list[int] = []

EXTENSIONS = {"spiders.news.crawl_report.CrawlReport": 500}
# every request and redirect hop to a public address, or a start URL's host (address_check.py)
DOWNLOADER_MIDDLEWARES = {"spiders.news.address_check.PublicAddressOnly": 50}
SEASCOUT_REPORT_FILE = ""  # set by the runner: where the crawl's stats are written

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
