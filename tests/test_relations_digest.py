"""Relations stored and shown: each digest render recomputes the relations of its entries to the
survey as it stands (seed entries and entries the lab kept), the 关联 line under the blockquote
names them with the survey's numbers, and an entry the lab drops takes its relations with it.

On a real DuckDB file, rendered by `run_digest`; the abstracts' sentences are real (shared
corpus, CC0 arXiv metadata: arxiv_stream.jsonl lines 1143 and 17557), the titles synthetic."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from lab_world import seeded

from digests import run_digest
from digests.related import refresh_relations
from digests.survey_document import write_survey
from seascout.core.config import Config, DigestConfig, Settings
from seascout.core.model import Author, Kind, Work
from seascout.core.period import parse_period
from warehouse.db import Warehouse
from warehouse.decisions_store import decide
from warehouse.relations_store import relations_of
from warehouse.works import upsert_works

NOW = datetime(2027, 1, 1, 9)
SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"
DISDOP = ("To address this limitation, we propose DisDop, a unified framework that "
          "systematically distills multi-level domain priors from remote sensing foundation "
          "models (e.g., RemoteCLIP and DINOv3) into a lightweight detector.")
LORA = ("We integrate LoRA into DiffusionDet, and evaluate its performance on the DOTA and "
        "DIOR datasets.")


def settings(tmp_path: Path, formats: list[str]) -> Settings:
    digest = DigestConfig(formats=formats, spot_check_size=0)  # type: ignore[arg-type]
    return Settings(config=Config(digest=digest), home=tmp_path, root=tmp_path, config_path=None)


def crawl(wh: Warehouse, period: str, works: list[tuple[str, str, str, str]]) -> None:
    lo, _ = parse_period(period, "Asia/Shanghai").bounds()
    upsert_works(wh, [Work(ids=[wid], title=title, kind=Kind.PREPRINT, abstract=abstract,
                           authors=[Author("A B")], published=lo.date() + timedelta(days=1))
                      for wid, title, abstract, _ in works], now=lo + timedelta(days=1))
    with wh.write() as con:
        con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now())",
                        [[wid, label] for wid, _, _, label in works])


def quote(md: str, heading: str) -> list[str]:
    """The blockquote lines of the entry under `heading`."""
    lines = md.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(heading))
    out = []
    for ln in lines[start + 1:]:
        if ln.startswith("## ") or ln.startswith("# "):
            break
        if ln.startswith(">"):
            out.append(ln)
    return out


def test_the_digest_says_what_an_entry_builds_on_and_a_dropped_entry_vanishes(
        tmp_path: Path, warehouse: Warehouse) -> None:
    seeded(warehouse)
    # the lab kept DOTA in an earlier week: it is entry 4.2 of that digest
    crawl(warehouse, "2026-W40", [("arxiv:1711.10398", "DOTA: A Large-scale Dataset for Object "
                                   "Detection in Aerial Images", "A dataset.", "datasets")])
    s = settings(tmp_path, ["md", "html", "docx"])
    run_digest(s, warehouse, period="2026-W40", deliver=False, now=NOW)
    decide(warehouse, "arxiv:1711.10398", action="keep", by="lab", now=NOW)
    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.20001", "DisDop: domain priors for remote sensing detection", DISDOP,
         "rs_foundation_models"),
        ("arxiv:2611.20002", "LoRA-Det: low-rank detection in aerial images", LORA,
         "ship_detection")])
    report = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert quote(md, "## 2.8 DisDop")[-1] == (
        "> - **关联**：延续 [2.4 RemoteCLIP](https://arxiv.org/abs/2306.11029)")
    assert quote(md, "## 3.4 LoRA-Det")[-1] == (
        "> - **关联**：使用数据集 [4.2 DOTA](https://arxiv.org/abs/1711.10398)")
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert ('<strong>关联</strong>：延续 <a href="https://arxiv.org/abs/2306.11029">2.4 '
            'RemoteCLIP</a>') in html
    with zipfile.ZipFile(report.files["docx"]) as docx:  # a real hyperlink in the Word file
        assert "https://arxiv.org/abs/2306.11029" in docx.read(
            "word/_rels/document.xml.rels").decode()
    with warehouse.read() as con:
        stored = con.execute("SELECT work_id, target_id, kind FROM work_relations "
                             "ORDER BY work_id").fetchall()
    assert stored == [("arxiv:2611.20001", "arxiv:2306.11029", "builds_on"),
                      ("arxiv:2611.20002", "arxiv:1711.10398", "uses_dataset")]
    # a rerun writes the same rows; the lab drops DOTA: the line goes, RemoteCLIP's stays
    decide(warehouse, "arxiv:1711.10398", action="drop", by="lab", now=NOW)
    again = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(again.files["md"]).read_text(encoding="utf-8")
    assert not any("关联" in ln for ln in quote(md, "## 3.4 LoRA-Det"))
    assert quote(md, "## 2.8 DisDop")[-1].startswith("> - **关联**：延续 [2.4 RemoteCLIP]")
    assert [r.kind for r in relations_of(warehouse, ["arxiv:2611.20002"])] == []


def test_refresh_is_idempotent_and_reads_citing_works(warehouse: Warehouse) -> None:
    seeded(warehouse)
    upsert_works(warehouse, [Work(ids=["arxiv:2611.30001"], title="A citing work",
                                  kind=Kind.PREPRINT, abstract="Nothing named here.",
                                  published=date(2026, 11, 24))], now=NOW)
    with warehouse.write() as con:  # it came from OpenAlex as a work citing AI-GOMS (1.2)
        con.execute("INSERT INTO provenance VALUES ('arxiv:2611.30001', 'openalex', "
                    "'cites:arxiv:2308.03152', 'W4385000001', ?)", [NOW])
    first = refresh_relations(warehouse, ["arxiv:2611.30001"])
    second = refresh_relations(warehouse, ["arxiv:2611.30001"])
    assert first == second
    assert [(r.target_id, r.kind, r.evidence) for r in
            relations_of(warehouse, ["arxiv:2611.30001"])] == [
        ("arxiv:2308.03152", "cites", "OpenAlex W4385000001 cites arxiv:2308.03152")]


def test_the_regenerated_survey_lists_each_entrys_follow_ups(tmp_path: Path,
                                                             warehouse: Warehouse) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    s = Settings(config=Config(seeds_dir=str(seeds), digest=DigestConfig(
        formats=["md"], spot_check_size=0, figures=False)), home=tmp_path, root=tmp_path,
        config_path=None)  # type: ignore[arg-type]
    seeded(warehouse)
    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.20001", "DisDop: domain priors for remote sensing detection", DISDOP,
         "rs_foundation_models"),
        ("arxiv:2611.20002", "LoRA-Det: low-rank detection in aerial images", LORA,
         "ship_detection")])
    run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    decide(warehouse, "arxiv:2611.20001", action="keep", by="lab", now=NOW)
    report = write_survey(s, warehouse, tmp_path / "survey", now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    remoteclip = quote(md, "## 2.4 RemoteCLIP")
    assert remoteclip[-1] == ("> - **后续工作**：[2.8 DisDop](https://doi.org/10.48550/arXiv.2611.20001)"
                              "（延续）")
    assert quote(md, "## 2.8 DisDop")[-1].startswith("> - **关联**：延续 [2.4 RemoteCLIP]")
    # LoRA-Det was not kept: it is no one's follow-up; the lab drops DisDop: none left
    assert "LoRA-Det" not in md
    decide(warehouse, "arxiv:2611.20001", action="drop", by="lab", now=NOW)
    again = write_survey(s, warehouse, tmp_path / "survey", now=NOW)
    md = Path(again.files["md"]).read_text(encoding="utf-8")
    assert not any("后续工作" in ln for ln in quote(md, "## 2.4 RemoteCLIP"))


def test_a_successor_of_a_survey_entry_is_listed_as_its_update(tmp_path: Path,
                                                               warehouse: Warehouse) -> None:
    seeded(warehouse)  # 2.4 RemoteCLIP is by F. Liu, D. Chen, Z. Guan, …
    lo, _ = parse_period("2026-W48", "Asia/Shanghai").bounds()
    upsert_works(warehouse, [Work(
        ids=["arxiv:2611.20003"], title="RemoteCLIP-2: Scaling Vision Language Models",
        kind=Kind.PREPRINT, abstract="We scale the model to more data.",
        authors=[Author("Fan Liu"), Author("Delong Chen"), Author("A B")],
        published=date(2026, 11, 24))], now=lo + timedelta(days=1))
    with warehouse.write() as con:
        con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                    "classified_at) VALUES ('arxiv:2611.20003', 'rs_foundation_models', 0.9, "
                    "'offline', now())")
    report = run_digest(settings(tmp_path, ["md"]), warehouse, period="2026-W48",
                        deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "## 2.8 RemoteCLIP-2（更新）" in md
    assert quote(md, "## 2.8 RemoteCLIP-2")[0] == "> - **更新：**2.4 RemoteCLIP 的新版本"
    assert not any("关联" in ln for ln in quote(md, "## 2.8 RemoteCLIP-2"))  # said once
    assert (report.new, report.updated) == (0, 1)
