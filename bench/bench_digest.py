"""Digest benchmark: one 30-entry digest in every format (Markdown, HTML, PDF, DOCX, Atom,
archive), after the CJK font is prepared once.

    .venv/bin/python bench/bench_digest.py [--entries 30]

The entries are the demo's real arXiv records (tests/fixtures/demo/, see PROVENANCE.md),
repeated under new ids to the wanted count, spread over the survey's sections.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from digests import run_digest
from digests.period import parse_period
from seascout.config import Config, DigestConfig, Settings
from seascout.model import Author, Kind, Work
from seascout.survey import parse_survey
from warehouse.db import Warehouse
from warehouse.seeds import store_survey
from warehouse.works import upsert_works

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("ocean_models", "rs_foundation_models", "ship_detection", "datasets")
PERIOD = "2026-W48"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=30)
    args = ap.parse_args()
    rows = [json.loads(line) for line in (ROOT / "tests" / "fixtures" / "demo" /
                                          "arxiv_week.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        wh = Warehouse(home / "seascout.duckdb")
        wh.ensure_schema()
        survey = ROOT / "seeds" / "000_8bc26054f90ad24c.md"
        store_survey(wh, [parse_survey(survey.read_text(encoding="utf-8"), survey.name)],
                     now=datetime(2026, 1, 1))
        lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
        works = []
        for i in range(args.entries):
            r = rows[i % len(rows)]
            works.append(Work(ids=[f"arxiv:2611.{i + 1:05d}"], title=r["title"],
                              kind=Kind.PREPRINT, abstract=r["abstract"],
                              authors=[Author(a) for a in r["authors"]],
                              published=lo.date() + timedelta(days=1)))
        upsert_works(wh, works, now=lo + timedelta(days=1))
        with wh.write() as con:
            con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                            "classified_at) VALUES (?, ?, 0.9, 'offline', now())",
                            [[w.ids[0], LABELS[i % len(LABELS)]] for i, w in enumerate(works)])
        settings = Settings(config=Config(digest=DigestConfig(
            formats=["md", "html", "pdf", "docx", "atom"])), home=home, root=home,
            config_path=None)
        started = time.perf_counter()
        first = run_digest(settings, wh, period=PERIOD, deliver=False)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        again = run_digest(settings, wh, period=PERIOD, deliver=False)
        warm = time.perf_counter() - started
        sizes = {f: Path(p).stat().st_size // 1024 for f, p in again.files.items()
                 if f in ("md", "html", "pdf", "docx")}
        print(f"digest of {again.items} entries in every format: {warm:.1f} s "
              f"(first run {cold:.1f} s, font preparation included if it was not cached; "
              f"sizes KiB {sizes})")
        for note in first.notes:
            print(f"  · {note}")


if __name__ == "__main__":
    main()
