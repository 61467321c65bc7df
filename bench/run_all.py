"""Every benchmark, one after the other; figures printed (see README "Performance").

    uv run python bench/run_all.py [--dev ../shared/eval/dev.jsonl] [--crash-trials 20]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def run(title: str, *args: str) -> None:
    print(f"\n=== {title}", flush=True)
    subprocess.run([sys.executable, *args], check=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", default=str(BENCH.parents[1] / "shared" / "eval" / "stream_dev.jsonl"),
                    help="labelled set for the triage figures (read at run time, never copied)")
    ap.add_argument("--crash-trials", type=int, default=5)
    args = ap.parse_args()
    run("ingest: 100k works through normalise → dedupe → upsert", str(BENCH / "bench_ingest.py"))
    run("paper sources: backfill requests, politeness, weekly rerun, parse throughput",
        str(BENCH / "bench_papers.py"))
    if (BENCH.parents[1] / "shared" / "corpus").is_dir():
        run("arXiv whole-category intake of a real-sized week, then triage", str(BENCH / "bench_intake.py"))
        run("relations (关联): 10,000 real items against the survey's entries",
            str(BENCH / "bench_relations.py"))
        run("relations: precision per kind and recall on the labelled sample",
            str(BENCH / "eval_relations.py"))
    if Path(args.dev).is_file():
        run("triage: offline throughput on a real stream and eval figures", str(BENCH / "bench_triage.py"),
            args.dev)
    else:
        print(f"\n=== triage: skipped, no labelled set at {args.dev} (pass --dev FILE)")
    run("digest: 30 entries in every format", str(BENCH / "bench_digest.py"))
    run("pipeline: demo wall time, weekly rerun with nothing new", str(BENCH / "bench_pipeline.py"))
    for script, extra in (("fault_matrix.py", []), ("crash_trials.py", ["--trials", str(args.crash_trials)])):
        if (BENCH / script).is_file():
            run(script.removesuffix(".py").replace("_", " "), str(BENCH / script), *extra)


if __name__ == "__main__":
    main()
