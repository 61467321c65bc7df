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
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from seascout.core import clock
from seascout.core.ids import (
    InvalidIdError,
    arxiv_key,
    doi_key,
    find_arxiv_ids,
    normalise_doi,
    url_key,
)
from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Venue, WatchItem, Work
from seascout.core.text import clean_text
from spiders.http import HttpStatusError
from spiders.source import (
    CrawlContext,
    SourceError,
    SourceSkipped,
    SourceStopped,
    UnusableRecord,
    each_query,
    keep_usable,
)

SOURCE = "openalex"
_SELECT_TYPES_PREPRINT = {"preprint", "posted-content"}
_OPENREVIEW_RE = re.compile(r"openreview\.net/(?:forum|pdf)\?(?:.*&)?id=([\w-]+)")
_OPENALEX_ID_RE = re.compile(r"W\d+")
_OPENALEX_KEY_RE = re.compile(r"url:https://openalex\.org/(W\d+)")


class OpenalexFormatError(SourceError):
    """The body is not OpenAlex JSON."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          unusable: list[str] | None = None) -> list[Work]:
    return parse_page(body, query=query, fetched_at=fetched_at, unusable=unusable)[0]


def parse_page(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
               unusable: list[str] | None = None) -> tuple[list[Work], str | None]:
    """(works, next_cursor) of a list page, or ([work], None) of a single work. Records that
    cannot become works are named in `unusable` (when given)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise OpenalexFormatError(f"OpenAlex sent malformed JSON ({e}); starts "
                                  f"{body[:60]!r}") from None
    if not isinstance(data, dict):
        raise OpenalexFormatError(f"OpenAlex JSON is a {type(data).__name__}, not an object")
    if "error" in data and "id" not in data:  # an error body (400, 404) sent as JSON
        message = clean_text(data.get("message"))
        raise OpenalexFormatError(f"OpenAlex error: {clean_text(data.get('error'))}"
                                  + (f" ({message[:200]})" if message else ""))
    when = fetched_at or clock.now()

    def one(r: dict[str, Any]) -> Work:
        return parse_work(r, query=query, fetched_at=when)

    try:
        if "group_by" in data and not data.get("results"):
            return [], None  # a group_by answer counts works, it lists none
        if "results" not in data:
            return keep_usable([data], one, unusable), None
        meta = data.get("meta") or {}
        return (keep_usable(data.get("results") or [], one, unusable),
                meta.get("next_cursor"))
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the page is refused whole.
        raise OpenalexFormatError(f"OpenAlex JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None


def work_keys(r: dict[str, Any]) -> list[str]:
    """The keys a work is known by, best first: its DOI, arXiv ids found in its locations,
    an OpenReview forum, a landing page, and — for works without a DOI — its OpenAlex URL
    (stable, and what every other OpenAlex answer about the work repeats)."""
    keys: list[str] = []

    def add(key: str) -> None:
        if key not in keys:
            keys.append(key)

    doi = r.get("doi") or (r.get("ids") or {}).get("doi")
    if doi:
        with contextlib.suppress(InvalidIdError):
            add(doi_key(str(doi)))
    locations = [x for x in [r.get("primary_location"), *(r.get("locations") or [])]
                 if isinstance(x, dict)]
    urls = [str(u) for x in locations for u in (x.get("landing_page_url"), x.get("pdf_url"))
            if u]
    for arxiv_id in find_arxiv_ids(" ".join(urls)):
        add(arxiv_key(arxiv_id))
    for u in urls:
        m = _OPENREVIEW_RE.search(u)
        if m:
            add(f"url:https://openreview.net/forum?id={m.group(1)}")
    has_doi = any(k.startswith("doi:") for k in keys)
    if not has_doi:
        landing = [str(u) for x in locations for u in [x.get("landing_page_url")] if u]
        for u in landing[:1]:
            if urlsplit(u).path not in ("", "/"):  # a site's home page is no work's identity
                with contextlib.suppress(InvalidIdError):
                    add(url_key(u))
        openalex_id = str(r.get("id") or "").rsplit("/", 1)[-1]
        if _OPENALEX_ID_RE.fullmatch(openalex_id):
            add(f"url:https://openalex.org/{openalex_id}")
    return keys


def parse_work(r: dict[str, Any], *, query: str = "", fetched_at: datetime | None = None,
               ) -> Work:
    """One OpenAlex work. Raises `UnusableRecord` for a work without a title or any id."""
    openalex_id = str(r.get("id") or "").rsplit("/", 1)[-1]
    ids = work_keys(r)
    name = openalex_id or "an OpenAlex record"
    if ids and not ids[0].startswith("url:https://openalex.org/"):
        name = f"{name} ({ids[0]})"
    title = clean_text(r.get("title") or r.get("display_name"))
    if not title:
        raise UnusableRecord(name, "no title")
    if not ids:
        raise UnusableRecord(name, "no DOI, arXiv id, landing page or OpenAlex id")
    loc = r.get("primary_location") or {}
    src = loc.get("source") or {}
    biblio = r.get("biblio") or {}
    first, last = clean_text(biblio.get("first_page")), clean_text(biblio.get("last_page"))
    pages = f"{first}-{last}" if first and last and first != last else first or None
    published = _date(r.get("publication_date"))
    kind = Kind.PREPRINT if (r.get("type") in _SELECT_TYPES_PREPRINT
                             or ids[0].startswith("arxiv:")) else Kind.PAPER
    doi = next((k[len("doi:"):] for k in ids if k.startswith("doi:")), None)
    arxiv = next((k[len("arxiv:"):] for k in ids if k.startswith("arxiv:")), None)
    landing = next((str(x) for x in [loc.get("landing_page_url")] if x), None)
    link = (f"https://doi.org/{doi}" if doi else f"https://arxiv.org/abs/{arxiv}" if arxiv
            else landing or f"https://openalex.org/{openalex_id}")
    return Work(
        ids=ids,
        title=title,
        kind=kind,
        abstract=clean_text(abstract_from_index(r.get("abstract_inverted_index")),
                            paragraphs=True) or None,
        authors=[Author(clean_text((a.get("author") or {}).get("display_name") or
                                   a.get("raw_author_name")),
                        [clean_text(i["display_name"]) for i in a.get("institutions") or []
                         if i.get("display_name")])
                 for a in r.get("authorships") or []],
        published=published,
        venue=Venue(journal=clean_text(src.get("display_name")) or None,
                    volume=clean_text(biblio.get("volume")) or None,
                    issue=clean_text(biblio.get("issue")) or None, pages=pages,
                    publisher=clean_text(src.get("host_organization_name")) or None),
        language=r.get("language") or "en",
        links=[Link(LinkKind.PAPER, link, "论文地址")],
        provenance=[Provenance(SOURCE, query, fetched_at or clock.now(), openalex_id)],
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
                unusable: list[str] = []
                works, cursor = parse_page(r.content, query=f"cites:{item.key}",
                                           unusable=unusable)
                ctx.report.fetched += len(works)
                ctx.unusable(unusable)
                if not works and not unusable:
                    break
                if works:
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
    own = _OPENALEX_KEY_RE.fullmatch(key)
    if own:  # a work known by its OpenAlex id (it had no DOI): nothing to look up
        return own.group(1)
    if not key.startswith(("doi:", "arxiv:")):
        raise SourceError(f"{key}: OpenAlex can be asked about a DOI, an arXiv id or an "
                          "OpenAlex id, not this key")
    doi = normalise_doi(_seed_doi(key))
    try:
        r = ctx.http.get(f"{base}/works/doi:{quote(doi, safe='/')}", {"select": "id", **auth},
                         gate="openalex")
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
