"""PDF and DOCX of the survey's own text: printed by a real layout engine (WeasyPrint) with the
packaged CJK font, and converted by pandoc — checked on what a reader sees."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from digests.document import Digest, ExportFile, digest_from_survey
from digests.pdf import font_cache_dir, write_pdf
from digests.render import make_environment, render_html, render_markdown
from digests.word import write_docx
from seascout.core.survey import parse_survey

SURVEY = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"


@pytest.fixture(scope="module")
def digest() -> Digest:
    s = parse_survey(SURVEY.read_text(encoding="utf-8"), SURVEY.name)
    d = digest_from_survey(s.sections, s.entries, digest_id="2026-W48", title="周报",
                           generated_at=datetime(2026, 11, 30, 8))
    d.exports = [ExportFile("PDF", "seascout-2026-W48.pdf", "./seascout-2026-W48.pdf"),
                 ExportFile("DOCX", "seascout-2026-W48.docx", "./seascout-2026-W48.docx")]
    d.chart_svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20">'
                   '<rect width="50" height="20" fill="#1f6feb"/></svg>')
    return d


@pytest.fixture(scope="module")
def pdf(digest: Digest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "seascout-2026-W48.pdf"
    return write_pdf(render_html(digest, make_environment(), for_print=True), out,
                     font_cache=font_cache_dir(tmp_path_factory.mktemp("fonts")))


def test_pdf_text_is_whole_linked_and_in_the_cjk_font(pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "AI-GOMS（Large AI-Driven Global Ocean Modeling System）" in flat  # no justified gaps
    assert "1/4∘" in flat.replace(" ", "")  # a glyph the CJK font lacks still prints
    assert not [ln for ln in text.splitlines() if ln.strip().startswith(("。", "，", "）"))]
    uris = {a.get_object()["/A"]["/URI"] for p in reader.pages for a in p.get("/Annots") or []
            if "/A" in a.get_object()}
    assert "https://github.com/zjunlp/KnowLM" in uris  # live links, bare URLs included
    # the 导出 links too, relative as in the HTML: an absolute file:/// link dies once mailed
    assert "./seascout-2026-W48.docx" in uris and not [u for u in uris if u.startswith("file:")]
    assert not [u for u in uris if u.endswith((".", ",", ";"))]  # no sentence's full stop
    fonts = {str(f) for p in reader.pages
             for f in (p["/Resources"].get("/Font") or {}).values()
             for f in [f.get_object()["/BaseFont"]]}
    assert any("Seascout-CJK" in f for f in fonts), fonts


def test_pdf_carries_the_tables_and_the_chart(pdf: Path) -> None:
    from pypdf import PdfReader

    first = PdfReader(str(pdf)).pages[0]
    text = first.extract_text()
    assert "导出" in text and "seascout-2026-W48.pdf" in text and "新增" in text
    drawing = first.get_contents().get_data().decode("latin-1")
    assert "0.121569 0.435294 0.921569 rg" in drawing  # the chart's #1f6feb bar is drawn


def test_docx_has_the_export_table_hyperlinks_lists_and_quotes(digest: Digest,
                                                              tmp_path: Path) -> None:
    from docx import Document

    path = write_docx(render_markdown(digest, make_environment()), tmp_path / "d.docx",
                      title="周报 2026-W48")
    doc = Document(str(path))
    xml = doc.element.xml
    first_table = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert first_table[0] == ["版本", "下载链接", "备注"] and "seascout-2026-W48.pdf" in first_table[1][1]
    assert xml.count("<w:hyperlink") >= 30
    assert "<w:numPr>" in xml  # real list items, not "- " text
    assert not [p.text for p in doc.paragraphs if p.text.startswith(("- ", "> ", "[TOC]"))]
    assert "Block Text" in {p.style.name for p in doc.paragraphs}  # the survey's blockquotes
    assert 'w:eastAsia="Microsoft YaHei"' in doc.styles.element.xml


def test_the_pdf_font_is_prepared_once_per_machine_for_every_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The static font instances (~20 s to make) live in the user cache, shared by every
    SEASCOUT_HOME and every demo, not in each home's own cache; a user cache that cannot be
    written (here a regular file) leaves them in the home's cache, as before."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    homes = [tmp_path / name / "cache" / "fonts" for name in ("lab", "demo")]
    shared = {font_cache_dir(home) for home in homes}
    assert len(shared) == 1
    (folder,) = shared
    assert folder.is_dir() and folder.is_relative_to(tmp_path / "user-cache" / "seascout" / "fonts")
    assert not any(home.exists() for home in homes)

    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    assert font_cache_dir(homes[0]) == homes[0]
