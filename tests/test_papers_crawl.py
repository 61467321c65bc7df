"""The crawl against the replay server: cursors, windows, faults, isolation, merge, CLI, flow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from seascout.core.config import Config, Settings
from spiders import arxiv_api
from spiders.crawl import crawl_status, make_http_client, run_crawl
from spiders.http import RetryPolicy
from testing.replay import ANY, ArxivSimulator, ReplayServer, Reply, SimRecord, arxiv_feed
from warehouse.db import Warehouse
from warehouse.state import get_cursor, start_run
from warehouse.works import upsert_works

PAPERS = Path(__file__).parent / "fixtures" / "papers"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02, retry_after_max=0.1)
GATE = 0.05  # the arXiv gate, scaled down for tests (still checked on timestamps)


@pytest.fixture
def srv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def make_settings(tmp_path: Path, base: str, **sources: dict) -> Settings:
    data: dict = {
        "contact_email": "lab@example.org",
        "topics": {"ocean_models": ["ocean model"], "rs_foundation_models": [],
                   "ship_detection": [], "datasets": []},
        "sources": {
            "arxiv": {"api_url": f"{base}/api/query", "rss_url": f"{base}/rss/",
                      "categories": ["physics.ao-ph"], "min_interval_seconds": GATE,
                      "page_size": 1000},
            "crossref": {"base_url": base, "journals": {"2375-2548": "Science Advances"}},
            "datacite": {"base_url": base},
            "openalex": {"base_url": base},
        },
    }
    for name, extra in sources.items():
        data["sources"].setdefault(name, {}).update(extra)
    return Settings(config=Config.model_validate(data), home=tmp_path, root=tmp_path,
                    config_path=None)


def crawl(settings: Settings, wh: Warehouse, **kw):  # type: ignore[no-untyped-def]
    http = make_http_client(settings, retry=FAST, timeout=2.0)
    with http:
        return run_crawl(settings, wh, http=http, **kw)


def arxiv_page(records: list[tuple[str, datetime]], total: int | None = None) -> Reply:
    return Reply.raw(arxiv_feed(records, len(records) if total is None else total),
                     "application/atom+xml")


def table(wh: Warehouse, sql: str) -> list[tuple]:
    with wh.read() as con:
        return con.execute(sql).fetchall()


# -- arXiv API ------------------------------------------------------------------------------
def test_arxiv_harvests_each_category_whole_and_moves_its_cursor(srv: ReplayServer, tmp_path: Path,
                                                                   warehouse: Warehouse) -> None:
    recs = [SimRecord("2601.00001", datetime(2026, 1, 5, 10), "Ocean eddies",
                      categories=("physics.ao-ph",)),
            SimRecord("2601.00002", datetime(2026, 1, 6, 11), "SAR ships",
                      categories=("cs.CV", "physics.ao-ph")),
            SimRecord("2601.00003", datetime(2026, 1, 7, 9), "Robot arms", categories=("cs.RO",)),
            SimRecord("2601.00004", datetime(2026, 1, 7, 12), "Segmenting", categories=("cs.CV",))]
    sim = ArxivSimulator(records=recs)
    srv.add("/api/query", handler=sim)
    s = make_settings(tmp_path, srv.base_url, arxiv={"categories": ["physics.ao-ph", "cs.CV"]})
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    # Every submission of both categories, the cross-list stored once, cs.RO never asked for.
    assert r.ok and (r.new, r.requests) == (3, 2)
    assert table(warehouse, "SELECT count(*) FROM works") == [(3,)]
    first = [h.query for h in srv.hits("/api/query")]
    assert [q["search_query"] for q in first] == [
        "cat:physics.ao-ph AND submittedDate:[202601010000 TO 202601082359]",  # 7 first-run days
        "cat:cs.CV AND submittedDate:[202601010000 TO 202601082359]"]
    assert first[0]["sortBy"] == "submittedDate" and first[0]["max_results"] == "1000"
    # The cursor is the newest submission stored from the category, not the run's date.
    assert get_cursor(warehouse, "arxiv_api", "cat:physics.ao-ph") == "2026-01-06T11:00"
    assert get_cursor(warehouse, "arxiv_api", "cat:cs.CV") == "2026-01-07T12:00"

    # A rerun with nothing new: one request per category, from the cursor minus the 1-day
    # overlap, and nothing stored.
    counts = "SELECT (SELECT count(*) FROM works), (SELECT count(*) FROM provenance)"
    before = table(warehouse, counts)
    (r2,) = crawl(s, warehouse, sources=["arxiv_api"], until=None)
    assert r2.ok and (r2.new, r2.updated, r2.requests) == (0, 0, 2)
    again = [h.query["search_query"] for h in srv.hits("/api/query")[2:]]
    assert again[0].startswith("cat:physics.ao-ph AND submittedDate:[202601050000 TO")
    assert again[1].startswith("cat:cs.CV AND submittedDate:[202601060000 TO")
    assert table(warehouse, counts) == before

    # A replacement (v2) updates the work it replaces; it is never a new item.
    sim.records[1] = SimRecord("2601.00002", datetime(2026, 1, 6, 11), "SAR ships, revised",
                               categories=("cs.CV", "physics.ao-ph"), version=2)
    (r3,) = crawl(s, warehouse, sources=["arxiv_api"], until=None)
    assert r3.ok and r3.new == 0 and r3.updated == 1
    assert table(warehouse, "SELECT count(*), max(arxiv_version) FROM works WHERE title LIKE 'SAR ships%'") \
        == [(1, 2)]


def test_arxiv_backfill_window_does_not_move_a_newer_cursor_back(srv: ReplayServer, tmp_path: Path,
                                                                 warehouse: Warehouse) -> None:
    srv.add("/api/query", handler=ArxivSimulator(records=[
        SimRecord("2601.00001", datetime(2026, 1, 5, 10)),
        SimRecord("2401.00001", datetime(2024, 1, 5, 10))]))
    s = make_settings(tmp_path, srv.base_url)
    crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], since=date(2024, 1, 1), until=date(2024, 1, 31))
    assert r.ok and r.new == 1
    assert get_cursor(warehouse, "arxiv_api", "cat:physics.ao-ph") == "2026-01-05T10:00"


def test_arxiv_backfill_splits_window_under_the_cap(srv: ReplayServer, tmp_path: Path,
                                                    warehouse: Warehouse) -> None:
    sim = ArxivSimulator(2350, cap=1000)  # the simulator refuses start + max_results > 1000
    srv.add("/api/query", handler=sim)
    s = make_settings(tmp_path, srv.base_url, arxiv={"page_size": 300})
    fetch = arxiv_api.ArxivFetch(make_http_client(s, retry=FAST), s.config.sources.arxiv, cap=1000)
    ids: set[str] = set()
    for works in fetch.pages("all:ocean", date(2024, 1, 1), date(2024, 12, 31)):
        ids.update(w.ids[0] for w in works)
    assert len(ids) == 2350  # nothing lost across the splits
    assert fetch.restarts >= 2
    for h in srv.hits("/api/query"):
        assert int(h.query["start"]) + int(h.query["max_results"]) <= 1000
    assert fetch.requests <= 1.05 * -(-2350 // 300) + 3  # near ⌈N/page⌉, a few boundary pages


def test_arxiv_spurious_empty_page_is_retried(srv: ReplayServer, tmp_path: Path,
                                              warehouse: Warehouse) -> None:
    recs = [("2601.00001", datetime(2026, 1, 5, 10))]
    srv.add("/api/query", [Reply.arxiv_empty_page(total=1), arxiv_page(recs)])
    s = make_settings(tmp_path, srv.base_url)
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    assert r.ok and r.new == 1 and len(srv.hits("/api/query")) == 2


def test_arxiv_always_empty_page_is_an_error_and_cursor_stays(srv: ReplayServer, tmp_path: Path,
                                                              warehouse: Warehouse) -> None:
    srv.add("/api/query", Reply.arxiv_empty_page(total=5))
    s = make_settings(tmp_path, srv.base_url)
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    assert not r.ok and "empty pages" in r.errors[0]
    assert get_cursor(warehouse, "arxiv_api", "cat:physics.ao-ph") is None


def test_arxiv_error_feed_names_the_query(srv: ReplayServer, tmp_path: Path,
                                          warehouse: Warehouse) -> None:
    srv.add("/api/query", Reply.file(PAPERS / "arxiv_api/recorded2026_id_abc_error400.body.xml",
                                     status=400))
    s = make_settings(tmp_path, srv.base_url)
    (r,) = crawl(s, warehouse, sources=["arxiv_api"])
    assert "cat:physics.ao-ph" in r.errors[0] and "incorrect id format for abc" in r.errors[0]
    assert len(srv.hits()) == 1  # a rejected query is not retried


def test_arxiv_duplicates_across_pages_are_stored_once(srv: ReplayServer, tmp_path: Path,
                                                       warehouse: Warehouse) -> None:
    a, b, c = ((f"2601.0000{i}", datetime(2026, 1, 5, i)) for i in (1, 2, 3))
    srv.add("/api/query", arxiv_page([a, b], total=4), query={"start": "0"})
    srv.add("/api/query", arxiv_page([b, c], total=4), query={"start": "2"})
    s = make_settings(tmp_path, srv.base_url, arxiv={"page_size": 2})
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    assert r.ok and r.fetched == 3 and r.new == 3
    assert table(warehouse, "SELECT count(*) FROM works") == [(3,)]


def test_arxiv_api_and_rss_share_one_politeness_gate(srv: ReplayServer, tmp_path: Path,
                                                     warehouse: Warehouse) -> None:
    srv.add("/api/query", [Reply.error(503), arxiv_page([("2601.00001", datetime(2026, 1, 5))])])
    srv.add("/rss/physics.ao-ph",
            Reply.file(PAPERS / "arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml"))
    s = make_settings(tmp_path, srv.base_url)
    reports = crawl(s, warehouse, sources=["arxiv_api", "arxiv_rss"], until=date(2026, 1, 8))
    assert [r.ok for r in reports] == [True, True]
    gaps = srv.gaps()
    assert len(gaps) == 2 and min(gaps) >= GATE, gaps  # retry and RSS both waited their turn
    assert reports[1].fetched == 56


def test_rss_error_feed_is_reported_as_config_error(srv: ReplayServer, tmp_path: Path,
                                                    warehouse: Warehouse) -> None:
    srv.add("/rss/physics.ao-ph",
            Reply.file(PAPERS / "arxiv_rss/rss_error_bad_archive_astroph_2024-11-28.xml"))
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["arxiv_rss"])
    assert "Bad archive 'astroph'" in r.errors[0] and "categories" in r.errors[0]


def test_rss_empty_feed_is_a_warning_not_an_error(srv: ReplayServer, tmp_path: Path,
                                                  warehouse: Warehouse) -> None:
    srv.add("/rss/physics.ao-ph",
            Reply.file(PAPERS / "arxiv_rss/rss_empty_archive_test_2024-11-28.xml"))
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["arxiv_rss"])
    assert r.ok and r.fetched == 0 and "weekend" in r.warnings[0]


# -- Crossref -------------------------------------------------------------------------------
def crossref_list(items: list[dict], total: int, cursor: str | None = "NEXT") -> Reply:
    msg = {"items": items, "total-results": total, "items-per-page": len(items)}
    if cursor:
        msg["next-cursor"] = cursor
    return Reply.json({"status": "ok", "message-type": "work-list", "message": msg},
                      **{"x-rate-limit-limit": "10", "x-rate-limit-interval": "1s"})


def item(doi: str, title: str, **extra: object) -> dict:
    return {"DOI": doi, "title": [title], "type": "journal-article",
            "container-title": ["Science Advances"], "published": {"date-parts": [[2025, 3, 1]]},
            **extra}


def test_crossref_issn_watch_cursor_paging_and_rate_headers(srv: ReplayServer, tmp_path: Path,
                                                            warehouse: Warehouse) -> None:
    srv.add("/works", crossref_list([item("10.1126/sciadv.1", "One"), item("10.1126/sciadv.2",
                                                                           "Two")], 3, "C2"),
            query={"cursor": "*"})
    srv.add("/works", crossref_list([item("10.1126/sciadv.3", "Three")], 3, "C3"),
            query={"cursor": "C2"})
    s = make_settings(tmp_path, srv.base_url, crossref={"rows": 2})
    http = make_http_client(s, retry=FAST)
    with http:
        (r,) = run_crawl(s, warehouse, sources=["crossref"], until=date(2025, 3, 10), http=http)
        assert http.gate("crossref").interval == pytest.approx(0.1)  # 10 per 1 s
    assert r.ok and (r.fetched, r.new, r.requests) == (3, 3, 2)
    first = srv.hits("/works")[0].query
    assert first["filter"] == ("issn:2375-2548,from-index-date:2025-03-03,type:journal-article,"
                               "until-index-date:2025-03-10")
    assert first["mailto"] == "lab@example.org" and first["rows"] == "2"
    assert get_cursor(warehouse, "crossref", "2375-2548") == "2025-03-10"


def test_crossref_malformed_page_keeps_cursor_and_rerun_converges(
        srv: ReplayServer, tmp_path: Path, warehouse: Warehouse) -> None:
    srv.add("/works", [Reply.malformed("application/json"),
                       crossref_list([item("10.1126/sciadv.1", "One")], 1, None)])
    s = make_settings(tmp_path, srv.base_url)
    (r,) = crawl(s, warehouse, sources=["crossref"], until=date(2025, 3, 10))
    assert "malformed JSON" in r.errors[0] and get_cursor(warehouse, "crossref", "2375-2548") is None
    (r2,) = crawl(s, warehouse, sources=["crossref"], until=date(2025, 3, 10))
    assert r2.ok and r2.new == 1 and get_cursor(warehouse, "crossref", "2375-2548") == "2025-03-10"


def test_crossref_doi_lookup_for_preprint_with_journal_doi(srv: ReplayServer, tmp_path: Path,
                                                           warehouse: Warehouse) -> None:
    # The 2016 arXiv record carries arxiv:doi 10.1103/PhysRevB.74.024520; Crossref fills in
    # the journal record (served here from the real PLoS record, re-addressed).
    upsert_works(warehouse, arxiv_api.parse((PAPERS / "arxiv_api/"
                 "legacy2016_search_au_del_maestro_AND_ti_checkerboard.xml").read_bytes()))
    body = json.loads((PAPERS / "crossref/works_single_doi_10.1371_journal.pone.0033693.body.json"
                       ).read_bytes())
    body["message"]["DOI"] = "10.1103/PhysRevB.74.024520"
    body["message"]["container-title"] = ["Physical Review B"]
    srv.add("/works/10.1103/physrevb.74.024520", Reply.json(body))
    srv.add("/works", crossref_list([], 0, None))
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["crossref"])
    assert r.ok and r.updated == 1 and r.new == 0
    rows = table(warehouse, "SELECT journal, kind FROM works")
    assert rows == [("Physical Review B", "paper")]


# -- merge of an arXiv preprint and its Crossref journal version ------------------------------
def test_arxiv_preprint_and_crossref_version_end_as_one_work(srv: ReplayServer, tmp_path: Path,
                                                             warehouse: Warehouse) -> None:
    goms = ("2308.03152", datetime(2025, 3, 2, 9),
            "AI-GOMS: Large AI-Driven Global Ocean Modeling System")
    tiw = ("2503.00002", datetime(2025, 3, 3, 9), "Satellite-only deep learning forecasts "
           "of mesoscale eddies in the western boundary currents")
    srv.add("/api/query", arxiv_page([goms, tiw]))
    # Matched by key: Crossref's has-preprint relation names the arXiv DOI (titles differ).
    by_key = item("10.1126/sciadv.adq1234", "A large AI-driven global ocean modelling system",
                  relation={"has-preprint": [{"id-type": "doi",
                                              "id": "10.48550/arXiv.2308.03152"}]})
    # Matched by title only (no relation): fuzzy title + year.
    by_title = item("10.1126/sciadv.aba1482", "Satellite-Only Deep Learning Forecasts "
                    "of Mesoscale Eddies in the Western Boundary Currents")
    srv.add("/works", crossref_list([by_key, by_title], 2, None))
    s = make_settings(tmp_path, srv.base_url)
    reports = crawl(s, warehouse, sources=["arxiv_api", "crossref"], until=date(2025, 3, 10))
    assert all(r.ok for r in reports), reports
    rows = table(warehouse, """SELECT w.journal, list(i.id ORDER BY i.id)
                               FROM works w JOIN work_ids i USING (work_id)
                               GROUP BY w.work_id, w.journal""")
    assert sorted(r[1] for r in rows) == [
        ["arxiv:2308.03152", "doi:10.1126/sciadv.adq1234"],
        ["arxiv:2503.00002", "doi:10.1126/sciadv.aba1482"]]
    assert {r[0] for r in rows} == {"Science Advances"}  # Crossref's fields won
    sources = table(warehouse, "SELECT DISTINCT source FROM provenance ORDER BY 1")
    assert sources == [("arxiv_api",), ("crossref",)]


# -- OpenAlex -------------------------------------------------------------------------------
def add_watch(wh: Warehouse, key: str) -> None:
    upsert_works(wh, arxiv_api.parse(arxiv_feed([(key.split(":")[1], datetime(2023, 8, 6))], 1)))
    with wh.write() as con:
        con.execute("INSERT INTO watch_list VALUES (?, 'cited_by', ?, now())", [key, key])


def test_openalex_without_key_is_skipped_with_how_to(srv: ReplayServer, tmp_path: Path,
                                                     warehouse: Warehouse) -> None:
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["openalex"])
    assert r.skipped and "OPENALEX_API_KEY" in r.skipped and not srv.hits()


def test_openalex_citing_works_of_watch_items(srv: ReplayServer, tmp_path: Path,
                                              warehouse: Warehouse,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", "k-123")
    add_watch(warehouse, "arxiv:2308.03152")
    srv.add("/works/doi:10.48550/arxiv.2308.03152", Reply.json({"id": "https://openalex.org/W42"}))
    srv.add("/works", Reply.file(PAPERS / "openalex/works_filter_cites_cursor_star_per-page200.body.json"),
            query={"cursor": "*", "filter": ANY})
    srv.add("/works", Reply.file(PAPERS / "openalex/works_cursor_last_page_empty.body.json"),
            query={"cursor": ANY})
    s = make_settings(tmp_path, srv.base_url)
    (r,) = crawl(s, warehouse, sources=["openalex"], until=date(2026, 1, 31))
    assert r.ok and r.new == 5 and r.requests == 3, r
    q = srv.hits("/works")[0].query
    assert q["filter"].startswith("cites:W42,from_publication_date:2026-01-01")
    assert q["api_key"] == "k-123"
    assert get_cursor(warehouse, "openalex", "wid:arxiv:2308.03152") == "W42"
    (r2,) = crawl(s, warehouse, sources=["openalex"], until=date(2026, 1, 31))
    assert r2.new == 0 and not srv.hits("/works/doi:10.48550/arxiv.2308.03152")[1:]


# -- isolation, offline, run record ------------------------------------------------------------
def test_one_failing_source_does_not_stop_the_others(srv: ReplayServer, tmp_path: Path,
                                                     warehouse: Warehouse) -> None:
    srv.add("/api/query", Reply.error(503))
    srv.add("/rss/physics.ao-ph",
            Reply.file(PAPERS / "arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml"))
    srv.add("/works", crossref_list([item("10.1126/sciadv.1", "One")], 1, None))
    s = make_settings(tmp_path, srv.base_url)
    run_id = start_run(warehouse, "crawl")
    reports = crawl(s, warehouse, sources=["arxiv_api", "arxiv_rss", "crossref"], run_id=run_id)
    assert [bool(r.errors) for r in reports] == [True, False, False]
    assert "HTTP 503 after 3 attempts" in reports[0].errors[0]
    assert crawl_status(reports) == "partial"
    errors = table(warehouse, "SELECT source, level FROM run_errors")
    assert ("arxiv_api", "error") in errors


def test_offline_every_source_fails_fast(tmp_path: Path, warehouse: Warehouse,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    monkeypatch.setenv("OPENALEX_API_KEY", "k")
    add_watch(warehouse, "arxiv:2308.03152")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    s = make_settings(tmp_path, dead, arxiv={"min_interval_seconds": 3.0})
    started = time.monotonic()
    reports = run_crawl(s, warehouse, sources=["arxiv_api", "arxiv_rss", "crossref", "openalex"])
    assert time.monotonic() - started < 3.0  # no retry loops, no gate waits after failures
    assert all(len(r.errors) == 1 and "cannot reach 127.0.0.1" in r.errors[0] for r in reports)
    assert crawl_status(reports) == "failed"


def test_a_malformed_page_fails_its_category_only_and_its_cursor_stays(srv: ReplayServer, tmp_path: Path,
                                                                       warehouse: Warehouse) -> None:
    good = [SimRecord(f"2601.0000{i}", datetime(2026, 1, 5, i), categories=("physics.ao-ph", "cs.CV"))
            for i in (1, 2, 3)]
    srv.add("/api/query", handler=ArxivSimulator(records=good))
    srv.add("/api/query", Reply.malformed("application/atom+xml"),
            query={"search_query": ANY, "start": "2"})  # the second page of every window breaks
    s = make_settings(tmp_path, srv.base_url,
                      arxiv={"categories": ["physics.ao-ph", "cs.CV"], "page_size": 2})
    (r,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    assert not r.ok and "cat:physics.ao-ph" in r.errors[0] and "cat:cs.CV" in r.errors[0]
    assert r.new == 2  # the first page of the window is stored …
    assert get_cursor(warehouse, "arxiv_api", "cat:physics.ao-ph") is None  # … but the window is not done
    # The next run, with arXiv answering again, asks the same window and converges.
    srv.clear()
    srv.add("/api/query", handler=ArxivSimulator(records=good))
    (r2,) = crawl(s, warehouse, sources=["arxiv_api"], until=date(2026, 1, 8))
    assert r2.ok and r2.new == 1
    assert get_cursor(warehouse, "arxiv_api", "cat:cs.CV") == "2026-01-05T03:00"


EXTERNAL = Path(__file__).parent / "fixtures" / "external"


def test_openalex_cites_follows_citing_works_whatever_id_they_carry(
        srv: ReplayServer, tmp_path: Path, warehouse: Warehouse,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", "k-123")
    add_watch(warehouse, "arxiv:2308.03152")
    srv.add("/works/doi:10.48550/arxiv.2308.03152", Reply.json({"id": "https://openalex.org/W42"}))
    srv.add("/works", Reply.file(EXTERNAL / "openalex/openalexpro_works_search_200_per_page.body.json"),
            query={"cursor": "*", "filter": ANY})
    # the last page: one real record with a DOI and a null title
    null_title = json.loads((EXTERNAL / "openalex/openalexpro_work_W4234567890.body.json").read_bytes())
    srv.add("/works", Reply.json({"meta": {"next_cursor": None}, "results": [null_title]}),
            query={"cursor": ANY})
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["openalex"],
                 until=date(2026, 1, 31))
    assert r.ok and r.fetched == 200 and r.new == 200 and r.requests == 3, r  # 63 without a DOI
    assert r.unusable == 1
    assert r.warnings == ["unusable record W4234567890 (doi:10.4018/jnn.20180101): no title"]
    with warehouse.read() as con:
        keys = {k for (k,) in con.execute("SELECT id FROM work_ids").fetchall()}
    assert "url:https://openalex.org/W1698421338" in keys


def test_openalex_work_known_by_its_arxiv_location_merges_with_the_arxiv_record(
        warehouse: Warehouse) -> None:
    from spiders import openalex

    chemcrow = [w for w in openalex.parse(
        (EXTERNAL / "openalex/paperqa_works_filter_title_search.body.json").read_bytes())
        if w.ids[0] == "arxiv:2304.05376"]
    first = upsert_works(warehouse, arxiv_api.parse(arxiv_feed([("2304.05376", datetime(2023, 4, 11))], 1)))
    again = upsert_works(warehouse, chemcrow)
    assert len(chemcrow) == 1 and again.work_ids == first.work_ids and not again.inserted


def test_openalex_cites_of_a_seed_known_only_by_its_openalex_id(
        srv: ReplayServer, tmp_path: Path, warehouse: Warehouse,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", "k-123")
    with warehouse.write() as con:
        con.execute("INSERT INTO watch_list VALUES (?, 'cited_by', 'w-1', now())",
                    ["url:https://openalex.org/W1698421338"])
    srv.add("/works", Reply.file(EXTERNAL / "openalex/paperqa_works_filter_title_search.body.json"),
            query={"cursor": "*", "filter": ANY})
    (r,) = crawl(make_settings(tmp_path, srv.base_url), warehouse, sources=["openalex"],
                 until=date(2026, 1, 31))
    assert r.ok and r.new == 2 and r.requests == 1, r  # no DOI lookup: the W id is the id
    assert srv.hits("/works")[0].query["filter"].startswith("cites:W1698421338,")


def test_a_feed_url_keeps_its_own_query_string(srv: ReplayServer, tmp_path: Path,
                                               warehouse: Warehouse) -> None:
    """A Wiley/AGU-style eTOC feed (`…/feed?jc=123&type=etoc&feed=rss`) is fetched with its
    query (issue 23, finding 8: it was fetched as `/feed` and 404'd)."""
    feed = (Path(__file__).parent / "fixtures" / "external" / "journal_feeds"
            / "ieee_toc43_tcad_2026-09.excerpt.xml")
    srv.add("/feed", Reply.file(feed, "application/rss+xml"),
            query={"jc": "123", "type": "etoc", "feed": "rss"})
    url = f"{srv.base_url}/feed?jc=123&type=etoc&feed=rss"
    settings = make_settings(tmp_path, srv.base_url,
                             journal_feeds={"feeds": [{"name": "TGRS eTOC", "url": url}]})
    (report,) = crawl(settings, warehouse, sources=["journal_feeds"])
    assert not report.errors, report.errors
    assert [h.query for h in srv.hits()] == [{"jc": "123", "type": "etoc", "feed": "rss"}]
    assert report.fetched + report.unusable > 0, report  # the recorded feed was read
    with make_http_client(settings, retry=FAST) as http:  # params add to the URL's own query
        srv.add("/q", Reply.text("ok"), query={"id": "7", "page": "2"})
        assert http.get(f"{srv.base_url}/q?id=7", params={"page": 2}).status == 200
