"""The digest follows the lab's decisions, records its precision and carries a 抽查 sample.

All on a real DuckDB file, rendered by `run_digest`; titles are synthetic.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from lab_world import seeded

from digests import run_digest
from digests.quality import MissedEstimate, missed_estimate, spot_check_sample, wilson_interval
from seascout.core.config import Config, DeliveryConfig, DigestConfig, FilesConfig, Settings
from seascout.core.model import Author, Kind, Work
from seascout.core.period import parse_period
from warehouse.db import Warehouse
from warehouse.decisions_store import decide, review_candidates
from warehouse.works import upsert_works

SURVEY = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"
NOW = datetime(2027, 1, 1, 9)  # every period below has ended
ABSTRACT = "We build a model of the sea surface. It forecasts ten days ahead. The code is public."


def settings(tmp_path: Path, *, formats: list[str] | None = None, deliver_to: Path | None = None,
             spot: int = 5) -> Settings:
    delivery = DeliveryConfig(files=FilesConfig(enabled=deliver_to is not None,
                                                dir=str(deliver_to or "")))
    digest = DigestConfig(formats=formats or ["md"], spot_check_size=spot)  # type: ignore[arg-type]
    return Settings(config=Config(digest=digest, delivery=delivery), home=tmp_path,
                    root=tmp_path, config_path=None)


def crawl(wh: Warehouse, period: str, works: list[tuple[str, str, str]]) -> None:
    lo, _ = parse_period(period, "Asia/Shanghai").bounds()
    upsert_works(wh, [Work(ids=[wid], title=title, kind=Kind.PREPRINT, abstract=ABSTRACT,
                           authors=[Author("A B")], published=date(2026, 11, 24))
                      for wid, title, _ in works], now=lo + timedelta(days=1))
    with wh.write() as con:
        con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now())",
                        [[wid, label] for wid, _, label in works])


def markdown(report) -> str:  # type: ignore[no-untyped-def]
    return Path(report.files["md"]).read_text(encoding="utf-8")


def headings(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [ln for ln in markdown(report).splitlines() if ln.startswith("## ")]


def quality(wh: Warehouse, digest_id: str) -> dict[str, object]:
    with wh.read() as con:
        cur = con.execute("SELECT * FROM digest_quality WHERE digest_id = ?", [digest_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


WEEK = [
    ("arxiv:2611.10001", "DropMe: an ocean model the lab does not want", "ocean_models"),
    ("arxiv:2611.10002", "MoveMe: SAR vessel finding misfiled as ocean", "ocean_models"),
    ("arxiv:2611.10003", "KeepMe: a sea foundation model triage missed", "irrelevant"),
    ("arxiv:2611.10004", "EditMe: ocean forecasting at scale", "ocean_models"),
]


def test_drop_move_keep_and_edit_shape_the_rerendered_digest(tmp_path: Path,
                                                             warehouse: Warehouse) -> None:
    seeded(warehouse)
    crawl(warehouse, "2026-W48", WEEK)
    s = settings(tmp_path, spot=0)
    before = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    assert headings(before) == ["## 1.6 DropMe", "## 1.7 EditMe", "## 1.8 MoveMe"]

    decide(warehouse, "arxiv:2611.10001", action="drop", by="lin")
    decide(warehouse, "arxiv:2611.10002", action="move", section=3, by="lin")
    decide(warehouse, "arxiv:2611.10003", action="keep", section=1, by="lin")
    decide(warehouse, "arxiv:2611.10004", action=None, title_zh="大规模海洋预报",
           summary="实验室写的摘要：十天预报。", by="lin")
    after = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    # Dropped: gone; moved: in section 3; kept against triage: in; edited: the lab's texts.
    assert headings(after) == ["## 1.7 大规模海洋预报", "## 1.8 KeepMe", "## 3.4 MoveMe"]
    md = markdown(after)
    assert "DropMe" not in md
    assert "实验室写的摘要：十天预报。" in md
    assert "论文摘要（原文）：We build a model" not in md.split("## 1.7")[1].split("## 1.8")[0]
    again = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    assert markdown(again) == md  # a rerun is idempotent
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM digest_items").fetchone() == (3,)


def test_a_delivered_digest_is_rerendered_not_resent_and_its_precision_counts_the_delivery(
        tmp_path: Path, warehouse: Warehouse) -> None:
    seeded(warehouse)
    crawl(warehouse, "2026-W48", WEEK)
    s = settings(tmp_path, formats=["md", "html"], deliver_to=tmp_path / "repo", spot=0)
    first = run_digest(s, warehouse, period="2026-W48", now=NOW)
    assert first.deliveries == {"files": "sent"}
    assert quality(warehouse, "2026-W48")["precision"] is None  # nothing decided yet

    decide(warehouse, "arxiv:2611.10001", action="drop", by="lin")
    decide(warehouse, "arxiv:2611.10004", action="keep", by="lin")
    rerun = run_digest(s, warehouse, period="2026-W48", now=NOW)
    assert rerun.deliveries == {"files": "already sent"}
    assert any("re-rendered with the lab's decisions" in n and "not sent again" in n
               for n in rerun.notes)
    assert "DropMe" not in markdown(rerun)  # the archive copy follows the lab
    # Precision counts what the readers got: 3 delivered, 2 decided, 1 kept.
    q = quality(warehouse, "2026-W48")
    assert (q["entries"], q["decided"], q["kept"]) == (3, 2, 1)
    assert q["precision"] == pytest.approx(0.5)
    assert "精确率 1/2 = 50%（已审阅 2/3 条）" in markdown(rerun)
    html = Path(rerun.files["html"]).read_text(encoding="utf-8")
    assert "精确率 1/2 = 50%（已审阅 2/3 条）" in html
    index = Path(rerun.files["archive"]).read_text(encoding="utf-8")
    assert "<th style=\"border:1px solid #d0d7de;padding:2px 6px;\">精确率</th>" in index
    assert "1/2 = 50%" in index

    # The next week shows the trend, the earlier week's precision included, and it is live:
    # a later decision on a week-48 entry changes week 48's figure in the next render.
    crawl(warehouse, "2026-W49", [("arxiv:2612.10001", "NextOne: an ocean model", "ocean_models")])
    decide(warehouse, "arxiv:2611.10002", action="keep", by="lin")
    nxt = run_digest(s, warehouse, period="2026-W49", now=NOW)
    rows = [ln for ln in markdown(nxt).splitlines() if ln.startswith("| 2026-W")]
    assert rows[0].startswith("| 2026-W48 | 3 | 3 | 2 | 2/3 = 67% |")
    assert rows[1].startswith("| 2026-W49 | 1 | 0 | 0 | — |")
    index = Path(nxt.files["archive"]).read_text(encoding="utf-8")
    assert "2/3 = 67%" in index


REJECTED = [(f"arxiv:2611.2{i:04d}", f"Reject{i}: crop yield mapping", "irrelevant")
            for i in range(12)]


def test_spot_check_is_deterministic_marked_unnumbered_and_stored(tmp_path: Path,
                                                                 warehouse: Warehouse) -> None:
    seeded(warehouse)
    crawl(warehouse, "2026-W48", [WEEK[3], *REJECTED])
    s = settings(tmp_path, formats=["md", "html"])
    report = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    assert report.items == 1  # the sample is not counted as entries
    with warehouse.read() as con:
        stored = [r[0] for r in con.execute(
            "SELECT work_id FROM spot_check_items WHERE digest_id = '2026-W48' "
            "ORDER BY position").fetchall()]
        assert con.execute("SELECT rejected, sample_size, closed FROM spot_checks").fetchall() \
            == [(12, 5, True)]
    assert stored == spot_check_sample("2026-W48", [w for w, _, _ in REJECTED], 5)
    assert len(set(stored)) == 5
    assert spot_check_sample("2026-W49", [w for w, _, _ in REJECTED], 5) != stored

    md = markdown(report)
    assert "**抽查（不是本期条目，请勿录入综述）**：从本期 triage 拒绝的 12 条中随机抽取 5 条" in md
    lines = [ln for ln in md.splitlines() if ln.startswith("- [抽查] ")]
    assert len(lines) == 5 and all(ln.endswith("· 未审阅") for ln in lines)
    assert headings(report) == ["## 1.6 EditMe"]  # no sampled work is numbered
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert html.count("<li>[抽查] ") == 5 and 'class="spot-check"' in html

    again = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    assert [ln for ln in markdown(again).splitlines() if ln.startswith("- [抽查] ")] == lines


def test_wilson_interval_and_missed_estimate_known_values() -> None:
    # 1 of 4: the Wilson score interval is 4.56 %–69.94 % (z = 1.96).
    low, high = wilson_interval(1, 4)
    assert (round(low, 4), round(high, 4)) == (0.0456, 0.6994)
    low, high = wilson_interval(0, 5)
    assert low == 0.0 and high == pytest.approx(3.8415 / (5 + 3.8415), abs=1e-4)
    m = missed_estimate(1200, 1, 4)
    assert m is not None and m.point == 300
    assert (round(m.low, 1), round(m.high, 1)) == (54.7, 839.2)
    assert missed_estimate(1200, 0, 0) is None
    # What the lab found counts exactly; the sample speaks only for the undecided rest.
    m = missed_estimate(1200, 1, 4, found=8, rejected_decided=200)
    assert m is not None and m.point == 8 + 1000 / 4
    assert (round(m.low, 1), round(m.high, 1)) == (53.6, 707.4)  # 8 + 1000 × [0.0456, 0.6994]
    assert missed_estimate(1200, 0, 0, found=3) == MissedEstimate(3, 3, None)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_decisions_on_spot_check_works_change_the_estimate(tmp_path: Path,
                                                           warehouse: Warehouse) -> None:
    seeded(warehouse)
    crawl(warehouse, "2026-W48", [WEEK[3], *REJECTED])
    s = settings(tmp_path)
    run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    lo, hi = parse_period("2026-W48", "Asia/Shanghai").bounds()
    listed = review_candidates(warehouse, lo, hi, unlikely=0)
    sampled = [c.work_id for c in listed if c.spot_check]
    assert len(sampled) == 5  # the review page lists every 抽查 work to decide
    assert quality(warehouse, "2026-W48")["missed"] is None

    decide(warehouse, sampled[0], action="keep", section=1, by="lin")
    decide(warehouse, sampled[1], action="drop", by="lin")
    q = quality(warehouse, "2026-W48")
    assert (q["rejected"], q["sampled"], q["sample_decided"], q["sample_kept"]) == (12, 5, 2, 1)
    expected = missed_estimate(12, 1, 2, found=1, rejected_decided=2)
    assert expected is not None and q["found"] == 1
    assert q["missed"] == pytest.approx(6.0)  # the one found + 10 undecided × 1/2
    assert (q["missed_low"], q["missed_high"]) == (pytest.approx(expected.low),
                                                   pytest.approx(expected.high))
    rerun = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    md = markdown(rerun)
    # The sample stays the same works; the kept one now also appears as an entry.
    assert sum(ln.startswith("- [抽查] ") for ln in md.splitlines()) == 5
    assert "· 已保留（第 1 章）" in md and "· 已剔除" in md
    row = next(ln for ln in md.splitlines() if ln.startswith("| 2026-W48 |"))
    assert f"| 保留 1/2（抽 5 / 拒 12） | ≈ 6（95% 区间 {expected.low:.0f}–{expected.high:.0f}） |" in row
    assert not math.isnan(expected.high)


def test_a_rejected_work_the_lab_keeps_is_a_found_miss(tmp_path: Path, warehouse: Warehouse) -> None:
    """Kept from the review page's least-certain list (not the sample), a rejected work is
    counted exactly; the sample still estimates the undecided rest."""
    seeded(warehouse)
    crawl(warehouse, "2026-W48", [WEEK[3], *REJECTED])
    s = settings(tmp_path)
    run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    lo, hi = parse_period("2026-W48", "Asia/Shanghai").bounds()
    listed = review_candidates(warehouse, lo, hi, unlikely=20)
    sampled = {c.work_id for c in listed if c.spot_check}
    outside = next(c.work_id for c in listed if c.label == "irrelevant" and c.work_id not in sampled)
    decide(warehouse, outside, action="keep", section=1, by="lin")
    q = quality(warehouse, "2026-W48")
    assert (q["found"], q["missed"], q["missed_low"], q["missed_high"]) == (1, 1, 1, None)
    rerun = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    row = next(ln for ln in markdown(rerun).splitlines() if ln.startswith("| 2026-W48 |"))
    assert row.endswith("| ≥ 1（已找到） |")
    for wid in sorted(sampled):
        decide(warehouse, wid, action="drop", by="lin")
    q = quality(warehouse, "2026-W48")
    expected = missed_estimate(12, 0, 5, found=1, rejected_decided=6)
    assert expected is not None and q["missed"] == pytest.approx(1.0)
    assert q["missed_high"] == pytest.approx(expected.high) and expected.high == pytest.approx(
        1 + 6 * 3.8415 / (5 + 3.8415), abs=1e-3)


def test_a_hostile_spot_check_title_is_escaped_and_stays_on_its_line(tmp_path: Path,
                                                                     warehouse: Warehouse) -> None:
    seeded(warehouse)
    hostile = '<script>alert(1)</script>\n## 1.1 Fake entry'
    crawl(warehouse, "2026-W48", [WEEK[3], ("arxiv:2611.30001", hostile, "irrelevant")])
    report = run_digest(settings(tmp_path, formats=["md", "html"]), warehouse,
                        period="2026-W48", deliver=False, now=NOW)
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert headings(report) == ["## 1.6 EditMe"]
    assert "- [抽查] &lt;script&gt;alert(1)&lt;/script&gt; ## 1.1 Fake entry" in markdown(report)
