"""Ingest benchmark: 100k synthetic works (1.5 KB abstracts) through normalise → dedupe →
bulk upsert, each scenario in a fresh process so its peak memory is its own.

    uv run python bench/bench_ingest.py [--works 100000]

Scenarios:
- one batch      all works in one `upsert_works` call (one transaction) from a list, then the
                 same works again (must change nothing);
- iterator       the same call fed by a generator, as a backfill can: the works are made
                 while they are stored, so the input never sits in memory at once;
- row-by-row     the baseline: the same rows (works, work_ids, provenance) written with
                 DuckDB `executemany` upserts, one row per statement, on a sample.
Times include DuckDB's commit and checkpoint and exclude making the synthetic works.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from seascout.core import clock
from seascout.core.model import Author, Kind, Provenance, Venue, Work
from warehouse.db import Warehouse
from warehouse.merge import normalise, rank
from warehouse.works import _record_batch, _Row, upsert_works


def synthetic(n: int, seed: int = 7, start: int = 0) -> Iterator[Work]:
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(5000)]
    now = datetime(2026, 11, 23)
    for i in range(start, start + n):
        yield Work(
            ids=[f"doi:10.5555/bench.{i}", f"arxiv:{2400 + i // 99999:04d}.{i % 99999:05d}"],
            title=" ".join(rng.choices(words, k=10)), kind=Kind.PAPER,
            abstract=" ".join(rng.choices(words, k=220))[:1500],
            authors=[Author(f"A. {rng.choice(words).title()}") for _ in range(4)],
            published=date(2024, 1 + i % 12, 1 + i % 28),
            venue=Venue(journal="Remote Sensing", volume=str(i % 20), pages=f"{i}-{i + 9}"),
            categories=["cs.CV"], provenance=[Provenance("crossref", "bench", now, str(i))],
        )


class Timed:
    """An iterator that adds up the time spent making its items (to leave it out)."""

    def __init__(self, items: Iterator[Work]):
        self.items, self.spent = items, 0.0

    def __iter__(self) -> Iterator[Work]:
        while True:
            start = time.perf_counter()
            item = next(self.items, None)
            self.spent += time.perf_counter() - start
            if item is None:
                return
            yield item


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_batch(n: int, folder: Path) -> dict[str, float | str]:
    wh = Warehouse(folder / "bench.duckdb")
    wh.ensure_schema()
    base = peak_mb()
    works = list(synthetic(n))
    input_mb = peak_mb() - base
    cpu, start = _cpu_seconds(), time.perf_counter()
    first = upsert_works(wh, works)
    wall = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    del works
    again = list(synthetic(n))
    start = time.perf_counter()
    second = upsert_works(wh, again)
    rerun = n / (time.perf_counter() - start)
    return {"rate": n / wall, "rerun": rerun, "first": str(first), "second": str(second),
            "peak_mb": peak_mb(), "input_mb": input_mb, "wall": wall, "cpu": cpu}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def iterator(n: int, folder: Path) -> dict[str, float | str]:
    wh = Warehouse(folder / "bench.duckdb")
    wh.ensure_schema()
    works = Timed(synthetic(n))
    start = time.perf_counter()
    result = upsert_works(wh, iter(works))
    return {"rate": n / (time.perf_counter() - start - works.spent), "first": str(result),
            "peak_mb": peak_mb()}


def row_by_row(n: int, folder: Path) -> dict[str, float | str]:
    """The rows the bulk path writes for n new works, written one `executemany` row at a time."""
    wh = Warehouse(folder / "baseline.duckdb")
    wh.ensure_schema()
    now = clock.stamp()
    works = [normalise(w) for w in synthetic(n, seed=11)]
    for w in works:
        w.work_id = w.ids[0]
    rows = _record_batch([_Row(w, w.ids[0], rank(w), now, None) for w in works], now).to_pylist()
    columns = [c for c in rows[0] if c != "ids_text"]
    upsert = (f"INSERT INTO works ({', '.join(columns)}, content_hash) "
              f"VALUES ({', '.join('?' * (len(columns) + 1))}) ON CONFLICT (work_id) DO UPDATE SET "
              + ", ".join(f"{c} = excluded.{c}" for c in [*columns[1:], "content_hash"]))
    start = time.perf_counter()
    with wh.write() as con:
        con.executemany(upsert, [[r[c] for c in columns] + [_md5(r)] for r in rows])
        con.executemany("INSERT INTO work_ids VALUES (?, ?) ON CONFLICT DO NOTHING",
                        [(k, w.work_id) for w in works for k in w.ids])
        con.executemany("INSERT INTO provenance VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [(w.work_id, p.source, p.query, p.record_id or "", p.fetched_at)
                         for w in works for p in w.provenance])
    return {"rate": n / (time.perf_counter() - start), "peak_mb": peak_mb()}


def _md5(row: dict[str, object]) -> str:
    return hashlib.md5(json.dumps(row, default=str).encode(), usedforsecurity=False).hexdigest()


def run_scenario(name: str, args: argparse.Namespace) -> dict[str, float | str]:
    out = subprocess.run([sys.executable, __file__, "--scenario", name, "--works", str(args.works),
                          "--sample", str(args.sample)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=1_000, help="works in the row-by-row sample")
    ap.add_argument("--scenario", choices=["one_batch", "iterator", "row_by_row"])
    args = ap.parse_args()
    if args.scenario:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            result = (one_batch(args.works, folder) if args.scenario == "one_batch" else
                      iterator(args.works, folder) if args.scenario == "iterator" else
                      row_by_row(args.sample, folder))
        print(json.dumps(result))
        return
    one = run_scenario("one_batch", args)
    it = run_scenario("iterator", args)
    base = run_scenario("row_by_row", args)
    print(f"works                              {args.works:>10,}")
    print(f"one batch (list): upsert           {one['rate']:>10,.0f} works/s   ({one['first']})")
    print(f"one batch (list): time             {one['wall']:>10.2f} s wall, {one['cpu']:.2f} s CPU "
          "(all threads)")
    print(f"one batch (list): same works again {one['rerun']:>10,.0f} works/s   ({one['second']})")
    print(f"one batch (list): peak RSS         {one['peak_mb']:>10,.0f} MB "
          f"(the {args.works:,} input works alone: {one['input_mb']:,.0f} MB)")
    print(f"one batch (iterator): upsert       {it['rate']:>10,.0f} works/s   ({it['first']})")
    print(f"one batch (iterator): peak RSS     {it['peak_mb']:>10,.0f} MB")
    print(f"row-by-row executemany, same rows  {base['rate']:>10,.0f} works/s   "
          f"(sample of {args.sample:,})")
    print(f"one batch / row-by-row             {float(one['rate']) / float(base['rate']):>10,.0f} x")


if __name__ == "__main__":
    main()
