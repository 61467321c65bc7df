"""`seascout survey`: the whole survey regenerated — its own entries as written, the lab's kept
entries after them, a new 导出 row — and the result re-seeds without duplicates."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lab_world import NEAR, NOISE, OCEAN, SHIPS, build
from PIL import Image as PILImage
from typer.testing import CliRunner

from digests.survey_document import next_version, write_survey
from seascout.app.cli import app
from seascout.core.config import Config, Settings
from seascout.core.survey import ExportRow, parse_seed_dir
from warehouse import digest_store as store
from warehouse.db import Warehouse
from warehouse.decisions_store import decide
from warehouse.figures_store import FigureRecord, save_figures
from warehouse.query import survey_works
from warehouse.seeds import store_survey

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_8bc26054f90ad24c.md"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def lab(tmp_path: Path) -> tuple[Settings, Warehouse]:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "src" / "img").mkdir(parents=True)
    (seeds / "src" / "img" / "aba1482-f1.jpeg").write_bytes(b"\xff\xd8\xff\xe0 a figure")
    settings = Settings(config=Config(seeds_dir=str(seeds), digest={"figures": False}),
                        home=tmp_path, root=ROOT, config_path=None)
    wh = Warehouse(tmp_path / "seascout.duckdb", lock_wait=5)
    wh.ensure_schema()
    build(wh)
    return settings, wh


def _fold(text: str) -> str:
    """Whitespace folded, blank '>' lines and table padding dropped."""
    lines = [ln for ln in text.splitlines() if ln.strip() not in (">", "")]
    lines = [re.sub(r"\|-+", "|-", ln) for ln in lines]
    return "\n".join(" ".join(ln.split()) for ln in lines)


def _entries(markdown: str) -> list[str]:
    return re.findall(r"(?m)^## (\d+\.\d+) (.*)$", markdown)


def test_the_survey_comes_back_as_written_with_the_kept_entries_after_it(lab) -> None:  # type: ignore[no-untyped-def]
    settings, wh = lab
    decide(wh, OCEAN, action="keep", by="lin", now=NOW.replace(tzinfo=None))
    decide(wh, NEAR, action="move", section=4, by="lin", title_zh="被动微波海冰密集度反演",
           summary="实验室改写的摘要。", now=NOW.replace(tzinfo=None))
    decide(wh, SHIPS, action="drop", by="lin", now=NOW.replace(tzinfo=None))
    out = settings.home / "out"

    report = write_survey(settings, wh, out, now=NOW)

    assert report.version == "20261202-01" and report.kept == {1: 1, 4: 1}
    md = (out / "exported-20261202-01.md").read_text(encoding="utf-8")
    seed = SEED.read_text(encoding="utf-8")
    # The survey's own entries, byte for byte up to whitespace, in their place.
    kept_blocks = re.findall(r"(?ms)^## (?:1\.6|4\.2) .*?(?=^#)", md)
    assert len(kept_blocks) == 2
    without = md
    for block in kept_blocks:
        without = without.replace(block, "")
    new_rows = re.findall(r"(?m)^\| 20261202-01 \|.*\n", without)
    assert len(new_rows) == 2
    for row in new_rows:
        without = without.replace(row, "")
    assert _fold(without) == _fold(seed)
    # The kept entries, once each, numbered after the survey's; the dropped and the
    # irrelevant ones nowhere.
    assert [n for n, _ in _entries(md)].count("1.6") == 1
    assert ("1.6", "海洋基础模型 OceanNet") in _entries(md)
    assert ("4.2", "被动微波海冰密集度反演") in _entries(md)
    assert "实验室改写的摘要。" in md
    assert "ShipDet" not in md and "Quantum error correction" not in md
    assert "[exported-20261202-01.pdf](./exported-20261202-01.pdf)" in md
    # Every format, the survey's own figure beside it.
    assert (out / "exported-20261202-01.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "exported-20261202-01.docx").read_bytes().startswith(b"PK")
    html = (out / "exported-20261202-01.html").read_text(encoding="utf-8")
    assert "海洋基础模型 OceanNet" in html and "本期无新增" not in html
    assert (out / "src" / "img" / "aba1482-f1.jpeg").is_file()
    assert any("images are not beside" in n for n in report.notes)  # 14 of 15 are missing

    assert write_survey(settings, wh, out, now=NOW).version == "20261202-02"


def test_a_kept_entry_keeps_the_number_its_digest_gave_it(lab) -> None:  # type: ignore[no-untyped-def]
    settings, wh = lab
    record = store.DigestRecord("2026-W48", NOW.date(), NOW.date(), NOW.replace(tzinfo=None), 2,
                                {}, {})
    store.save_digest(wh, record, [store.DigestItem(SHIPS, 3, "3.4", "new", "h1"),
                                   store.DigestItem(OCEAN, 1, "1.7", "new", "h2")])
    decide(wh, OCEAN, action="keep", by="lin")
    decide(wh, NOISE, action="move", section=3, by="lin")

    report = write_survey(settings, wh, settings.home / "out", now=NOW)

    assert any(n.startswith("not yet decided: 1 digest entries") for n in report.notes)  # SHIPS
    md = (settings.home / "out" / "exported-20261202-01.md").read_text(encoding="utf-8")
    numbers = dict((t, n) for n, t in _entries(md))
    assert numbers["海洋基础模型 OceanNet"] == "1.7"
    assert numbers["Quantum error correction on superconducting qubits"] == "3.5"  # after 3.4
    # the holes are said: 1.6 went to a work the lab did not keep, 3.4 is still undecided
    assert "编号沿用各期周报，空号（1.6、3.4）为实验室未保留的条目" in md
    html = (settings.home / "out" / "exported-20261202-01.html").read_text(encoding="utf-8")
    assert not re.search(r"<blockquote[^>]*>\s*<ul[^>]*>\s*</ul>\s*</blockquote>", html)


def test_the_regenerated_survey_reseeds_without_duplicates(lab) -> None:  # type: ignore[no-untyped-def]
    settings, wh = lab
    decide(wh, OCEAN, action="keep", by="lin")
    decide(wh, NEAR, action="move", section=4, by="lin")
    report = write_survey(settings, wh, settings.home / "out", now=NOW)
    with wh.read() as con:
        works_before = con.execute("SELECT count(*) FROM works").fetchone()
    shutil.copy(report.files["md"], settings.seeds_dir / "001_regenerated.md")

    store_survey(wh, parse_seed_dir(settings.seeds_dir))

    with wh.read() as con:
        assert con.execute("SELECT count(*) FROM works").fetchone() == works_before
        entries = con.execute("SELECT work_id, entry FROM seed_entries ORDER BY entry").fetchall()
    ids = [w for w, _ in entries]
    assert len(ids) == len(set(ids)) == 20
    assert (OCEAN, "1.6") in entries and (NEAR, "4.2") in entries
    # The next regeneration starts from the new document: nothing is added twice.
    again = write_survey(settings, wh, settings.home / "out2", now=NOW)
    md = Path(again.files["md"]).read_text(encoding="utf-8")
    assert again.kept == {} and again.seed_entries == 20
    assert [n for n, _ in _entries(md)].count("1.6") == 1
    assert md.count("| 20261202-01 |") == 2 and md.count("| 20261202-02 |") == 2


def test_versions_count_up_within_a_day(tmp_path: Path) -> None:
    rows = [ExportRow("20261202-01", "a.pdf", "./a.pdf"), ExportRow("20231208-01", "b", "./b")]
    day = NOW.date()
    assert next_version(rows, tmp_path, day) == "20261202-02"
    (tmp_path / "exported-20261202-07.md").write_text("x")
    assert next_version(rows, tmp_path, day) == "20261202-08"
    assert next_version([], tmp_path, day.replace(day=3)) == "20261203-01"


def test_cli_survey_needs_a_warehouse_and_says_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["survey"])
    assert result.exit_code == 2
    assert "warehouse unavailable" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "seascout.duckdb").exists()


def test_cli_survey_writes_every_format(lab, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings, _ = lab
    monkeypatch.setenv("SEASCOUT_HOME", str(settings.home))
    cfg = settings.home / "seascout.toml"
    cfg.write_text(f'seeds_dir = "{settings.seeds_dir}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["survey", "--config", str(cfg), "--out",
                                      str(settings.home / "cli")])
    assert result.exit_code == 0, result.output
    assert "18 entries of 000_8bc26054f90ad24c.md + 0 kept by the lab" in result.output
    assert sorted(p.suffix for p in (settings.home / "cli").glob("exported-*")) == [
        ".docx", ".html", ".md", ".pdf"]


def test_the_weekly_regeneration_writes_a_version_only_when_something_changed(lab) -> None:  # type: ignore[no-untyped-def]
    settings, wh = lab
    out = settings.home / "out"
    assert write_survey(settings, wh, out, now=NOW, only_if_changed=True).files
    same = write_survey(settings, wh, out, now=NOW, only_if_changed=True)
    assert same.files == {} and same.version == "20261202-01"
    decide(wh, OCEAN, action="keep", by="lin")
    changed = write_survey(settings, wh, out, now=NOW, only_if_changed=True)
    assert changed.version == "20261202-02" and changed.kept == {1: 1}


def test_a_kept_entry_shows_its_figure_in_every_format(lab) -> None:  # type: ignore[no-untyped-def]
    settings, wh = lab
    settings = replace(settings, config=settings.config.model_copy(
        update={"digest": settings.config.digest.model_copy(update={"figures": True})}))
    png = io.BytesIO()
    PILImage.new("RGB", (320, 200), (30, 90, 160)).save(png, "PNG")
    settings.figures_dir.mkdir(parents=True)
    (settings.figures_dir / "oceannet.png").write_bytes(png.getvalue())
    save_figures(wh, [FigureRecord(OCEAN, "stored", "oceannet.png", "https://arxiv.org/html/x1.png",
                                   "https://arxiv.org/html/2611.00001", 320, 200, 1),
                      FigureRecord(NEAR, "none", note="no figure on its pages")])
    decide(wh, OCEAN, action="keep", by="lin")
    decide(wh, NEAR, action="move", section=4, by="lin")
    out = settings.home / "out"

    report = write_survey(settings, wh, out, now=NOW)  # nothing fetched: both are known

    md = Path(report.files["md"]).read_text(encoding="utf-8")
    block = md.split("## 1.6 ", 1)[1].split("\n## ", 1)[0]
    assert "![](./figures/oceannet.png)" in block
    assert (out / "figures" / "oceannet.png").read_bytes() == png.getvalue()
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert 'src="./figures/oceannet.png"' in html and "fonts/" in html
    with zipfile.ZipFile(report.files["docx"]) as docx:
        assert any(n.startswith("word/media/") for n in docx.namelist())


def test_the_survey_and_its_exports_are_one_set(lab) -> None:  # type: ignore[no-untyped-def]
    """Issue 24 #4: `seascout survey`, `export --survey` and `zotero push` read one definition
    (`survey_membership`): the document's entries and what the lab kept; a drop takes the
    work out of all of them; triage's undecided picks are in none; a drop the document
    overrides says so."""
    settings, wh = lab
    decide(wh, NEAR, action="move", section=4, by="lin")  # kept; SHIPS and OCEAN undecided
    decide(wh, OCEAN, action="keep", by="lin")
    first = write_survey(settings, wh, settings.home / "a", now=NOW)
    assert first.seed_entries + sum(first.kept.values()) == len(survey_works(wh)) == 20
    assert SHIPS not in {w.work_id for _, w in survey_works(wh)}  # an undecided pick: in neither

    decide(wh, OCEAN, action="drop", by="lin")
    again = write_survey(settings, wh, settings.home / "b", now=NOW)
    md = Path(again.files["md"]).read_text(encoding="utf-8")
    assert "OceanNet" not in md and OCEAN not in {w.work_id for _, w in survey_works(wh)}
    assert again.seed_entries + sum(again.kept.values()) == len(survey_works(wh)) == 19

    # One of the lab's own entries cannot be dropped by a decision (refused in `decide`); a
    # drop stored before that is overridden by the document, in both, and the survey says so.
    seed = "doi:10.1126/sciadv.aba1482"
    with wh.write() as con:
        con.execute("INSERT INTO decisions VALUES (?, 'drop', NULL, 'irrelevant', NULL, NULL, "
                    "'lin', ?)", [seed, NOW.replace(tzinfo=None)])
    third = write_survey(settings, wh, settings.home / "c", now=NOW)
    assert seed in {w.work_id for _, w in survey_works(wh)}
    assert "复杂热带不稳定波" in Path(third.files["md"]).read_text(encoding="utf-8")
    said = [n for n in third.notes if seed in n]
    assert len(said) == 1 and "entry 1.1 of the survey document" in said[0]
