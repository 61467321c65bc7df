"""Scrapy downloader middleware: news requests go to public addresses only.

The listing → article spider follows links it finds on listing pages (within the site's
`allowed_domains`) and their redirects. Each request — every redirect hop is a new request
through this middleware — is refused unless its host (and port) is a start URL's, or every
address the host resolves to is public (`spiders.address_guard`): a listing link to
`http://127.0.0.1:8080/admin` or a name in `allowed_domains` that resolves to a private
network is dropped with a warning. Twisted resolves the name again when it connects, so this
is a check, not a pin (the paper sources' and figures' client pins the address).
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest

from spiders.address_guard import refusal, trusted_origins


class PublicAddressOnly:
    def __init__(self) -> None:
        self._answers: dict[str, str | None] = {}

    def process_request(self, request: Any, spider: Any) -> None:
        site = getattr(spider, "site", None)
        trusted = trusted_origins(getattr(site, "start_urls", []) or getattr(spider, "start_urls", []))
        url = request.url
        key = url.split("/", 3)[2] if url.count("/") >= 2 else url  # the netloc
        if key not in self._answers:
            self._answers[key] = refusal(url, trusted)
        why = self._answers[key]
        if why:
            spider.logger.warning("refused %s: %s (not a public address)", url, why)
            raise IgnoreRequest(f"refused: {why}")
