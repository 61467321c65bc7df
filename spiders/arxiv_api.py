"""arXiv API: every new submission of the harvested categories, paged, split under the 30000 cap.

Whole-category intake: each run asks, for every category in `[sources.arxiv] categories`,
``cat:<category> AND submittedDate:[from TO to]`` over its window, so triage sees every new
submission and cross-list of those categories, not only what matches a keyword query. The
window of a category starts `overlap_days` before the newest submission already stored from
it (its cursor, written only after the window's pages are stored), so a rerun with nothing
new asks for one page and stores nothing. A replacement (v2, v3 …) has the same versionless
id and updates the work it replaces. The section topic queries are optional extras
(`topic_queries = true`), restricted to the categories that are *not* harvested whole.

`parse_page(bytes)` is pure and reads both feed formats in the fixtures: the 2016 one (an
`xmlns:arxiv` on every element, offsets in dates, `http://` ids) and the 2026 one (namespaces
on `<feed>`, `Z` times, `https://` links). Error answers are Atom feeds whose single entry is
titled "Error"; they become `ArxivQueryError`.

Paging (why it is shaped like this): arXiv refuses `start + max_results > 30000`. Queries are
sorted by submission date ascending, so when the next page would pass the cap the window's
lower bound moves up to the submission minute of the last record seen and paging restarts at
0. That splits any window into sub-windows of < 30000 records without probing requests; the
few records of the boundary minute come twice and are deduplicated. An empty page while
`totalResults` says there is more is arXiv's known spurious answer: it is retried before it
is believed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from seascout.core import clock
from seascout.core.config import ArxivConfig, Config
from seascout.core.ids import InvalidIdError, arxiv_key, doi_key, split_arxiv_version
from seascout.core.model import Author, Kind, Label, Link, LinkKind, Provenance, Work
from seascout.core.text import clean_text
from spiders.http import HttpClient
from spiders.news.links import text_links
from spiders.source import CrawlContext, SourceError, each_query

SOURCE = "arxiv_api"
ARXIV_GATE = "arxiv"  # one politeness gate for every arXiv endpoint
QUERY_CAP = 30000
NS = {
    "a": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
}
_PARSER_OPTS = {"resolve_entities": False, "no_network": True, "huge_tree": False}


class ArxivFeedError(ValueError):
    """The bytes are not an arXiv Atom feed (malformed, truncated, HTML…)."""


class ArxivQueryError(SourceError):
    """arXiv answered with its Atom error feed (`<title>Error</title>`)."""


@dataclass
class AtomPage:
    total: int
    start: int
    per_page: int
    works: list[Work] = field(default_factory=list)
    error: str | None = None
    last_submitted: datetime | None = None  # latest <published> on the page (minute precision)
    unusable: list[str] = field(default_factory=list)  # entries that could not become works


# -- pure parsing ---------------------------------------------------------------------------
def parse(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> list[Work]:
    """The works of one arXiv API response; raises `ArxivQueryError` for an error feed."""
    page = parse_page(body, query=query, fetched_at=fetched_at)
    if page.error:
        raise ArxivQueryError(f"arXiv rejected the query: {page.error}")
    return page.works


def parse_page(body: bytes, *, query: str = "", fetched_at: datetime | None = None) -> AtomPage:
    try:
        root = etree.fromstring(body, etree.XMLParser(**_PARSER_OPTS))
    except etree.XMLSyntaxError as e:
        raise ArxivFeedError(f"malformed arXiv Atom ({e}); starts {body[:80]!r}") from None
    if root.tag != f"{{{NS['a']}}}feed":
        raise ArxivFeedError(f"not an Atom feed (root <{etree.QName(root).localname}>)")
    page = AtomPage(
        total=_int(root.findtext("os:totalResults", namespaces=NS)),
        start=_int(root.findtext("os:startIndex", namespaces=NS)),
        per_page=_int(root.findtext("os:itemsPerPage", namespaces=NS)),
    )
    when = fetched_at or clock.now()
    for entry in root.iterfind("a:entry", NS):
        entry_id = (entry.findtext("a:id", namespaces=NS) or "").strip()
        title = _text(entry.findtext("a:title", namespaces=NS))
        if title == "Error" and "/api/errors" in entry_id:
            page.error = _text(entry.findtext("a:summary", namespaces=NS)) or entry_id
            page.works = []
            return page
        work = _entry_work(entry, entry_id, title, query, when)
        if work is None:
            page.unusable.append(f"{entry_id or repr(title[:60])}: "
                                 + ("no title" if entry_id else "no arXiv id"))
        else:
            page.works.append(work)
            submitted = _datetime(entry.findtext("a:published", namespaces=NS))
            if submitted and (page.last_submitted is None or submitted > page.last_submitted):
                page.last_submitted = submitted
    return page


def _entry_work(entry: etree._Element, entry_id: str, title: str, query: str,
                when: datetime) -> Work | None:
    try:
        arxiv_id, version = split_arxiv_version(entry_id)
    except InvalidIdError:
        return None
    if not title:
        return None
    ids = [arxiv_key(arxiv_id)]
    doi = _text(entry.findtext("arxiv:doi", namespaces=NS))
    if doi:
        with contextlib.suppress(InvalidIdError):
            ids.append(doi_key(doi.split()[0]))
    authors = [
        Author(_text(a.findtext("a:name", namespaces=NS)),
               [_text(x.text) for x in a.iterfind("arxiv:affiliation", NS) if _text(x.text)])
        for a in entry.iterfind("a:author", NS)
    ]
    primary = entry.find("arxiv:primary_category", NS)
    cats = [c.get("term", "") for c in entry.iterfind("a:category", NS) if c.get("term")]
    if primary is not None and primary.get("term"):
        cats = [primary.get("term", "")] + [c for c in cats if c != primary.get("term")]
    abstract = _text(entry.findtext("a:summary", namespaces=NS))
    comment = _text(entry.findtext("arxiv:comment", namespaces=NS))
    links = [Link(LinkKind.PAPER, f"https://arxiv.org/abs/{arxiv_id}", "论文地址"),
             *text_links(f"{abstract}\n{comment}")]  # code, models, data, project pages
    return Work(
        ids=ids,
        title=title,
        kind=Kind.PREPRINT,
        abstract=abstract or None,
        authors=[a for a in authors if a.name],
        published=_date(entry.findtext("a:published", namespaces=NS)),
        updated=_date(entry.findtext("a:updated", namespaces=NS)),
        categories=cats,
        arxiv_version=version,
        journal_ref=_text(entry.findtext("arxiv:journal_ref", namespaces=NS)) or None,
        links=links,
        provenance=[Provenance(SOURCE, query, when, f"{arxiv_id}v{version}" if version
                               else arxiv_id)],
    )


def _text(value: str | None) -> str:
    return clean_text(value)


def _int(value: str | None) -> int:
    try:
        return int((value or "0").strip())
    except ValueError:
        return 0


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    when = _datetime(value)
    return when.date() if when else None


# -- queries --------------------------------------------------------------------------------
def category_queries(config: Config) -> dict[str, str]:
    """One whole-category harvest per configured category: cursor key → search."""
    return {f"cat:{c}": f"cat:{c}" for c in config.sources.arxiv.categories}


def topic_queries(config: Config) -> dict[str, str]:
    """One search per survey section (triage label) outside the harvested categories.

    Multi-word terms become AND-ed words (arXiv phrase search misses reworded titles)."""
    cats = " OR ".join(f"cat:{c}" for c in config.sources.arxiv.categories)
    out: dict[str, str] = {}
    for label in Label:
        terms = config.topics_for(label)
        if not terms:
            continue
        parts = []
        for term in terms:
            words = [f"all:{w}" for w in term.replace('"', " ").split()]
            if words:
                parts.append(words[0] if len(words) == 1 else "(" + " AND ".join(words) + ")")
        search = "(" + " OR ".join(parts) + ")"
        out[label.value] = f"{search} ANDNOT ({cats})" if cats else search
    return out


def harvest_queries(config: Config) -> dict[str, str]:
    """What a run asks: the whole categories, then the topic extras when enabled."""
    queries = category_queries(config)
    if config.sources.arxiv.topic_queries:
        queries.update(topic_queries(config))
    return queries


def _stamp(d: date | datetime, end: bool = False) -> str:
    if isinstance(d, datetime):
        return d.strftime("%Y%m%d%H%M")
    return d.strftime("%Y%m%d") + ("2359" if end else "0000")


# -- fetching -------------------------------------------------------------------------------
@dataclass
class ArxivFetch:
    """Pages of one query over one window, with the cap-splitting and spurious-page rules."""

    http: HttpClient
    cfg: ArxivConfig
    cap: int = QUERY_CAP
    spurious_retries: int = 3
    requests: int = 0
    restarts: int = 0
    unusable: list[str] = field(default_factory=list)  # named entries of every page read

    def pages(self, search: str, start: date | datetime, end: date,
              *, label: str = "") -> Iterator[list[Work]]:
        for works, _ in self.pages_with_newest(search, start, end, label=label):
            yield works

    def pages_with_newest(self, search: str, start: date | datetime, end: date, *,
                          label: str = "") -> Iterator[tuple[list[Work], datetime | None]]:
        """Each page's works with the newest submission time on it (for the cursor)."""
        lo = _stamp(start)
        hi = _stamp(end, end=True)
        page_size = self.cfg.page_size
        offset = 0
        while True:
            size = min(page_size, self.cap - offset)
            if size <= 0:
                raise SourceError("internal: arXiv paging passed the cap")
            page = self._page(f"{search} AND submittedDate:[{lo} TO {hi}]", offset, size,
                              label)
            self.unusable.extend(page.unusable)
            yield page.works, page.last_submitted
            offset += len(page.works) + len(page.unusable)
            if not (page.works or page.unusable) or offset >= page.total:
                return
            if offset + min(page_size, page.total - offset) > self.cap:
                # Restart the window at the last submission minute seen (that minute repeats).
                new_lo = _stamp(page.last_submitted) if page.last_submitted else None
                if new_lo is None or new_lo <= lo:
                    raise SourceError(
                        f"arXiv window from {lo} has more than {self.cap} records in one "
                        "minute; cannot split further")
                lo, offset = new_lo, 0
                self.restarts += 1

    def _page(self, search_query: str, start: int, size: int, label: str) -> AtomPage:
        params = {"search_query": search_query, "start": start, "max_results": size,
                  "sortBy": "submittedDate", "sortOrder": "ascending"}
        for attempt in range(self.spurious_retries + 1):
            self.requests += 1
            r = self.http.get(self.cfg.api_url, params, gate=ARXIV_GATE, accept=(200, 400))
            page = parse_page(r.content, query=label)
            if page.error or r.status == 400:
                raise ArxivQueryError(
                    f"arXiv rejected query {label or search_query!r}: "
                    f"{page.error or 'HTTP 400'} — check the topics and categories in the config")
            if page.works or page.unusable or page.total <= start:
                return page
            if attempt < self.spurious_retries:
                continue
        raise SourceError(
            f"arXiv returned empty pages at start={start} though totalResults={page.total} "
            f"({self.spurious_retries + 1} tries); the cursor was not advanced, the next run "
            "retries this window")


def run(ctx: CrawlContext) -> None:
    """Every category (and topic extra) over its window; store each page; then move its cursor.

    The cursor is the newest submission stored from the query (``YYYY-MM-DDTHH:MM``), so the
    next window starts where the announced data ends, whatever weekday the run falls on."""
    cfg = ctx.settings.config.sources.arxiv
    fetch = ArxivFetch(ctx.http, cfg)

    def one(query: tuple[str, str]) -> None:
        key, search = query
        start, end = ctx.window(key, overlap_days=cfg.overlap_days,
                                first_run_days=cfg.first_run_days)
        seen: set[str] = set()
        newest: datetime | None = None
        for works, last in fetch.pages_with_newest(search, start, end, label=key):
            fresh = [w for w in works if w.ids[0] not in seen]
            seen.update(w.ids[0] for w in works)
            ctx.report.fetched += len(fresh)
            if fresh:
                ctx.store(fresh)
            if last is not None and (newest is None or last > newest):
                newest = last
        ctx.unusable(fetch.unusable)
        fetch.unusable.clear()
        if newest is not None:
            ctx.advance(key, f"{newest:%Y-%m-%dT%H:%M}", forward_only=True)

    each_query(harvest_queries(ctx.settings.config).items(), lambda q: q[0], one)
