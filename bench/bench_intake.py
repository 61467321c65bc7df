"""Whole-category intake of a real-sized week, replayed on loopback (a script, not a test).

    .venv/bin/python bench/bench_intake.py [--days 25] [--gate 3.0] [--page 2000]

Builds one arXiv week from the real metadata in ../shared/corpus/arxiv_stream.jsonl (the
newest `--days` whole listing days, their submissions spread over Mon 00:00 – Fri 23:59 with
their real ids, titles, abstracts and categories), serves it with the arXiv simulator, and
runs the real arXiv source over it for the five default categories, then offline triage:

- requests per category against ⌈items/page⌉ (target ≤ 1.05×), politeness wait (real 3 s gate);
- seconds of triage for the whole week (target: under 60 s for 10,000 items on 2 cores);
- the rerun with nothing new: one request per category, nothing stored;
- peak RSS of the process (target < 600 MB).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from seascout.core.config import Config, Settings
from spiders.crawl import make_http_client, run_crawl
from testing.replay import ArxivSimulator, ReplayServer, SimRecord
from triage.run import build_classifier, run_triage
from warehouse.db import Warehouse

ROOT = Path(__file__).resolve().parents[1]

CORPUS = ROOT.parent / "shared" / "corpus" / "arxiv_stream.jsonl"
CATEGORIES = ["physics.ao-ph", "cs.CV", "eess.IV", "cs.LG", "cs.CL"]
MONDAY = datetime(2026, 6, 22)


def week(days: int) -> list[SimRecord]:
    rows = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    newest = sorted({r["listing_date"] for r in rows})[-days:]
    chosen = [r for r in rows if r["listing_date"] in newest and set(r["categories"]) & set(CATEGORIES)]
    step = timedelta(days=5) / len(chosen)
    return [SimRecord(r["arxiv_id"], MONDAY + i * step, r["title"], r["abstract"],
                      tuple(r["categories"]), tuple(r["authors"][:20]) or ("Anonymous",))
            for i, r in enumerate(chosen)]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=25)
    ap.add_argument("--gate", type=float, default=3.0)
    ap.add_argument("--page", type=int, default=2000)
    args = ap.parse_args()
    records = week(args.days)
    per_cat = {c: sum(c in r.categories for r in records) for c in CATEGORIES}
    print(f"week: {len(records)} items from the {args.days} newest corpus listing days, "
          f"spread over {MONDAY:%a %d %b} – Fri; per category {per_cat}")
    home = Path(tempfile.mkdtemp())
    with ReplayServer() as srv:
        srv.add("/api/query", handler=ArxivSimulator(records=records))
        cfg = Config.model_validate({"sources": {"arxiv": {
            "api_url": srv.url("/api/query"), "categories": CATEGORIES, "page_size": args.page,
            "min_interval_seconds": args.gate}}})
        settings = Settings(cfg, home, ROOT, None)
        wh = Warehouse(settings.db_path)
        wh.ensure_schema()
        until = (MONDAY + timedelta(days=6)).date()
        for label, since in (("weekly run", date(2026, 6, 22)), ("rerun, nothing new", None)):
            http = make_http_client(settings)
            before = len(srv.hits("/api/query"))
            started = time.monotonic()
            with http:
                (report,) = run_crawl(settings, wh, sources=["arxiv_api"], since=since, until=until,
                                      http=http)
                waited = http.gate("arxiv").waited
            hits = srv.hits("/api/query")[before:]
            counts = {c: sum(h.query["search_query"].startswith(f"cat:{c} ") for h in hits)
                      for c in CATEGORIES}
            ideal = {c: max(1, math.ceil(per_cat[c] / args.page)) if since else 1 for c in CATEGORIES}
            worst = max(counts[c] / ideal[c] for c in CATEGORIES)
            print(f"{label}: {len(hits)} requests {counts} vs target {ideal} "
                  f"(worst {worst:.2f}×); {report.fetched} fetched, {report.new} new, "
                  f"{report.updated} updated; politeness wait {waited:.1f} s; "
                  f"{time.monotonic() - started:.1f} s in all; ok={report.ok}")
        started = time.monotonic()
        build_classifier(settings, wh)
        print(f"classifier: {time.monotonic() - started:.1f} s to fit or load (fit once per version "
              f"of its training data, then loaded from {settings.cache_dir / 'triage'})")
        started = time.monotonic()
        tri = run_triage(settings, wh)
        secs = time.monotonic() - started
        print(f"triage: {tri.classified} items in {secs:.1f} s ({tri.classified / secs:.0f} items/s, "
              f"read, classified, summarised and stored) — {tri.counts}")
    print(f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
