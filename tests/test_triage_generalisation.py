"""What triage does on items it has never seen: grouped folds, titles alone, real news."""

from __future__ import annotations

from datetime import datetime

from typer.testing import CliRunner

from seascout.app.cli import app
from seascout.core.model import Kind, Label, Provenance, Venue, Work
from triage.classifier import Doc
from triage.crossval import Interval, assign_folds, group_of, grouped_cv
from triage.examples import Example, corpus_examples, news_examples, training_examples
from triage.rules import in_fields
from triage.trained import trained_classifier

NOW = datetime(2026, 1, 5)


def journal_record(title: str, journal: str) -> Work:
    """A Crossref deposit without an abstract (Elsevier deposits none)."""
    return Work(ids=["doi:10.1000/x"], title=title, abstract=None, kind=Kind.PAPER,
                venue=Venue(journal=journal), provenance=[Provenance("crossref", "test", NOW)])


def test_the_title_screen_keeps_the_fields_words_a_title_uses() -> None:
    for title in ("Earth vision: a benchmark for observing the Earth with multimodal models",
                  "SpectralGPT: Spectral Foundation Model",
                  "UAV-VL-R1: Generalizing Vision-Language Models for UAV Visual Reasoning",
                  "GlobalGeoTree: A Multi-Granular Vision-Language Dataset",
                  "A Framework for Flexible Peak Storm Surge Prediction"):
        assert in_fields(title, "", bare=True), title
        assert not in_fields(title, ""), "the narrow screen is for items with an abstract"
    assert not in_fields("Geometric deep learning on graphs", "", bare=True)


def test_the_screen_reads_a_bare_records_venue() -> None:
    work = journal_record("A lightweight network for scene understanding",
                          "IEEE Transactions on Geoscience and Remote Sensing")
    assert Doc.of_work(work).bare and Doc.of_work(work).in_fields
    other = journal_record("A lightweight network for scene understanding", "Pattern Recognition")
    assert not Doc.of_work(other).in_fields


def test_titles_alone_are_read_by_the_title_model() -> None:
    clf = trained_classifier()
    works = [journal_record("A vision-language foundation model for remote sensing image understanding",
                            "ISPRS Journal of Photogrammetry and Remote Sensing"),
             journal_record("Deep learning forecasts of global ocean sea surface temperature",
                            "Ocean Modelling"),
             journal_record("Rotated ship detection in SAR images with an oriented detector",
                            "Remote Sensing"),
             journal_record("Seasonal variability of the Atlantic overturning circulation from moorings",
                            "Journal of Physical Oceanography")]
    labels = [p.label for p in clf.predict(works)]
    assert labels == [Label.RS_FOUNDATION_MODELS, Label.OCEAN_MODELS, Label.SHIP_DETECTION, Label.IRRELEVANT]


def test_news_about_the_field_without_ai_models_is_irrelevant() -> None:
    clf = trained_classifier()
    news = [Work(ids=[f"url:https://example.cn/{i}"], title=t, abstract=a, kind=Kind.NEWS, language="zh",
                 provenance=[Provenance("news", "test", NOW)]) for i, (t, a) in enumerate([
        ("我国成功发射一箭十星 遥感卫星顺利进入预定轨道",
         "运载火箭在酒泉卫星发射中心点火升空，将十颗遥感卫星送入预定轨道，发射任务获得圆满成功。"),
        ("2025年全国海洋生产总值突破10万亿元",
         "自然资源部发布海洋经济统计公报，海洋渔业、海洋交通运输业和海洋旅游业保持增长。"),
        ("海洋预报大模型发布 可提前15天预报海温与海流",
         "研究团队发布海洋人工智能预报大模型，基于深度学习对全球海温、海流进行15天预报。"),
    ])]
    assert [p.label for p in clf.predict(news)] == [Label.IRRELEVANT, Label.IRRELEVANT, Label.NEWS]


def test_every_training_item_keeps_its_group_and_labels() -> None:
    papers, news = corpus_examples(), news_examples()
    assert len(papers) > 2000 and len(news) >= 100
    assert all(ex.day and ex.source for ex in papers)
    assert all(ex.source and ex.news for ex in news)
    assert {ex.label for ex in news} == {Label.NEWS, Label.IRRELEVANT}
    assert sum(ex.source == "written" for ex in training_examples()) > 400


def test_folds_keep_each_group_whole_and_balanced() -> None:
    groups = [f"day{i % 23}" for i in range(500)]
    fold = assign_folds(groups, 5)
    by_group: dict[str, set[int]] = {}
    for g, f in zip(groups, fold, strict=True):
        by_group.setdefault(g, set()).add(f)
    assert all(len(fs) == 1 for fs in by_group.values())
    sizes = [fold.count(f) for f in range(5)]
    assert max(sizes) - min(sizes) <= 25


def test_news_groups_by_site_and_day_papers_by_listing_day() -> None:
    paper = Example("t", Label.IRRELEVANT, day="2026-01-03", source="repo")
    page = Example("t", Label.NEWS, news=True, day="2026-01-03", source="www.example.cn")
    assert group_of(paper, "day") == "2026-01-03" and group_of(page, "day") == "www.example.cn:2026-01-03"
    assert group_of(paper, "source") == "repo"


def test_wilson_interval() -> None:
    low, high = Interval(8, 10).bounds
    assert round(low, 3) == 0.490 and round(high, 3) == 0.943
    assert Interval(0, 0).bounds == (0.0, 1.0)


def test_grouped_cv_scores_each_item_by_a_model_that_never_saw_its_day() -> None:
    written = [ex for ex in training_examples() if ex.source == "written"]
    real = [ex for ex in corpus_examples() if ex.label is not Label.IRRELEVANT][:60]
    real += [ex for ex in corpus_examples() if ex.label is Label.IRRELEVANT][:140]
    report = grouped_cv(examples=[*written, *real], k=3, use_embeddings=False)
    assert len(report.full) == len(report.titles) == len(real)
    assert report.items == real  # the written examples are learnt from, never scored
    text = report.describe()
    assert "grouped 3-fold cross-validation by day" in text and "[" in text and "wrong entries a week" in text


def test_eval_cv_refuses_an_unknown_grouping() -> None:
    result = CliRunner().invoke(app, ["eval", "--cv", "--by", "month"])
    assert result.exit_code == 2 and "--by month: use 'day' or 'source'" in result.output


def test_papers_read_on_public_pages_are_one_source_grouped_by_month() -> None:
    web = [ex for ex in corpus_examples() if ex.source == "web"]
    assert len(web) >= 80 and sum(ex.label is Label.OCEAN_MODELS for ex in web) >= 40
    assert all(ex.day.startswith("web:") and len(ex.day) == 8 for ex in web)


def test_the_shipped_embeddings_cover_every_training_text() -> None:
    """A first fit embeds none of the built-in texts: `python -m triage.embedding` after a
    change to the training data."""
    from triage.embedding import _key, _shipped, training_texts

    shipped = _shipped()
    stale = [t for t in training_texts() if _key(t) not in shipped]
    assert not stale, f"{len(stale)} training texts have no shipped embedding, e.g. {stale[0]!r}"
