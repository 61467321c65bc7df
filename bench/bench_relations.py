"""Relation extraction for a week of 10,000 real items against the survey's entries (a script).

    python3 -m uv run --frozen python bench/bench_relations.py [--corpus ../shared/corpus] [--items 10000]

The items are the first `--items` real arXiv records of the shared corpus (read at run time);
the entries are the seed document's and the kept entries of
`tests/fixtures/relations/kept_entries.json` (as `bench/eval_relations.py` uses them). Printed:
the time to compile the entries and to find every relation (one process, one core), and how
many relations of each kind were found. The issue's bound: under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from itertools import islice
from pathlib import Path

from digests.relations import Matcher
from testing.relations_eval import CORPUS, read_items, survey_targets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--items", type=int, default=10_000)
    args = ap.parse_args(argv)
    if not (args.corpus / "arxiv_stream.jsonl").exists():
        print(f"{args.corpus}: no arxiv_stream.jsonl there — pass --corpus PATH/TO/shared/corpus")
        return 2
    items = list(islice(read_items(args.corpus), args.items))
    targets = survey_targets()
    started = time.perf_counter()
    matcher = Matcher(targets)
    compiled = time.perf_counter()
    found = [r for item in items for r in matcher.relations(item)]
    done = time.perf_counter()
    kinds = Counter(r.kind for r in found)
    print(f"{len(items)} items × {len(targets)} entries: compile {compiled - started:.3f} s, "
          f"extract {done - compiled:.2f} s ({len(items) / (done - compiled):,.0f} items/s), "
          f"{len(found)} relations ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    return 0 if done - started < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
