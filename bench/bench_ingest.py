"""Ingest benchmark: 100k synthetic works through normalise → dedupe → bulk upsert.

    uv run python bench/bench_ingest.py [--works 100000]

Prints works/s for the bulk path, for a row-by-row `executemany` baseline measured on a
sample in the same run, for re-upserting the same works (which must change nothing), and
the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

from seascout.model import Author, Kind, Provenance, Venue, Work
from warehouse.db import Warehouse
from warehouse.works import upsert_works


def synthetic(n: int, seed: int = 7) -> list[Work]:
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(5000)]
    now = datetime(2026, 11, 23)
    out = []
    for i in range(n):
        abstract = " ".join(rng.choices(words, k=220))[:1500]
        title = " ".join(rng.choices(words, k=10))
        out.append(Work(
            ids=[f"doi:10.5555/bench.{i}", f"arxiv:{2400 + i // 99999:04d}.{i % 99999:05d}"],
            title=title, kind=Kind.PAPER, abstract=abstract,
            authors=[Author(f"A. {rng.choice(words).title()}") for _ in range(4)],
            published=date(2024, 1 + i % 12, 1 + i % 28),
            venue=Venue(journal="Remote Sensing", volume=str(i % 20), pages=f"{i}-{i + 9}"),
            categories=["cs.CV"], provenance=[Provenance("crossref", "bench", now, str(i))],
        ))
    return out


def row_by_row_rate(works: list[Work], folder: Path) -> float:
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    con.execute("CREATE TABLE works (work_id VARCHAR PRIMARY KEY, title VARCHAR, abstract VARCHAR, "
                "authors VARCHAR[], published DATE, journal VARCHAR)")
    rows = [(w.ids[0], w.title, w.abstract, [a.name for a in w.authors], w.published, w.venue.journal)
            for w in works]
    start = time.perf_counter()
    con.executemany("INSERT INTO works VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
    rate = len(rows) / (time.perf_counter() - start)
    con.close()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--baseline-sample", type=int, default=2_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        works = synthetic(args.works)
        wh = Warehouse(folder / "bench.duckdb")
        wh.ensure_schema()

        start = time.perf_counter()
        first = upsert_works(wh, works)
        bulk = args.works / (time.perf_counter() - start)

        again = synthetic(args.works)
        start = time.perf_counter()
        second = upsert_works(wh, again)
        rerun = args.works / (time.perf_counter() - start)

        baseline = row_by_row_rate(synthetic(args.baseline_sample, seed=11), folder)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"works                     {args.works}")
    print(f"bulk upsert               {bulk:>10,.0f} works/s   ({first})")
    print(f"row-by-row executemany    {baseline:>10,.0f} works/s   (sample of {args.baseline_sample})")
    print(f"bulk / row-by-row         {bulk / baseline:>10,.0f} x")
    print(f"re-upsert same works      {rerun:>10,.0f} works/s   ({second})")
    print(f"peak RSS                  {peak_mb:>10,.0f} MB")


if __name__ == "__main__":
    main()
