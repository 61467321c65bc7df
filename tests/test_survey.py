from pathlib import Path

import pytest

from seascout.core.model import Kind, Label, LinkKind
from seascout.core.survey import SurveyError, parse_seed_dir, parse_survey

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def survey():  # type: ignore[no-untyped-def]
    (s,) = parse_seed_dir(SEEDS)
    return s


def test_real_survey_counts(survey) -> None:  # type: ignore[no-untyped-def]
    assert [s.number for s in survey.sections] == [1, 2, 3, 4, 5]
    assert [s.label for s in survey.sections] == [
        Label.OCEAN_MODELS, Label.RS_FOUNDATION_MODELS, Label.SHIP_DETECTION, Label.DATASETS, Label.NEWS]
    assert len(survey.entries) == 18
    assert len(survey.dois) == 11
    assert sum(d.startswith("10.48550/") for d in survey.dois) == 5


def test_journal_citation_is_parsed_into_fields(survey) -> None:  # type: ignore[no-untyped-def]
    e = next(e for e in survey.entries if e.number == "1.1")
    w = e.work
    assert w.ids == ["doi:10.1126/sciadv.aba1482"]
    assert [a.name for a in w.authors] == ["G. Zheng", "X. Li", "R.-H. Zhang", "B. Liu"]
    assert w.venue.journal == "Science Advances"
    assert (w.venue.volume, w.venue.issue, w.venue.pages) == ("6", "29", "eaba1482")
    assert (w.published.isoformat(), w.published_precision) == ("2020-07-01", "month")
    assert e.heading == "复杂热带不稳定波的纯卫星数据驱动深度学习预测"
    assert e.images == ["./src/img/aba1482-f1.jpeg"]
    assert {ln.label for ln in w.links} >= {"中科院发布", "Science Advances"}


def test_arxiv_citation_with_et_al(survey) -> None:  # type: ignore[no-untyped-def]
    w = next(e for e in survey.entries if e.number == "1.2").work
    assert w.ids == ["arxiv:2308.03152"] and w.kind is Kind.PREPRINT
    assert w.authors_incomplete and [a.name for a in w.authors] == ["W. Xiong"]
    assert w.published.isoformat() == "2023-08-10"
    assert w.doi == "10.48550/arXiv.2308.03152"


def test_labelled_links_get_kinds(survey) -> None:  # type: ignore[no-untyped-def]
    w = next(e for e in survey.entries if e.number == "1.3").work
    kinds = {ln.label: ln.kind for ln in w.links}
    assert kinds == {"项目主页": LinkKind.PROJECT, "模型下载": LinkKind.MODEL, "开源代码": LinkKind.CODE}
    ds = next(e for e in survey.entries if e.number == "4.1").work
    assert ds.kind is Kind.DATASET
    assert {ln.kind for ln in ds.links} == {LinkKind.PROJECT, LinkKind.DATASET}


def test_news_entries_keep_their_link_lists(survey) -> None:  # type: ignore[no-untyped-def]
    w = next(e for e in survey.entries if e.number == "1.5").work
    assert w.kind is Kind.NEWS and w.title == "琅琊泊"
    assert len(w.links) == 5 and all(ln.kind is LinkKind.NEWS for ln in w.links)
    assert w.ids == ["url:https://science.china.com.cn/2023-06/30/content_42428135.htm"]


def test_paper_title_line_gives_the_english_title(survey) -> None:  # type: ignore[no-untyped-def]
    w = next(e for e in survey.entries if e.number == "2.7").work
    assert w.title == "Advancing Plain Vision Transformer Towards Remote Sensing Foundation Model"
    assert w.ids == ["url:https://ieeexplore.ieee.org/document/9956816"]


GOOD = "# 1. 海洋大模型\n\n## 1.1 X\n\n> **论文引用**：A. B, “T,” *J*, vol. 1, 2020, doi: [10.1000/x](https://doi.org/10.1000/x).\n"


@pytest.mark.parametrize(("text", "where", "what"), [
    ("# Intro\n", "s.md:1", "unknown heading"),
    ("# 1. 海洋大模型\n## 2.1 wrong\n", "s.md:2", "not under section"),
    ("# 1. 海洋大模型\n## 1.1 x\n> **论文引用**：A. B, “T,” *J*, 2020, doi: [10.1/](https://doi.org/10.1/).\n",
     "s.md:3", "broken DOI"),
    ("# 1. 海洋大模型\n## 1.1 x\n> **论文引用**：no quotes here\n", "s.md:3", "IEEE form"),
    ("just text\n", "s.md:1", "no '# N. title'"),
    (GOOD + "\n## 1.1 Y\n\n> **论文引用**：C. D, “U,” *J*, 2021.\n", "s.md:7",
     "entry 1.1 appears twice (first at line 3)"),
    (GOOD + "\n### 1.2 Z\n", "s.md:7", "looks like an entry but has more than two '#'"),
])
def test_malformed_documents_name_file_and_line(text: str, where: str, what: str) -> None:
    with pytest.raises(SurveyError) as e:
        parse_survey(text, "s.md")
    assert where in str(e.value) and what in str(e.value)


def test_minimal_document_parses() -> None:
    s = parse_survey(GOOD, "s.md")
    assert s.entries[0].work.ids == ["doi:10.1000/x"] and s.entries[0].work.published_precision == "year"


def test_reseeding_an_edited_survey_updates_its_entries(warehouse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from warehouse.query import run_query
    from warehouse.seeds import seed_if_changed

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    doc = seeds / "survey.md"
    doc.write_text((SEEDS / "000_8bc26054f90ad24c.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert seed_if_changed(warehouse, seeds).new == 18
    assert seed_if_changed(warehouse, seeds) is None  # unchanged: nothing to do

    text = doc.read_text(encoding="utf-8").replace("## 1.3 OceanGPT", "## 1.3 OceanGPT 海洋大语言模型")
    text = text.replace("## 5.2 智慧海洋大模型研讨会", "## 5.2 智慧海洋大模型研讨会（大连）")
    doc.write_text(text, encoding="utf-8")
    report = seed_if_changed(warehouse, seeds)
    assert report is not None and report.entries == 18 and report.new == 0
    headings = dict(run_query(warehouse, "SELECT entry, heading FROM seed_entries")[1])
    assert headings["1.3"] == "OceanGPT 海洋大语言模型"
    assert run_query(warehouse, "SELECT count(*) FROM works")[1] == [(18,)]

    doc.write_text("# 1. 海洋大模型\n## 1.1 ok\n# Broken heading\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"survey\.md:3"):
        seed_if_changed(warehouse, seeds)
    assert run_query(warehouse, "SELECT count(*) FROM seed_entries")[1] == [(18,)]  # nothing half-stored


def test_a_notes_file_beside_the_survey_is_refused_naming_both(warehouse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 24 item 2: `seeds/zz-notes.md` with one section and one entry used to become the
    survey (the digest showed one section, `seascout survey` one entry)."""
    from warehouse.query import run_query
    from warehouse.seeds import seed_if_changed

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    survey = "000_8bc26054f90ad24c.md"
    (seeds / survey).write_bytes((SEEDS / survey).read_bytes())
    assert seed_if_changed(warehouse, seeds).new == 18
    (seeds / "zz-notes.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(SurveyError) as e:
        seed_if_changed(warehouse, seeds)
    message = str(e.value)
    assert message.startswith(f"zz-notes.md: would replace {survey} as the survey but drops "
                              "sections 2, 3, 4, 5, 17 of its 18 entries"), message
    assert "\n" not in message and f"remove {survey}" in message
    assert run_query(warehouse, "SELECT count(*) FROM seed_entries")[1] == [(18,)]
    # a newer export of the whole survey (one more entry) replaces it as before
    (seeds / "zz-notes.md").unlink()
    bigger = (SEEDS / survey).read_text(encoding="utf-8") + "\n## 5.9 新的资讯\n\n新内容。\n"
    (seeds / "001_newer.md").write_text(bigger, encoding="utf-8")
    assert seed_if_changed(warehouse, seeds) is not None


TEXT_ONLY = ("# 5. 相关论坛/资讯\n\n## 5.1 智慧海洋大模型研讨会\n\n"
             "研讨会在青岛举行，发布了海洋大模型的进展。\n")


def test_a_text_only_entry_is_named_by_its_title(warehouse) -> None:  # type: ignore[no-untyped-def]
    from warehouse.query import run_query
    from warehouse.seeds import store_survey

    (entry,) = parse_survey(TEXT_ONLY, "s.md").entries
    assert entry.work.ids == ["seed:智慧海洋大模型研讨会"] and entry.work.kind is Kind.NEWS
    store_survey(warehouse, [parse_survey(TEXT_ONLY, "s.md")])
    # the same entry in a later export, renumbered: the same work
    later = TEXT_ONLY.replace("# 5.", "# 4.").replace("## 5.1", "## 4.3")
    store_survey(warehouse, [parse_survey(later, "newer.md")])
    assert run_query(warehouse, "SELECT work_id FROM works")[1] == [("seed:智慧海洋大模型研讨会",)]


@pytest.mark.parametrize(("text", "where", "what"), [
    (GOOD.replace("2020", "Feb. 30, 2020"), "s.md:5", "impossible date"),
    (GOOD.replace("(https://doi.org/10.1000/x)", "(https://doi.org10.1000/x)"), "s.md:5",
     "not a doi.org link"),
    (GOOD + "\n> 开源代码：https://[::1\n", "s.md:7", "not an http(s) URL"),
])
def test_every_mistake_names_file_and_line(text: str, where: str, what: str) -> None:
    with pytest.raises(SurveyError) as e:
        parse_survey(text, "s.md")
    assert str(e.value).startswith(where) and what in str(e.value), str(e.value)


def test_a_gbk_survey_is_read_as_gb18030(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "survey.md").write_bytes(GOOD.encode("gbk"))
    (survey,) = parse_seed_dir(seeds)
    assert survey.sections[0].title == "海洋大模型" and survey.entries[0].work.ids == ["doi:10.1000/x"]


@pytest.mark.parametrize("data", [
    b"# 1. \xe6\xb5\xb7\n" + bytes(range(256)) * 4,  # undecodable in both
    GOOD.encode("utf-8") + b"\x00\x01\x02PNG",  # decodes, but binary
])
def test_a_binary_seed_file_is_named_in_one_line(tmp_path: Path, data: bytes) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "picture.md").write_bytes(data)
    with pytest.raises(SurveyError, match=r"^picture\.md:\d+: .*(GB18030|binary)"):
        parse_seed_dir(seeds)
