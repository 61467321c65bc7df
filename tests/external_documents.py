"""Every real third-party document through the parser of its kind, with what came out.

Used by `tests/test_external_documents.py`; run it to print the per-kind table:

    uv run python -m tests.external_documents [DIR ...]

(default: tests/fixtures/external, and ../shared/fixtures/external when present). A document's
records *present* are counted from the document itself (entries, items, results, pages), not
by the parser, so a record the parser loses without naming it shows as kept + unusable <
present.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin

from lxml import etree

from seascout.core.model import Work
from seascout.core.text import has_markup
from spiders import arxiv_api, arxiv_rss, crossref, datacite, journal_feeds, openalex
from spiders.news.charset import decode_html
from spiders.news.extract import extract_article, parse_html
from spiders.news.listing import listing_links
from spiders.news.sites import builtin_sites

ROOT = Path(__file__).resolve().parents[1]
COPY = ROOT / "tests" / "fixtures" / "external"
# ../shared next to the main checkout (and next to the worktrees' folder for a worktree)
SHARED = next((d for d in (ROOT.parent / "shared" / "fixtures" / "external",
                           ROOT.parent.parent / "shared" / "fixtures" / "external")
               if d.is_dir()), ROOT.parent / "shared" / "fixtures" / "external")
DOCS = {"README.md", "PROVENANCE.md", "SOURCE_README.md"}
KINDS = ("arxiv_api", "arxiv_rss", "crossref", "datacite", "openalex", "journal_feeds",
         "news_html", "news_listing")


@dataclass
class Outcome:
    """What one document gave: records present in it, works kept, records named unusable,
    the texts to check for markup, DOIs cut short, and the error (for error documents)."""

    present: int = 0
    kept: int = 0
    unusable: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    cut_dois: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # listings: "site: url" a site would follow
    error: str | None = None

    @property
    def markup(self) -> list[str]:
        return [t[:80] for t in self.texts if has_markup(t)]


def is_error_document(path: Path) -> bool:
    """Documents that are error answers by design (HTTP 400/404 bodies)."""
    return "error" in path.name


def _xml_count(body: bytes, *tags: str) -> int:
    root = etree.fromstring(body, etree.XMLParser(recover=True, resolve_entities=False,
                                                  no_network=True))
    if root is None:
        return 0
    return sum(1 for el in root.iter() if isinstance(el.tag, str)
               and etree.QName(el).localname in tags)


def _json_count(body: bytes, kind: str) -> int:
    data = json.loads(body)
    if not isinstance(data, dict):
        return 0
    if kind == "crossref":
        message = data.get("message")
        if data.get("message-type") == "work":
            return 1
        return len(message.get("items") or []) if isinstance(message, dict) else 0
    if kind == "datacite":
        records = data.get("data")
        return 1 if isinstance(records, dict) else len(records or [])
    if "results" in data:
        return len(data["results"] or [])
    return 1 if data.get("id") else 0


def _cut_dois(works: list[Work], body: bytes) -> list[str]:
    """DOIs kept shorter than the document writes them: the document never has the DOI
    without a bracket right after it."""
    text = unquote(body.decode("utf-8", "replace")).lower()
    cut = []
    for w in works:
        for key in w.ids:
            if not key.startswith("doi:"):
                continue
            doi = key[len("doi:"):]
            at = [i for i in _find_all(text, doi)]
            if at and all(_opens_group(text, i + len(doi)) for i in at):
                cut.append(doi)
    return cut


def _opens_group(text: str, i: int) -> bool:
    """A bracket that would continue a DOI (seascout.core.ids: `<` only before a digit)."""
    nxt = text[i:i + 2]
    return nxt[:1] in ("(", "[") or (nxt[:1] == "<" and nxt[1:].isdigit())


def _find_all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _work_texts(works: list[Work]) -> list[str]:
    texts = []
    for w in works:
        texts += [w.title, w.abstract or "", w.venue.journal or "", w.venue.volume or "",
                  *(a.name for a in w.authors)]
    return [t for t in texts if t]


def _papers(kind: str, body: bytes) -> tuple[int, list[Work], list[str]]:
    unusable: list[str] = []
    if kind == "arxiv_api":
        page = arxiv_api.parse_page(body)
        if page.error:
            raise arxiv_api.ArxivQueryError(page.error)
        return _xml_count(body, "entry"), page.works, page.unusable
    parsers: dict[str, Callable[..., list[Work]]] = {
        "arxiv_rss": arxiv_rss.parse, "crossref": crossref.parse, "datacite": datacite.parse,
        "openalex": openalex.parse, "journal_feeds": journal_feeds.parse}
    present = (_xml_count(body, "item", "entry") if kind in ("arxiv_rss", "journal_feeds")
               else 0)
    works = parsers[kind](body, unusable=unusable)
    if kind not in ("arxiv_rss", "journal_feeds"):
        present = _json_count(body, kind)
    return present, works, unusable


def run_document(kind: str, path: Path) -> Outcome:
    body = path.read_bytes()
    out = Outcome()
    try:
        if kind == "news_html":
            a = extract_article(f"https://news.example.cn/{path.stem}.html", body)
            out.present = 1
            if a.title and len(a.text) >= 50:
                out.kept = 1
            else:
                out.unusable.append(f"{path.name}: {'; '.join(a.warnings)}")
            out.texts = [a.title, a.text, a.lead, a.source_name or ""]
        elif kind == "news_listing":
            # None of these sites is one of ours: "present" are the page's links, "kept" the
            # ones a built-in site's article pattern would follow (none may be).
            base = "https://news.example.cn/list/"
            links, _ = listing_links(base, body, None, article_pattern=r"^https?://",
                                     allowed_domains=["example.cn"])
            hrefs = [urljoin(base, str(h).strip()) for h in
                     parse_html(decode_html(body)[0]).xpath("//a/@href")]
            hrefs = [h for h in hrefs if h.startswith(("http://", "https://"))]
            out.present = len(hrefs)
            patterns = [(site.name, re.compile(site.article_pattern)) for site in builtin_sites()]
            out.taken = [f"{name}: {h}" for h in hrefs for name, p in patterns if p.search(h)]
            out.kept = len({t.split(": ", 1)[1] for t in out.taken})
            out.texts = [link.text for link in links]
        else:
            out.present, works, out.unusable = _papers(kind, body)
            out.kept = len(works)
            out.texts = _work_texts(works)
            out.cut_dois = _cut_dois(works, body)
    except Exception as e:
        out.error = f"{type(e).__name__}: {e}"
    return out


def documents(*dirs: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every document, each file name once (the first directory wins)."""
    seen: set[str] = set()
    out = []
    for d in dirs:
        for kind in KINDS:
            for path in sorted((d / kind).glob("*")) if (d / kind).is_dir() else []:
                if path.is_file() and path.name not in DOCS and path.name not in seen:
                    seen.add(path.name)
                    out.append((kind, path))
    return out


def table(dirs: list[Path]) -> str:
    rows: dict[str, list[int]] = {}
    for kind, path in documents(*dirs):
        o = run_document(kind, path)
        r = rows.setdefault(kind, [0, 0, 0, 0, 0, 0])
        r[0] += 1
        r[1] += o.present
        r[2] += o.kept
        r[3] += len(o.unusable)
        r[4] += 1 if o.error else 0
        r[5] += len(o.markup) + len(o.cut_dois)
    lines = ["| kind | documents | records present | records kept | named unusable | "
             "error documents | markup or cut DOIs |", "|---|---|---|---|---|---|---|"]
    for kind in KINDS:
        if kind in rows:
            lines.append(f"| {kind} | " + " | ".join(map(str, rows[kind])) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    chosen = [Path(a) for a in sys.argv[1:]] or [COPY, *([SHARED] if SHARED.is_dir() else [])]
    print(table(chosen))
