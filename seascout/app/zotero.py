"""`seascout zotero push`: the survey's entries into a Zotero library through the web API (v3).

Idempotent without local state: every item seascout writes carries the tag
`seascout:<work_id>`, and a push first lists the library's items tagged `seascout` and sends
only the works not there yet. Each batch (at most 50 items, the API's limit) carries a
`Zotero-Write-Token`, so a batch retried after a lost reply is not written twice (the API
answers 412, which counts as done). Requests go through the one HTTP client
(`spiders.http`): 429 and 5xx are retried with backoff (`Retry-After` in seconds or as an
HTTP date, or Zotero's `Backoff`, respected); 403 means the key was refused and stops the push
with that message. The key travels in a header and is never part of a message.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seascout.app.references import split_name
from seascout.core.model import Kind, Work
from spiders.address_guard import trusted_origins
from spiders.http import (
    DEFAULT_USER_AGENT,
    RETRY_STATUSES,
    FetchError,
    HttpClient,
    HttpStatusError,
    Response,
    RetryPolicy,
)

if TYPE_CHECKING:
    import httpx

API_BASE = "https://api.zotero.org"
BATCH = 50
TAG = "seascout"


class ZoteroError(RuntimeError):
    """The API refused the push (bad key, no write access, unknown library) or kept failing."""


@dataclass
class PushReport:
    library: str
    considered: int = 0
    already: int = 0  # found in the library, not sent again
    pushed: int = 0
    failed: list[str] = field(default_factory=list)  # "work_id: reason" the API rejected
    retries: int = 0

    def describe(self) -> str:
        text = (f"zotero {self.library}: {self.pushed} pushed, {self.already} already there "
                f"(of {self.considered}); {self.retries} retried request(s)")
        if self.failed:
            text += f"; {len(self.failed)} rejected: " + "; ".join(self.failed[:5])
        return text


def work_tag(work: Work) -> str:
    return f"{TAG}:{work.work_id}"


def zotero_item(work: Work, collection: str | None = None) -> dict[str, Any]:
    """The Zotero item of a work, with only the fields its item type has."""
    creators = []
    for a in work.authors:
        given, family = split_name(a.name)
        creators.append({"creatorType": "author", "firstName": given, "lastName": family}
                        if given else {"creatorType": "author", "name": family})
    doi = work.key("doi") or (f"10.48550/arXiv.{work.arxiv_id}" if work.arxiv_id else None)
    url = (f"https://doi.org/{work.key('doi')}" if work.key("doi") else
           f"https://arxiv.org/abs/{work.arxiv_id}" if work.arxiv_id else work.key("url")) or ""
    item: dict[str, Any] = {"title": work.title, "creators": creators,
                            "date": work.published.isoformat() if work.published else "", "url": url,
                            "tags": [{"tag": TAG}, {"tag": work_tag(work)}],
                            "collections": [collection] if collection else []}
    if work.venue.journal or work.kind is Kind.PAPER:
        item.update(itemType="journalArticle", publicationTitle=work.venue.journal or "",
                    volume=work.venue.volume or "", issue=work.venue.issue or "",
                    pages=work.venue.pages or work.venue.article_number or "", DOI=doi or "")
    elif work.kind is Kind.PREPRINT:
        item.update(itemType="preprint", repository="arXiv" if work.arxiv_id else "",
                    archiveID=f"arXiv:{work.arxiv_id}" if work.arxiv_id else "", DOI=doi or "")
    elif work.kind is Kind.NEWS:
        item.update(itemType="webpage")
    else:
        item.update(itemType="document", publisher=work.venue.publisher or "")
    item["extra"] = f"arXiv: {work.arxiv_id}" if work.arxiv_id else ""
    return item


class ZoteroClient:
    """The few calls a push needs, through the one HTTP client (its retries, `Retry-After` in
    seconds or as a date, deadline); `sleep` and `transport` are injectable for tests."""

    def __init__(self, library: str, api_key: str, *, base: str = API_BASE, attempts: int = 5,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None,
                 user_agent: str = DEFAULT_USER_AGENT):
        self.library = library.strip("/")
        self.base = base.rstrip("/")
        self.headers = {"Zotero-API-Key": api_key, "Zotero-API-Version": "3"}
        self.http = HttpClient(user_agent=user_agent, timeout=30.0, transport=transport,
                               retry=RetryPolicy(max_attempts=attempts, backoff_base=backoff),
                               sleep=sleep, trusted=trusted_origins([self.base]))
        self.attempts = attempts

    @property
    def retries(self) -> int:
        return self.http.retries

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, what: str, *,
                 params: dict[str, Any] | None = None, body: Any = None,
                 headers: dict[str, str] | None = None,
                 accept: tuple[int, ...] = (200,)) -> Response:
        url = f"{self.base}/{self.library}{path}"
        sent = {**self.headers, **(headers or {})}
        try:
            if method == "GET":
                return self.http.get(url, params, headers=sent, accept=accept)
            return self.http.post(url, json=body, headers=sent, accept=accept)
        except HttpStatusError as e:
            if e.status == 403:
                raise ZoteroError(f"Zotero refused the key for {self.library} (403): check "
                                  "ZOTERO_API_KEY and that it may write to this library") from None
            if e.status == 404:
                raise ZoteroError(f"Zotero has no library {self.library!r} (404): use users/<id> "
                                  "or groups/<id>") from None
            if e.status in RETRY_STATUSES:
                raise ZoteroError(f"Zotero API kept answering {e.status} after "
                                  f"{self.attempts} attempts; try again later") from None
            if e.status is None:
                raise ZoteroError(f"Zotero API unreachable: {e.reason}") from None
            text = e.body[:200].decode("utf-8", "replace")
            text = text.replace(self.headers["Zotero-API-Key"], "<key>")  # an echo of the key
            raise ZoteroError(f"Zotero {what} ({e.status}): {text}") from None
        except FetchError as e:
            raise ZoteroError(f"Zotero API unreachable: {e.reason}") from None

    def pushed_tags(self) -> set[str]:
        """Every `seascout:<work_id>` tag on the library's items tagged `seascout`."""
        found: set[str] = set()
        start = 0
        while True:
            r = self._request("GET", "/items", "listing failed",
                              params={"tag": TAG, "format": "json", "limit": 100, "start": start})
            page = json.loads(r.content)
            for item in page:
                for t in item.get("data", {}).get("tags", []):
                    if str(t.get("tag", "")).startswith(TAG + ":"):
                        found.add(t["tag"])
            start += len(page)
            if not page or start >= int(r.headers.get("Total-Results", start)):
                return found

    def create(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Write one batch; returns the API's `failed` map ({} when all were written)."""
        r = self._request("POST", "/items", "refused the batch", body=list(items),
                          headers={"Zotero-Write-Token": secrets.token_hex(16)},
                          accept=(200, 412))
        if r.status == 412:  # this write token was used: a retried batch already written
            return {}
        return dict(json.loads(r.content).get("failed") or {})


def push(works: Sequence[Work], client: ZoteroClient, *, collection: str | None = None) -> PushReport:
    """Send the works the library does not hold yet."""
    report = PushReport(client.library, considered=len(works))
    have = client.pushed_tags()
    missing = [w for w in works if work_tag(w) not in have]
    report.already = len(works) - len(missing)
    for start in range(0, len(missing), BATCH):
        batch = missing[start:start + BATCH]
        failed = client.create([zotero_item(w, collection) for w in batch])
        for index, reason in failed.items():
            w = batch[int(index)]
            report.failed.append(f"{w.work_id}: {reason.get('message', reason)}")
        report.pushed += len(batch) - len(failed)
    report.retries = client.retries
    return report
