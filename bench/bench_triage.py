"""Offline triage benchmark: fit time, throughput on a real stream, eval figures.

    .venv/bin/python bench/bench_triage.py [LABELS.jsonl …] [--no-embeddings] [--n 10000]

Throughput is measured on a real arXiv stream: the items of ../shared/corpus/arxiv_stream.jsonl
(real whole listing days, ~1 in 12 naming the survey's fields), the first `--n` of them.
The fit is measured once without the on-disk cache (`SEASCOUT_MODEL_CACHE` is ignored).
Each labelled file (default: the lab's stream_dev.jsonl and dev.jsonl) is then scored as
`seascout eval` does.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from seascout.core.model import Kind, Work
from triage.classifier import OfflineClassifier
from triage.eval_run import run_eval

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared"


def stream(n: int) -> list[Work]:
    works = []
    with (SHARED / "corpus" / "arxiv_stream.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            works.append(Work(ids=[f"arxiv:{row['arxiv_id']}"], title=row["title"], abstract=row["abstract"],
                              kind=Kind.PREPRINT, work_id=f"arxiv:{row['arxiv_id']}"))
            if len(works) == n:
                break
    return works


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("labels", nargs="*", default=[str(SHARED / "eval" / "stream_dev.jsonl"),
                                                  str(SHARED / "eval" / "dev.jsonl")])
    ap.add_argument("--embeddings", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--n", type=int, default=10000)
    args = ap.parse_args()
    started = time.perf_counter()
    clf = OfflineClassifier(use_embeddings=args.embeddings).fit_examples()
    fit = time.perf_counter() - started
    works = stream(args.n)
    started = time.perf_counter()
    preds = clf.predict(works)
    secs = time.perf_counter() - started
    kept = sum(p.relevant for p in preds)
    print(f"fit {fit:.1f} s (once per version of the training data, then cached); offline triage of "
          f"{len(works)} real stream items in {secs:.1f} s = {len(works) / secs:.0f} items/s, "
          f"{kept} kept (embeddings {'on' if args.embeddings else 'off'})")
    for path in args.labels:
        if Path(path).is_file():
            print(f"\n--- {path}")
            print(run_eval(path, clf, use_embeddings=args.embeddings, k=0).describe())


if __name__ == "__main__":
    main()
