"""Pipeline benchmark: wall time of the offline demo (Prefect overhead vs stage time) and of
a weekly run with nothing new (requests per source).

    uv run python bench/bench_pipeline.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from seascout.app.runtime import prepare_environment


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"
        os.environ["SEASCOUT_HOME"] = str(home)
        os.environ.setdefault("SEASCOUT_DEMO_OPENALEX_KEY", "bench")
        prepare_environment(Path(tmp))
        from flows.weekly import weekly_flow
        from testing.demo import demo_environment, demo_period

        with demo_environment(home) as env:
            period = demo_period(env)
            rows = []
            for label in ("demo (first run, fresh warehouse)", "weekly rerun, nothing new"):
                env.replay.requests.clear()
                start = time.perf_counter()
                result = weekly_flow(config_path=str(env.config_path), period=period)
                wall = time.perf_counter() - start
                stages = sum(result["timings"].values())
                per_path = Counter(r.path.split("/")[1] or "/" for r in env.replay.requests)
                new = sum(c["new"] for c in result["counts"]["crawl"].values())
                rows.append((label, wall, stages, result["timings"], per_path, new))
    for label, wall, stages, timings, per_path, new in rows:
        print(f"{label}")
        print(f"  wall {wall:6.1f} s = stages {stages:5.1f} s + Prefect/flow overhead {wall - stages:5.1f} s")
        print(f"  stages: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}")
        print(f"  requests by path prefix: {dict(per_path)}; new works stored: {new}")


if __name__ == "__main__":
    main()
