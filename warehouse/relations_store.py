"""Relations of works to the survey's entries (`work_relations`, `survey_relations`): what the
extractor needs to know of the survey, written per work (delete + insert), read back for the
entries as they stand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from seascout.core import clock
from seascout.core.model import WorkRelation
from warehouse.db import Warehouse


@dataclass
class EntryRow:
    """A survey entry as it stands, with what names it."""

    work_id: str
    section: int
    number: str | None  # "2.4"; None: the lab kept it but no digest numbered it yet
    heading: str  # the survey's heading, else the lab's or triage's Chinese title, else ""
    title: str
    authors: list[str]
    ids: list[str]
    label: str | None  # the section's triage label ("datasets" …)
    url: str | None  # its page: a link of the work, for the 关联 line


_ENTRIES = """
SELECT sm.work_id, sm.section,
       coalesce(se.entry, (SELECT max_by(i.entry, i.digest_id) FROM digest_items i
                           WHERE i.work_id = sm.work_id AND i.section = sm.section)),
       coalesce(se.heading, d.title_zh, m.title_zh, ''), w.title, coalesce(w.authors, []),
       (SELECT list(i.id ORDER BY i.id) FROM work_ids i WHERE i.work_id = sm.work_id),
       s.label,
       (SELECT min(l.url) FROM links l WHERE l.work_id = sm.work_id)
FROM survey_membership sm
JOIN works w USING (work_id)
JOIN sections s ON s.number = sm.section
LEFT JOIN seed_entries se ON se.work_id = sm.work_id AND se.section = sm.section
LEFT JOIN decisions d ON d.work_id = sm.work_id
LEFT JOIN summaries m ON m.work_id = sm.work_id
WHERE sm.in_survey
ORDER BY sm.section, sm.work_id
"""


def survey_entries(wh: Warehouse) -> list[EntryRow]:
    """The survey's entries as they stand (`survey_membership.in_survey`)."""
    with wh.read() as con:
        rows = con.execute(_ENTRIES).fetchall()
    return [EntryRow(r[0], r[1], r[2], r[3], r[4], list(r[5]), list(r[6] or []), r[7], r[8])
            for r in rows]


def citations(wh: Warehouse, work_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Per work, (key, record id) of the watched works it reached us as a citing work of
    (OpenAlex `cites:` queries)."""
    if not work_ids:
        return {}
    with wh.read() as con:
        rows = con.execute(
            "SELECT work_id, substr(query, 7), record_id FROM provenance "
            "WHERE source = 'openalex' AND query LIKE 'cites:%' AND list_contains($ids, work_id) "
            "ORDER BY work_id, query", {"ids": list(work_ids)}).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for wid, key, record in rows:
        out.setdefault(wid, []).append((key, record or ""))
    return out


def replace_relations(wh: Warehouse, work_ids: Sequence[str], relations: Sequence[WorkRelation],
                      *, now: datetime | None = None) -> None:
    """The relations of `work_ids`, replaced by `relations` (a rerun writes the same)."""
    if not work_ids:
        return
    stamp = clock.stamp(now)
    unique = {(r.work_id, r.target_id, r.kind): r for r in relations}
    with wh.write() as con:
        con.execute("DELETE FROM work_relations WHERE list_contains($ids, work_id)",
                    {"ids": list(work_ids)})
        if unique:
            con.executemany(
                "INSERT INTO work_relations (work_id, target_id, kind, evidence, matched, "
                "computed_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(r.work_id, r.target_id, r.kind, r.evidence, r.matched, stamp)
                 for r in unique.values()])


def relations_of(wh: Warehouse, work_ids: Sequence[str]) -> list[WorkRelation]:
    """The stored relations of `work_ids` to entries in the survey as it stands."""
    if not work_ids:
        return []
    with wh.read() as con:
        rows = con.execute(
            "SELECT work_id, target_id, kind, evidence, matched FROM survey_relations "
            "WHERE list_contains($ids, work_id) ORDER BY work_id, target_section, target_entry, "
            "kind", {"ids": list(work_ids)}).fetchall()
    return [WorkRelation(*r) for r in rows]


def follow_ups(wh: Warehouse) -> dict[str, list[tuple[str, str]]]:
    """Per survey entry, (work, kind) of the works in the survey that relate to it, newest
    first (by publication date): what the regenerated survey lists as its 后续工作."""
    with wh.read() as con:
        rows = con.execute(
            "SELECT r.target_id, r.work_id, r.kind FROM survey_relations r "
            "JOIN survey_membership sm ON sm.work_id = r.work_id AND sm.in_survey "
            "JOIN works w ON w.work_id = r.work_id "
            "ORDER BY r.target_id, w.published DESC NULLS LAST, r.work_id, r.kind").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for target, work, kind in rows:
        out.setdefault(target, []).append((work, kind))
    return out
