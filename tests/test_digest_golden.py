"""Golden test: the survey's own entries, rendered by the digest, give back the survey."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from digests.citation import format_citation, ieee_name, initials
from digests.document import ExportFile, digest_from_survey
from digests.render import make_environment, render_markdown
from seascout.core.model import Author, Kind, Venue, Work
from seascout.core.survey import parse_survey

SURVEY = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"  # the golden file
DOI_RE = re.compile(r"doi: \[([^\]]+)\]\(https://doi\.org/([^)]+)\)")


@pytest.fixture(scope="module")
def survey():  # type: ignore[no-untyped-def]
    return parse_survey(SURVEY.read_text(encoding="utf-8"), SURVEY.name)


@pytest.fixture(scope="module")
def rendered(survey) -> str:  # type: ignore[no-untyped-def]
    d = digest_from_survey(survey.sections, survey.entries, digest_id="2026-W48",
                           title="周报", generated_at=datetime(2026, 11, 30, 8))
    d.exports = [ExportFile("PDF", "seascout-2026-W48.pdf", "./seascout-2026-W48.pdf"),
                 ExportFile("DOCX", "seascout-2026-W48.docx", "./seascout-2026-W48.docx")]
    return render_markdown(d, make_environment())


def _fold_doi(citation: str) -> str:
    """DOIs are case-insensitive and the warehouse keys them lower-case: compare them so."""
    return DOI_RE.sub(lambda m: f"doi: [{m.group(1).lower()}](https://doi.org/{m.group(2).lower()})",
                      citation)


def test_every_survey_citation_is_reproduced(survey) -> None:  # type: ignore[no-untyped-def]
    cited = [e for e in survey.entries if e.citation]
    assert len(cited) >= 11
    for e in cited:
        assert _fold_doi(format_citation(e.work)) == _fold_doi(e.citation), e.number


def test_citations_keep_doi_case_when_a_link_carries_it(survey) -> None:  # type: ignore[no-untyped-def]
    exact = [e for e in survey.entries if e.citation and e.citation == format_citation(e.work)]
    assert len(exact) >= 10  # all but DOIs whose case only the citation text knew


def test_structure_follows_the_survey(survey, rendered: str) -> None:  # type: ignore[no-untyped-def]
    lines = rendered.splitlines()
    assert lines[0] == "[TOC]"
    assert lines[2] == "# 0. 导出"
    assert "| 版本 | 下载链接 | 备注 |" in rendered
    assert "[seascout-2026-W48.pdf](./seascout-2026-W48.pdf)" in rendered
    assert "[seascout-2026-W48.docx](./seascout-2026-W48.docx)" in rendered
    sections = [ln for ln in lines if re.match(r"^# \d+\. ", ln)]
    assert sections == ["# 0. 导出"] + [f"# {s.number}. {s.title}" for s in survey.sections]
    headings = [ln for ln in lines if ln.startswith("## ")]
    assert headings == [f"## {e.number} {e.heading}" for e in survey.entries]
    assert len(headings) == 18


def test_a_survey_work_without_its_own_quote_gets_the_crawled_layout(survey) -> None:  # type: ignore[no-untyped-def]
    """A survey work reported again (e.g. published) is rendered from its data, not its text."""
    d = digest_from_survey(survey.sections, survey.entries, digest_id="2026-W48", title="周报",
                           generated_at=datetime(2026, 11, 30, 8))
    for e in d.entries:
        e.quote = None
    rendered = render_markdown(d, make_environment())
    for e in survey.entries:
        block = rendered.split(f"## {e.number} ", 1)[1].split("\n## ", 1)[0].split("\n# ", 1)[0]
        if e.citation:
            assert f"> - **论文引用**：{format_citation(e.work)}" in block
        if e.work.arxiv_id:
            assert f"> - **论文直看：**https://ar5iv.labs.arxiv.org/html/{e.work.arxiv_id}" in block
        first_summary_line = e.summary.strip().splitlines()[0].lstrip("#").strip()
        assert first_summary_line[:20] in block
    oceangpt = rendered.split("## 1.3 ", 1)[1].split("\n## ", 1)[0]
    for label in ("项目主页", "模型下载", "开源代码"):
        assert f"> - **{label}：**https://" in oceangpt


def test_news_item_uses_the_related_links_layout(rendered: str) -> None:
    news = rendered.split("# 5. ", 1)[1]
    assert "## 5.1 CNCC2023 技术论坛" in news
    assert "论坛链接：https://www.ccf.org.cn/" in news
    assert "**论文引用**" not in news


# -- the formatter on works built by hand -------------------------------------------------
def _work(**kw) -> Work:  # type: ignore[no-untyped-def]
    base = {"ids": ["doi:10.1/x"], "title": "A title", "kind": Kind.PAPER,
            "authors": [Author("Ada Lovelace")], "published": date(2024, 3, 5)}
    base.update(kw)
    return Work(**base)


def test_seven_authors_become_et_al() -> None:
    w = _work(authors=[Author(f"Given{i} Family{i}") for i in range(7)],
              venue=Venue(journal="Remote Sensing", volume="16", issue="5", article_number="812"))
    assert format_citation(w).startswith("G. Family0 *et al.*, “A title,” *Remote Sensing*, "
                                         "vol. 16, no. 5, Art. no. 812, Mar. 2024, doi:")


def test_six_authors_are_all_listed() -> None:
    w = _work(authors=[Author(f"Given Family{i}") for i in range(6)], venue=Venue(journal="J"))
    assert format_citation(w).startswith(
        "G. Family0, G. Family1, G. Family2, G. Family3, G. Family4, and G. Family5, “A title,”")


def test_arxiv_preprint_form() -> None:
    w = _work(ids=["arxiv:2401.00001"], kind=Kind.PREPRINT, title="What is it?",
              authors=[Author("Jean-Pierre Dupont"), Author("Li, Wei")],
              published=date(2024, 1, 2))
    assert format_citation(w) == (
        "J.-P. Dupont and W. Li, “What is it?” arXiv, Jan. 02, 2024. "
        "doi: [10.48550/arXiv.2401.00001](https://doi.org/10.48550/arXiv.2401.00001).")


def test_page_ranges_and_conference() -> None:
    w = _work(venue=Venue(journal="Proceedings of the IEEE/CVF Conference on Computer Vision",
                          pages="10-20"))
    assert "in *Proceedings of the IEEE/CVF Conference on Computer Vision*, Mar. 2024, " \
           "pp. 10–20, doi:" in format_citation(w)


def test_names() -> None:
    assert initials("Rong-Hua") == "R.-H."
    assert ieee_name("R.-H. Zhang") == "R.-H. Zhang"
    assert ieee_name("Ludwig van Beethoven") == "L. van Beethoven"


# -- round trip: the survey's own 18 entries, rendered, give back the survey ----------------
def _entry_blocks(markdown: str) -> dict[str, str]:
    """`N.M` → the entry's text from its heading to the next heading, whitespace folded
    (blank lines and blank '>' lines are whitespace too)."""
    blocks: dict[str, list[str]] = {}
    current: str | None = None
    for line in markdown.splitlines():
        if m := re.match(r"^## (\d+\.\d+) ", line):
            current = m.group(1)
            blocks[current] = []
        elif line.startswith("# "):
            current = None
        if current is not None and line.strip() not in ("", ">"):
            blocks[current].append(line.rstrip())
    return {k: " ".join(" ".join(v).split()) for k, v in blocks.items()}


def test_rendering_the_survey_gives_back_every_entry(rendered: str) -> None:
    original = _entry_blocks(SURVEY.read_text(encoding="utf-8"))
    again = _entry_blocks(rendered)
    assert len(original) == 18 and list(again) == list(original)
    for number, text in original.items():
        assert again[number] == text, number


def test_round_trip_keeps_figures_link_texts_nested_lists_and_colons(rendered: str) -> None:
    entry_1_1 = rendered.split("## 1.1 ", 1)[1].split("\n## ", 1)[0]
    assert "> - **中科院发布**：基于大数据的人工智能海洋学预报研究取得进展 https://www.cas.cn/" in entry_1_1
    assert ">   - 卫星海洋环境动力学国家重点实验室：《我所在 Science 子刊上" in entry_1_1
    assert "![](./src/img/aba1482-f1.jpeg)" in entry_1_1
    assert "> - **论文引用：**W. Xiong" in rendered  # 1.2 writes the colon inside the bold
    assert "> - **论文引用**：Z. Bi" in rendered  # 1.3 outside
    assert rendered.count("ar5iv.labs.arxiv.org") == 1  # only where the survey has one (1.2)
    assert "http://www.qdio.cas.cn/2019Ver/" in rendered
