"""Fuzzy-merge benchmark (issue 23 item 2): a harvest of preprints into a warehouse of journal
works whose titles begin alike, so that every record must be matched by title.

    uv run python bench/bench_merge.py [--works 100000] [--records 20000] [--no-double]

The warehouse: half its works in an adversarial crowd (three 9-token prefixes shared by a
sixth of the warehouse each, "Deep learning for ocean remote sensing of sea surface …"), half
ordinary titles of ten random words. The harvest: one record in ten is the preprint of a crowd
work (its title in capitals), one in ten the preprint of an ordinary work with its last word
dropped (a fuzzy match), the rest look-alikes of the crowd that match nothing. Each run builds
the warehouse in one process and harvests in a fresh one, so the peak RSS printed is the
harvest's own (Python and DuckDB together); the time is the one `upsert_works` call, commit
included. Then the same at twice the size, to show the growth.
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
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from seascout.core.model import Kind, Provenance, Work
from warehouse.db import Warehouse
from warehouse.works import upsert_works

NOW = datetime(2026, 11, 23)
PREFIXES = ["Deep learning for ocean remote sensing of sea surface",
            "Deep learning for ocean remote sensing of sea ice",
            "Deep learning for ocean colour retrieval from satellite imagery in"]


def vocabulary(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(5000)]


def stored_title(i: int, words: list[str]) -> str:
    rng = random.Random(i)
    if i % 2 == 0:  # the crowd
        return f"{PREFIXES[i % 3]} " + " ".join(rng.choices(words, k=4))
    return " ".join(rng.choices(words, k=10))


def stored(n: int) -> Iterator[Work]:
    words = vocabulary()
    for i in range(n):
        yield Work(ids=[f"doi:10.5555/merge.{i}"], kind=Kind.PAPER, title=stored_title(i, words),
                   published=date(2024, 1 + i % 12, 1),
                   provenance=[Provenance("crossref", "bench", NOW, str(i))])


def harvest(n: int, works: int) -> tuple[list[Work], dict[str, str]]:
    """The records, and the stored work each true version must land on."""
    words, rng = vocabulary(), random.Random(5)
    records, expected = [], {}
    # each stored work is the target of one record at most (a work that already has its
    # preprint is matched by key alone, not by title: a second preprint would stay apart)
    crowd = iter(rng.sample(range(0, works, 2), n // 10 + 1))
    ordinary = iter(rng.sample(range(1, works, 2), n // 10 + 1))
    for j in range(n):
        key = f"arxiv:2411.{j:05d}" if j < 99_999 else f"arxiv:2412.{j - 99_999:05d}"
        if j % 10 == 0:  # the preprint of a crowd work
            target = next(crowd)
            title = stored_title(target, words).upper()
            expected[key] = f"doi:10.5555/merge.{target}"
        elif j % 10 == 1:  # the preprint of an ordinary work, one word shorter
            target = next(ordinary)
            title = stored_title(target, words).rsplit(" ", 1)[0]
            expected[key] = f"doi:10.5555/merge.{target}"
        else:  # a look-alike of the crowd
            title = f"{PREFIXES[j % 3]} " + " ".join(rng.choices(words, k=4)) + " revisited"
        records.append(Work(ids=[key], kind=Kind.PREPRINT, title=title,
                            published=date(2024, 6, 1),
                            provenance=[Provenance("arxiv_api", "bench", NOW, key)]))
    return records, expected


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: str, works: int) -> None:
    upsert_works(Warehouse(path), stored(works), now=NOW)


def run_harvest(path: str, works: int, n: int) -> dict[str, float | int]:
    records, expected = harvest(n, works)
    wh = Warehouse(path)
    wh.ensure_schema()
    start = time.perf_counter()
    result = upsert_works(wh, records, now=datetime(2026, 11, 30))
    wall = time.perf_counter() - start
    landed = {w.ids[0]: w.work_id for w in records}
    right = sum(landed[k] == v for k, v in expected.items())
    wrong = sum(landed[w.ids[0]] != w.ids[0] for w in records if w.ids[0] not in expected)
    return {"works": works, "records": n, "wall_s": round(wall, 2), "peak_mb": round(peak_mb()),
            "true_merges": len(expected), "found": right, "false_merges": wrong,
            "inserted": len(result.inserted)}


def one(works: int, n: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.duckdb")
        subprocess.run([sys.executable, __file__, "--child-build", path, str(works)], check=True)
        out = subprocess.run([sys.executable, __file__, "--child-harvest", path, str(works), str(n)],
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> None:
    if sys.argv[1:2] == ["--child-build"]:
        build(sys.argv[2], int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--child-harvest"]:
        print(json.dumps(run_harvest(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--no-double", action="store_true", help="skip the 2x run")
    args = ap.parse_args()
    sizes = [(args.works, args.records)]
    if not args.no_double:
        sizes.append((2 * args.works, 2 * args.records))
    for works, n in sizes:
        r = one(works, n)
        print(f"{r['records']:>7,} records into {r['works']:>7,} works: {r['wall_s']:6.2f} s, "
              f"peak RSS {r['peak_mb']} MB; true merges {r['found']}/{r['true_merges']}, "
              f"false merges {r['false_merges']}, {r['inserted']:,} new")


if __name__ == "__main__":
    main()
