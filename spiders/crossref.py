"""Crossref: a journal watch by ISSN, and DOI lookups that fill in journal versions.

Journal watch: for each configured ISSN, ``/works?filter=issn:X,from-index-date:D,
type:journal-article&rows=R&cursor=*`` paged by `next-cursor` until the page is short or the
total is reached. `from-index-date` (not publication date) is the right "new since last run"
cursor: late deposits and updates are indexed later than they are published. `mailto` puts
us in the polite pool; the `x-rate-limit-*` headers set the gate's interval.

DOI lookup: ``/works/{doi}`` for DOIs the warehouse knows but Crossref has not described yet
(seed works to enrich, arXiv preprints whose `arxiv:doi` points at the journal version). A
404 (plain-text body "Resource not found.") is a warning, not a failure.

`parse_list` / `parse_work` are pure; JATS markup in abstracts becomes plain text.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from seascout.core import clock
from seascout.core.ids import InvalidIdError, doi_as_written, doi_key, normalise_doi
from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Venue, Work
from seascout.core.text import clean_text
from spiders.http import HttpClient, HttpStatusError, OfflineError, Response
from spiders.source import CrawlContext, SourceError, UnusableRecord, each_query, keep_usable

SOURCE = "crossref"
_ARTICLE_TYPES = {"journal-article", "proceedings-article", "posted-content", "book-chapter"}
_PRECISION = {1: "year", 2: "month", 3: "day"}
_SENTENCE_RE = re.compile(r"[A-Z][a-z]+(?: [A-Za-z0-9'-]+)+[.!]?")  # "Resource not found."


class CrossrefFormatError(SourceError):
    """The body is not the JSON Crossref promises (truncated, HTML error page…)."""


class CrossrefRefusedError(CrossrefFormatError):
    """Crossref answered with its own error document (`"status": "failed"`, or the plain
    "Resource not found.") instead of works: its message."""


def error_message(body: bytes) -> str | None:
    """Crossref's own words from an error body (400 validation failure, 404 bad cursor), or
    None when the body is not one (the 404 for an unknown DOI is plain "Resource not found.")."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = clean_text(body[:200].decode("utf-8", "replace"))
        return f"Crossref: {text}" if len(body) < 200 and _SENTENCE_RE.fullmatch(text) else None
    if not isinstance(data, dict) or data.get("status") == "ok":
        return None
    message = data.get("message")
    parts: list[str] = []
    for m in message if isinstance(message, list) else [message]:
        if isinstance(m, dict):
            what = (clean_text(m.get("message")) or clean_text(m.get("description"))
                    or clean_text(m.get("type")) or clean_text(m.get("name")))
            where = clean_text(m.get("value"))
            parts.append(f"{what} ({where})" if where and what else what or where)
        elif m:
            parts.append(clean_text(m))
    text = "; ".join(p for p in parts if p) or clean_text(data.get("message-type"))
    return f"Crossref: {text}" if text else None


# -- pure parsing ---------------------------------------------------------------------------
def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          unusable: list[str] | None = None) -> list[Work]:
    """Works in a Crossref `work-list` or single `work` response."""
    return parse_list(body, query=query, fetched_at=fetched_at, unusable=unusable)[0]


def parse_list(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
               unusable: list[str] | None = None) -> tuple[list[Work], str | None, int]:
    """(works, next-cursor, total-results) of a Crossref response; records that cannot become
    works are named in `unusable`. Raises `CrossrefRefusedError` with Crossref's message for
    its error documents."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        words = error_message(body)  # the plain-text 404 "Resource not found."
        if words:
            raise CrossrefRefusedError(words) from None
        raise CrossrefFormatError(f"Crossref sent malformed JSON ({e}); starts "
                                  f"{body[:60]!r}") from None
    if isinstance(data, dict) and data.get("status") not in (None, "ok"):  # failed, error
        raise CrossrefRefusedError(error_message(body) or "Crossref refused the request")
    if not isinstance(data, dict) or "message" not in data:
        raise CrossrefFormatError("Crossref JSON without a 'message'")
    message = data["message"]
    when = fetched_at or clock.now()

    def one(item: dict[str, Any]) -> Work:
        return parse_work(item, query=query, fetched_at=when)

    try:
        if data.get("message-type") == "work":
            return keep_usable([message], one, unusable), None, 1
        items = message.get("items", []) or []
        works = keep_usable(items, one, unusable)
        return works, message.get("next-cursor"), int(message.get("total-results") or 0)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the page is refused whole.
        raise CrossrefFormatError(f"Crossref JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None


def parse_work(item: dict[str, Any], *, query: str = "",
               fetched_at: datetime | None = None) -> Work:
    """One Crossref work record (also accepts CSL-JSON, whose titles are strings).
    Raises `UnusableRecord` for a record without a DOI or a title."""
    raw_doi = clean_text(item.get("DOI"))
    title = clean_text(_first(item.get("title")))
    if not raw_doi:
        raise UnusableRecord(f"a Crossref record titled {title[:60]!r}", "no DOI")
    try:
        ids = [doi_key(raw_doi)]
    except InvalidIdError as e:
        raise UnusableRecord(raw_doi, str(e)) from None
    if not title:
        raise UnusableRecord(ids[0], "no title")
    for rel in (item.get("relation") or {}).get("has-preprint", []) or []:
        if rel.get("id-type") == "doi":
            try:
                key = doi_key(rel["id"])
            except (InvalidIdError, KeyError):
                continue
            if key.startswith("arxiv:") and key not in ids:
                ids.append(key)  # the arXiv version of this article: merge by key
    subtitle = clean_text(_first(item.get("subtitle")))
    if subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}"
    authors = [
        Author(_person(a), [clean_text(x["name"]) for x in a.get("affiliation", []) or []
                            if x.get("name")])
        for a in item.get("author", []) or []
    ]
    published, precision = published_date(item)
    kind = Kind.PREPRINT if item.get("type") == "posted-content" else Kind.PAPER
    doi = normalise_doi(raw_doi)
    return Work(
        ids=ids,
        title=title,
        kind=kind,
        abstract=jats_to_text(item.get("abstract")) or None,
        authors=[a for a in authors if a.name],
        published=published,
        published_precision=precision,
        venue=Venue(
            journal=clean_text(_first(item.get("container-title"))) or None,
            volume=clean_text(item.get("volume")) or None,
            issue=clean_text(item.get("issue") or (item.get("journal-issue") or {}).get("issue"))
            or None,
            pages=clean_text(item.get("page")) or None,
            article_number=clean_text(item.get("article-number")) or None,
            publisher=clean_text(item.get("publisher")) or None,
        ),
        language="en",
        links=[Link(LinkKind.PAPER, f"https://doi.org/{doi_as_written(raw_doi)}", "论文地址")],
        provenance=[Provenance(SOURCE, query, fetched_at or clock.now(), doi)],
    )


def published_date(item: dict[str, Any]) -> tuple[date | None, str]:
    """When the work first appeared: the earlier of its online and print dates (an article
    online 2020-08-17 in the May 2021 issue was published 2020-08-17; a 1963 article
    digitised in 2006 was published 1963), else `published`, `issued`. With its precision."""
    dated = [d for d in (_date(item.get("published-online")), _date(item.get("published-print")))
             if d[0]]
    if not dated:
        dated = [d for d in (_date(item.get("published")), _date(item.get("issued"))) if d[0]][:1]
    if not dated:
        return None, "day"
    dated.sort(key=lambda d: d[0] or date.min)
    first = dated[0]
    for other in dated[1:]:  # print "2023" and online 2023-09-08 agree: keep the day
        if first[0] and other[0] and _within(other[0], first):
            first = other
    return first


def _within(day: date, period: tuple[date | None, str]) -> bool:
    start, precision = period
    if start is None or precision == "day":
        return False
    return day.year == start.year and (precision == "year" or day.month == start.month)


def jats_to_text(value: str | None) -> str:
    """JATS/HTML abstract markup → plain text with paragraphs kept ("Abstract" heading dropped)."""
    return clean_text(value, paragraphs=True)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value else None


def _person(a: dict[str, Any]) -> str:
    if a.get("name"):
        return clean_text(a["name"])
    return clean_text(" ".join(clean_text(a.get(p)) for p in ("given", "family")))


def _date(value: Any) -> tuple[date | None, str]:
    """A Crossref `date-parts` date and how much of it is known ("year", "month", "day")."""
    try:
        parts = [p for p in value["date-parts"][0] if p is not None]
    except (TypeError, KeyError, IndexError):
        return None, "day"
    if not parts:
        return None, "day"
    y, m, d = ([*parts, 1, 1])[:3]
    try:
        return date(int(y), int(m or 1), int(d or 1)), _PRECISION[min(len(parts), 3)]
    except (TypeError, ValueError):
        return None, "day"


# -- fetching -------------------------------------------------------------------------------
def adapt_rate(http: HttpClient, gate: str, response: Response) -> None:
    """Follow Crossref's `x-rate-limit-limit` / `x-rate-limit-interval` (e.g. 10 per 1s)."""
    limit = response.headers.get("x-rate-limit-limit", "")
    interval = response.headers.get("x-rate-limit-interval", "")
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*s\s*", interval)
    if limit.strip().isdigit() and int(limit) > 0 and m:
        g = http.gate(gate)
        g.interval = max(http.gate_intervals.get(gate, 0.0), float(m.group(1)) / int(limit))


def journal_watch(ctx: CrawlContext) -> None:
    """Every configured ISSN since its cursor; the cursor moves after that ISSN is stored."""
    cfg = ctx.settings.config.sources.crossref
    mailto = ctx.settings.config.contact_email

    def one(issn: str) -> None:
        start, end = ctx.window(issn, overlap_days=cfg.overlap_days,
                                first_run_days=cfg.first_run_days)
        filt = f"issn:{issn},from-index-date:{start.isoformat()},type:journal-article"
        if ctx.until is not None:
            filt += f",until-index-date:{end.isoformat()}"
        cursor: str | None = "*"
        seen = 0
        while cursor:
            params = {"filter": filt, "rows": cfg.rows, "cursor": cursor}
            if mailto:
                params["mailto"] = mailto
            try:
                r = ctx.http.get(f"{cfg.base_url.rstrip('/')}/works", params, gate="crossref")
            except HttpStatusError as e:
                raise refused(e) from None
            adapt_rate(ctx.http, "crossref", r)
            unusable: list[str] = []
            works, next_cursor, total = parse_list(r.content, query=f"issn:{issn}",
                                                   unusable=unusable)
            ctx.report.fetched += len(works)
            ctx.unusable(unusable)
            if works:
                ctx.store(works)
            seen += len(works)
            n_items = _count_items(r.content)
            cursor = next_cursor if n_items >= cfg.rows and seen < total else None
        ctx.advance(issn, end)

    each_query(cfg.journals, lambda issn: f"{cfg.journals[issn]} ({issn})", one)


def _count_items(body: bytes) -> int:
    try:
        return len(json.loads(body)["message"].get("items", []))
    except (ValueError, KeyError, TypeError, AttributeError):
        return 0


def refused(e: HttpStatusError) -> Exception:
    """A refused request (4xx) with Crossref's own message when its body carries one; any
    other failure (5xx after retries, timeouts) as it was."""
    if e.status is None or not 400 <= e.status < 500 or e.status == 429 or not e.body:
        return e
    message = error_message(e.body)
    if not message:
        return e
    return CrossrefRefusedError(f"{message} (HTTP {e.status}"
                                + (f" — {e.fix}" if e.fix else "") + f"; GET {e.url})")


def lookup_doi(http: HttpClient, base_url: str, doi: str, mailto: str = "",
               unusable: list[str] | None = None) -> Work | None:
    """One DOI from Crossref; None when Crossref does not know it (404) or its record is
    unusable (then named in `unusable`)."""
    d = normalise_doi(doi)
    params = {"mailto": mailto} if mailto else None
    try:
        r = http.get(f"{base_url.rstrip('/')}/works/{quote(d, safe='/')}", params,
                     gate="crossref", accept=(200,))
    except HttpStatusError as e:
        if e.status == 404:
            return None
        raise refused(e) from None
    adapt_rate(http, "crossref", r)
    works = parse(r.content, query=f"doi:{d}", unusable=unusable)
    return works[0] if works else None


def lookup_pending(ctx: CrawlContext) -> None:
    """Describe DOIs the warehouse holds without Crossref metadata (bounded per run)."""
    from warehouse.watch import dois_missing_source

    cfg = ctx.settings.config.sources.crossref
    pending = dois_missing_source(ctx.wh, SOURCE, limit=cfg.lookup_limit)
    found: list[Work] = []
    for doi in pending:
        unusable: list[str] = []
        try:
            work = lookup_doi(ctx.http, cfg.base_url, doi, ctx.settings.config.contact_email,
                              unusable=unusable)
        except (HttpStatusError, CrossrefRefusedError) as e:
            ctx.warn(f"lookup {doi}: {e}")
            continue
        if unusable:
            ctx.unusable(unusable)
            ctx.advance(f"lookup:doi:{doi}", ctx.today.isoformat())
            continue
        if work is None:
            ctx.warn(f"lookup {doi}: not found at Crossref (not asked again)")
            ctx.advance(f"lookup:doi:{doi}", ctx.today.isoformat())
            continue
        found.append(work)
    ctx.report.fetched += len(found)
    if found:
        ctx.store(found)


def run(ctx: CrawlContext) -> None:
    errors = []
    for step in (journal_watch, lookup_pending):
        try:
            step(ctx)
        except OfflineError:
            raise
        except Exception as e:
            errors.append(str(e))
    if errors:
        raise SourceError("; ".join(errors))
