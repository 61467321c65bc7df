"""`seascout zotero push`: the survey's entries into a Zotero library through the web API (v3).

Idempotent without local state: every item seascout writes carries the tag
`seascout:<work_id>`, and a push first lists the library's items tagged `seascout` and sends
only the works not there yet. Each batch (at most 50 items, the API's limit) carries a
`Zotero-Write-Token`, so a batch retried after a lost reply is not written twice (the API
answers 412, which counts as done). 429 and 5xx are retried with backoff (`Retry-After` /
`Backoff` respected); 403 means the key was refused and stops the push with that message.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from seascout.app.references import split_name
from seascout.core.model import Kind, Work

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
    """The few calls a push needs, with retries; `sleep` is injectable for tests."""

    def __init__(self, library: str, api_key: str, *, base: str = API_BASE, attempts: int = 5,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None):
        self.library = library.strip("/")
        self.http = httpx.Client(base_url=base.rstrip("/"), timeout=30.0, transport=transport,
                                 headers={"Zotero-API-Key": api_key, "Zotero-API-Version": "3"})
        self.attempts, self.backoff, self.sleep = attempts, backoff, sleep
        self.retries = 0

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            try:
                r = self.http.request(method, f"/{self.library}{path}", **kw)
            except httpx.TransportError as e:
                if attempt == self.attempts:
                    raise ZoteroError(f"Zotero API unreachable: {e}") from None
                self._wait(None, attempt)
                continue
            if r.status_code == 429 or r.status_code >= 500:
                if attempt == self.attempts:
                    raise ZoteroError(f"Zotero API kept answering {r.status_code} after "
                                      f"{self.attempts} attempts; try again later")
                self._wait(r, attempt)
                continue
            if r.status_code == 403:
                raise ZoteroError(f"Zotero refused the key for {self.library} (403): check "
                                  "ZOTERO_API_KEY and that it may write to this library")
            if r.status_code == 404:
                raise ZoteroError(f"Zotero has no library {self.library!r} (404): use users/<id> "
                                  "or groups/<id>")
            return r
        raise AssertionError("unreachable")

    def _wait(self, r: httpx.Response | None, attempt: int) -> None:
        self.retries += 1
        hint = (r.headers.get("Retry-After") or r.headers.get("Backoff")) if r is not None else None
        try:
            delay = float(hint) if hint is not None else self.backoff * 2 ** (attempt - 1)
        except ValueError:
            delay = self.backoff * 2 ** (attempt - 1)
        self.sleep(min(delay, 120.0))

    def pushed_tags(self) -> set[str]:
        """Every `seascout:<work_id>` tag on the library's items tagged `seascout`."""
        found: set[str] = set()
        start = 0
        while True:
            r = self._request("GET", "/items", params={"tag": TAG, "format": "json",
                                                        "limit": 100, "start": start})
            if r.status_code != 200:
                raise ZoteroError(f"Zotero listing failed ({r.status_code}): {r.text[:200]}")
            page = r.json()
            for item in page:
                for t in item.get("data", {}).get("tags", []):
                    if str(t.get("tag", "")).startswith(TAG + ":"):
                        found.add(t["tag"])
            start += len(page)
            if not page or start >= int(r.headers.get("Total-Results", start)):
                return found

    def create(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Write one batch; returns the API's `failed` map ({} when all were written)."""
        r = self._request("POST", "/items", json=list(items),
                          headers={"Zotero-Write-Token": secrets.token_hex(16)})
        if r.status_code == 412:  # this write token was used: a retried batch already written
            return {}
        if r.status_code != 200:
            raise ZoteroError(f"Zotero refused the batch ({r.status_code}): {r.text[:200]}")
        return dict(r.json().get("failed") or {})


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
