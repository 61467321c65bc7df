"""Digest state: which works a period reports, what each digest held, what each channel got.

A work is reported once per content change: `digest_items` keeps the content hash a digest
announced, `delivered_items` the hash each channel received, `deliveries` the status of each
(digest, channel) pair so a rerun never resends a channel that succeeded. `spot_checks` and
`spot_check_items` hold each digest's 抽查 sample; the `digest_quality` view turns them and the
lab's decisions into precision and the estimate of what a digest missed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from seascout.core import clock
from seascout.core.redact import redact
from warehouse.db import Warehouse

UPDATE_NOTES = ("published", "new version%")


@dataclass
class SelectedItem:
    work_id: str
    section: int
    status: str  # new | updated
    change_note: str | None
    content_hash: str
    title_zh: str | None
    summary: str | None
    heading: str | None  # the survey's heading, for seed works
    summary_method: str | None = None  # seed | lead | llm | lab (None: no summary stored)
    lab_title: str | None = None  # the Chinese title the lab wrote (decisions.title_zh)


@dataclass
class DigestRecord:
    digest_id: str
    period_start: date
    period_end: date
    rendered_at: datetime
    item_count: int
    files: dict[str, str]
    counts: dict[int, int]


@dataclass
class DigestItem:
    work_id: str
    section: int
    entry: str
    status: str
    content_hash: str
    change_note: str | None = None


_CANDIDATES = """
WITH cand AS (
    SELECT w.work_id, w.content_hash, w.first_seen, w.last_changed, w.change_note,
           sm.section, se.work_id IS NOT NULL AS is_seed,
           m.title_zh, coalesce(d.summary, m.summary, se.summary) AS summary, se.heading,
           CASE WHEN d.summary IS NOT NULL THEN 'lab'
                WHEN m.summary IS NOT NULL THEN m.method
                WHEN se.summary IS NOT NULL THEN 'seed' END AS summary_method,
           d.title_zh AS lab_title,
           w.published, w.title,
           EXISTS (SELECT 1 FROM digest_items i
                   WHERE i.work_id = w.work_id AND i.digest_id <> $digest) AS reported_before,
           EXISTS (SELECT 1 FROM digest_items i
                   WHERE i.work_id = w.work_id AND i.digest_id <> $digest
                     AND i.content_hash = w.content_hash) AS version_reported
    FROM survey_membership sm
    JOIN works w USING (work_id)
    LEFT JOIN decisions d USING (work_id)
    LEFT JOIN seed_entries se USING (work_id)
    LEFT JOIN summaries m USING (work_id)
    WHERE sm.section IS NOT NULL
)
SELECT work_id, section,
       CASE WHEN first_seen >= $lo AND NOT is_seed AND NOT reported_before
            THEN 'new' ELSE 'updated' END AS status,
       change_note, content_hash, title_zh, summary, heading, summary_method, lab_title
FROM cand
WHERE NOT version_reported AND (
      (first_seen >= $lo AND first_seen < $hi AND NOT is_seed AND NOT reported_before)
   OR (last_changed >= $lo AND last_changed < $hi
       AND (change_note = 'published' OR change_note LIKE 'new version%')
       AND (first_seen < $lo OR is_seed OR reported_before)))
ORDER BY section, status, published DESC NULLS LAST, title
"""


def select_items(wh: Warehouse, digest_id: str, lo: datetime, hi: datetime) -> list[SelectedItem]:
    """Relevant works new in [lo, hi) or updated then (new version, now published), minus
    every version an earlier digest already reported. Rerunning a period selects the same.

    Which works and in which section is the `survey_membership` view (the lab's decision
    wins over triage: a dropped work is never selected, a kept or moved one is, in the
    section decided); the lab's Chinese title and summary replace triage's."""
    with wh.read() as con:
        rows = con.execute(_CANDIDATES, {"digest": digest_id, "lo": lo, "hi": hi}).fetchall()
    return [SelectedItem(*r) for r in rows]


_MEMBERS = """
SELECT sm.work_id, sm.section, 'new', NULL, w.content_hash,
       coalesce(m.title_zh, se.heading), coalesce(d.summary, m.summary, se.summary), NULL,
       CASE WHEN d.summary IS NOT NULL THEN 'lab' WHEN m.summary IS NOT NULL THEN m.method
            WHEN se.summary IS NOT NULL THEN 'seed' END, d.title_zh
FROM survey_membership sm
JOIN works w USING (work_id)
LEFT JOIN decisions d USING (work_id)
LEFT JOIN summaries m USING (work_id)
LEFT JOIN seed_entries se USING (work_id)
WHERE sm.in_survey AND sm.survey_file IS DISTINCT FROM $survey
ORDER BY sm.section, w.first_seen, w.work_id
"""


def survey_items(wh: Warehouse, survey_file: str) -> list[SelectedItem]:
    """The survey's entries as they stand (`survey_membership.in_survey`) that the survey
    document `survey_file` does not hold itself: the works the lab kept or moved, in the
    section it chose, with its edited texts (and the entries of another seed document)."""
    with wh.read() as con:
        rows = con.execute(_MEMBERS, {"survey": survey_file}).fetchall()
    return [SelectedItem(*r) for r in rows]


def undecided_count(wh: Warehouse) -> int:
    """Works some digest reported that are still triage's candidates: the lab has not kept,
    moved or dropped them, so they are not in the survey."""
    with wh.read() as con:
        return int(con.execute(
            "SELECT count(DISTINCT i.work_id) FROM digest_items i "
            "JOIN survey_membership sm USING (work_id) WHERE sm.basis = 'triage'"
        ).fetchone()[0])  # type: ignore[index]


@dataclass
class IneffectiveDecision:
    """A stored decision the survey document overrides (a drop or move of one of its entries)."""

    work_id: str
    action: str
    entry: str
    survey_file: str


def ineffective_decisions(wh: Warehouse) -> list[IneffectiveDecision]:
    """Drops and moves of the lab's own survey entries (stored before `decide` refused them):
    the document wins, so they have no effect."""
    with wh.read() as con:
        rows = con.execute(
            "SELECT sm.work_id, sm.decision, sm.survey_entry, sm.survey_file "
            "FROM survey_membership sm JOIN decisions d USING (work_id) "
            "WHERE sm.basis = 'survey' AND (d.action = 'drop' OR d.section <> sm.section) "
            "ORDER BY sm.survey_file, sm.work_id").fetchall()
    return [IneffectiveDecision(*r) for r in rows]


def sections(wh: Warehouse) -> list[tuple[int, str]]:
    """The seeded taxonomy (number, title) in order, without section 0."""
    with wh.read() as con:
        return [(n, t) for n, t in con.execute(
            "SELECT number, title FROM sections WHERE number <> 0 ORDER BY number").fetchall()]


@dataclass
class EntryNumbers:
    """What `N.M` numbers are taken, so a digest's entries continue the survey and never collide.

    `last`: per section, the highest M of the survey's entries and of every other digest's;
    `this`: the numbers this digest gave its items when it was rendered before (kept on a
    rerun); `earlier`: the number a work had last (its survey entry or an earlier digest's),
    which an update reuses.
    """

    last: dict[int, int]
    this: dict[str, str]
    earlier: dict[str, str]


def _entry_m(entry: str) -> int:
    try:
        return int(entry.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return 0


def entry_numbers(wh: Warehouse, digest_id: str) -> EntryNumbers:
    with wh.read() as con:
        taken = con.execute(
            "SELECT section, entry, work_id, 'seed' AS origin, NULL AS digest_id "
            "FROM seed_entries UNION ALL "
            "SELECT section, entry, work_id, 'digest', digest_id FROM digest_items").fetchall()
    last: dict[int, int] = {}
    this: dict[str, str] = {}
    earlier: dict[str, tuple[str, str]] = {}  # work → (order key, entry)
    for section, entry, work_id, origin, did in taken:
        if did == digest_id:
            this[work_id] = entry
            continue
        last[section] = max(last.get(section, 0), _entry_m(entry))
        order = "" if origin == "seed" else did
        if work_id not in earlier or order >= earlier[work_id][0]:
            earlier[work_id] = (order, entry)
    return EntryNumbers(last, this, {w: e for w, (_, e) in earlier.items()})


def save_digest(wh: Warehouse, record: DigestRecord, items: Sequence[DigestItem]) -> None:
    """Store (or replace, on a rerun) a digest and its items."""
    with wh.write() as con:
        con.execute("DELETE FROM digest_items WHERE digest_id = ?", [record.digest_id])
        con.execute(
            "INSERT INTO digests (digest_id, period_start, period_end, rendered_at, item_count, "
            "files, counts) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest_id) DO UPDATE SET "
            "rendered_at = excluded.rendered_at, item_count = excluded.item_count, "
            "files = excluded.files, counts = excluded.counts",
            [record.digest_id, record.period_start, record.period_end, record.rendered_at,
             record.item_count, json.dumps(record.files, ensure_ascii=False),
             json.dumps({str(k): v for k, v in record.counts.items()})])
        if items:
            con.executemany(
                "INSERT INTO digest_items (digest_id, work_id, section, entry, status, "
                "content_hash, change_note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(record.digest_id, i.work_id, i.section, i.entry, i.status, i.content_hash,
                  i.change_note) for i in items])


def _record(row: tuple[Any, ...]) -> DigestRecord:
    did, start, end, rendered, count, files, counts = row
    return DigestRecord(did, start, end, rendered, count, json.loads(files or "{}"),
                        {int(k): v for k, v in json.loads(counts or "{}").items()})


def list_digests(wh: Warehouse, *, before: str | None = None,
                 limit: int = 1000) -> list[DigestRecord]:
    """Stored digests, newest first (only those before `before`, if given)."""
    with wh.read() as con:
        rows = con.execute(
            "SELECT digest_id, period_start, period_end, rendered_at, item_count, files, counts "
            "FROM digests WHERE $before IS NULL OR digest_id < $before "
            "ORDER BY period_start DESC LIMIT $limit",
            {"before": before, "limit": limit}).fetchall()
    return [_record(r) for r in rows]


def digest_items(wh: Warehouse, digest_id: str) -> list[DigestItem]:
    with wh.read() as con:
        rows = con.execute(
            "SELECT work_id, section, entry, status, content_hash, change_note FROM digest_items "
            "WHERE digest_id = ?", [digest_id]).fetchall()
    return sorted((DigestItem(*r) for r in rows), key=lambda i: (i.section, _entry_m(i.entry)))


def weekly_section_counts(wh: Warehouse, *, upto: str,
                          weeks: int = 12) -> list[tuple[str, int, int]]:
    """(digest_id, section, items) for the last `weeks` digests up to and including `upto`."""
    with wh.read() as con:
        return con.execute(
            """WITH recent AS (SELECT digest_id FROM digests WHERE digest_id <= ?
                               ORDER BY digest_id DESC LIMIT ?)
               SELECT d.digest_id, i.section, count(i.work_id)
               FROM recent d LEFT JOIN digest_items i USING (digest_id)
               GROUP BY ALL ORDER BY 1, 2""", [upto, weeks]).fetchall()


# -- quality: 抽查 samples and precision ----------------------------------------------------
@dataclass
class SpotCheck:
    """A digest's 抽查 sample: `work_ids` drawn out of `rejected` works triage rejected."""

    digest_id: str
    rejected: int
    sample_size: int
    closed: bool
    work_ids: list[str]
    period: tuple[datetime, datetime] | None = None  # [lo, hi) it was drawn from


def rejected_works(wh: Warehouse, lo: datetime, hi: datetime) -> list[str]:
    """Works first seen in [lo, hi) that triage called irrelevant (seed works aside), by id."""
    with wh.read() as con:
        return [r[0] for r in con.execute(
            "SELECT w.work_id FROM works w JOIN classifications c USING (work_id) "
            "WHERE w.first_seen >= ? AND w.first_seen < ? AND c.label = 'irrelevant' "
            "AND c.method <> 'seed' AND w.work_id NOT IN (SELECT work_id FROM seed_entries) "
            "ORDER BY w.work_id", [lo, hi]).fetchall()]


def spot_check(wh: Warehouse, digest_id: str) -> SpotCheck | None:
    """The stored 抽查 sample of a digest, in its order (None: none drawn)."""
    with wh.read() as con:
        row = con.execute("SELECT rejected, sample_size, closed FROM spot_checks "
                          "WHERE digest_id = ?", [digest_id]).fetchone()
        if row is None:
            return None
        ids = [r[0] for r in con.execute(
            "SELECT work_id FROM spot_check_items WHERE digest_id = ? ORDER BY position",
            [digest_id]).fetchall()]
    return SpotCheck(digest_id, int(row[0]), int(row[1]), bool(row[2]), ids)


def save_spot_check(wh: Warehouse, check: SpotCheck, *, now: datetime | None = None) -> None:
    """Store (or replace) a digest's 抽查 sample."""
    with wh.write() as con:
        con.execute("DELETE FROM spot_check_items WHERE digest_id = ?", [check.digest_id])
        con.execute(
            "INSERT OR REPLACE INTO spot_checks (digest_id, rejected, sample_size, closed, "
            "drawn_at, period_lo, period_hi) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [check.digest_id, check.rejected, check.sample_size, check.closed,
             now or clock.now(), *(check.period or (None, None))])
        if check.work_ids:
            con.executemany("INSERT INTO spot_check_items VALUES (?, ?, ?)",
                            [(check.digest_id, w, i) for i, w in enumerate(check.work_ids)])


def reported_works(wh: Warehouse, digest_id: str) -> set[str]:
    """The works a digest put before its readers (the `digest_reported` view)."""
    with wh.read() as con:
        return {r[0] for r in con.execute(
            "SELECT work_id FROM digest_reported WHERE digest_id = ?", [digest_id]).fetchall()}


def quality_trend(wh: Warehouse, *, upto: str | None = None,
                  weeks: int = 12) -> list[tuple[str, int, int, int, int | None, int, int, int,
                                                 int | None, int]]:
    """(digest_id, entries, decided, kept, rejected, sampled, sample_decided, sample_kept,
    found, rejected_decided) of
    the last `weeks` digests up to and including `upto` (default: all), oldest first; live
    from the `digest_quality` view, so every decision counts at once."""
    with wh.read() as con:
        rows = con.execute(
            """SELECT digest_id, entries, decided, kept, rejected, sampled, sample_decided,
                      sample_kept, found, rejected_decided
               FROM (SELECT * FROM digest_quality WHERE $upto IS NULL OR digest_id <= $upto
                     ORDER BY digest_id DESC LIMIT $weeks)
               ORDER BY digest_id""", {"upto": upto, "weeks": weeks}).fetchall()
    return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), None if r[4] is None else int(r[4]),
             int(r[5]), int(r[6]), int(r[7]), None if r[8] is None else int(r[8]), int(r[9]))
            for r in rows]


# -- deliveries ----------------------------------------------------------------------------
def delivery_status(wh: Warehouse, digest_id: str) -> dict[str, str]:
    """channel → 'sent' | 'failed' | 'sending' (a send that never reported back) for one digest."""
    with wh.read() as con:
        return dict(con.execute(
            "SELECT channel, status FROM deliveries WHERE digest_id = ?", [digest_id]).fetchall())


def failed_deliveries(wh: Warehouse, *, max_attempts: int = 10) -> list[tuple[str, str]]:
    """(digest_id, channel) pairs that failed and are still worth retrying, oldest first."""
    with wh.read() as con:
        return [(d, c) for d, c in con.execute(
            "SELECT digest_id, channel FROM deliveries WHERE status = 'failed' AND attempts < ? "
            "ORDER BY digest_id, channel", [max_attempts]).fetchall()]


def forget_deliveries(wh: Warehouse, digest_id: str, channels: Sequence[str]) -> None:
    """Clear the sent state of a digest on `channels`, so it is delivered again (`--resend`)."""
    with wh.write() as con:
        con.executemany("DELETE FROM deliveries WHERE digest_id = ? AND channel = ?",
                        [(digest_id, c) for c in channels])
        con.executemany("DELETE FROM delivered_items WHERE digest_id = ? AND channel = ?",
                        [(digest_id, c) for c in channels])


def claim_delivery(wh: Warehouse, digest_id: str, channel: str, *,
                   retake_sending: bool = False) -> str | None:
    """Claim the send of a digest on `channel` (compare-and-set in one transaction): mark it
    `sending` unless it is `sent` or (without `retake_sending`) already `sending`. Returns the
    status found (None: never tried); the claim was made unless that is `sent`, or `sending`
    not retaken. If the process dies before `record_delivery`, the next run finds `sending`
    and knows the digest may have gone out: it must not send it again."""
    with wh.write() as con:
        row = con.execute("SELECT status FROM deliveries WHERE digest_id = ? AND channel = ?",
                          [digest_id, channel]).fetchone()
        found = row[0] if row else None
        if found == "sent" or (found == "sending" and not retake_sending):
            return str(found)
        con.execute(
            """INSERT INTO deliveries (digest_id, channel, status, attempts, last_error, delivered_at)
               VALUES (?, ?, 'sending', 0, NULL, NULL)
               ON CONFLICT (digest_id, channel) DO UPDATE SET status = 'sending'""",
            [digest_id, channel])
    return found


def record_delivery(wh: Warehouse, digest_id: str, channel: str, *, ok: bool,
                    error: str | None = None, items: Sequence[DigestItem] = ()) -> None:
    """One attempt on a channel; on success every item's version is marked delivered there
    (`error`, if given with ok, is kept as a note, e.g. an unconfirmed send)."""
    now = clock.now()
    with wh.write() as con:
        con.execute(
            """INSERT INTO deliveries
                   (digest_id, channel, status, attempts, last_error, delivered_at)
               VALUES (?, ?, ?, 1, ?, ?)
               ON CONFLICT (digest_id, channel) DO UPDATE SET status = excluded.status,
                   attempts = deliveries.attempts + 1, last_error = excluded.last_error,
                   delivered_at = excluded.delivered_at""",
            [digest_id, channel, "sent" if ok else "failed", redact(error)[:2000] if error else None,
             now if ok else None])
        if ok and items:
            con.executemany(
                "INSERT INTO delivered_items VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(i.work_id, channel, digest_id, i.status, i.content_hash, now) for i in items])


def delivered_elsewhere(wh: Warehouse, channel: str, digest_id: str) -> set[tuple[str, str]]:
    """(work_id, content_hash) already delivered on `channel` by another digest."""
    with wh.read() as con:
        return {(w, h) for w, h in con.execute(
            "SELECT work_id, content_hash FROM delivered_items WHERE channel = ? "
            "AND digest_id <> ?", [channel, digest_id]).fetchall()}
