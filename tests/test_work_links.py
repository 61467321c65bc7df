"""Code, model, dataset and project links of crawled works, found in the abstract and the arXiv
comment, typed and labelled with the survey's words — so `code_url` is filled for them too."""

from __future__ import annotations

from pathlib import Path

from seascout.core.model import LinkKind
from spiders.arxiv_rss import parse as parse_rss
from spiders.news.links import text_links

FIXTURES = Path(__file__).parent / "fixtures" / "papers"
# Real abstract endings (arXiv metadata, CC0), from ../shared/corpus/rs_candidates.jsonl:
# 2602.05480 (wsybb252237/rs-arxiv-daily data/papers/2026-02-05.json),
# 2604.20623 (… data/papers/2026-04-22.json), 2605.29330 (… data/papers/2026-05-29.json).
SOMA = ("SOMA-1M serves as a foundational resource for robust multimodal algorithms and remote "
        "sensing foundation models. The dataset will be released publicly at: "
        "https://github.com/PeihaoWu/SOMA-1M.")
RSRCC = "The dataset is available at https://huggingface.co/datasets/google/RSRCC."
EARTHSHIFT = "Code and data for EarthShift are available at: https://earthshift.github.io"


def test_links_in_abstracts_are_typed_and_labelled_like_the_survey() -> None:
    assert [(ln.kind, ln.url, ln.label) for ln in text_links(SOMA)] == [
        (LinkKind.CODE, "https://github.com/PeihaoWu/SOMA-1M", "开源代码")]
    assert [(ln.kind, ln.url, ln.label) for ln in text_links(RSRCC)] == [
        (LinkKind.DATASET, "https://huggingface.co/datasets/google/RSRCC", "数据集下载")]
    assert [(ln.kind, ln.url, ln.label) for ln in text_links(EARTHSHIFT)] == [
        (LinkKind.PROJECT, "https://earthshift.github.io", "项目主页")]
    assert [(ln.kind, ln.url) for ln in text_links(
        "Weights: https://huggingface.co/zjunlp/oceangpt-7b; data: "
        "https://zenodo.org/records/1234567. Project page: https://ocean.example.edu/xihe/")] == [
        (LinkKind.MODEL, "https://huggingface.co/zjunlp/oceangpt-7b"),
        (LinkKind.DATASET, "https://zenodo.org/records/1234567"),
        (LinkKind.PROJECT, "https://ocean.example.edu/xihe")]
    assert text_links("See https://arxiv.org/abs/2308.03152 and https://example.com/x") == []


def test_crawled_arxiv_works_carry_their_code_links() -> None:
    works = parse_rss((FIXTURES / "arxiv_rss" / "rss_all_archives_2024-11-28.excerpt.xml")
                      .read_bytes())
    code = {ln.url for w in works for ln in w.links if ln.kind is LinkKind.CODE}
    assert "https://github.com/mandiehyewon/goodviews_ecg" in code
    assert "https://github.com/Kanyooo/EEG-DCNet" in code
