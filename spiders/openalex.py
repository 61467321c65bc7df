"""OpenAlex: the works that cite each of the survey's papers, since the last run.

For every ``cited_by`` item on the watch list: resolve its DOI (an arXiv id becomes the
arXiv DOI 10.48550/arXiv.X) to an OpenAlex W id once — remembered as a cursor
(``openalex`` / ``wid:<key>``) so later runs skip the lookup — then page
``/works?filter=cites:W…,from_publication_date:D&per_page=100&cursor=*`` until `next_cursor`
is null or the page is empty (both happen, see the fixtures).

OpenAlex requires an API key since February 2026. It is read from the environment variable
named by ``[sources.openalex] api_key_env`` (default OPENALEX_API_KEY) and never logged (the
HTTP client redacts ``api_key=`` in every message). Without a key the source is skipped with
one line saying how to enable it.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from typing import Any

from seascout.ids import InvalidIdError, doi_key, normalise_doi
from seascout.model import Author, Kind, Link, LinkKind, Provenance, Venue, WatchItem, Work
from spiders.http import HttpStatusError
from spiders.source import CrawlContext, SourceError, SourceSkipped, SourceStopped, each_query

SOURCE = "openalex"
_SELECT_TYPES_PREPRINT = {"preprint", "posted-content"}


class OpenalexFormatError(SourceError):
    """The body is not OpenAlex JSON."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> list[Work]:
    return parse_page(body, query=query, fetched_at=fetched_at)[0]


def parse_page(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
               ) -> tuple[list[Work], str | None]:
    """(works, next_cursor) of a list page, or ([work], None) of a single work."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise OpenalexFormatError(f"OpenAlex sent malformed JSON ({e})") from None
    when = fetched_at or datetime.now()
    try:
        if "results" not in data:
            work = parse_work(data, query=query, fetched_at=when)
            return ([work] if work else []), None
        works = [w for w in (parse_work(r, query=query, fetched_at=when)
                             for r in data.get("results") or []) if w]
        return works, (data.get("meta") or {}).get("next_cursor")
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the page is refused whole.
        raise OpenalexFormatError(f"OpenAlex JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None


def parse_work(r: dict[str, Any], *, query: str = "", fetched_at: datetime | None = None,
               ) -> Work | None:
    title = r.get("title") or r.get("display_name")
    if not title:
        return None
    ids: list[str] = []
    doi = r.get("doi") or (r.get("ids") or {}).get("doi")
    if doi:
        with contextlib.suppress(InvalidIdError):
            ids.append(doi_key(doi))
    if not ids:
        return None  # without a DOI there is no key the rest of seascout can merge on
    openalex_id = str(r.get("id", "")).rsplit("/", 1)[-1]
    loc = r.get("primary_location") or {}
    src = loc.get("source") or {}
    biblio = r.get("biblio") or {}
    first, last = biblio.get("first_page"), biblio.get("last_page")
    pages = f"{first}-{last}" if first and last and first != last else first
    published = _date(r.get("publication_date"))
    kind = Kind.PREPRINT if (r.get("type") in _SELECT_TYPES_PREPRINT
                             or ids[0].startswith("arxiv:")) else Kind.PAPER
    return Work(
        ids=ids,
        title=" ".join(str(title).split()),
        kind=kind,
        abstract=abstract_from_index(r.get("abstract_inverted_index")) or None,
        authors=[Author((a.get("author") or {}).get("display_name") or
                        a.get("raw_author_name") or "",
                        [i["display_name"] for i in a.get("institutions") or []
                         if i.get("display_name")])
                 for a in r.get("authorships") or []],
        published=published,
        venue=Venue(journal=src.get("display_name"), volume=biblio.get("volume"),
                    issue=biblio.get("issue"), pages=pages,
                    publisher=src.get("host_organization_name")),
        language=r.get("language") or "en",
        links=[Link(LinkKind.PAPER, f"https://doi.org/{normalise_doi(doi)}", "论文地址")]
        if doi else [],
        provenance=[Provenance(SOURCE, query, fetched_at or datetime.now(), openalex_id)],
    )


def abstract_from_index(index: dict[str, list[int]] | None) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; put the words back in order."""
    if not index:
        return ""
    positions = [(p, w) for w, ps in index.items() for p in ps]
    return " ".join(w for _, w in sorted(positions))


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _seed_doi(key: str) -> str:
    scheme, _, value = key.partition(":")
    return f"10.48550/arXiv.{value}" if scheme == "arxiv" else value


def run(ctx: CrawlContext) -> None:
    from warehouse.watch import watch_items

    cfg = ctx.settings.config.sources.openalex
    key = ctx.settings.secret(cfg.api_key_env)
    if not key:
        raise SourceSkipped(
            f"no OpenAlex API key: set {cfg.api_key_env} in the environment (free key at "
            "https://openalex.org/settings/api) to follow the works citing the survey's papers")
    items = watch_items(ctx.wh, reason="cited_by")
    if not items:
        ctx.warn("no cited_by items on the watch list (run `seascout seed` first)")
        return
    base = cfg.base_url.rstrip("/")
    auth = {"api_key": key}
    if ctx.settings.config.contact_email:
        auth["mailto"] = ctx.settings.config.contact_email

    def one(item: WatchItem) -> None:
        try:
            wid = _resolve(ctx, base, item.key, auth)
            if wid is None:
                ctx.warn(f"{item.key}: not in OpenAlex yet")
                return
            start, end = ctx.window(item.key, overlap_days=cfg.overlap_days,
                                    first_run_days=cfg.first_run_days)
            filt = f"cites:{wid},from_publication_date:{start.isoformat()}"
            if ctx.until is not None:
                filt += f",to_publication_date:{end.isoformat()}"
            cursor: str | None = "*"
            while cursor:
                r = ctx.http.get(f"{base}/works", {"filter": filt, "per_page": cfg.per_page,
                                                   "cursor": cursor, **auth}, gate="openalex")
                works, cursor = parse_page(r.content, query=f"cites:{item.key}")
                ctx.report.fetched += len(works)
                if not works:
                    break
                ctx.store(works)
        except HttpStatusError as e:
            if e.status in (401, 403):
                raise SourceStopped(f"OpenAlex refused the key or the quota is spent: {e}") from None
            raise
        ctx.advance(item.key, end)

    each_query(items, lambda item: item.key, one)


def _resolve(ctx: CrawlContext, base: str, key: str, auth: dict[str, str]) -> str | None:
    cached = ctx.cursor(f"wid:{key}")
    if cached:
        return cached
    doi = normalise_doi(_seed_doi(key))
    try:
        r = ctx.http.get(f"{base}/works/doi:{doi}", {"select": "id", **auth}, gate="openalex")
    except HttpStatusError as e:
        if e.status == 404:
            return None
        raise
    try:
        wid = str(json.loads(r.content)["id"]).rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError) as e:
        raise OpenalexFormatError(f"OpenAlex lookup of {doi} gave no id ({e})") from None
    ctx.advance(f"wid:{key}", wid)
    return wid
