"""HTTP fault matrix: every HTTP paper source × every fault, on the loopback replay server.

    .venv/bin/python bench/fault_matrix.py          # prints the matrix (a script, not a test)

For each case a fresh warehouse gets one crawl of *all* paper sources with one fault injected
on one source's route, then a clean rerun. A case passes when

- the faulted source either survived (the client or the source retried) or recorded the
  failure as that source's error (in its report and in `run_errors`), and then did not move
  the cursor of the failed query;
- every other source finished without an error;
- after the clean rerun, `works`, `work_ids` and `links` (timestamps left out) equal those of
  an undisturbed run on a fresh warehouse: same rows, same ids.

Faults are injected "once" (the first answer of the route, then good answers) and, for the
retryable ones, "always" (every answer). `tests/test_robust_faults.py` runs the same cases and
asserts the expected outcome of each; this script prints what happened.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from seascout.core.config import Config, Settings
from spiders.crawl import make_http_client, run_crawl
from spiders.http import RetryPolicy
from testing.replay import ANY, Recorded, ReplayServer, Reply, arxiv_feed
from warehouse.db import Warehouse
from warehouse.state import get_cursor, start_run

ROOT = Path(__file__).resolve().parents[1]

PAPERS = ROOT / "tests" / "fixtures" / "papers"
RSS_FIXTURE = PAPERS / "arxiv_rss" / "rss_all_archives_2024-11-28.excerpt.xml"
OPENALEX_PAGE = PAPERS / "openalex" / "works_filter_cites_cursor_star_per-page200.body.json"
OPENALEX_LAST = PAPERS / "openalex" / "works_cursor_last_page_empty.body.json"

SOURCES = ["arxiv_api", "arxiv_rss", "crossref", "datacite", "openalex", "journal_feeds"]
FAULTS = ["429+Retry-After", "429", "500", "503", "reset", "timeout", "truncated", "malformed",
          "spurious-empty", "duplicates"]
RETRYABLE = ["429+Retry-After", "429", "500", "503", "reset", "timeout", "truncated"]
UNTIL = date(2026, 1, 8)
WATCH_KEY = "arxiv:2308.03152"  # an OpenAlex cited_by item; DataCite describes it too
FAKE_OPENALEX_KEY = "fault-matrix-openalex-key"

TIMEOUT = 0.25  # the client's read timeout; a "timeout" reply answers after SLOW seconds
SLOW = 0.6
RETRY_AFTER_CAP = 0.2  # Retry-After: 1 is honoured, capped to this
FAST = RetryPolicy(max_attempts=3, backoff_base=0.005, backoff_max=0.01,
                   retry_after_max=RETRY_AFTER_CAP)
ARXIV_GATE = 0.01

# The route each source's fault is injected on, and the cursor its failure must leave alone.
FAULT_ROUTE = {
    "arxiv_api": "/api/query", "arxiv_rss": "/rss/physics.ao-ph", "crossref": "/works",
    "datacite": "/dois/10.48550/arXiv.2308.03152", "openalex": "/works",
    "journal_feeds": "/feeds/a.xml",
}
CURSOR = {
    "arxiv_api": ("arxiv_api", "ocean_models"), "arxiv_rss": ("arxiv_rss", "physics.ao-ph"),
    "crossref": ("crossref", "2375-2548"), "datacite": None,
    "openalex": ("openalex", WATCH_KEY), "journal_feeds": ("journal_feed", "feed-a"),
}


def applicable(source: str, fault: str, mode: str) -> bool:
    if fault == "spurious-empty":
        return source == "arxiv_api"
    if fault == "duplicates":
        return mode == "once" and source != "datacite"  # DataCite: one record per request
    if fault == "malformed":
        return mode == "once"  # a 200 with a broken body is not retried: once == always
    return True


def expected(fault: str, mode: str) -> str:
    if mode == "always" or fault == "malformed":
        return "recorded-error"
    return "survived"


# -- the clean data every source serves ------------------------------------------------------
ARXIV_RECS = [
    ("2601.00001", datetime(2026, 1, 5, 10), "Ocean state forecasting with a neural operator"),
    ("2601.00002", datetime(2026, 1, 5, 11), "Sea ice concentration from SAR with transformers"),
    ("2601.00003", datetime(2026, 1, 6, 9), "A benchmark of global wave height emulators"),
]


def _arxiv(recs: list, total: int, start: int) -> Reply:
    return Reply.raw(arxiv_feed(recs, total, start, 2), "application/atom+xml")


def _cr_item(n: int, title: str) -> dict[str, Any]:
    return {"DOI": f"10.1126/sciadv.fm{n}", "title": [title], "type": "journal-article",
            "container-title": ["Science Advances"], "volume": "12", "page": str(n),
            "published": {"date-parts": [[2026, 1, n]]},
            "author": [{"given": "Ann", "family": f"Author{n}"}]}


CR_ITEMS = [_cr_item(1, "Tidal energy estimates from altimetry"),
            _cr_item(2, "Marine heatwave attribution with ensembles"),
            _cr_item(3, "Coastal upwelling indices from scatterometers")]


def _cr_page(items: list, total: int, cursor: str | None) -> Reply:
    msg: dict[str, Any] = {"items": items, "total-results": total, "items-per-page": len(items)}
    if cursor:
        msg["next-cursor"] = cursor
    return Reply.json({"status": "ok", "message-type": "work-list", "message": msg})


DATACITE = {"data": {"id": "10.48550/arxiv.2308.03152", "type": "dois", "attributes": {
    "doi": "10.48550/arxiv.2308.03152",
    "titles": [{"title": "AI-GOMS: Large AI-Driven Global Ocean Modeling System"}],
    "creators": [{"name": "Xiong, Wei", "givenName": "Wei", "familyName": "Xiong"}],
    "publicationYear": 2023, "dates": [{"date": "2023-08-06", "dateType": "Submitted"}],
    "descriptions": [{"description": "A global ocean model.", "descriptionType": "Abstract"}],
    "subjects": [{"subject": "physics.ao-ph"}], "url": "https://arxiv.org/abs/2308.03152"}}}


def _feed_item(n: int) -> str:
    return (f"<item><title>Journal feed article {n} on ocean colour retrieval</title>"
            f"<link>https://journal.example.org/article/{n}</link>"
            f"<guid>https://journal.example.org/article/{n}</guid>"
            f"<prism:doi>10.9999/jfeed.{n}</prism:doi>"
            f"<description>Abstract of article {n}.</description>"
            f"<pubDate>Mon, 05 Jan 2026 00:00:00 +0000</pubDate></item>")


def _feed(ns: list[int]) -> Reply:
    body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel>'
            '<title>Journal of Fault Injection</title><link>https://journal.example.org/</link>'
            '<description>eTOC</description>' + "".join(_feed_item(n) for n in ns)
            + "</channel></rss>")
    return Reply.raw(body.encode(), "application/rss+xml")


def _rss_with_duplicate() -> bytes:
    raw = RSS_FIXTURE.read_bytes()
    a = raw.index(b"<item>")
    b = raw.index(b"</item>", a) + len(b"</item>")
    return raw[:b] + raw[a:b] + raw[b:]  # the first item twice


def clean_replies(route: str) -> list[Reply]:
    """The undisturbed answers, per route key (see `install`)."""
    return {
        "arxiv0": [_arxiv(ARXIV_RECS[:2], 3, 0)],
        "arxiv2": [_arxiv(ARXIV_RECS[2:], 3, 2)],
        "rss": [Reply.file(RSS_FIXTURE, "application/rss+xml")],
        "cr*": [_cr_page(CR_ITEMS[:2], 3, "C2")],
        "crC2": [_cr_page(CR_ITEMS[2:], 3, None)],
        "datacite": [Reply.json(DATACITE)],
        "oa_wid": [Reply.json({"id": "https://openalex.org/W42"})],
        "oa*": [Reply.file(OPENALEX_PAGE)],
        "oaN": [Reply.file(OPENALEX_LAST)],
        "feedA": [_feed([1, 2])],
        "feedB": [_feed([3])],
    }[route]


FIRST_ROUTE = {"arxiv_api": "arxiv0", "arxiv_rss": "rss", "crossref": "cr*",
               "datacite": "datacite", "openalex": "oa*", "journal_feeds": "feedA"}


def fault_reply(source: str, fault: str) -> Reply:
    good = clean_replies(FIRST_ROUTE[source])[0]
    ctype = good.headers.get("Content-Type", "application/octet-stream")
    if fault == "429+Retry-After":
        return Reply.error(429, retry_after=1)
    if fault in ("429", "500", "503"):
        return Reply.error(int(fault))
    if fault == "reset":
        return Reply.reset()
    if fault == "timeout":
        return Reply.slow(SLOW, good)
    if fault == "truncated":
        return Reply.truncated(good.body[: len(good.body) // 2], ctype)
    if fault == "malformed":
        if "json" in ctype:
            return Reply.malformed("application/json")
        if source in ("arxiv_rss", "journal_feeds"):
            # A feed cut off mid-item but served whole (Content-Length matches): the HTTP
            # client cannot tell, the parser must.
            return Reply.raw(good.body[: int(len(good.body) * 0.6)], ctype)
        return Reply.malformed("application/xml")
    if fault == "spurious-empty":
        return Reply.arxiv_empty_page(total=3, start=0, per_page=2)
    raise ValueError(fault)


def duplicate_replies(source: str) -> dict[str, list[Reply]]:
    """Routes whose later page repeats entries of an earlier one (the same union overall)."""
    if source == "arxiv_api":
        return {"arxiv0": [_arxiv(ARXIV_RECS[:2], 4, 0)],
                "arxiv2": [_arxiv(ARXIV_RECS[1:], 4, 2)]}
    if source == "arxiv_rss":
        return {"rss": [Reply.raw(_rss_with_duplicate(), "application/rss+xml")]}
    if source == "crossref":
        return {"crC2": [_cr_page(CR_ITEMS[1:], 3, None)]}
    if source == "openalex":
        page = json.loads(OPENALEX_PAGE.read_bytes())
        again = {"meta": {**page["meta"], "next_cursor": None}, "results": page["results"][:2]}
        return {"oaN": [Reply.json(again)]}
    if source == "journal_feeds":
        return {"feedB": [_feed([2, 3])]}
    raise ValueError(source)


def install(srv: ReplayServer, faults: dict[str, str] | None = None,
            mode: str = "once") -> None:
    """The clean routes, with each source in `faults` given its fault on its first route."""
    srv.clear()
    srv.unmatched.clear()
    replies = {k: clean_replies(k) for k in FIRST_ROUTE.values()}
    for k in ("arxiv2", "crC2", "oa_wid", "oaN", "feedB"):
        replies[k] = clean_replies(k)
    for source, fault in (faults or {}).items():
        if fault == "duplicates":
            replies.update(duplicate_replies(source))
            continue
        key = FIRST_ROUTE[source]
        bad = fault_reply(source, fault)
        replies[key] = [bad] if mode == "always" else [bad, *replies[key]]
    srv.add("/api/query", replies["arxiv0"], query={"start": "0"})
    srv.add("/api/query", replies["arxiv2"], query={"start": "2"})
    srv.add("/rss/physics.ao-ph", replies["rss"])
    srv.add("/works", replies["cr*"], query={"cursor": "*", "filter": ANY})
    srv.add("/works", replies["crC2"], query={"cursor": "C2"})
    srv.add("/dois/10.48550/arXiv.2308.03152", replies["datacite"])
    srv.add("/works/doi:10.48550/arxiv.2308.03152", replies["oa_wid"])
    srv.add("/works", replies["oa*"], query={"cursor": "*", "api_key": ANY, "filter": ANY})
    srv.add("/works", replies["oaN"], query={"cursor": ANY, "api_key": ANY})
    srv.add("/feeds/a.xml", replies["feedA"])
    srv.add("/feeds/b.xml", replies["feedB"])


def first_route_hits(srv: ReplayServer, source: str) -> list[Recorded]:
    """The requests that reached `source`'s faulted route."""
    def hit(r: Recorded) -> bool:
        if source == "arxiv_api":
            return r.path == "/api/query" and r.query.get("start") == "0"
        if source in ("crossref", "openalex"):
            return (r.path == "/works" and r.query.get("cursor") == "*"
                    and ("api_key" in r.query) == (source == "openalex"))
        return r.path == FAULT_ROUTE[source]
    return [r for r in srv.requests if hit(r)]


# -- running ---------------------------------------------------------------------------------
def make_settings(home: Path, base: str) -> Settings:
    data: dict[str, Any] = {
        "contact_email": "lab@example.org",
        "topics": {"ocean_models": ["ocean model"], "rs_foundation_models": [],
                   "ship_detection": [], "datasets": []},
        "sources": {
            "arxiv": {"api_url": f"{base}/api/query", "rss_url": f"{base}/rss/",
                      "categories": ["physics.ao-ph"], "min_interval_seconds": ARXIV_GATE,
                      "page_size": 2},
            "crossref": {"base_url": base, "rows": 2, "lookup_limit": 0,  # DOI lookups: not here
                         "journals": {"2375-2548": "Science Advances"}},
            "datacite": {"base_url": base},
            "openalex": {"base_url": base},
            "journal_feeds": {"feeds": [{"name": "feed-a", "url": f"{base}/feeds/a.xml"},
                                        {"name": "feed-b", "url": f"{base}/feeds/b.xml"}]},
            "news": {"enabled": False},
        },
    }
    return Settings(config=Config.model_validate(data), home=home, root=home, config_path=None)


def fresh_warehouse(folder: Path) -> Warehouse:
    folder.mkdir(parents=True, exist_ok=True)
    wh = Warehouse(folder / "seascout.duckdb", lock_wait=5)
    wh.ensure_schema()
    with wh.write() as con:  # the survey's cited_by item (seeding is not under test here)
        con.execute("INSERT INTO watch_list VALUES (?, 'cited_by', ?, now())",
                    [WATCH_KEY, WATCH_KEY])
    return wh


def crawl(settings: Settings, wh: Warehouse, run_id: str | None = None) -> list[Any]:
    http = make_http_client(settings, retry=FAST, timeout=TIMEOUT, connect_timeout=1.0)
    with http:
        return run_crawl(settings, wh, http=http, until=UNTIL, run_id=run_id)


_WORK_COLS = ("work_id, kind, title, title_key, abstract, authors, affiliations, "
              "authors_incomplete, published, published_precision, updated, journal, volume, "
              "issue, pages, article_number, publisher, categories, arxiv_version, journal_ref, "
              "language, source_rank, content_hash, change_note")


def snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    """`works` (timestamps left out), `work_ids`, `links`: what a rerun must reproduce."""
    with wh.read() as con:
        return {
            "works": con.execute(f"SELECT {_WORK_COLS} FROM works ORDER BY work_id").fetchall(),
            "work_ids": con.execute("SELECT id, work_id FROM work_ids ORDER BY id").fetchall(),
            "links": con.execute("SELECT work_id, url, kind, label FROM links "
                                 "ORDER BY work_id, url").fetchall(),
        }


def diff(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> str:
    out = []
    for table in a:
        only_a = set(map(repr, a[table])) - set(map(repr, b[table]))
        only_b = set(map(repr, b[table])) - set(map(repr, a[table]))
        if only_a or only_b:
            out.append(f"{table}: {len(only_a)} rows only in the clean run, {len(only_b)} only "
                       f"after the fault (e.g. {sorted(only_b or only_a)[0][:160]})")
    return "; ".join(out)


@dataclass
class Case:
    source: str
    fault: str
    mode: str
    outcome: str = ""  # survived | recorded-error | FAILED
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def cell(self) -> str:
        return self.outcome if self.ok else "FAILED"


@contextlib.contextmanager
def environment(openalex_key: str = FAKE_OPENALEX_KEY) -> Iterator[None]:
    """OpenAlex needs a key in the environment; restore whatever was there."""
    import os

    old = os.environ.get("OPENALEX_API_KEY")
    os.environ["OPENALEX_API_KEY"] = openalex_key
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OPENALEX_API_KEY", None)
        else:
            os.environ["OPENALEX_API_KEY"] = old


class Matrix:
    """One replay server and one undisturbed baseline, shared by every case."""

    def __init__(self, workdir: Path, srv: ReplayServer):
        self.workdir = workdir
        self.srv = srv
        self.settings = make_settings(workdir, srv.base_url)
        self._n = 0
        install(srv)
        wh = fresh_warehouse(workdir / "baseline")
        reports = crawl(self.settings, wh)
        bad = [f"{r.source}: {r.errors or r.skipped}" for r in reports
               if r.errors or r.skipped]
        if bad or srv.unmatched:
            raise RuntimeError(f"the undisturbed run is not clean: {bad} {srv.unmatched}")
        self.baseline = snapshot(wh)
        if not all(self.baseline.values()):
            raise RuntimeError("the undisturbed run stored nothing")

    def run(self, fault: str, mode: str, targets: list[str]) -> list[Case]:
        """One crawl with `fault` injected on every source in `targets` at once (the others
        must be unaffected), then a clean rerun that must converge to the baseline."""
        started = time.monotonic()
        self._n += 1
        wh = fresh_warehouse(self.workdir / f"case{self._n}")
        install(self.srv, {s: fault for s in targets}, mode)
        run_id = start_run(wh, "crawl")
        cases = {s: Case(s, fault, mode) for s in targets}
        shared: list[str] = []  # problems that belong to every case of this crawl
        try:
            reports = {r.source: r for r in crawl(self.settings, wh, run_id)}
        except Exception as e:  # a crash of the whole crawl is the worst outcome
            reports = {}
            shared.append(f"crawl raised {type(e).__name__}: {e}")
        for source, case in cases.items():
            mine = reports.get(source)
            if mine is None:
                continue
            hits = first_route_hits(self.srv, source)
            if mine.errors:
                case.outcome = "recorded-error"
                case.detail = mine.errors[0][:200]
                with wh.read() as con:
                    logged = con.execute("SELECT count(*) FROM run_errors WHERE run_id = ? AND "
                                         "source = ? AND level = 'error'",
                                         [run_id, source]).fetchone()
                if not logged or not logged[0]:
                    case.problems.append("error not logged in run_errors")
                cursor = CURSOR[source]
                if cursor and get_cursor(wh, *cursor) is not None:
                    case.problems.append(f"cursor {cursor} advanced after a failure")
            elif mine.skipped:
                case.problems.append(f"skipped: {mine.skipped}")
            else:
                case.outcome = "survived"
                case.detail = f"{len(hits)} requests to its faulted route"
            if fault == "429+Retry-After" and len(hits) >= 2:
                gap = hits[1].at - hits[0].at
                if gap < RETRY_AFTER_CAP * 0.9:
                    case.problems.append(f"Retry-After ignored: retried after {gap:.3f} s")
        for name, r in reports.items():
            if name not in targets and (r.errors or r.skipped):
                shared.append(f"{name} (not faulted) was affected: {r.errors or r.skipped}")
        install(self.srv)  # the clean rerun
        rerun = crawl(self.settings, wh)
        failing = [f"{r.source}: {r.errors}" for r in rerun if r.errors]
        if failing:
            shared.append(f"clean rerun failed: {failing}")
        delta = diff(self.baseline, snapshot(wh))
        if delta:
            shared.append(f"warehouse differs from the undisturbed run: {delta}")
        seconds = time.monotonic() - started
        for case in cases.values():
            case.problems += shared
            case.seconds = seconds
            if case.problems:
                case.outcome = "FAILED"
        return list(cases.values())


HALVES = (["arxiv_api", "crossref", "openalex"], ["arxiv_rss", "datacite", "journal_feeds"])


def groups(isolated: bool = False, always: list[str] | None = None,
           ) -> list[tuple[str, str, list[str]]]:
    """(fault, mode, faulted sources) per crawl.

    Isolated: one faulted source per crawl (the others are its controls). Grouped (the test's
    default, ~4x fewer crawls): where a failure is expected (malformed bodies, persistent
    faults) the sources are faulted in two halves, so every failing source runs beside three
    clean ones that must stay unaffected; where every source is expected to survive (one-off
    faults), all are faulted at once — a fault leaking into another source would show as that
    source's unexpected error."""
    out = []
    for mode in ("once", "always"):
        for fault in FAULTS:
            sources = [s for s in SOURCES if applicable(s, fault, mode)]
            if mode == "always" and always is not None and fault not in always:
                continue
            if not sources:
                continue
            if isolated:
                out += [(fault, mode, [s]) for s in sources]
            elif expected(fault, mode) == "recorded-error" and len(sources) > 1:
                out += [(fault, mode, [s for s in half if s in sources]) for half in HALVES]
            else:
                out.append((fault, mode, sources))
    return out


def print_matrix(cases: list[Case], out: Callable[[str], None] = print) -> None:
    short = {"arxiv_api": "arxiv_api", "arxiv_rss": "arxiv_rss", "crossref": "crossref",
             "datacite": "datacite", "openalex": "openalex", "journal_feeds": "journal_feeds"}
    by = {(c.source, c.fault, c.mode): c for c in cases}
    width = 16
    out(f"{'fault':<24}" + "".join(f"{short[s]:<{width}}" for s in SOURCES))
    for mode in ("once", "always"):
        for fault in FAULTS:
            if not any((s, fault, mode) in by for s in SOURCES):
                continue
            row = f"{fault + ' (' + mode + ')':<24}"
            for s in SOURCES:
                c = by.get((s, fault, mode))
                cell = "-" if c is None else {"survived": "survived", "recorded-error":
                                              "recorded-error"}.get(c.cell, "FAILED")
                row += f"{cell:<{width}}"
            out(row)
    failed = [c for c in cases if not c.ok]
    unexpected = [c for c in cases if c.ok and c.outcome != expected(c.fault, c.mode)]
    out(f"\n{len(cases)} cases, {len(cases) - len(failed)} passed, {len(failed)} FAILED, "
        f"{len(unexpected)} with an unexpected (but safe) outcome")
    for c in failed:
        out(f"  FAILED {c.source} × {c.fault} ({c.mode}): {'; '.join(c.problems)[:400]}")
    for c in unexpected:
        out(f"  unexpected {c.source} × {c.fault} ({c.mode}): {c.outcome} ({c.detail})")


def run_matrix(workdir: Path, *, isolated: bool = False, always: list[str] | None = None,
               workers: int = 2) -> list[Case]:
    """Every case; the crawls are spread over `workers` threads, each with its own replay
    server, baseline and warehouses (most of a crawl's time is DuckDB opening its file)."""
    from concurrent.futures import ThreadPoolExecutor

    specs = groups(isolated, always)
    shares = [specs[i::workers] for i in range(workers)]

    def work(i: int) -> list[Case]:
        with ReplayServer() as srv:
            matrix = Matrix(workdir / f"worker{i}", srv)
            return [c for spec in shares[i] for c in matrix.run(*spec)]

    with environment(), ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, range(workers)))
    return [c for part in results for c in part]


def main() -> int:
    started = time.monotonic()
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs, a private mkdtemp inside
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        cases = run_matrix(Path(tmp), isolated="--isolated" in sys.argv)
    print("survived = the source finished with every record (after retries);")
    print("recorded-error = the failure is the source's own error, other sources unaffected,")
    print("cursor kept; every case then converges to the undisturbed warehouse on a clean rerun.\n")
    print_matrix(cases)
    print(f"\n{time.monotonic() - started:.1f} s")
    return 0 if all(c.ok for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
