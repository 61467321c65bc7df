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

from lxml import html as lxml_html

from seascout.ids import InvalidIdError, doi_as_written, doi_key, normalise_doi
from seascout.model import Author, Kind, Link, LinkKind, Provenance, Venue, Work
from spiders.http import HttpClient, HttpStatusError, OfflineError, Response
from spiders.source import CrawlContext, SourceError, each_query

SOURCE = "crossref"
_ARTICLE_TYPES = {"journal-article", "proceedings-article", "posted-content", "book-chapter"}
_JATS_TITLE_RE = re.compile(r"<jats:title[^>]*>.*?</jats:title>", re.DOTALL | re.IGNORECASE)
_BLOCK_END_RE = re.compile(r"</(?:jats:)?(?:p|sec|list-item)>", re.IGNORECASE)


class CrossrefFormatError(SourceError):
    """The body is not the JSON Crossref promises (truncated, HTML error page…)."""


# -- pure parsing ---------------------------------------------------------------------------
def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> list[Work]:
    """Works in a Crossref `work-list` or single `work` response."""
    return parse_list(body, query=query, fetched_at=fetched_at)[0]


def parse_list(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
               ) -> tuple[list[Work], str | None, int]:
    """(works, next-cursor, total-results) of a Crossref response."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise CrossrefFormatError(f"Crossref sent malformed JSON ({e}); starts "
                                  f"{body[:60]!r}") from None
    if not isinstance(data, dict) or "message" not in data:
        raise CrossrefFormatError("Crossref JSON without a 'message'")
    message = data["message"]
    when = fetched_at or datetime.now()
    try:
        if data.get("message-type") == "work":
            work = parse_work(message, query=query, fetched_at=when)
            return ([work] if work else []), None, 1
        items = message.get("items", []) or []
        works = [w for w in (parse_work(i, query=query, fetched_at=when) for i in items) if w]
        return works, message.get("next-cursor"), int(message.get("total-results") or 0)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the page is refused whole.
        raise CrossrefFormatError(f"Crossref JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None


def parse_work(item: dict[str, Any], *, query: str = "",
               fetched_at: datetime | None = None) -> Work | None:
    """One Crossref work record (also accepts CSL-JSON, whose titles are strings)."""
    raw_doi = item.get("DOI")
    title = _first(item.get("title"))
    if not raw_doi or not title:
        return None
    try:
        ids = [doi_key(raw_doi)]
    except InvalidIdError:
        return None
    for rel in (item.get("relation") or {}).get("has-preprint", []) or []:
        if rel.get("id-type") == "doi":
            try:
                key = doi_key(rel["id"])
            except (InvalidIdError, KeyError):
                continue
            if key.startswith("arxiv:") and key not in ids:
                ids.append(key)  # the arXiv version of this article: merge by key
    subtitle = _first(item.get("subtitle"))
    if subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}"
    authors = [
        Author(_person(a), [x["name"] for x in a.get("affiliation", []) or [] if x.get("name")])
        for a in item.get("author", []) or []
    ]
    published = (_date(item.get("published-print")) or _date(item.get("published-online"))
                 or _date(item.get("published")) or _date(item.get("issued")))
    kind = Kind.PREPRINT if item.get("type") == "posted-content" else Kind.PAPER
    return Work(
        ids=ids,
        title=" ".join(_plain(title).split()),
        kind=kind,
        abstract=jats_to_text(item.get("abstract")) or None,
        authors=[a for a in authors if a.name],
        published=published,
        updated=_date(item.get("published-online")),
        venue=Venue(
            journal=_first(item.get("container-title")),
            volume=item.get("volume"),
            issue=item.get("issue") or (item.get("journal-issue") or {}).get("issue"),
            pages=item.get("page"),
            article_number=item.get("article-number"),
            publisher=item.get("publisher"),
        ),
        language="en",
        links=[Link(LinkKind.PAPER, f"https://doi.org/{doi_as_written(raw_doi)}", "论文地址")],
        provenance=[Provenance(SOURCE, query, fetched_at or datetime.now(),
                               normalise_doi(raw_doi))],
    )


def jats_to_text(value: str | None) -> str:
    """JATS/HTML abstract markup → plain text with paragraphs kept ("Abstract" heading dropped)."""
    if not value:
        return ""
    text = _JATS_TITLE_RE.sub("", value)
    text = _BLOCK_END_RE.sub("\n\n", text)
    text = _plain(text)
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _plain(fragment: str) -> str:
    if "<" not in fragment and "&" not in fragment:
        return fragment
    try:
        return lxml_html.fragment_fromstring(fragment, create_parent="div").text_content()
    except Exception:
        return re.sub(r"<[^>]+>", " ", fragment)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value else None


def _person(a: dict[str, Any]) -> str:
    if a.get("name"):
        return str(a["name"]).strip()
    return " ".join(p for p in (a.get("given"), a.get("family")) if p).strip()


def _date(value: Any) -> date | None:
    try:
        parts = value["date-parts"][0]
    except (TypeError, KeyError, IndexError):
        return None
    if not parts or parts[0] is None:
        return None
    y, m, d = ([*list(parts), 1, 1])[:3]
    try:
        return date(int(y), int(m or 1), int(d or 1))
    except (TypeError, ValueError):
        return None


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
            r = ctx.http.get(f"{cfg.base_url.rstrip('/')}/works", params, gate="crossref")
            adapt_rate(ctx.http, "crossref", r)
            works, next_cursor, total = parse_list(r.content, query=f"issn:{issn}")
            ctx.report.fetched += len(works)
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


def lookup_doi(http: HttpClient, base_url: str, doi: str, mailto: str = "") -> Work | None:
    """One DOI from Crossref; None when Crossref does not know it (404)."""
    d = normalise_doi(doi)
    params = {"mailto": mailto} if mailto else None
    try:
        r = http.get(f"{base_url.rstrip('/')}/works/{quote(d, safe='/')}", params,
                     gate="crossref", accept=(200,))
    except HttpStatusError as e:
        if e.status == 404:
            return None
        raise
    adapt_rate(http, "crossref", r)
    works = parse(r.content, query=f"doi:{d}")
    return works[0] if works else None


def lookup_pending(ctx: CrawlContext) -> None:
    """Describe DOIs the warehouse holds without Crossref metadata (bounded per run)."""
    from warehouse.watch import dois_missing_source

    cfg = ctx.settings.config.sources.crossref
    pending = dois_missing_source(ctx.wh, SOURCE, limit=cfg.lookup_limit)
    found: list[Work] = []
    for doi in pending:
        try:
            work = lookup_doi(ctx.http, cfg.base_url, doi, ctx.settings.config.contact_email)
        except HttpStatusError as e:
            ctx.warn(f"lookup {doi}: {e}")
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
