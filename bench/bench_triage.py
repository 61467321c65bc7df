"""Offline triage benchmark: throughput (items/s) and eval figures on a labelled file.

    .venv/bin/python bench/bench_triage.py ../shared/eval/dev.jsonl [--embeddings]

Throughput is measured on the labelled items repeated to 2,000, after fitting (the fit is
a one-off ~0.5 s per process).
"""

from __future__ import annotations

import argparse
import time

from triage.classifier import OfflineClassifier
from triage.eval_run import run_eval
from triage.evaluate import load_labelled


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--embeddings", action="store_true")
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    items = load_labelled(args.labels)
    started = time.perf_counter()
    clf = OfflineClassifier(use_embeddings=args.embeddings).fit_examples()
    fit = time.perf_counter() - started
    works = [items[i % len(items)].work for i in range(args.n)]
    started = time.perf_counter()
    clf.predict(works)
    secs = time.perf_counter() - started
    print(f"fit {fit:.2f} s; offline throughput {args.n / secs:.0f} items/s "
          f"({args.n} items, {secs:.2f} s, embeddings={'on' if args.embeddings else 'off'})")
    print(run_eval(args.labels, use_embeddings=args.embeddings).describe())


if __name__ == "__main__":
    main()
