"""Precision per relation kind and recall of mentions, on real items labelled by hand.

    python3 -m uv run --frozen python bench/eval_relations.py [--corpus ../shared/corpus] [--candidates]

The sample, its entries and the labelling policy: `tests/fixtures/relations/README.md`.
`--candidates` prints the relations found that are not labelled yet, to label.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from testing.relations_eval import CORPUS, score, survey_targets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--candidates", action="store_true")
    args = ap.parse_args(argv)
    if not (args.corpus / "arxiv_stream.jsonl").exists():
        print(f"{args.corpus}: no arxiv_stream.jsonl there — pass --corpus PATH/TO/shared/corpus")
        return 2
    result = score(args.corpus)
    if args.candidates:
        names = {t.work_id: t.name for t in survey_targets()}
        for item, entry, kind in sorted(result.unlabelled):
            print(json.dumps({"item": item, "entry": entry, "name": names[entry], "found": kind,
                              "evidence": result.found[(item, entry, kind)]},
                             ensure_ascii=False))
        return 0
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
