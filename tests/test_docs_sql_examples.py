"""Every ```sql block of the README's "SQL on the warehouse" section runs and returns what it
promises, on a warehouse seeded from the survey plus synthetic new works, labels and the
OpenAlex provenance of works citing the survey's papers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from digests.related import refresh_relations
from seascout.core import clock
from seascout.core.model import Kind, Link, LinkKind, Provenance, Venue, Work
from seascout.core.survey import parse_seed_dir
from warehouse.db import Warehouse
from warehouse.query import run_query
from warehouse.seeds import store_survey
from warehouse.works import upsert_works

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SEEDED_AT = datetime(2025, 1, 6, 9, 0)  # a Monday: the survey's entries are all "2025-W02"
NOW = clock.stamp().replace(microsecond=0)  # stored timestamps are UTC, as `current_date`
EARLIER = NOW - timedelta(days=20)  # a previous week

SECTION = {1: "海洋大模型", 2: "舰船检测大模型", 3: "相关技术"}
LABEL_SECTION = {"ocean_models": 1, "rs_foundation_models": 2, "ship_detection": 3}

# (key, title, kind, published, first_seen, label, code url, seed keys it cites)
SYNTHETIC = [
    ("doi:10.5555/ship.2025.1", "SARShipNet: ship detection in wide-swath SAR", Kind.PAPER,
     date(2025, 3, 10), NOW, "ship_detection", "https://github.com/lab/sarshipnet",
     ["doi:10.3390/rs14061488", "doi:10.1016/j.isprsjprs.2023.02.011"]),
    ("arxiv:2502.00001", "YOLO-Sea: infrared vessel detection", Kind.PREPRINT,
     date(2025, 2, 1), EARLIER, "ship_detection", "https://github.com/lab/yolo-sea",
     ["arxiv:2308.03152"]),
    ("doi:10.5555/ship.2025.2", "Ship wakes in optical imagery without code", Kind.PAPER,
     date(2025, 4, 1), NOW, "ship_detection", None, ["arxiv:2306.11029"]),
    ("doi:10.5555/ship.2023.1", "An older ship detector with code", Kind.PAPER,
     date(2023, 5, 1), EARLIER, "ship_detection", "https://github.com/lab/old-ship", []),
    ("arxiv:2503.00002", "OceanNet-2: a global ocean forecasting foundation model", Kind.PREPRINT,
     date(2025, 3, 20), NOW, "ocean_models", None,
     ["arxiv:2308.03152", "doi:10.1126/sciadv.aba1482"]),
    ("doi:10.5555/bio.2025.1", "Plankton counts in a coastal bay", Kind.PAPER,
     date(2025, 3, 2), NOW, "irrelevant", None, ["arxiv:2308.03152"]),
    ("doi:10.5555/rs.2025.1", "GeoCLIP-2: remote sensing vision-language pretraining", Kind.PAPER,
     date(2025, 3, 5), NOW, "rs_foundation_models", None, ["arxiv:2306.11029"]),
    ("doi:10.5555/rs.2023.1", "A 2023 work citing RemoteCLIP", Kind.PAPER,
     date(2023, 11, 1), EARLIER, None, None, ["arxiv:2306.11029"]),
]
JOURNAL = {"doi:10.5555/ship.2025.1": "Remote Sensing"}


def sql_blocks(text: str) -> dict[str, str]:
    """The ```sql blocks between the sql-examples markers, by their first `-- comment` line."""
    section = re.search(r"<!-- sql-examples:start -->(.*?)<!-- sql-examples:end -->", text, re.S)
    assert section, "README has no sql-examples block"
    blocks = re.findall(r"```sql\n(.*?)```", section.group(1), re.S)
    out = {}
    for block in blocks:
        first = block.strip().splitlines()[0]
        assert first.startswith("-- "), f"a README sql block must start with a -- title: {first!r}"
        out[first[3:].strip()] = block
    return out


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = Warehouse(tmp_path_factory.mktemp("sql") / "seascout.duckdb", lock_wait=5)
    store_survey(wh, parse_seed_dir(ROOT / "seeds"), now=SEEDED_AT)
    for key, title, kind, published, seen, label, code, cites in SYNTHETIC:
        prov = [Provenance("openalex", f"cites:{seed}", seen, f"W{abs(hash(key)) % 10**8}")
                for seed in cites] or [Provenance("crossref", "issn:0000-0000", seen, key)]
        links = [Link(LinkKind.CODE, code, None)] if code else []
        upsert_works(wh, [Work(ids=[key], title=title, kind=kind, published=published,
                               venue=Venue(journal=JOURNAL.get(key)), links=links,
                               provenance=prov)], now=seen)
        if label:
            with wh.write() as con:
                con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                            "classified_at) VALUES (?, ?, 0.9, 'offline', ?)", [key, label, seen])
    refresh_relations(wh, [key for key, *_ in SYNTHETIC])  # as a digest listing them does
    return wh


def week(t: datetime) -> str:
    y, w, _ = t.isocalendar()
    return f"{y}-W{w:02d}"


def expected() -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    # the survey's 18 entries per section, all first seen when seeded, then the synthetic ones
    by_week: dict[tuple[str, int], int] = {(week(SEEDED_AT), n): c
                                           for n, c in {1: 5, 2: 7, 3: 3, 4: 1, 5: 2}.items()}
    for _, _, _, _, seen, label, _, _ in SYNTHETIC:
        if label in LABEL_SECTION:
            k = (week(seen), LABEL_SECTION[label])
            by_week[k] = by_week.get(k, 0) + 1
    titles = {1: "海洋大模型", 2: "舰船检测大模型", 3: "相关技术", 4: "数据集", 5: "相关论坛/资讯"}
    weekly = sorted(((w, s, titles[s], n) for (w, s), n in by_week.items()),
                    key=lambda r: (_neg(r[0]), r[1]))[:10]
    return {
        "new works this week, by section": [
            (1, SECTION[1], "preprint", "OceanNet-2: a global ocean forecasting foundation model",
             "arXiv:2503.00002"),
            (2, SECTION[2], "paper", "GeoCLIP-2: remote sensing vision-language pretraining",
             "doi:10.5555/rs.2025.1"),
            (3, SECTION[3], "paper", "SARShipNet: ship detection in wide-swath SAR",
             "doi:10.5555/ship.2025.1"),
            (3, SECTION[3], "paper", "Ship wakes in optical imagery without code",
             "doi:10.5555/ship.2025.2"),
        ],
        "ship detection papers with code since a date": [
            (date(2025, 3, 10), "SARShipNet: ship detection in wide-swath SAR", "Remote Sensing",
             "https://github.com/lab/sarshipnet"),
            (date(2025, 2, 1), "YOLO-Sea: infrared vessel detection", "arXiv 2502.00001",
             "https://github.com/lab/yolo-sea"),
        ],
        "monthly counts per section": [
            ("2025-02", 3, SECTION[3], 1),
            ("2025-03", 1, SECTION[1], 1),
            ("2025-03", 2, SECTION[2], 1),
            ("2025-03", 3, SECTION[3], 1),
            ("2025-04", 3, SECTION[3], 1),
        ],
        "seed papers cited most by new work": [
            ("1.2", "AI-GOMS", 3),  # OceanNet-2, YOLO-Sea and the (irrelevant) plankton paper
            ("2.4", "RemoteCLIP（视觉-文本联合多模态预训练遥感大模型）", 2),  # not the 2023 one
            ("1.1", "复杂热带不稳定波的纯卫星数据驱动深度学习预测", 1),
            ("3.1", "用于多源星载合成孔径雷达图像船舶探测的特定领域知识提取 Transformer 方法", 1),
            ("3.3", "CRTransSar", 1),
        ],
        "recent weeks per section": weekly,
        "survey entries with the most follow-ups in the last 90 days": [
            ("1.2", 3), ("2.4", 3), ("1.1", 1), ("3.1", 1), ("3.3", 1)],  # the OpenAlex citations
    }


def _neg(week_id: str) -> tuple[int, int]:
    y, w = week_id.split("-W")
    return (-int(y), -int(w))


def test_readme_has_the_promised_examples() -> None:
    blocks = sql_blocks(README.read_text(encoding="utf-8"))
    assert set(blocks) == set(expected()), "README sql blocks and this test's expectations differ"


@pytest.mark.parametrize("title", sorted(expected()))
def test_readme_sql_example_returns_the_expected_rows(wh: Warehouse, title: str) -> None:
    sql = sql_blocks(README.read_text(encoding="utf-8"))[title]
    columns, rows = run_query(wh, sql)
    assert columns, sql
    assert rows == expected()[title], f"{title}:\n{sql}\ncolumns {columns}"

