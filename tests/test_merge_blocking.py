"""Fuzzy title matching against a crowd of look-alike titles (issue 23 item 2): every record
meets at most MAX_BLOCK candidates, in SQL and inside a batch, and the true pairs still merge."""

from collections import Counter
from datetime import date, datetime

from seascout.core.model import Kind, Provenance, Work
from warehouse.db import Warehouse
from warehouse.merge import MAX_BLOCK, fuzzy_blocks, group_batch, normalise
from warehouse.works import title_candidates, upsert_works

T0 = datetime(2026, 11, 23, 8, 0)
PREFIX = "Deep learning for ocean remote sensing of sea surface"  # shared by the whole crowd
WORDS = [f"{a}{b}" for a in "bcdfghklmnprstvz" for b in ("ora", "ine", "ust", "ell")]  # 64 words


def crowd_title(i: int) -> str:
    return f"{PREFIX} {WORDS[i % 64]} and {WORDS[(i // 64) % 64]} fields"


def journal(i: int, title: str) -> Work:
    return Work(ids=[f"doi:10.5555/crowd.{i}"], kind=Kind.PAPER, title=title,
                published=date(2024, 3, 1),
                provenance=[Provenance("crossref", "bench", T0, str(i))])


def preprint(i: int, title: str, year: int = 2023) -> Work:
    return Work(ids=[f"arxiv:2301.{i:05d}"], kind=Kind.PREPRINT, title=title,
                published=date(year, 11, 1),
                provenance=[Provenance("arxiv_api", "q", T0, str(i))])


def stored_crowd(wh: Warehouse, n: int = 400) -> None:
    works = [journal(i, crowd_title(i)) for i in range(n)]
    works.append(journal(9000, "SeaCLIP: Contrastive Vision-Language Pretraining for Maritime "
                               "Remote Sensing"))
    upsert_works(wh, works, now=T0)


def adversarial_page() -> list[Work]:
    return [
        preprint(1, crowd_title(7)),  # the preprint of stored work 7: same title
        preprint(2, crowd_title(300).upper() + "!"),  # of 300: case and punctuation differ
        preprint(3, crowd_title(150), year=2020),  # 150's title, but four years earlier
        preprint(4, f"{PREFIX} nowhere and nothing fields"),  # a look-alike of none of them
        # outside the crowd, ordinary fuzzy matching still holds (a word dropped)
        preprint(5, "SeaCLIP: Contrastive Vision-Language Pretraining for Maritime Sensing"),
    ]


def test_adversarial_page_yields_only_the_true_merges(warehouse: Warehouse) -> None:
    stored_crowd(warehouse)
    page = adversarial_page()
    result = upsert_works(warehouse, page, now=datetime(2026, 11, 30))
    assert [w.work_id for w in page] == [
        "doi:10.5555/crowd.7", "doi:10.5555/crowd.300", "arxiv:2301.00003", "arxiv:2301.00004",
        "doi:10.5555/crowd.9000"]
    assert sorted(result.inserted) == ["arxiv:2301.00003", "arxiv:2301.00004"]
    assert not result.merged_away
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM works").fetchone() == (403,)


def test_candidates_per_record_are_capped_in_sql(warehouse: Warehouse) -> None:
    stored_crowd(warehouse)
    page = [normalise(w) for w in adversarial_page()]
    with warehouse.read() as con:
        rows = list(title_candidates(con, page, range(len(page))))
    per_record = Counter(idx for idx, *_ in rows)
    # The first token, even the first eight, would pair each crowd record with all 400.
    assert max(per_record.values()) <= MAX_BLOCK
    assert per_record[0] == 1 and per_record[1] == 1  # narrowed to the whole title
    assert 2 not in per_record and 3 not in per_record  # wrong year; no such title
    assert {wid for idx, wid, *_ in rows if idx == 4} == {"doi:10.5555/crowd.9000"}


def test_batch_blocks_are_capped_and_keep_true_pairs() -> None:
    records = [normalise(journal(i, crowd_title(i))) for i in range(300)]
    records += [normalise(preprint(i, crowd_title(i).lower(), year=2024)) for i in range(300)]
    groups = group_batch(records)
    assert sorted(map(sorted, groups)) == [[i, i + 300] for i in range(300)]
    keys = {i: ["deep learning"] * 7 for i in range(600)}  # one whole-title crowd
    blocks = fuzzy_blocks(keys)
    assert max(map(len, blocks)) == MAX_BLOCK
    assert sorted(i for b in blocks for i in b) == list(range(600))


def test_duckdb_works_under_a_memory_limit(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def limit(name: str) -> str:
        with Warehouse(tmp_path / name, lock_wait=5).write() as con:
            return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]

    monkeypatch.delenv("SEASCOUT_MEMORY_LIMIT", raising=False)
    assert limit("default.duckdb") == "953.6 MiB"  # 1 GB
    monkeypatch.setenv("SEASCOUT_MEMORY_LIMIT", "256MB")
    assert limit("small.duckdb") == "244.1 MiB"


def test_a_memory_limit_that_is_no_size_is_one_line_naming_the_variable(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from seascout.app.cli import app

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path))
    monkeypatch.setenv("SEASCOUT_MEMORY_LIMIT", "bogus")
    result = CliRunner().invoke(app, ["seed"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SEASCOUT_MEMORY_LIMIT='bogus'" in lines[0], result.stderr
    assert "Traceback" not in result.output
