import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from seascout.core.model import Author, Kind, Link, LinkKind, Provenance, Venue, Work
from warehouse.db import Warehouse, WarehouseLockedError, migration_files
from warehouse.query import QueryError, run_query
from warehouse.works import get_works, resolve_key, upsert_works

T0 = datetime(2026, 11, 23, 8, 0)


def preprint(version: int = 1, **kw) -> Work:  # type: ignore[no-untyped-def]
    return Work(ids=[f"arxiv:2306.11029v{version}"], kind=Kind.PREPRINT,
                title="SeaCLIP: Contrastive Vision-Language Pretraining for Maritime Remote Sensing",
                abstract="General-purpose foundation models …", published=date(2023, 6, 19),
                authors=[Author("F. Liu"), Author("D. Chen")], arxiv_version=version,
                categories=["cs.CV"], provenance=[Provenance("arxiv_api", "q", T0, f"2306.11029v{version}")],
                **kw)


def journal(**kw) -> Work:  # type: ignore[no-untyped-def]
    return Work(ids=["doi:10.1109/TGRS.2024.3390838"], kind=Kind.PAPER,
                title="SeaCLIP: Contrastive Vision-Language Pretraining for Maritime Remote Sensing",
                published=date(2024, 4, 18),
                venue=Venue(journal="IEEE Transactions on Geoscience and Remote Sensing", volume="62"),
                authors=[Author("F. Liu"), Author("D. Chen"), Author("Z. Guan")],
                provenance=[Provenance("crossref", "issn:0196-2892", T0, "10.1109/tgrs.2024.3390838")], **kw)


def rows(wh: Warehouse, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    return run_query(wh, sql)[1]


def test_migrations_are_recorded_in_order(warehouse: Warehouse) -> None:
    names = [n for n, _ in migration_files()]
    assert names == sorted(names) and names[0] == "001_initial"
    assert [r[0] for r in rows(warehouse, "SELECT name FROM schema_migrations ORDER BY 1")] == names
    assert warehouse.ensure_schema() == []


def test_insert_then_identical_upsert_changes_nothing(warehouse: Warehouse) -> None:
    r1 = upsert_works(warehouse, [preprint()], now=T0)
    assert r1.inserted == ["arxiv:2306.11029"]
    before = rows(warehouse, "SELECT * FROM works")
    r2 = upsert_works(warehouse, [preprint()], now=datetime(2026, 11, 30))
    assert r2.unchanged == ["arxiv:2306.11029"] and not r2.updated
    assert rows(warehouse, "SELECT * FROM works") == before
    assert rows(warehouse, "SELECT count(*) FROM provenance") == [(1,)]


def test_duplicates_inside_one_batch_are_merged_first(warehouse: Warehouse) -> None:
    r = upsert_works(warehouse, [preprint(1), preprint(2), preprint(2)], now=T0)
    assert len(r.inserted) == 1
    assert rows(warehouse, "SELECT arxiv_version FROM works") == [(2,)]


def test_preprint_and_journal_version_become_one_work(warehouse: Warehouse) -> None:
    upsert_works(warehouse, [preprint()], now=T0)
    r = upsert_works(warehouse, [journal()], now=datetime(2026, 11, 30))
    assert r.updated == ["arxiv:2306.11029"] and not r.inserted
    (w,) = get_works(warehouse, ["arxiv:2306.11029"])
    assert w.ids == ["doi:10.1109/tgrs.2024.3390838", "arxiv:2306.11029"]
    assert w.kind is Kind.PAPER and w.venue.volume == "62"  # Crossref wins for bibliography
    assert w.abstract  # kept from arXiv
    assert rows(warehouse, "SELECT change_note, first_seen FROM works") == [("published", T0)]
    assert resolve_key(warehouse, "doi:10.1109/tgrs.2024.3390838") == "arxiv:2306.11029"


def test_arxiv_doi_link_merges_by_key_without_fuzzy(warehouse: Warehouse) -> None:
    j = journal()
    j.title = "A completely different title for the journal version of this paper"
    upsert_works(warehouse, [j], now=T0)
    p = preprint()
    p.ids.append("doi:10.1109/tgrs.2024.3390838")  # arXiv's own arxiv:doi
    r = upsert_works(warehouse, [p], now=T0)
    assert r.updated == ["doi:10.1109/tgrs.2024.3390838"]
    assert rows(warehouse, "SELECT count(*) FROM works") == [(1,)]


def test_fuzzy_title_needs_close_years(warehouse: Warehouse) -> None:
    upsert_works(warehouse, [preprint()], now=T0)
    j = journal()
    j.published = date(2027, 1, 1)
    assert upsert_works(warehouse, [j], now=T0).inserted  # 4 years apart: different works


def test_a_record_linking_two_stored_works_folds_them(warehouse: Warehouse) -> None:
    j = journal()
    j.title = "Journal title unrelated to the preprint title at all"
    code = Link(LinkKind.CODE, "https://github.com/x/remoteclip")
    upsert_works(warehouse, [preprint(links=[code])], now=T0)
    upsert_works(warehouse, [j], now=datetime(2026, 11, 24))
    assert rows(warehouse, "SELECT count(*) FROM works") == [(2,)]
    bridge = Work(ids=["arxiv:2306.11029", "doi:10.1109/tgrs.2024.3390838"], title="RemoteCLIP",
                  provenance=[Provenance("arxiv_api", "q2", T0)])
    r = upsert_works(warehouse, [bridge], now=datetime(2026, 11, 25))
    assert r.merged_away == ["doi:10.1109/tgrs.2024.3390838"]
    assert rows(warehouse, "SELECT work_id FROM works") == [("arxiv:2306.11029",)]
    assert rows(warehouse, "SELECT DISTINCT work_id FROM work_ids") == [("arxiv:2306.11029",)]
    assert rows(warehouse, "SELECT count(*) FROM links WHERE work_id = 'arxiv:2306.11029'") == [(1,)]


def test_records_matching_one_stored_work_by_different_keys_are_written_once(
        warehouse: Warehouse) -> None:
    both = journal()
    both.ids.append("arxiv:2306.11029")
    upsert_works(warehouse, [both], now=T0)
    by_doi = journal(abstract="Now with an abstract.")
    by_arxiv = preprint(2)
    by_arxiv.title = "An arXiv title that no longer resembles the journal's"
    r = upsert_works(warehouse, [by_doi, by_arxiv], now=datetime(2026, 11, 24))
    assert r.updated == ["doi:10.1109/tgrs.2024.3390838"] and not r.inserted
    assert rows(warehouse, "SELECT arxiv_version, abstract FROM works") == [(2, "Now with an abstract.")]
    assert by_doi.work_id == by_arxiv.work_id == "doi:10.1109/tgrs.2024.3390838"


def test_records_chained_through_stored_works_fold_into_one(warehouse: Warehouse) -> None:
    w1 = journal()
    w1.ids.append("arxiv:2306.11029")
    w2 = Work(ids=["doi:10.5555/w2", "url:https://example.org/w2"], title="Stored elsewhere",
              provenance=[Provenance("crossref", "q", T0)])
    upsert_works(warehouse, [w1, w2], now=T0)
    r1 = journal()  # → w1 by DOI
    r2 = Work(ids=["doi:10.5555/w2"], title="Stored elsewhere",
              provenance=[Provenance("crossref", "q", T0)])  # → w2 by DOI
    r3 = Work(ids=["arxiv:2306.11029", "url:https://example.org/w2"], title="Bridge",
              provenance=[Provenance("arxiv_api", "q", T0)])  # → both
    r = upsert_works(warehouse, [r1, r2, r3], now=datetime(2026, 11, 24))
    assert len(r.updated) == 1 and len(r.merged_away) == 1 and not r.inserted
    assert rows(warehouse, "SELECT count(*) FROM works") == [(1,)]
    assert len({r1.work_id, r2.work_id, r3.work_id}) == 1


def test_one_upsert_in_small_chunks_matches_across_chunks(
        warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("warehouse.works.CHUNK_SIZE", 2)
    j = journal()
    j.title = "Journal title unrelated to the preprint title at all"
    other = Work(ids=["doi:10.5555/other"], title="Another paper entirely",
                 provenance=[Provenance("crossref", "q", T0)])
    bridge = Work(ids=["arxiv:2306.11029", "doi:10.1109/tgrs.2024.3390838"], title="SeaCLIP",
                  provenance=[Provenance("arxiv_api", "q2", T0)])
    # chunk 1: the preprint and the journal version, not yet known to be one work;
    # chunk 2: a second sighting of the preprint and an unrelated paper; chunk 3: the bridge.
    records = [preprint(1), j, preprint(2), other, bridge]
    r = upsert_works(warehouse, records, now=T0)
    assert sorted(r.inserted) == ["arxiv:2306.11029", "doi:10.5555/other"]
    assert r.merged_away == ["doi:10.1109/tgrs.2024.3390838"] and not r.updated and not r.unchanged
    assert rows(warehouse, "SELECT work_id, arxiv_version FROM works ORDER BY 1") == [
        ("arxiv:2306.11029", 2), ("doi:10.5555/other", None)]
    assert [w.work_id for w in records] == [
        "arxiv:2306.11029", "arxiv:2306.11029", "arxiv:2306.11029", "doi:10.5555/other",
        "arxiv:2306.11029"]


def test_an_iterator_of_records_is_stored_chunk_by_chunk(
        warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("warehouse.works.CHUNK_SIZE", 3)
    made = []

    def records():  # type: ignore[no-untyped-def]
        for i in range(10):
            made.append(i)
            yield Work(ids=[f"doi:10.5555/n{i % 7}"], title=f"Paper number {i % 7}",
                       provenance=[Provenance("crossref", "q", T0, str(i))])

    r = upsert_works(warehouse, records(), now=T0)
    assert len(made) == 10 and len(r.inserted) == 7 and len(r.work_ids) == 7
    assert rows(warehouse, "SELECT count(*), count(DISTINCT work_id) FROM provenance") == [(10, 7)]


def test_failed_batch_stores_nothing(warehouse: Warehouse) -> None:
    bad = preprint()
    bad.ids = ["doi:not-a-doi"]
    with pytest.raises(ValueError):
        upsert_works(warehouse, [journal(), bad], now=T0)
    assert rows(warehouse, "SELECT count(*) FROM works") == [(0,)]


@pytest.mark.parametrize("failure", ["bad key (while chunk 2 is written)", "row DuckDB refuses"])
def test_a_failure_in_a_later_chunk_stores_no_chunk(
        warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    monkeypatch.setattr("warehouse.works.CHUNK_SIZE", 2)
    records = [Work(ids=[f"doi:10.5555/ok{i}"], title=f"Paper {i}",
                    provenance=[Provenance("crossref", "q", T0)]) for i in range(5)]
    if failure.startswith("bad key"):  # raised in Python, in chunk 3
        records[4].ids = ["doi:not-a-doi"]
        expected: type[Exception] = ValueError
    else:  # raised by DuckDB (NOT NULL) on the writer thread, in chunk 2
        records[2].language = None  # type: ignore[assignment]
        expected = duckdb.ConstraintException
    with pytest.raises(expected):
        upsert_works(warehouse, records, now=T0)
    assert rows(warehouse, "SELECT count(*) FROM works UNION ALL SELECT count(*) FROM work_ids"
                " UNION ALL SELECT count(*) FROM provenance") == [(0,), (0,), (0,)]
    assert len(upsert_works(warehouse, records[:2], now=T0).inserted) == 2  # still usable


def test_sql_is_read_only(warehouse: Warehouse) -> None:
    with pytest.raises(QueryError, match="read-only"):
        run_query(warehouse, "DELETE FROM works")
    with pytest.raises(QueryError):
        run_query(warehouse, "SELECT * FROM no_such_table")


def _hold_lock(path: str, seconds: float) -> subprocess.Popen:  # type: ignore[type-arg]
    code = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({path!r})
        print("locked", flush=True)
        time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_reader_waits_for_a_short_writer(warehouse: Warehouse) -> None:
    proc = _hold_lock(str(warehouse.path), 1.0)
    try:
        start = time.monotonic()
        assert rows(warehouse, "SELECT count(*) FROM works") == [(0,)]
        assert time.monotonic() - start > 0.3  # it really waited for the holder
    finally:
        proc.wait()


def test_lock_held_too_long_names_the_holder(warehouse: Warehouse) -> None:
    proc = _hold_lock(str(warehouse.path), 10)
    try:
        impatient = Warehouse(warehouse.path, lock_wait=0.5)
        with pytest.raises(WarehouseLockedError, match=rf"process {proc.pid}"):
            run_query(impatient, "SELECT 1")
    finally:
        proc.kill()
        proc.wait()


def test_forward_only_cursor_never_moves_back(warehouse: Warehouse) -> None:
    from warehouse.state import get_cursor, set_cursor

    set_cursor(warehouse, "crossref", "2375-2548", "2026-11-25", forward_only=True)
    set_cursor(warehouse, "crossref", "2375-2548", "2024-02-29", forward_only=True)  # a backfill
    assert get_cursor(warehouse, "crossref", "2375-2548") == "2026-11-25"
    set_cursor(warehouse, "crossref", "2375-2548", "2026-12-02", forward_only=True)
    assert get_cursor(warehouse, "crossref", "2375-2548") == "2026-12-02"
    set_cursor(warehouse, "openalex", "W1", "token-b")
    set_cursor(warehouse, "openalex", "W1", "token-a")  # opaque tokens are simply replaced
    assert get_cursor(warehouse, "openalex", "W1") == "token-a"


def _fold_journal_into_preprint(warehouse: Warehouse) -> None:
    j = journal()
    j.title = "Journal title unrelated to the preprint title at all"
    upsert_works(warehouse, [preprint()], now=T0)
    upsert_works(warehouse, [j], now=datetime(2026, 11, 24))
    with warehouse.write() as con:
        con.execute("INSERT INTO spot_check_items VALUES ('2026-W48', 'doi:10.1109/tgrs.2024.3390838', 1)")
        con.execute("CREATE TABLE lab_notes (work_id VARCHAR PRIMARY KEY, note VARCHAR)")
        con.execute("INSERT INTO lab_notes VALUES ('doi:10.1109/tgrs.2024.3390838', 'read this')")
    bridge = Work(ids=["arxiv:2306.11029", "doi:10.1109/tgrs.2024.3390838"], title="RemoteCLIP",
                  provenance=[Provenance("arxiv_api", "q2", T0)])
    upsert_works(warehouse, [bridge], now=datetime(2026, 11, 25))


def test_a_merge_leaves_no_row_of_any_table_naming_the_folded_work(warehouse: Warehouse) -> None:
    _fold_journal_into_preprint(warehouse)
    with warehouse.read() as con:
        tables = [t for (t,) in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() JOIN duckdb_tables() "
            "USING (database_name, schema_name, table_name) WHERE column_name = 'work_id'").fetchall()]
        dangling = {t: con.execute(f"SELECT count(*) FROM {t} WHERE work_id NOT IN "
                                   "(SELECT work_id FROM works)").fetchone()[0] for t in tables}
    assert "spot_check_items" in tables and "lab_notes" in tables  # a table added later is found too
    assert set(dangling.values()) == {0}, dangling
    assert rows(warehouse, "SELECT work_id FROM spot_check_items") == [("arxiv:2306.11029",)]
    notes = rows(warehouse, "SELECT note FROM lab_notes WHERE work_id = 'arxiv:2306.11029'")
    assert notes == [("read this",)]


def test_the_repair_migration_re_points_spot_checks_a_previous_merge_left_dangling(
        warehouse: Warehouse) -> None:
    _fold_journal_into_preprint(warehouse)
    with warehouse.write() as con:  # what the previous release's merge left behind
        con.execute("UPDATE spot_check_items SET work_id = 'doi:10.1109/tgrs.2024.3390838'")
        con.execute("DELETE FROM schema_migrations WHERE name = '120_repair_merged_spot_checks'")
    assert Warehouse(warehouse.path).ensure_schema() == ["120_repair_merged_spot_checks"]
    assert rows(warehouse, "SELECT digest_id, work_id FROM spot_check_items") == [
        ("2026-W48", "arxiv:2306.11029")]


def test_timestamps_a_previous_release_stored_in_local_time_become_utc(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse built by the previous release on a machine in Shanghai: its migrations,
    its naive local `now()` and datetime.now() values. Opening it with this release converts
    every stored timestamp to UTC, once."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        path = tmp_path / "old.duckdb"
        con = duckdb.connect(str(path))  # the previous release: session zone = the machine's
        con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
        for name, sql in migration_files():
            if name < "130":
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
        con.execute("INSERT INTO runs (run_id, flow, started_at, status) "
                    "VALUES ('r1', 'weekly', TIMESTAMP '2026-12-07 08:30:00', 'ok')")
        con.execute("INSERT INTO works (work_id, kind, title, title_key, language, source_rank, "
                    "first_seen, last_changed, content_hash) "
                    "VALUES ('arxiv:2601.00001', 'preprint', 't', 't', 'en', 1, "
                    "TIMESTAMP '2026-12-07 08:30:00', TIMESTAMP '2026-12-07 09:00:00', 'h')")
        con.close()

        wh = Warehouse(path)
        assert "130_timestamps_in_utc" in wh.ensure_schema()  # and the later ones
        assert rows(wh, "SELECT started_at FROM runs") == [(datetime(2026, 12, 7, 0, 30),)]
        assert rows(wh, "SELECT first_seen, last_changed FROM works") == [
            (datetime(2026, 12, 7, 0, 30), datetime(2026, 12, 7, 1, 0))]
        assert Warehouse(path).ensure_schema() == []  # once
        assert rows(wh, "SELECT started_at FROM runs") == [(datetime(2026, 12, 7, 0, 30),)]
        # and this release writes UTC whatever the machine's zone: `now()` in users' SQL too
        from warehouse.state import start_run
        run = start_run(wh, "crawl")
        (started, utc_now), = rows(
            wh, f"SELECT started_at, now()::TIMESTAMP FROM runs WHERE run_id = '{run}'")
        assert abs((utc_now - started).total_seconds()) < 600
        assert abs((datetime.now(UTC).replace(tzinfo=None) - started).total_seconds()) < 600
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
