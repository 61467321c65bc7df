"""The lab's decisions: keep, drop, move to a section, edit the Chinese title and summary.

One row per work in `decisions` (the latest decision replaces the earlier one). Every check
runs inside the write transaction, so a refused decision changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from seascout.core import clock
from seascout.core.ids import InvalidIdError, key_of
from seascout.core.model import Decision, Label
from seascout.core.text import clean_text
from warehouse.db import Warehouse

ACTIONS = ("keep", "drop", "move")


class DecisionError(ValueError):
    """A decision that cannot be stored (unknown work, section that does not exist …)."""


@dataclass(slots=True)
class Candidate:
    """A work as the review page shows it: where triage (or the lab) put it, and why."""

    work_id: str
    title: str
    kind: str
    published: str | None
    label: str | None
    confidence: float | None
    relevance_section: int | None  # the section it is in now (decision first, else triage)
    title_zh: str | None
    summary: str | None
    decision: str | None
    decided_by: str | None
    doi: str | None
    arxiv_id: str | None
    spot_check: bool = False  # in a digest's 抽查 sample: listed whatever triage's confidence
    reason: str | None = None  # triage's reason for its label
    triage_section: int | None = None  # the section triage's label names (None: irrelevant)


def _work_id(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """The work's id for a work_id or any of its keys (doi:…, arxiv:…, url:…)."""
    row = con.execute("SELECT work_id FROM works WHERE work_id = ? UNION ALL "
                      "SELECT work_id FROM work_ids WHERE id = ? LIMIT 1", [key, key]).fetchone()
    if row is None:
        try:
            normal = key_of(key)
        except InvalidIdError as e:
            raise DecisionError(str(e)) from None
        row = con.execute("SELECT work_id FROM works WHERE work_id = ? UNION ALL "
                          "SELECT work_id FROM work_ids WHERE id = ? LIMIT 1",
                          [normal, normal]).fetchone()
    if row is None:
        raise DecisionError(f"{key}: no such work in the warehouse (use a work_id or key such as "
                            "arxiv:2306.11029 from `seascout sql \"SELECT work_id, title FROM works\"`)")
    return str(row[0])


def _sections(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return {int(n): str(lb) for n, lb in con.execute(
        "SELECT number, label FROM sections WHERE number <> 0 AND label IS NOT NULL").fetchall()}


def _section_of(con: duckdb.DuckDBPyConnection, work_id: str, sections: dict[int, str]) -> int | None:
    """The section triage put the work in (None: irrelevant or not classified yet)."""
    row = con.execute("SELECT label FROM classifications WHERE work_id = ?", [work_id]).fetchone()
    if row is None:
        return None
    return next((n for n, lb in sorted(sections.items()) if lb == row[0]), None)


def decide(wh: Warehouse, key: str, *, action: str | None, section: int | None = None,
           title_zh: str | None = None, summary: str | None = None, by: str,
           now: datetime | None = None) -> Decision:
    """Store the lab's decision on a work and return it.

    `action` is `keep` (in `section`, default the section triage chose), `drop`, `move` (to
    `section`) or None (only edit the title/summary; the earlier decision, or keep, stays).
    `title_zh`/`summary` None keeps what was there; an empty string clears the edit.
    """
    if action is not None and action not in ACTIONS:
        raise DecisionError(f"{action!r}: unknown action (use keep, drop or move)")
    if not by.strip():
        raise DecisionError("no name for the decision: pass --by NAME or set USER")
    now = now or clock.now()
    # the lab's text goes through the cleaning crawled and LLM text get (every break class
    # folded, markup out); the digest neutralises its line starts like any untrusted text
    title_zh = None if title_zh is None else clean_text(title_zh)
    summary = None if summary is None else clean_text(summary, paragraphs=True)
    with wh.write() as con:
        work_id = _work_id(con, key)
        sections = _sections(con)
        if not sections:
            raise DecisionError("the warehouse has no sections yet: run `seascout seed` first")
        if section is not None and section not in sections:
            raise DecisionError(f"section {section} does not exist (sections: "
                                f"{', '.join(str(n) for n in sorted(sections))})")
        old = con.execute("SELECT action, section, title_zh, summary FROM decisions WHERE work_id = ?",
                          [work_id]).fetchone()
        current = _section_of(con, work_id, sections)
        if action is None:  # an edit: the earlier decision stands, else the work is kept
            action, section = (old[0], old[1]) if old else ("keep", section)
        if action == "drop":
            section = None
        elif section is None:
            section = current if action == "keep" else None
            if section is None:
                raise DecisionError(f"{work_id}: triage put it in no section; say which with "
                                    "--section N")
        if action != "drop":
            action = "keep" if section == current else "move"
        _refuse_against_the_survey(con, work_id, action, section)
        title = _edit(title_zh, old[2] if old else None)
        text = _edit(summary, old[3] if old else None)
        label = Label.IRRELEVANT.value if section is None else sections[section]
        con.execute(
            "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [work_id, action, section, label, title, text, by.strip(), now])
    return Decision(work_id, action, section, Label(label), by.strip(), now, title, text)


def _refuse_against_the_survey(con: duckdb.DuckDBPyConnection, work_id: str, action: str,
                               section: int | None) -> None:
    """An entry of the lab's own survey document stays where the document puts it (the
    `survey_membership` rule): a drop or a move of it could not take effect, so it is refused."""
    row = con.execute("SELECT entry, source_file, section FROM seed_entries WHERE work_id = ?",
                      [work_id]).fetchone()
    if row is None or (action != "drop" and section == row[2]):
        return
    verb = "dropped" if action == "drop" else f"moved to section {section}"
    raise DecisionError(f"{work_id} is entry {row[0]} of the survey document {row[1]}: it cannot "
                        f"be {verb} by a decision (the document wins) — edit the entry there and "
                        "run `seascout seed`")


def _edit(new: str | None, old: str | None) -> str | None:
    if new is None:
        return old
    new = new.strip()
    return new or None


def decisions(wh: Warehouse) -> list[Decision]:
    """Every stored decision, by work_id."""
    if not wh.path.exists():
        return []
    with wh.read() as con:
        if not con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' "
                           "AND table_name = 'decisions'").fetchall():
            return []  # a warehouse from before migration 090, not written to since
        rows = con.execute(
            "SELECT work_id, action, section, label, decided_by, decided_at, title_zh, summary "
            "FROM decisions ORDER BY work_id").fetchall()
    return [Decision(r[0], r[1], r[2], Label(r[3]), r[4], r[5], r[6], r[7]) for r in rows]


_CANDIDATES = """
SELECT w.work_id, w.title, w.kind, CAST(w.published AS VARCHAR), c.label, c.confidence,
       sm.section,
       coalesce(d.title_zh, m.title_zh), coalesce(d.summary, m.summary), d.action, d.decided_by,
       (SELECT min(i.id)[5:] FROM work_ids i WHERE i.work_id = w.work_id AND i.id LIKE 'doi:%'),
       (SELECT min(i.id)[7:] FROM work_ids i WHERE i.work_id = w.work_id AND i.id LIKE 'arxiv:%'),
       EXISTS (SELECT 1 FROM spot_check_items x WHERE x.work_id = w.work_id), c.reason,
       (SELECT min(s.number) FROM sections s WHERE s.label = c.label AND s.number <> 0)
FROM works w
LEFT JOIN classifications c USING (work_id)
LEFT JOIN decisions d USING (work_id)
JOIN survey_membership sm USING (work_id)
LEFT JOIN summaries m USING (work_id)
WHERE w.first_seen >= ? AND w.first_seen < ? AND coalesce(c.method, '') <> 'seed'
ORDER BY (d.action IS NULL AND c.label = 'irrelevant'), sm.section NULLS LAST,
         c.confidence DESC NULLS LAST, w.work_id
"""


def review_candidates(wh: Warehouse, lo: datetime, hi: datetime, *,
                      unlikely: int = 20) -> list[Candidate]:
    """Works first seen in [lo, hi): everything in a section or decided, then the digest's
    抽查 sample of triage's rejections (undecided ones), then the `unlikely` irrelevant ones
    triage was least sure of (the next most likely to belong)."""
    wh.ensure_schema()  # a warehouse from before the 抽查 tables
    with wh.read() as con:
        rows: list[tuple[Any, ...]] = con.execute(_CANDIDATES, [lo, hi]).fetchall()
    inside = [Candidate(*r) for r in rows if r[6] is not None or r[9] is not None]
    sampled = [Candidate(*r) for r in rows if r[6] is None and r[9] is None and r[13]]
    rest = [Candidate(*r) for r in rows if r[6] is None and r[9] is None and not r[13]]
    rest.sort(key=lambda c: (c.confidence if c.confidence is not None else 1.0, c.work_id))
    return inside + sampled + rest[:unlikely]


def section_titles(wh: Warehouse) -> list[tuple[int, str]]:
    """(number, title) of the sections a decision may name."""
    with wh.read() as con:
        return [(int(n), str(t)) for n, t in con.execute(
            "SELECT number, title FROM sections WHERE number <> 0 AND label IS NOT NULL "
            "ORDER BY number").fetchall()]


def decided_labels(wh: Warehouse) -> list[tuple[str, Label]]:
    """(work_id, label the lab gave it) for training: keep/move → the section's, drop → irrelevant."""
    return [(d.work_id, d.label) for d in decisions(wh)]
