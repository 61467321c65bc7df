"""IEEE citations exactly as the survey writes them (Zotero's IEEE style, Markdown emphasis).

Journal article::

    G. Zheng, X. Li, R.-H. Zhang, and B. Liu, “Title,” *Science Advances*, vol. 6, no. 29,
    p. eaba1482, Jul. 2020, doi: [10.1126/sciadv.aba1482](https://doi.org/10.1126/sciadv.aba1482).

arXiv preprint::

    W. Xiong *et al.*, “Title.” arXiv, Aug. 10, 2023. doi: [10.48550/arXiv.X](https://doi.org/…).

Up to six authors are listed; seven or more (or a source that only knew the first authors)
become "First *et al.*". citeproc-py with the IEEE CSL was not used: it cannot emit the
survey's Markdown emphasis and link form, and its date and "Art. no." output differ.
"""

from __future__ import annotations

import re
from datetime import date

from seascout.core.model import Author, Kind, Work

MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.",
          "Nov.", "Dec.")
MAX_LISTED_AUTHORS = 6
_PARTICLES = {"van", "von", "der", "den", "de", "da", "del", "di", "la", "le", "du", "dos", "ter"}
_CONFERENCE_RE = re.compile(r"\b(proc\.|proceedings|conference|symposium|workshop)\b", re.I)
_ELOCATION_RE = re.compile(r"^e[a-z]*\d+$", re.I)  # Science-style e-locators: eaba1482


def initials(given: str) -> str:
    """"Rong-Hua" → "R.-H.", "Gui Song" → "G. S.", "R.-H." → "R.-H." (idempotent)."""
    parts = []
    for token in re.sub(r"\.(?=[^\s.-])", ". ", given).split():
        pieces = [p for p in token.split("-") if p]
        parts.append("-".join(p[0].upper() + "." for p in pieces if p[0].isalpha()))
    return " ".join(p for p in parts if p)


def ieee_name(name: str) -> str:
    """An author name in IEEE form: initials, then the family name."""
    name = " ".join(name.split())
    if "," in name:  # "Family, Given"
        family, given = (p.strip() for p in name.split(",", 1))
    else:
        tokens = name.split(" ")
        if len(tokens) == 1:
            return name
        cut = len(tokens) - 1
        while cut > 1 and tokens[cut - 1].lower() in _PARTICLES:
            cut -= 1
        given, family = " ".join(tokens[:cut]), " ".join(tokens[cut:])
    if not given:
        return family
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):  # a Chinese name stays as written
        return name
    return f"{initials(given)} {family}"


def format_authors(authors: list[Author], *, incomplete: bool = False) -> str:
    names = [ieee_name(a.name) for a in authors if a.name.strip()]
    if not names:
        return ""
    if incomplete or len(names) > MAX_LISTED_AUTHORS:
        return f"{names[0]} *et al.*"
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + f", and {names[-1]}"


def format_date(d: date | None, precision: str = "day", *, with_day: bool) -> str:
    if d is None:
        return ""
    if precision == "year":
        return str(d.year)
    if precision == "month" or not with_day:
        return f"{MONTHS[d.month - 1]} {d.year}"
    return f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}"


def display_doi(work: Work) -> str | None:
    """The work's DOI in the case it was written (a doi.org link keeps it; keys are lower-case)."""
    doi = work.doi
    if not doi:
        return None
    written = [m.group(1) for link in work.links
               if (m := re.match(r"^https?://(?:dx\.)?doi\.org/(10\..+)$", link.url, re.I))
               and m.group(1).lower() == doi.lower()]
    # A registry that keeps the case (Crossref: 10.1109/TGRS…) wins over one that folds it.
    return next((d for d in written if d != d.lower()), written[0] if written else doi)


def doi_link(doi: str) -> str:
    return f"[{doi}](https://doi.org/{doi})"


def _pages(pages: str | None, article_number: str | None) -> str | None:
    if pages:
        pages = pages.strip()
        if re.search(r"\d\s*[-–—]+\s*\d", pages):
            a, b = re.split(r"\s*[-–—]+\s*", pages, maxsplit=1)
            return f"pp. {a}–{b}"
        return f"p. {pages}"
    if article_number:
        article_number = article_number.strip()
        if _ELOCATION_RE.match(article_number):
            return f"p. {article_number}"
        return f"Art. no. {article_number}"
    return None


def _precision(work: Work) -> str:
    return getattr(work, "published_precision", "day") or "day"


def _incomplete(work: Work) -> bool:
    return bool(getattr(work, "authors_incomplete", False))


def _closing_title(title: str, mark: str) -> str:
    """Title followed by `mark` inside the quotes, unless it already ends in punctuation."""
    title = " ".join(title.split())
    if title and title[-1] in "?!.":
        return f"“{title}”"
    return f"“{title}{mark}”"


def format_citation(work: Work) -> str:
    """The IEEE citation of a work in the survey's Markdown form."""
    authors = format_authors(work.authors, incomplete=_incomplete(work))
    lead = f"{authors}, " if authors else ""
    doi = display_doi(work)
    v = work.venue
    if work.arxiv_id and not work.key("doi") and not v.journal:
        when = format_date(work.published, _precision(work), with_day=True)
        parts = [f"{lead}{_closing_title(work.title, '.')} arXiv"]
        text = f"{parts[0]}, {when}." if when else f"{parts[0]}."
        return f"{text} doi: {doi_link(doi)}." if doi else text
    if v.journal:
        fields = []
        if _CONFERENCE_RE.search(v.journal):
            fields.append(f"in *{v.journal}*")
        else:
            fields.append(f"*{v.journal}*")
        if v.volume:
            fields.append(f"vol. {v.volume}")
        if v.issue:
            fields.append(f"no. {v.issue}")
        pages = _pages(v.pages, v.article_number)
        when = format_date(work.published, _precision(work), with_day=False)
        if _CONFERENCE_RE.search(v.journal):
            fields.extend(x for x in (when, pages) if x)
        else:
            fields.extend(x for x in (pages, when) if x)
        if doi:
            fields.append(f"doi: {doi_link(doi)}")
        return f"{lead}{_closing_title(work.title, ',')} " + ", ".join(fields) + "."
    # No venue known (report, web page): what there is.
    when = format_date(work.published, _precision(work), with_day=False) if work.published else ""
    tail = [x for x in (when, f"doi: {doi_link(doi)}" if doi else "") if x]
    if tail:
        return f"{lead}{_closing_title(work.title, ',')} " + ", ".join(tail) + "."
    return f"{lead}“{' '.join(work.title.split())}”."


def citation_plain(citation: str) -> str:
    """The citation without Markdown (for PDF, DOCX and plain-text mail)."""
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1", citation)
    return text.replace("*", "")


def is_paper(work: Work) -> bool:
    return work.kind in (Kind.PAPER, Kind.PREPRINT) or bool(work.doi)
