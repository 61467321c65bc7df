"""Storing the survey: taxonomy, entries (as works labelled with their section), watch list."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from seascout.core import clock
from seascout.core.model import Section
from seascout.core.survey import Survey
from warehouse.db import Warehouse, registered
from warehouse.works import upsert_works_in

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class SeedReport:
    files: list[str] = field(default_factory=list)
    sections: int = 0
    entries: int = 0
    dois: int = 0
    journal_dois: int = 0
    arxiv_dois: int = 0
    watch: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def describe(self) -> str:
        return (
            f"seeded from {', '.join(self.files)}\n"
            f"  {self.sections} sections, {self.entries} entries, {self.dois} distinct DOIs "
            f"({self.journal_dois} journal, {self.arxiv_dois} arXiv), {self.watch} watch-list items\n"
            f"  works: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        )


def store_survey(wh: Warehouse, surveys: Sequence[Survey], *, now: datetime | None = None) -> SeedReport:
    """Store survey documents in one transaction; idempotent, and an edited seed updates
    its entries. The last document's sections are the taxonomy."""
    now = now or clock.now()
    report = SeedReport(files=[s.name for s in surveys])
    if not surveys:
        return report
    sections: list[Section] = surveys[-1].sections
    with wh.write() as con:
        for survey in surveys:
            result = upsert_works_in(con, [e.work for e in survey.entries], now=now)
            report.new += len(result.inserted)
            report.updated += len(result.updated)
            report.unchanged += len(result.unchanged)
            con.execute("DELETE FROM seed_entries WHERE source_file = ?", [survey.name])
            entries = survey.entries
            _insert(con, "seed_entries", {
                "work_id": [e.work.work_id for e in entries],
                "section": [e.section for e in entries],
                "entry": [e.number for e in entries],
                "heading": [e.heading for e in entries],
                "citation": [e.citation for e in entries],
                "summary": [e.summary for e in entries],
                "images": [e.images for e in entries],
                "source_file": [e.source_file for e in entries],
                "line": [e.line for e in entries],
                "seeded_at": [now] * len(entries),
            }, replace=True)
            label_of = {s.number: s.label.value if s.label else None for s in survey.sections}
            _insert(con, "classifications", {
                "work_id": [e.work.work_id for e in entries],
                "label": [label_of[e.section] or "irrelevant" for e in entries],
                "confidence": [1.0] * len(entries),
                "method": ["seed"] * len(entries),
                "flagged": [False] * len(entries),
                "classified_at": [now] * len(entries),
            }, replace=True)
            _insert(con, "summaries", {
                "work_id": [e.work.work_id for e in entries],
                "title_zh": [e.heading if _CJK.search(e.heading) else None for e in entries],
                "summary": [e.summary for e in entries],
                "language": ["zh" if _CJK.search(e.summary) else "en" for e in entries],
                "method": ["seed"] * len(entries),
                "created_at": [now] * len(entries),
            }, replace=True)
            owner = {k: e.work.work_id for e in entries for k in e.work.ids}
            _insert(con, "watch_list", {
                "key": [w.key for w in survey.watch],
                "reason": [w.reason for w in survey.watch],
                "work_id": [owner[w.key] for w in survey.watch],
                "added_at": [now] * len(survey.watch),
            })
        con.execute("DELETE FROM sections")
        _insert(con, "sections", {
            "number": [s.number for s in sections], "title": [s.title for s in sections],
            "label": [s.label.value if s.label else None for s in sections],
            "description": [s.description for s in sections],
        })
        report.watch = con.execute("SELECT count(*) FROM watch_list").fetchone()[0]  # type: ignore[index]
    report.sections = len(sections)
    report.entries = len({e.work.work_id for s in surveys for e in s.entries})
    dois = {d for s in surveys for d in s.dois}
    report.dois = len(dois)
    report.arxiv_dois = sum(d.lower().startswith("10.48550/") for d in dois)
    report.journal_dois = report.dois - report.arxiv_dois
    return report


def _insert(con, table: str, columns: dict[str, list[object]], *, replace: bool = False) -> None:  # type: ignore[no-untyped-def]
    if not next(iter(columns.values())):
        return
    with registered(con, "seed_rows", pa.table(columns)):
        conflict = "OR REPLACE " if replace else "OR IGNORE "
        con.execute(f"INSERT {conflict}INTO {table} BY NAME SELECT * FROM seed_rows")


def seed_if_changed(wh: Warehouse, folder: Path) -> SeedReport | None:
    """Seed when a survey document is new or edited since the last seed (by content hash);
    None when nothing changed. A malformed document raises SurveyError and stores nothing."""
    from seascout.core.survey import parse_seed_dir, survey_files

    files = survey_files(folder)  # no survey is an error, never "unchanged"
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    if wh.path.exists():
        with wh.read() as con:
            stored = dict(con.execute("SELECT query, value FROM cursors WHERE source = 'seed'").fetchall())
        if stored == digests:
            return None
    report = store_survey(wh, parse_seed_dir(folder))
    with wh.write() as con:
        con.execute("DELETE FROM cursors WHERE source = 'seed'")
        for name, value in digests.items():
            con.execute("INSERT INTO cursors VALUES ('seed', ?, ?, ?)", [name, value, clock.now()])
    return report
