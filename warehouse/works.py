"""Storing and loading works: normalise → dedupe/merge → one bulk upsert.

Everything is written through Arrow tables in one transaction per batch (DuckDB's
`executemany` does ~450 rows/s, bulk inserts ~125k rows/s). A large batch is stored in
chunks, and DuckDB writes one chunk while Python prepares the next. Re-upserting records
that add nothing leaves every row untouched.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import islice
from typing import NamedTuple

import duckdb
import pyarrow as pa

from seascout.core import clock
from seascout.core.ids import title_key
from seascout.core.model import Author, Kind, Link, LinkKind, Venue, Work
from warehouse.db import ROW_GROUP_SIZE, Warehouse, registered
from warehouse.merge import (
    MAX_BLOCK,
    PREFIX_LEVELS,
    Partition,
    block_keys,
    fuzzy_class,
    group_batch,
    key_order,
    merge_records,
    normalise,
    partner,
    rank,
    stored_fields,
    titles_match,
    year,
)

# The content hash is computed by DuckDB over every stored field (vectorised, not per row in
# Python); equal hashes mean the announced version of a work has not changed.
_CONTENT_HASH_SQL = """md5(concat_ws(chr(31), kind, title, coalesce(abstract, ''),
    array_to_string(authors, '|'), authors_incomplete::VARCHAR, coalesce(published::VARCHAR, ''),
    published_precision, coalesce(updated::VARCHAR, ''), coalesce(journal, ''),
    coalesce(volume, ''), coalesce(issue, ''), coalesce(pages, ''), coalesce(article_number, ''),
    coalesce(publisher, ''), array_to_string(categories, '|'), coalesce(arxiv_version::VARCHAR, ''),
    coalesce(journal_ref, ''), language, ids_text))"""
CHUNK_SIZE = 32_768  # records per step of one upsert: two row groups, so both cores write
_ARROW_SCHEMA = pa.schema([
    ("work_id", pa.string()), ("kind", pa.string()), ("title", pa.string()),
    ("title_key", pa.string()), ("abstract", pa.string()), ("authors", pa.list_(pa.string())),
    ("affiliations", pa.string()), ("authors_incomplete", pa.bool_()),
    ("published", pa.date32()), ("published_precision", pa.string()), ("updated", pa.date32()),
    ("journal", pa.string()), ("volume", pa.string()), ("issue", pa.string()),
    ("pages", pa.string()), ("article_number", pa.string()), ("publisher", pa.string()),
    ("categories", pa.list_(pa.string())), ("arxiv_version", pa.int32()),
    ("journal_ref", pa.string()), ("language", pa.string()), ("source_rank", pa.int32()),
    ("first_seen", pa.timestamp("us")), ("last_changed", pa.timestamp("us")),
    ("change_note", pa.string()), ("ids_text", pa.string()),
])


@dataclass
class UpsertResult:
    inserted: list[str] = field(default_factory=list)  # work_ids stored for the first time
    updated: list[str] = field(default_factory=list)  # work_ids whose fields changed
    unchanged: list[str] = field(default_factory=list)
    merged_away: list[str] = field(default_factory=list)  # work_ids absorbed into another

    @property
    def work_ids(self) -> list[str]:
        return self.inserted + self.updated + self.unchanged

    def settle(self) -> UpsertResult:
        """Each work_id once, under its final state (a work stored by one chunk and matched by
        a later one is new; one folded into another is only in `merged_away`)."""
        gone = set(self.merged_away)
        self.inserted = [w for w in dict.fromkeys(self.inserted) if w not in gone]
        seen = gone | set(self.inserted)
        self.updated = [w for w in dict.fromkeys(self.updated) if w not in seen]
        seen |= set(self.updated)
        self.unchanged = [w for w in dict.fromkeys(self.unchanged) if w not in seen]
        return self

    def __str__(self) -> str:
        return (f"{len(self.inserted)} new, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged")


def upsert_works(wh: Warehouse, works: Iterable[Work], *, now: datetime | None = None) -> UpsertResult:
    """Store works, merging with what is there. One transaction: all or nothing."""
    if isinstance(works, Sequence) and not works:
        return UpsertResult()
    with wh.write() as con, _gc_paused():
        return upsert_works_in(con, works, now=now)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A batch allocates many small objects and frees none: the cyclic GC would rescan them
    again and again (it tripled the time of a 100k-work upsert)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def upsert_works_in(con: duckdb.DuckDBPyConnection, works: Iterable[Work], *,
                    now: datetime | None = None) -> UpsertResult:
    """`upsert_works` inside a transaction the caller holds (to store more in the same one).

    Records are stored CHUNK_SIZE at a time, so memory stays bounded however many come (an
    iterator is never materialised). A record that belongs to a work stored by an earlier
    chunk finds it in the warehouse like any stored work. Records given as a sequence get
    the `work_id` they were stored under.

    DuckDB writes one chunk while Python prepares the next (`_Writer`): the two overlap on
    two cores, and every read of the warehouse waits until the writes before it are done.
    """
    now = now or clock.now()
    result = UpsertResult()
    records = iter(works)
    with _Writer() as writer:
        chunk = _Chunk.prepare(islice(records, CHUNK_SIZE), now)
        while chunk:
            writer.wait()  # the warehouse now holds every earlier chunk
            _store_chunk(con, writer, chunk, now, result)
            del chunk  # (its records need not stay in memory while the next chunk is made)
            chunk = _Chunk.prepare(islice(records, CHUNK_SIZE), now)  # while DuckDB writes
    if result.merged_away and isinstance(works, Sequence):
        # A later chunk may have folded the work an earlier chunk's records went to.
        survivor = _survivors(con, result.merged_away)
        for w in works:
            w.work_id = survivor.get(w.work_id, w.work_id)  # type: ignore[arg-type]
    return result.settle()


class _Writer:
    """Runs writes in order on a second thread (DuckDB releases the GIL while it works).
    `wait()` before anything else uses the connection. Leaving waits for every write; a
    failed write fails the rest and is raised, unless the caller is already failing."""

    def __init__(self) -> None:
        self._thread = futures.ThreadPoolExecutor(1, thread_name_prefix="seascout-writes")
        self._pending: list[futures.Future[None]] = []
        self._failed = False

    def submit(self, write: Callable[..., None], *args: object, **kwargs: object) -> None:
        self._pending.append(self._thread.submit(self._run, write, *args, **kwargs))

    def _run(self, write: Callable[..., None], *args: object, **kwargs: object) -> None:
        if self._failed:  # an earlier write failed: the transaction is lost anyway
            return
        try:
            write(*args, **kwargs)
        except BaseException:
            self._failed = True
            raise

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        futures.wait(pending)
        for write in pending:
            write.result()  # (raises the first failure)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
            else:
                futures.wait(self._pending)  # let them end; the caller's error is the one to see
        finally:
            self._thread.shutdown()


@dataclass
class _Chunk:
    """Some records, normalised and grouped (one `incoming` record per work), and the works
    rows they would be if each were new (made before the warehouse is asked)."""

    batch: list[Work]
    incoming: list[Work]
    as_new: pa.Table  # row i is incoming[i] stored as a new work
    position: dict[int, int]  # id(record) → its row in `as_new`

    @classmethod
    def prepare(cls, records: Iterable[Work], now: datetime) -> _Chunk | None:
        batch = [normalise(w) for w in records]
        if not batch:
            return None
        incoming = [merge_records([batch[i] for i in g]) for g in group_batch(batch)]
        as_new = _new_works_table(incoming, now)
        return cls(batch, incoming, as_new, {id(w): i for i, w in enumerate(incoming)})

    def rows_as_new(self, works: Sequence[Work], now: datetime) -> pa.Table:
        """These records' rows as new works: taken from `as_new`, or made for a record that
        was not prepared (one folded from several after matching)."""
        taken = [self.position.get(id(w)) for w in works]
        if None in taken:
            return _new_works_table(works, now)
        if taken == list(range(len(self.incoming))):
            return self.as_new
        return self.as_new.take(pa.array(taken, pa.int64()))


def _store_chunk(con: duckdb.DuckDBPyConnection, writer: _Writer, chunk: _Chunk,
                 now: datetime, result: UpsertResult) -> None:
    """Match a chunk against the warehouse, merge, and queue its writes."""
    incoming = chunk.incoming
    matches = _match_keys(con, incoming)
    _match_titles(con, incoming, matches)
    incoming, matches = _fold_shared_targets(incoming, matches)
    # A record identical to the one stored (same content hash) needs no loading or merging:
    # the common case when a weekly run sees again what it stored last week.
    same = _unchanged(con, chunk, [(i, incoming[i]) for i, ts in sorted(matches.items())
                                   if len(ts) == 1], matches, now)
    targets = {t for i, ts in matches.items() if i not in same for t in ts}
    existing = load_works(con, sorted(targets), with_rank=True) if targets else {}
    new: list[Work] = []
    changed_rows: list[_Row] = []
    for idx, work in enumerate(incoming):
        if idx in same:
            work.work_id = same[idx]
            result.unchanged.append(work.work_id)
            continue
        if idx not in matches:
            work.work_id = work.ids[0]
            new.append(work)
            result.inserted.append(work.work_id)
            continue
        survivor, *others = sorted(matches[idx], key=lambda w: (existing[w][2], w))
        old, old_rank, first_seen = existing[survivor]
        merged = merge_records([work, old, *(existing[o][0] for o in others)],
                               [rank(work), old_rank, *(existing[o][1] for o in others)])
        merged.work_id = work.work_id = survivor
        if not others and stored_fields(merged) == stored_fields(old):
            result.unchanged.append(survivor)
            continue
        changed_rows.append(_Row(merged, survivor, max(rank(work), old_rank), first_seen,
                                 _change_note(old, merged)))
        result.updated.append(survivor)
        for other in others:
            _absorb(con, other, survivor)
            result.merged_away.append(other)
    owner = {k: m.work_id for m in incoming for k in m.ids}
    for w in chunk.batch:  # let callers see where each record went
        w.work_id = owner[w.ids[0]]
    if new:
        writer.submit(_write_rows, con, chunk.rows_as_new(new, now), update=False)
    if changed_rows:
        writer.submit(_write_rows, con, _arrow(changed_rows, now), update=True)
    for table, rows in _children(incoming):  # (made while the works rows are written)
        writer.submit(_insert, con, table, rows)


def _fold_shared_targets(incoming: list[Work], matches: dict[int, set[str]]
                         ) -> tuple[list[Work], dict[int, set[str]]]:
    """Records that share no key may still match one stored work (one by its DOI, one by
    its arXiv id): they are that work, so merge them before writing it once."""
    parts = Partition(len(incoming))
    first: dict[str, int] = {}  # stored work_id → the first record matching it
    for idx, targets in matches.items():
        for t in targets:
            parts.union(idx, first.setdefault(t, idx))
    groups = parts.groups()
    if len(groups) == len(incoming):
        return incoming, matches
    out: list[Work] = []
    out_matches: dict[int, set[str]] = {}
    for members in groups:
        if hits := set().union(*(matches.get(i, set()) for i in members)):
            out_matches[len(out)] = hits
        out.append(merge_records([incoming[i] for i in members]))
    return out, out_matches


def _survivors(con: duckdb.DuckDBPyConnection, gone: list[str]) -> dict[str, str]:
    """Where each folded work_id went (its ids now point at the survivor)."""
    found = dict(con.execute(
        "SELECT id, work_id FROM work_ids WHERE id IN (SELECT unnest(?))", [gone]).fetchall())
    return {g: found[g] for g in gone if g in found}


class _Row(NamedTuple):
    work: Work
    work_id: str
    rank: int
    first_seen: datetime
    change_note: str | None


def _unchanged(con: duckdb.DuckDBPyConnection, chunk: _Chunk,
               candidates: list[tuple[int, Work]], matches: dict[int, set[str]],
               now: datetime) -> dict[int, str]:
    """Indices of records whose content hash equals the stored work's → that work_id."""
    if not candidates:
        return {}
    probe = chunk.rows_as_new([w for _, w in candidates], now)
    for column, values in (("work_id", [next(iter(matches[i])) for i, _ in candidates]),
                           ("source_rank", [i for i, _ in candidates])):  # (carries the index)
        at = probe.schema.get_field_index(column)
        probe = probe.set_column(at, column, pa.array(values, probe.schema.field(at).type))
    with registered(con, "probe_works", _stream(probe)):
        hits = con.execute(
            f"SELECT p.source_rank, p.work_id FROM (SELECT work_id, source_rank, {_CONTENT_HASH_SQL}"
            " AS h FROM probe_works) p JOIN works w ON w.work_id = p.work_id AND w.content_hash = p.h"
        ).fetchall()
    return dict(hits)


def _change_note(old: Work, new: Work) -> str:
    if new.key("doi") and not old.key("doi"):
        return "published"
    if (new.arxiv_version or 0) > (old.arxiv_version or 0):
        return f"new version v{new.arxiv_version}"
    return "metadata"


def _match_keys(con: duckdb.DuckDBPyConnection, works: Sequence[Work]) -> dict[int, set[str]]:
    keys = pa.table({
        "idx": pa.array([i for i, w in enumerate(works) for _ in w.ids], pa.int32()),
        "id": pa.array([k for w in works for k in w.ids], pa.string()),
    })
    with registered(con, "incoming_keys", keys):
        hits = con.execute(
            "SELECT k.idx, i.work_id FROM incoming_keys k JOIN work_ids i ON i.id = k.id"
        ).fetchall()
    out: dict[int, set[str]] = defaultdict(set)
    for idx, wid in hits:
        out[idx].add(wid)
    return out


def _match_titles(con: duckdb.DuckDBPyConnection, works: Sequence[Work],
                  matches: dict[int, set[str]]) -> None:
    """Fuzzy title match (same block, partner class, year ±1) for records no key matched."""
    todo = [i for i, w in enumerate(works) if i not in matches and fuzzy_class(w.ids)]
    keys = {i: title_key(works[i].title) for i in todo}
    for idx, wid, tkey, y in title_candidates(con, works, todo):
        if titles_match(keys[idx], year(works[idx]), tkey, y):
            matches.setdefault(idx, set()).add(wid)


# The stored works a record is compared with, chosen in SQL (see `warehouse.merge.MAX_BLOCK`):
# the stored works of the partner class whose titles share the record's loosest blocking key
# that holds at most MAX_BLOCK of them, within a year of it. Never more than MAX_BLOCK a record.
# Blocks are named by the hash of their key (a collision only joins two blocks), so the
# stored side costs a few numbers a work and level, not strings.
_CANDIDATES_SQL = """
WITH stored AS (
    SELECT w.work_id, any_value(w.title_key) AS title_key, any_value(year(w.published)) AS yr,
           CASE WHEN bool_or(starts_with(i.id, 'doi:'))
                THEN CASE WHEN bool_or(starts_with(i.id, 'arxiv:')) THEN NULL ELSE 'journal' END
                WHEN bool_or(starts_with(i.id, 'arxiv:')) THEN 'preprint' ELSE 'news' END AS cls
    FROM works w JOIN work_ids i USING (work_id)
    WHERE split_part(w.title_key, ' ', 1) IN (SELECT bkey FROM incoming_titles WHERE level = 0)
    GROUP BY w.work_id
), keyed AS MATERIALIZED (
    SELECT s.work_id, s.cls, l.level,
           hash(CASE WHEN l.tokens IS NULL THEN s.title_key
                     ELSE array_to_string(string_split(s.title_key, ' ')[1:l.tokens], ' ') END) AS h
    FROM stored s CROSS JOIN block_levels l WHERE s.cls IS NOT NULL
), sizes AS (
    SELECT level, cls, h, count(*) AS n FROM keyed GROUP BY ALL
), probe AS (
    SELECT idx, partner, yr, level, hash(bkey) AS h FROM incoming_titles
), chosen AS MATERIALIZED (
    SELECT p.idx, any_value(p.partner) AS partner, any_value(p.yr) AS yr,
           arg_min(p.level, p.level) FILTER (WHERE coalesce(s.n, 0) <= $cap) AS level,
           arg_min(p.h, p.level) FILTER (WHERE coalesce(s.n, 0) <= $cap) AS h,
           arg_max(p.h, p.level) AS last_h
    FROM probe p LEFT JOIN sizes s ON s.level = p.level AND s.cls = p.partner AND s.h = p.h
    GROUP BY p.idx
), wanted AS (
    SELECT idx, partner, yr, coalesce(level, $last) AS level, coalesce(h, last_h) AS h FROM chosen
), blocks AS (
    SELECT k.work_id, k.cls, k.level, k.h FROM keyed k
    SEMI JOIN wanted c ON c.level = k.level AND c.partner = k.cls AND c.h = k.h
    QUALIFY row_number() OVER (PARTITION BY k.level, k.cls, k.h ORDER BY k.work_id) <= $cap
)
SELECT c.idx, b.work_id, s.title_key, s.yr
FROM wanted c JOIN blocks b ON b.level = c.level AND b.cls = c.partner AND b.h = c.h
JOIN stored s ON s.work_id = b.work_id
WHERE c.yr IS NULL OR s.yr IS NULL OR abs(c.yr - s.yr) <= 1
"""


def title_candidates(con: duckdb.DuckDBPyConnection, works: Sequence[Work],
                     todo: Sequence[int]) -> Iterator[tuple[int, str, str, int | None]]:
    """(index in `works`, work_id, title_key, year) of the stored works that records
    `works[i]` (i in `todo`, each of a fuzzy class) are to be compared with, streamed."""
    if not todo:
        return
    levels = len(PREFIX_LEVELS) + 1
    rows = [(i, partner(fuzzy_class(works[i].ids) or ""), year(works[i]), level, bkey)
            for i in todo for level, bkey in enumerate(block_keys(title_key(works[i].title)))]
    probe = pa.table({
        "idx": pa.array([r[0] for r in rows], pa.int32()),
        "partner": pa.array([r[1] for r in rows], pa.string()),
        "yr": pa.array([r[2] for r in rows], pa.int32()),
        "level": pa.array([r[3] for r in rows], pa.int32()),
        "bkey": pa.array([r[4] for r in rows], pa.string()),
    })
    block_levels = pa.table({"level": pa.array(range(levels), pa.int32()),
                             "tokens": pa.array([*PREFIX_LEVELS, None], pa.int32())})
    with registered(con, "incoming_titles", probe), registered(con, "block_levels", block_levels):
        cursor = con.execute(_CANDIDATES_SQL, {"cap": MAX_BLOCK, "last": levels - 1})
        while batch := cursor.fetchmany(10_000):
            yield from batch


def work_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bool]]:
    """Every table holding a `work_id` (but `works`), read from the schema, and whether the
    work_id is part of its key (then a row is moved by re-inserting it, else updated)."""
    rows = con.execute("""
        SELECT c.table_name,
               bool_or(k.constraint_type IS NOT NULL) AS keyed
        FROM duckdb_columns() c
        JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
        LEFT JOIN duckdb_constraints() k
          ON k.database_name = c.database_name AND k.schema_name = c.schema_name
         AND k.table_name = c.table_name AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
         AND list_contains(k.constraint_column_names, 'work_id')
        WHERE c.column_name = 'work_id' AND c.table_name <> 'works'
        GROUP BY c.table_name ORDER BY c.table_name""").fetchall()
    return [(name, bool(keyed)) for name, keyed in rows]


def _absorb(con: duckdb.DuckDBPyConnection, other: str, survivor: str) -> None:
    """Fold work `other` into `survivor` (a new record proved them one work): every row of
    every table that names `other` moves to `survivor` (the survivor's own row wins)."""
    for table, keyed in work_tables(con):
        if keyed:
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT * REPLACE (? AS work_id) FROM {table} "
                f"WHERE work_id = ? ON CONFLICT DO NOTHING", [survivor, other])
            con.execute(f"DELETE FROM {table} WHERE work_id = ?", [other])
        else:
            con.execute(f"UPDATE {table} SET work_id = ? WHERE work_id = ?", [survivor, other])
    con.execute("DELETE FROM works WHERE work_id = ?", [other])


@cache
def _bulk_pool() -> pa.MemoryPool:
    """Arrow's default pool (mimalloc) takes ~0.8 s to grow a fresh 150 MB string buffer here;
    jemalloc or the system allocator take ~0.2 s. Used for every column we build."""
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowException):
        return pa.system_memory_pool()


def _new_works_table(works: Sequence[Work], now: datetime) -> pa.Table:
    """The works-table rows of these records stored as new works (under their first key)."""
    rows = [_Row(w, w.ids[0], rank(w), now, None) for w in works]
    return pa.Table.from_batches(list(_arrow(rows, now)), _ARROW_SCHEMA)


def _stream(rows: pa.Table | pa.RecordBatchReader) -> pa.RecordBatchReader:
    """Rows for DuckDB to read as a stream: it would scan a table on both its threads, which
    holds ~150 MB more per 100k works and gains nothing while Python keeps a core busy."""
    if isinstance(rows, pa.Table):
        return pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches())
    return rows


def _arrow(rows: Sequence[_Row], now: datetime) -> pa.RecordBatchReader:
    """The works-table rows as a stream of record batches of one row group each, built while
    DuckDB reads them: it compresses a row group on one core while the next is built."""
    batches = (_record_batch(rows[i:i + ROW_GROUP_SIZE], now)
               for i in range(0, len(rows), ROW_GROUP_SIZE))
    return pa.RecordBatchReader.from_batches(_ARROW_SCHEMA, batches)


def _record_batch(rows: Sequence[_Row], now: datetime) -> pa.RecordBatch:
    works = [r.work for r in rows]
    venues = [w.venue for w in works]
    columns = {
        "work_id": [r.work_id for r in rows],
        "kind": [w.kind.value for w in works],
        "title": [w.title for w in works],
        "title_key": [title_key(w.title) for w in works],
        "abstract": [w.abstract for w in works],
        "authors": [[a.name for a in w.authors] for w in works],
        "affiliations": [
            json.dumps([a.affiliations for a in w.authors], ensure_ascii=False)
            if any(a.affiliations for a in w.authors) else None for w in works],
        "authors_incomplete": [w.authors_incomplete for w in works],
        "published": [w.published for w in works],
        "published_precision": [w.published_precision for w in works],
        "updated": [w.updated for w in works],
        "journal": [v.journal for v in venues],
        "volume": [v.volume for v in venues],
        "issue": [v.issue for v in venues],
        "pages": [v.pages for v in venues],
        "article_number": [v.article_number for v in venues],
        "publisher": [v.publisher for v in venues],
        "categories": [w.categories for w in works],
        "arxiv_version": [w.arxiv_version for w in works],
        "journal_ref": [w.journal_ref for w in works],
        "language": [w.language for w in works],
        "source_rank": [r.rank for r in rows],
        "first_seen": [r.first_seen for r in rows],
        "last_changed": pa.repeat(pa.scalar(now, pa.timestamp("us")), len(rows)),
        "change_note": [r.change_note for r in rows],
        "ids_text": ["|".join(sorted(w.ids)) for w in works],
    }
    pool = _bulk_pool()
    return pa.RecordBatch.from_arrays(
        [values if isinstance(values, pa.Array) else pa.array(values, f.type, memory_pool=pool)
         for f, values in zip(_ARROW_SCHEMA, columns.values(), strict=True)],
        schema=_ARROW_SCHEMA)


def _write_rows(con: duckdb.DuckDBPyConnection, rows: pa.Table | pa.RecordBatchReader, *,
                update: bool) -> None:
    select = (f"INSERT INTO works BY NAME SELECT * EXCLUDE (ids_text), {_CONTENT_HASH_SQL} "
              "AS content_hash FROM incoming_works")
    if update:
        columns = [c for c in _ARROW_SCHEMA.names if c not in ("work_id", "first_seen", "ids_text")]
        sets = ", ".join(f"{c} = excluded.{c}" for c in [*columns, "content_hash"])
        select += f" ON CONFLICT (work_id) DO UPDATE SET {sets}"
    with registered(con, "incoming_works", _stream(rows)):
        con.execute(select)


def _children(works: Sequence[Work]) -> list[tuple[str, pa.Table]]:
    """The work_ids, links and provenance rows of stored works (each row once)."""
    ids = {(k, w.work_id) for w in works for k in w.ids}
    links = {(w.work_id, ln.url): ln for w in works for ln in w.links}
    prov = {(w.work_id, p.source, p.query, p.record_id or ""): p.fetched_at
            for w in works for p in w.provenance}
    tables = [
        ("work_ids", {"id": [k for k, _ in ids], "work_id": [w for _, w in ids]}),
        ("links", {"work_id": [k[0] for k in links], "url": [k[1] for k in links],
                   "kind": [ln.kind.value for ln in links.values()],
                   "label": [ln.label for ln in links.values()]}),
        ("provenance", {"work_id": [k[0] for k in prov], "source": [k[1] for k in prov],
                        "query": [k[2] for k in prov], "record_id": [k[3] for k in prov],
                        "fetched_at": list(prov.values())}),
    ]
    pool = _bulk_pool()
    return [(name, pa.table({c: pa.array(v, memory_pool=pool) for c, v in columns.items()}))
            for name, columns in tables if next(iter(columns.values()))]


def _insert(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    with registered(con, "incoming_rows", rows):
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming_rows ON CONFLICT DO NOTHING")


def load_works(con: duckdb.DuckDBPyConnection, work_ids: Sequence[str], *,
               with_rank: bool = False) -> dict:  # type: ignore[type-arg]
    """Works by id, with their keys and links. With `with_rank`, values are
    (work, source_rank, first_seen) for merging."""
    if not work_ids:
        return {}
    with registered(con, "wanted", pa.table({"work_id": pa.array(list(work_ids), pa.string())})):
        data = con.sql("SELECT w.* FROM works w SEMI JOIN wanted USING (work_id)").to_arrow_table()
        keys = con.execute(
            "SELECT work_id, list(id ORDER BY id) FROM work_ids SEMI JOIN wanted USING (work_id) "
            "GROUP BY work_id").fetchall()
        links = con.execute(
            "SELECT work_id, url, kind, label FROM links SEMI JOIN wanted USING (work_id) "
            "ORDER BY work_id, rowid").fetchall()
    ids_of = dict(keys)
    links_of: dict[str, list[Link]] = defaultdict(list)
    for wid, url, kind, label in links:
        links_of[wid].append(Link(LinkKind(kind), url, label))
    columns = {name: data.column(name).to_pylist() for name in data.column_names}
    out = {}
    for i, wid in enumerate(columns["work_id"]):
        c = {name: col[i] for name, col in columns.items()}
        affs = json.loads(c["affiliations"]) if c["affiliations"] else None
        authors = [Author(n, list(affs[j]) if affs else []) for j, n in enumerate(c["authors"] or [])]
        work = Work(
            ids=sorted(ids_of.get(wid, [wid]), key=lambda k: (key_order(k), k)),
            title=c["title"], kind=Kind(c["kind"]), abstract=c["abstract"], authors=authors,
            authors_incomplete=c["authors_incomplete"], published=c["published"],
            published_precision=c["published_precision"], updated=c["updated"],
            venue=Venue(c["journal"], c["volume"], c["issue"], c["pages"], c["article_number"],
                        c["publisher"]),
            categories=list(c["categories"] or []), arxiv_version=c["arxiv_version"],
            journal_ref=c["journal_ref"], language=c["language"], links=links_of.get(wid, []),
            work_id=wid,
        )
        out[wid] = (work, c["source_rank"], c["first_seen"]) if with_rank else work
    return out


def get_works(wh: Warehouse, work_ids: Sequence[str]) -> list[Work]:
    """Works in the order asked for (missing ids are skipped)."""
    with wh.read() as con:
        found = load_works(con, work_ids)
    return [found[w] for w in work_ids if w in found]


def resolve_key(wh: Warehouse, key: str) -> str | None:
    """The work_id that holds a key such as `doi:10.1126/sciadv.aba1482`, if any."""
    with wh.read() as con:
        row = con.execute("SELECT work_id FROM work_ids WHERE id = ?", [key]).fetchone()
    return row[0] if row else None
