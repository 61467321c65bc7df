"""Works as reference-manager records: BibTeX (pybtex), RIS (rispy) and CSL-JSON.

Pure functions of `Work`s: each record carries the published DOI (the arXiv DOI only when
there is no other), the venue, and the arXiv id (BibTeX `eprint`, RIS note, CSL note), so a
manager links the preprint to its journal version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from seascout.core.model import Kind, Work

FORMATS = ("bibtex", "ris", "csljson")
_WORD = re.compile(r"[A-Za-z0-9]+")


def split_name(name: str) -> tuple[str, str]:
    """(given, family) of a written name; ("", name) when it has no space (e.g. 张三)."""
    parts = name.strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


def cite_keys(works: Sequence[Work]) -> list[str]:
    """Stable, unique keys: family name of the first author + year + first title word."""
    seen: dict[str, int] = {}
    out = []
    for w in works:
        first = _ascii_word(w.title)
        base = f"{_who(w).lower()}{w.published.year if w.published else ''}{first.lower()}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(base if n == 0 else f"{base}{chr(ord('a') + n - 1) if n <= 26 else n}")
    return out


def _who(w: Work) -> str:
    """The key's first part: the first author's family name, else the site of a news page
    (`cas` for www.cas.cn), else the kind of work — never an anonymous `anon`."""
    family = _ascii_word(split_name(w.authors[0].name)[1]) if w.authors else ""
    if family:
        return family
    host = urlsplit(w.key("url") or "").hostname or ""
    site = next((part for part in host.split(".") if part not in ("www", "")), "")
    return _ascii_word(site) or w.kind.value


def _ascii_word(text: str) -> str:
    m = _WORD.search(text or "")
    return m.group(0) if m else ""


def _doi(w: Work) -> str | None:
    return w.doi  # the publisher DOI, else the arXiv DOI


def _url(w: Work) -> str | None:
    if w.key("doi"):
        return f"https://doi.org/{w.key('doi')}"
    if w.arxiv_id:
        return f"https://arxiv.org/abs/{w.arxiv_id}"
    return w.key("url")


def _pages(w: Work) -> str | None:
    return w.venue.pages or w.venue.article_number


def to_bibtex(works: Sequence[Work]) -> str:
    from pybtex.database import BibliographyData, Entry, Person

    bib = BibliographyData()
    for key, w in zip(cite_keys(works), works, strict=True):
        journal = w.venue.journal
        kind = "article" if journal else "misc"
        fields = {"title": w.title}
        optional = {
            "journal": journal, "volume": w.venue.volume, "number": w.venue.issue,
            "pages": _pages(w), "publisher": w.venue.publisher,
            "year": str(w.published.year) if w.published else None,
            "month": str(w.published.month) if w.published and w.published_precision != "year" else None,
            "doi": _doi(w), "url": _url(w),
        }
        if w.arxiv_id:
            optional.update(eprint=w.arxiv_id, archiveprefix="arXiv",
                            primaryclass=w.categories[0] if w.categories else None)
        fields.update({k: v for k, v in optional.items() if v})
        persons = {"author": [Person(tex_escape(a.name)) for a in w.authors]} if w.authors else {}
        bib.add_entry(key, Entry(kind, fields=fields, persons=persons))
    return str(_writer().to_string(bib))


def _writer():  # type: ignore[no-untyped-def]
    """pybtex's BibTeX writer with our escaping: every field TeX-escaped by `tex_escape`
    (pybtex's own codec leaves `\\`, `{`, `}`, `$`, `^` as TeX and mangles URLs), the url,
    doi and eprint fields verbatim."""
    from pybtex.database.output.bibtex import Writer

    class Escaping(Writer):  # type: ignore[misc]
        def _write_field(self, stream, type, value):  # type: ignore[no-untyped-def]
            if type in _VERBATIM:
                text = _verbatim(value)
            elif type in ("author", "editor"):
                text = value  # the names were escaped before pybtex split them
            else:
                text = tex_escape(value)
            stream.write(f",\n    {type} = {self.quote(text)}")

    return Escaping(encoding="UTF-8")


# Text for TeX: every character TeX reads as a command or structure is written as itself
# (a title's `\input/etc/passwd` stays text). Braces become `\textbrace…{}`, so every value
# is brace-balanced by construction.
_TEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
        "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_TEX_RE = re.compile(r"[\\{}$&%#_^~]")
_VERBATIM = frozenset({"url", "doi", "eprint"})  # read verbatim (hyperref, biblatex): not escaped


def tex_escape(text: str) -> str:
    r"""A string as TeX text: `\`, `{`, `}`, `$`, `&`, `%`, `#`, `_`, `^`, `~` escaped."""
    return _TEX_RE.sub(lambda m: _TEX[m.group(0)], text)


def _verbatim(text: str) -> str:
    """A URL or DOI as written, but never a backslash or a brace that could close the field."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


_RIS_TYPE = {Kind.PAPER: "JOUR", Kind.PREPRINT: "UNPB", Kind.NEWS: "NEWS", Kind.DATASET: "DATA",
             Kind.OTHER: "GEN"}


def to_ris(works: Sequence[Work]) -> str:
    import rispy

    entries = []
    for key, w in zip(cite_keys(works), works, strict=True):
        e: dict[str, object] = {"type_of_reference": _RIS_TYPE.get(w.kind, "GEN"), "id": key,
                                "title": w.title}
        if w.venue.journal and w.kind is Kind.PREPRINT:
            e["type_of_reference"] = "JOUR"
        if w.authors:
            e["authors"] = [_ris_name(a.name) for a in w.authors]
        if w.published:
            e["year"] = str(w.published.year)
            e["date"] = w.published.strftime("%Y/%m/%d")
        optional = {"journal_name": w.venue.journal, "volume": w.venue.volume,
                    "number": w.venue.issue, "publisher": w.venue.publisher, "doi": _doi(w)}
        e.update({k: v for k, v in optional.items() if v})
        pages = _pages(w)
        if pages:
            start, _, end = pages.partition("-")
            e["start_page"] = start
            if end:
                e["end_page"] = end
        if url := _url(w):
            e["urls"] = [url]
        if w.arxiv_id:
            e["notes"] = [f"arXiv:{w.arxiv_id}"]
        entries.append(e)

    class Writer(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""  # no "1." line before each record: plain RIS, as reference managers write it

    return str(rispy.dumps(entries, implementation=Writer))


def _ris_name(name: str) -> str:
    given, family = split_name(name)
    return f"{family}, {given}" if given else family


_CSL_TYPE = {Kind.PAPER: "article-journal", Kind.PREPRINT: "article", Kind.NEWS: "article-newspaper",
             Kind.DATASET: "dataset", Kind.OTHER: "document"}


def to_csljson(works: Sequence[Work]) -> str:
    items = []
    for key, w in zip(cite_keys(works), works, strict=True):
        item: dict[str, object] = {"id": key, "type": _CSL_TYPE.get(w.kind, "document"), "title": w.title}
        if w.venue.journal:
            item["type"] = "article-journal"
        if w.authors:
            item["author"] = [_csl_name(a.name) for a in w.authors]
        if w.published:
            parts = {"year": 1, "month": 2}.get(w.published_precision, 3)
            item["issued"] = {"date-parts": [[w.published.year, w.published.month, w.published.day][:parts]]}
        optional = {"container-title": w.venue.journal, "volume": w.venue.volume, "issue": w.venue.issue,
                    "page": w.venue.pages, "number": w.venue.article_number,
                    "publisher": w.venue.publisher, "DOI": _doi(w), "URL": _url(w)}
        item.update({k: v for k, v in optional.items() if v})
        if w.arxiv_id:
            item["note"] = f"arXiv: {w.arxiv_id}"
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1) + "\n"


def _csl_name(name: str) -> dict[str, str]:
    given, family = split_name(name)
    return {"family": family, "given": given} if given else {"literal": family}


def render(fmt: str, works: Sequence[Work]) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")
    return {"bibtex": to_bibtex, "ris": to_ris, "csljson": to_csljson}[fmt](works)
