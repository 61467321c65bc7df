"""Digest benchmark: one 30-entry digest in every format (Markdown, HTML, PDF, DOCX, Atom,
archive), each entry with its figure, after the CJK font is prepared and the figures are
fetched once (the figures stage, then the first digest; a loopback stand-in serves
arXiv-HTML-shaped pages and images). The timed second run is rendering alone.

    .venv/bin/python bench/bench_digest.py [--entries 30] [--profile]

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
from digests.figure_fetch import digest_with_figures
from seascout.core.config import Config, DigestConfig, Settings, SourcesConfig
from seascout.core.model import Author, Kind, Work
from seascout.core.period import parse_period
from seascout.core.survey import parse_survey
from testing.demo import demo_figure
from testing.replay import Recorded, ReplayServer, Reply
from warehouse.db import Warehouse
from warehouse.seeds import store_survey
from warehouse.works import upsert_works

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("ocean_models", "rs_foundation_models", "ship_detection", "datasets")
PERIOD = "2026-W48"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=30)
    ap.add_argument("--profile", action="store_true", help="cProfile the second run")
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
        with ReplayServer() as srv:
            serve_figures(srv)
            settings = Settings(config=Config(
                sources=SourcesConfig.model_validate({"arxiv": {"min_interval_seconds": 0}}),
                digest=DigestConfig(formats=["md", "html", "pdf", "docx", "atom"],
                                    arxiv_html_url=f"{srv.base_url}/html/")),
                home=home, root=home, config_path=None)
            started = time.perf_counter()
            first = digest_with_figures(settings, wh, period=PERIOD, deliver=False)
            cold = time.perf_counter() - started
            fetched = len(srv.hits())
        started = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                again = run_digest(settings, wh, period=PERIOD, deliver=False)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            again = run_digest(settings, wh, period=PERIOD, deliver=False)
        warm = time.perf_counter() - started
        shown = Path(again.files["md"]).read_text(encoding="utf-8").count("![](./figures/")
        sizes = {f: Path(p).stat().st_size // 1024 for f, p in again.files.items()
                 if f in ("md", "html", "pdf", "docx")}
        print(f"digest of {again.items} entries ({shown} figures) in every format: {warm:.1f} s "
              f"(first run {cold:.1f} s with {fetched} requests for figures, font preparation "
              f"included if it was not cached; sizes KiB {sizes})")
        for note in first.notes:
            print(f"  · {note}")


def serve_figures(srv: ReplayServer) -> None:
    """arXiv-HTML-shaped pages (tests/fixtures/figures/) whose first figure is a drawn PNG."""
    page = (ROOT / "tests" / "fixtures" / "figures" / "arxiv_html_latexml_shape.html").read_bytes()
    image = demo_figure("2611.00001")

    def html(req: Recorded) -> Reply:
        if req.path.endswith(".png"):
            return Reply.raw(image, "image/png")
        arxiv_id = req.path.rsplit("/", 1)[-1]
        return Reply.raw(page.replace(b"2611.00001", arxiv_id.encode()), "text/html")

    srv.add("/html/*", handler=html)


if __name__ == "__main__":
    main()
