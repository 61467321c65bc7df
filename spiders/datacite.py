"""DataCite: metadata for arXiv DOIs (10.48550/arXiv.X) the other sources have not described.

Every arXiv paper has such a DOI. The crawl asks DataCite only for arXiv ids on the watch list
that neither the arXiv API nor DataCite has described yet (the seed text alone is not enough
for an IEEE citation). `parse` is pure and reads DataCite's JSON:API single-DOI document.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from seascout.ids import InvalidIdError, arxiv_key, doi_key
from seascout.model import Author, Kind, Link, LinkKind, Provenance, Work
from spiders.http import HttpStatusError
from spiders.source import CrawlContext, SourceError

SOURCE = "datacite"


class DataciteFormatError(SourceError):
    """The body is not DataCite JSON."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> list[Work]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataciteFormatError(f"DataCite sent malformed JSON ({e})") from None
    try:
        records = data.get("data")
        if isinstance(records, dict):
            records = [records]
        when = fetched_at or datetime.now()
        works = [parse_record(r, query=query, fetched_at=when) for r in records or []]
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the record is refused.
        raise DataciteFormatError(f"DataCite JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None
    return [w for w in works if w]


def parse_record(r: dict[str, Any], *, query: str = "",
                 fetched_at: datetime | None = None) -> Work | None:
    a = r.get("attributes") or {}
    doi = a.get("doi") or r.get("id")
    titles = [t.get("title") for t in a.get("titles") or [] if t.get("title")]
    if not doi or not titles:
        return None
    try:
        ids = [doi_key(doi)]
    except InvalidIdError:
        return None
    for rel in a.get("relatedIdentifiers") or []:
        # arXiv registers the journal version as IsVersionOf / IsPreviousVersionOf a DOI.
        if rel.get("relatedIdentifierType") == "DOI" and rel.get("relationType") in (
                "IsVersionOf", "IsPreviousVersionOf", "IsSupplementTo"):
            try:
                key = doi_key(rel["relatedIdentifier"])
            except (InvalidIdError, KeyError):
                continue
            if key not in ids:
                ids.append(key)
    authors = []
    for c in a.get("creators") or []:
        name = c.get("name") or " ".join(p for p in (c.get("givenName"), c.get("familyName")) if p)
        if "," in name and c.get("givenName") and c.get("familyName"):
            name = f"{c['givenName']} {c['familyName']}"
        affs = [x if isinstance(x, str) else x.get("name", "") for x in c.get("affiliation") or []]
        authors.append(Author(name.strip(), [x for x in affs if x]))
    abstract = next((d.get("description") for d in a.get("descriptions") or []
                     if d.get("descriptionType") == "Abstract"), None)
    published = _issued(a)
    arxiv = ids[0][len("arxiv:"):] if ids[0].startswith("arxiv:") else None
    links = [Link(LinkKind.PAPER, f"https://arxiv.org/abs/{arxiv}" if arxiv else a.get("url") or
                  f"https://doi.org/{doi}", "论文地址")]
    return Work(
        ids=ids if not arxiv else [arxiv_key(arxiv), *ids[1:]],
        title=" ".join(titles[0].split()),
        kind=Kind.PREPRINT if arxiv else Kind.OTHER,
        abstract=" ".join(abstract.split()) if abstract else None,
        authors=[x for x in authors if x.name],
        published=published,
        categories=[s["subject"] for s in a.get("subjects") or [] if s.get("subject")
                    and "." in s["subject"] and " " not in s["subject"]],
        links=links,
        provenance=[Provenance(SOURCE, query, fetched_at or datetime.now(), str(doi).lower())],
    )


def _issued(a: dict[str, Any]) -> date | None:
    for d in a.get("dates") or []:
        if d.get("dateType") in ("Submitted", "Issued", "Available") and d.get("date"):
            try:
                return date.fromisoformat(str(d["date"])[:10])
            except ValueError:
                continue
    year = a.get("publicationYear")
    return date(int(str(year)), 1, 1) if str(year or "").isdigit() else None


def run(ctx: CrawlContext) -> None:
    from warehouse.watch import arxiv_ids_missing_sources

    cfg = ctx.settings.config.sources.datacite
    pending = arxiv_ids_missing_sources(ctx.wh, ["arxiv_api", "arxiv_rss", SOURCE])
    found = []
    for arxiv_id in pending:
        doi = f"10.48550/arXiv.{arxiv_id}"
        params = {"mailto": ctx.settings.config.contact_email} \
            if ctx.settings.config.contact_email else None
        try:
            r = ctx.http.get(f"{cfg.base_url.rstrip('/')}/dois/{doi}", params, gate="datacite")
        except HttpStatusError as e:
            if e.status == 404:
                ctx.warn(f"{doi}: not registered at DataCite")
                continue
            raise
        found.extend(parse(r.content, query=f"doi:{doi.lower()}"))
    ctx.report.fetched += len(found)
    if found:
        ctx.store(found)
