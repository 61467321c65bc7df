"""A small warehouse for the lab's-decision tests: the real survey seeded, plus a week of works
that triage labelled (two in sections, two irrelevant), first seen in 2026-W48."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from seascout.core.model import Author, Classification, Kind, Label, Summary, Venue, Work
from seascout.core.survey import parse_seed_dir
from warehouse.db import Warehouse
from warehouse.seeds import store_survey
from warehouse.triage_store import save_results
from warehouse.works import upsert_works

ROOT = Path(__file__).resolve().parents[1]
WEEK = "2026-W48"
SEEN = datetime(2026, 11, 25, 10, 0)
OCEAN = "arxiv:2611.00001"
SHIPS = "doi:10.3390/rs99999999"
NOISE = "arxiv:2611.00003"
NEAR = "arxiv:2611.00004"


def seeded(wh: Warehouse) -> None:
    """The project's survey seeded (as of 2026-01-01), nothing else."""
    store_survey(wh, parse_seed_dir(ROOT / "seeds"), now=datetime(2026, 1, 1))


def build(wh: Warehouse) -> None:
    store_survey(wh, parse_seed_dir(ROOT / "seeds"), now=datetime(2026, 11, 1, 9, 0))
    works = [
        Work(ids=[OCEAN], title="OceanNet: a <b>foundation</b> model for ocean forecasting",
             kind=Kind.PREPRINT, abstract="A global ocean foundation model for sea surface forecasts.",
             authors=[Author("Ada Lovelace"), Author("Rong-Hua Zhang")], published=date(2026, 11, 24),
             arxiv_version=1, categories=["physics.ao-ph"]),
        Work(ids=[SHIPS, "arxiv:2611.00002"], title="ShipDet: SAR ship detection with transformers",
             kind=Kind.PAPER, abstract="Detecting ships in SAR images.",
             authors=[Author("Grace Hopper")], published=date(2026, 11, 1),
             venue=Venue(journal="Remote Sensing", volume="18", issue="2", article_number="123",
                         publisher="MDPI")),
        Work(ids=[NOISE], title="Quantum error correction on superconducting qubits",
             kind=Kind.PREPRINT, abstract="Surface codes.", authors=[Author("Alan Turing")],
             published=date(2026, 11, 23)),
        Work(ids=[NEAR], title="Sea ice concentration retrieval from passive microwave data",
             kind=Kind.PREPRINT, abstract="A retrieval algorithm for sea ice from satellites.",
             authors=[Author("Emmy Noether")], published=date(2026, 11, 22)),
    ]
    upsert_works(wh, works, now=SEEN)
    save_results(wh, [
        Classification(OCEAN, Label.OCEAN_MODELS, 0.9, "offline"),
        Classification(SHIPS, Label.SHIP_DETECTION, 0.8, "offline"),
        Classification(NOISE, Label.IRRELEVANT, 0.99, "offline"),
        Classification(NEAR, Label.IRRELEVANT, 0.55, "offline"),
    ], [Summary(OCEAN, "海洋基础模型 OceanNet", "一个海洋基础模型。", "zh", "llm")])
