"""Ingest benchmark: 100k synthetic works (1.5 KB abstracts) through normalise → dedupe →
bulk upsert, each figure measured in a fresh process so peak memory is its own.

    uv run python bench/bench_ingest.py [--works 100000]

Scenarios:
- one batch      all works in one upsert (one transaction), then the same works again
                 (must change nothing);
- streamed       works generated and upserted in batches of 20k, as a crawl delivers them
                 (bounded memory);
- row-by-row     DuckDB `executemany` upserts, measured on a sample, the baseline.
Times include DuckDB's commit and checkpoint; generating the synthetic works is excluded.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seascout.model import Author, Kind, Provenance, Venue, Work
from warehouse.db import Warehouse
from warehouse.works import upsert_works


def synthetic(n: int, seed: int = 7, start: int = 0) -> list[Work]:
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(5000)]
    now = datetime(2026, 11, 23)
    out = []
    for i in range(start, start + n):
        out.append(Work(
            ids=[f"doi:10.5555/bench.{i}", f"arxiv:{2400 + i // 99999:04d}.{i % 99999:05d}"],
            title=" ".join(rng.choices(words, k=10)), kind=Kind.PAPER,
            abstract=" ".join(rng.choices(words, k=220))[:1500],
            authors=[Author(f"A. {rng.choice(words).title()}") for _ in range(4)],
            published=date(2024, 1 + i % 12, 1 + i % 28),
            venue=Venue(journal="Remote Sensing", volume=str(i % 20), pages=f"{i}-{i + 9}"),
            categories=["cs.CV"], provenance=[Provenance("crossref", "bench", now, str(i))],
        ))
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_batch(n: int, folder: Path) -> dict[str, float | str]:
    wh = Warehouse(folder / "bench.duckdb")
    wh.ensure_schema()
    works = synthetic(n)
    start = time.perf_counter()
    first = upsert_works(wh, works)
    rate = n / (time.perf_counter() - start)
    del works
    again = synthetic(n)
    start = time.perf_counter()
    second = upsert_works(wh, again)
    rerun = n / (time.perf_counter() - start)
    return {"rate": rate, "rerun": rerun, "first": str(first), "second": str(second),
            "peak_mb": peak_mb()}


def streamed(n: int, batch: int, folder: Path) -> dict[str, float | str]:
    wh = Warehouse(folder / "bench.duckdb")
    wh.ensure_schema()
    spent = 0.0
    for offset in range(0, n, batch):
        works = synthetic(min(batch, n - offset), seed=offset, start=offset)
        start = time.perf_counter()
        upsert_works(wh, works)
        spent += time.perf_counter() - start
        del works
    return {"rate": n / spent, "peak_mb": peak_mb()}


def row_by_row(n: int, folder: Path) -> dict[str, float | str]:
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    con.execute("CREATE TABLE works (work_id VARCHAR PRIMARY KEY, title VARCHAR, abstract VARCHAR, "
                "authors VARCHAR[], published DATE, journal VARCHAR)")
    rows = [(w.ids[0], w.title, w.abstract, [a.name for a in w.authors], w.published,
             w.venue.journal) for w in synthetic(n, seed=11)]
    start = time.perf_counter()
    con.executemany("INSERT INTO works VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (work_id) DO UPDATE "
                    "SET title = excluded.title, abstract = excluded.abstract", rows)
    con.close()
    return {"rate": n / (time.perf_counter() - start), "peak_mb": peak_mb()}


def run_scenario(name: str, works: int) -> dict[str, float | str]:
    out = subprocess.run([sys.executable, __file__, "--scenario", name, "--works", str(works)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--scenario", choices=["one_batch", "streamed", "row_by_row"])
    args = ap.parse_args()
    if args.scenario:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            result = (one_batch(args.works, folder) if args.scenario == "one_batch" else
                      streamed(args.works, 20_000, folder) if args.scenario == "streamed" else
                      row_by_row(2_000, folder))
        print(json.dumps(result))
        return
    one = run_scenario("one_batch", args.works)
    stream = run_scenario("streamed", args.works)
    base = run_scenario("row_by_row", args.works)
    print(f"works                          {args.works:>10,}")
    print(f"one batch: upsert              {one['rate']:>10,.0f} works/s   ({one['first']})")
    print(f"one batch: same works again    {one['rerun']:>10,.0f} works/s   ({one['second']})")
    print(f"one batch: peak RSS            {one['peak_mb']:>10,.0f} MB (100k input works: ~410 MB)")
    print(f"streamed 20k batches: upsert   {stream['rate']:>10,.0f} works/s")
    print(f"streamed 20k batches: peak RSS {stream['peak_mb']:>10,.0f} MB")
    print(f"row-by-row executemany         {base['rate']:>10,.0f} works/s   (sample of 2,000)")
    print(f"one batch / row-by-row         {float(one['rate']) / float(base['rate']):>10,.0f} x")


if __name__ == "__main__":
    main()
