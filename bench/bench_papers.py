"""Paper-source figures for the closing note (a script, not a timed test).

    .venv/bin/python bench/bench_papers.py [--records 12000] [--page 1000] [--gate 0.02]

Runs the real clients against the loopback replay server (tests/replay.py):

1. Backfill of N synthetic arXiv records through `ArxivFetch` with a 30000-style cap scaled
   to N (so the window must be split): requests vs ⌈N / page⌉ (target ≤ 1.05×) and politeness
   violations (gaps between arXiv requests shorter than the gate; target 0). The gate is scaled
   down for speed and still checked on the server's own timestamps.
2. Weekly rerun with nothing new (arXiv API + RSS + Crossref): requests per source/query and
   new rows (target: one request per query, 0 new).
3. Parse throughput of the recorded feeds (records/s).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from seascout.core.config import Config, Settings
from spiders import arxiv_api, arxiv_rss, crossref, openalex
from spiders.crawl import make_http_client, run_crawl
from spiders.http import RetryPolicy
from testing.replay import ArxivSimulator, ReplayServer, Reply, arxiv_feed
from warehouse.db import Warehouse

ROOT = Path(__file__).resolve().parents[1]

PAPERS = ROOT / "tests" / "fixtures" / "papers"


def backfill(n: int, page: int, gate: float, cap: int) -> None:
    with ReplayServer() as srv:
        srv.add("/api/query", handler=ArxivSimulator(n, cap=cap, spurious=(3,)))
        cfg = Config.model_validate({"sources": {"arxiv": {
            "api_url": srv.url("/api/query"), "page_size": page,
            "min_interval_seconds": gate}}})
        settings = Settings(cfg, Path(tempfile.mkdtemp()), ROOT, None)
        http = make_http_client(settings, retry=RetryPolicy(backoff_base=0.01))
        fetch = arxiv_api.ArxivFetch(http, cfg.sources.arxiv, cap=cap)
        ids: set[str] = set()
        started = time.monotonic()
        for works in fetch.pages("all:ocean", date(2024, 1, 1), date(2026, 12, 31)):
            ids.update(w.ids[0] for w in works)
        elapsed = time.monotonic() - started
        http.close()
        gaps = srv.gaps("/api/query")
        violations = sum(1 for g in gaps if g < gate)
        ideal = math.ceil(n / page)
        sent = len(srv.hits("/api/query"))
        print(f"backfill: {n} records, page {page}, cap {cap}: {sent} requests vs "
              f"⌈N/page⌉ = {ideal} → {sent / ideal:.3f}× ({(sent - 1) / ideal:.3f}× without the "
              f"1 injected spurious empty page, which was retried; {fetch.restarts} window "
              f"splits); {len(ids)} unique records "
              f"({'all' if len(ids) == n else 'MISSING'}); politeness violations: {violations} "
              f"(min gap {min(gaps):.3f} s ≥ gate {gate} s); {elapsed:.1f} s")


def weekly_rerun(gate: float) -> None:
    with ReplayServer() as srv, tempfile.TemporaryDirectory() as tmp:
        recs = [("2601.00001", datetime(2026, 1, 5, 10)), ("2601.00002", datetime(2026, 1, 6))]
        srv.add("/api/query", Reply.raw(arxiv_feed(recs, 2), "application/atom+xml"))
        srv.add("/rss/physics.ao-ph+cs.CV+eess.IV+cs.LG+cs.CL",
                Reply.file(PAPERS / "arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml"))
        body = (PAPERS / "crossref/works_query_ecology_rows2_polite_pool.body.json").read_bytes()
        srv.add("/works", Reply.raw(body, "application/json"))
        base = srv.base_url
        cfg = Config.model_validate({"sources": {
            "arxiv": {"api_url": f"{base}/api/query", "rss_url": f"{base}/rss/",
                      "min_interval_seconds": gate},
            "crossref": {"base_url": base}, "datacite": {"enabled": False},
            "openalex": {"enabled": False}, "journal_feeds": {"enabled": False}}})
        settings = Settings(cfg, Path(tmp), ROOT, None)
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        names = ["arxiv_api", "arxiv_rss", "crossref"]
        run_crawl(settings, wh, sources=names)
        before = len(srv.requests)
        reports = run_crawl(settings, wh, sources=names)
        queries = {"arxiv_api": len(arxiv_api.harvest_queries(cfg)), "arxiv_rss": 1,
                   "crossref": len(cfg.sources.crossref.journals)}
        print(f"weekly rerun, nothing new ({len(srv.requests) - before} requests in all):")
        for r in reports:
            print(f"  {r.source:10} {r.requests} requests for {queries[r.source]} queries, "
                  f"{r.new} new rows, errors: {r.errors or 'none'}")


def throughput() -> None:
    cases = [
        ("arXiv API 2026", arxiv_api.parse, "arxiv_api/recorded2026_q_testing_start0_max10.body.xml"),
        ("arXiv API 2016", arxiv_api.parse, "arxiv_api/legacy2016_search_au_del_maestro.xml"),
        ("arXiv RSS", arxiv_rss.parse, "arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml"),
        ("Crossref", crossref.parse, "crossref/works_query_widget_cursor_star.body.json"),
        ("OpenAlex", openalex.parse, "openalex/works_filter_cites_cursor_star_per-page200.body.json"),
    ]
    big = arxiv_feed([(f"2601.{i:05d}", datetime(2026, 1, 1)) for i in range(2000)], 2000)
    for name, parse, rel in cases:
        body = (PAPERS / rel).read_bytes()
        _rate(name, parse, body)
    _rate("arXiv API 2000-entry page", arxiv_api.parse, big)


def _rate(name: str, parse, body: bytes) -> None:  # type: ignore[no-untyped-def]
    n = len(parse(body))
    loops = max(1, int(3000 / max(n, 1)))
    started = time.perf_counter()
    for _ in range(loops):
        parse(body)
    elapsed = time.perf_counter() - started
    print(f"  {name:26} {n:5} records/page  {n * loops / elapsed:10,.0f} records/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=95000)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--gate", type=float, default=0.02, help="arXiv gate (s), scaled down")
    ap.add_argument("--cap", type=int, default=30000, help="arXiv's start+max_results cap")
    args = ap.parse_args()
    backfill(args.records, args.page, args.gate, args.cap)
    weekly_rerun(args.gate)
    print("parse throughput (recorded feeds):")
    throughput()


if __name__ == "__main__":
    main()
