"""DataCite: metadata for arXiv DOIs (10.48550/arXiv.X) the other sources have not described.

Every arXiv paper has such a DOI. The crawl asks DataCite only for arXiv ids on the watch list
that neither the arXiv API nor DataCite has described yet (the seed text alone is not enough
for an IEEE citation). `parse` is pure and reads DataCite's JSON:API single-DOI document.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from seascout.core import clock
from seascout.core.ids import InvalidIdError, arxiv_key, doi_key
from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Work
from seascout.core.text import clean_text
from spiders.http import HttpStatusError
from spiders.source import CrawlContext, SourceError, UnusableRecord, keep_usable

SOURCE = "datacite"
# Relations that make another DOI one of this record's own keys: the same work in another
# version (arXiv registers the journal version so). `IsSupplementTo` is *another* work (a
# dataset supplements two articles): it must not merge them.
_SAME_WORK_RELATIONS = ("IsVersionOf", "IsPreviousVersionOf")
# arXiv categories as DataCite writes them: "Digital Libraries (cs.DL)", "physics.ao-ph", "hep-th".
_ARXIV_CATEGORY_RE = re.compile(r"(?:^|\()([a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2,}(?:-[a-z]{2,})?)?)\)?$")
_KINDS = {"Dataset": Kind.DATASET, "Preprint": Kind.PREPRINT, "JournalArticle": Kind.PAPER,
          "ConferencePaper": Kind.PAPER}


class DataciteFormatError(SourceError):
    """The body is not DataCite JSON."""


def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None,
          unusable: list[str] | None = None) -> list[Work]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataciteFormatError(f"DataCite sent malformed JSON ({e})") from None
    if isinstance(data, dict) and data.get("errors") and not data.get("data"):
        first = (data["errors"] or [{}])[0]
        raise DataciteFormatError(f"DataCite error: {clean_text(first.get('title'))} "
                                  f"(status {clean_text(first.get('status'))})")
    try:
        records = data.get("data")
        if isinstance(records, dict):
            records = [records]
        when = fetched_at or clock.now()
        return keep_usable(records or [],
                           lambda r: parse_record(r, query=query, fetched_at=when), unusable)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as e:
        # Valid JSON of another shape (a field of the wrong type): the record is refused.
        raise DataciteFormatError(f"DataCite JSON of an unexpected shape "
                                  f"({type(e).__name__}: {e})") from None


def parse_record(r: dict[str, Any], *, query: str = "",
                 fetched_at: datetime | None = None) -> Work:
    """One DataCite DOI record. Raises `UnusableRecord` without a DOI or a title."""
    a = r.get("attributes") or {}
    doi = clean_text(a.get("doi") or r.get("id"))
    titles = [clean_text(t.get("title")) for t in a.get("titles") or []
              if not t.get("titleType")] or [clean_text(t.get("title"))
                                             for t in a.get("titles") or []]
    titles = [t for t in titles if t]
    if not doi:
        raise UnusableRecord(f"a DataCite record titled {(titles or [''])[0][:60]!r}", "no DOI")
    try:
        ids = [doi_key(doi)]
    except InvalidIdError as e:
        raise UnusableRecord(doi, str(e)) from None
    if not titles:
        raise UnusableRecord(ids[0], "no title")
    for rel in a.get("relatedIdentifiers") or []:
        if rel.get("relatedIdentifierType") == "DOI" and \
                rel.get("relationType") in _SAME_WORK_RELATIONS:
            try:
                key = doi_key(rel["relatedIdentifier"])
            except (InvalidIdError, KeyError):
                continue
            if key not in ids:
                ids.append(key)
    authors = []
    for c in a.get("creators") or []:
        name = clean_text(c.get("name")) or " ".join(
            p for p in (clean_text(c.get("givenName")), clean_text(c.get("familyName"))) if p)
        if "," in name and c.get("givenName") and c.get("familyName"):
            name = f"{clean_text(c['givenName'])} {clean_text(c['familyName'])}"
        affs = [clean_text(x if isinstance(x, str) else x.get("name", ""))
                for x in c.get("affiliation") or []]
        authors.append(Author(name.strip(), [x for x in affs if x]))
    abstract = clean_text(next((d.get("description") for d in a.get("descriptions") or []
                                if d.get("descriptionType") == "Abstract"), None),
                          paragraphs=True)
    published = _issued(a)
    arxiv = ids[0][len("arxiv:"):] if ids[0].startswith("arxiv:") else None
    links = [Link(LinkKind.PAPER, f"https://arxiv.org/abs/{arxiv}" if arxiv else a.get("url") or
                  f"https://doi.org/{doi}", "论文地址")]
    resource = str((a.get("types") or {}).get("resourceTypeGeneral") or "")
    return Work(
        ids=ids if not arxiv else [arxiv_key(arxiv), *ids[1:]],
        title=titles[0],
        kind=Kind.PREPRINT if arxiv else _KINDS.get(resource, Kind.OTHER),
        abstract=abstract or None,
        authors=[x for x in authors if x.name],
        published=published,
        categories=arxiv_categories(a.get("subjects") or []),
        links=links,
        provenance=[Provenance(SOURCE, query, fetched_at or clock.now(), str(doi).lower())],
    )


def arxiv_categories(subjects: list[dict[str, Any]]) -> list[str]:
    """arXiv categories among DataCite subjects: "Digital Libraries (cs.DL)" → cs.DL. Other
    schemes (FOS fields, ACM classes such as "I.2.7", keywords) are not categories."""
    out: list[str] = []
    for s in subjects:
        text = clean_text(s.get("subject"))
        scheme = clean_text(s.get("subjectScheme")).lower()
        if scheme and scheme != "arxiv":
            continue
        m = _ARXIV_CATEGORY_RE.search(text)
        code = m.group(1) if m else ""
        if ("." in code or (scheme == "arxiv" and "-" in code)) and code not in out:
            out.append(code)
    return out


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
        unusable: list[str] = []
        found.extend(parse(r.content, query=f"doi:{doi.lower()}", unusable=unusable))
        ctx.unusable(unusable)
    ctx.report.fetched += len(found)
    if found:
        ctx.store(found)
