"""A digest entry as the survey writes one: its number continues the survey's, its heading is
the work's short name, its summary the whole abstract with sentences intact."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from lab_world import seeded

from digests import run_digest
from digests.entry_text import news_body, short_name
from seascout.core.config import Config, DigestConfig, Settings
from seascout.core.model import Author, Kind, Work
from seascout.core.period import parse_period
from triage.summarise import lead_sentences
from warehouse.db import Warehouse
from warehouse.works import upsert_works

SURVEY = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"
NOW = datetime(2027, 1, 1, 9)  # every period below has ended
# An abstract with decimals and a percentage, where naive sentence splitting breaks.
ABSTRACT = ("We build XiHe-2, a global ocean forecasting system at 1/12° resolution. "
            "Trained on 21.5 million samples, it reaches 97.1% skill. The code is public.")


def settings(tmp_path: Path) -> Settings:
    return Settings(config=Config(digest=DigestConfig(formats=["md"])), home=tmp_path,
                    root=tmp_path, config_path=None)


def crawl(wh: Warehouse, period: str, works: list[tuple[str, str, str]]) -> None:
    """Store works first seen in `period`, classified as `label`."""
    lo, _ = parse_period(period, "Asia/Shanghai").bounds()
    upsert_works(wh, [Work(ids=[wid], title=title, kind=Kind.NEWS if label == "news"
                           else Kind.PREPRINT, abstract=ABSTRACT, authors=[Author("A B")],
                           published=date(2026, 11, 24)) for wid, title, label in works],
                 now=lo + timedelta(days=1))
    with wh.write() as con:
        con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now())",
                        [[wid, label] for wid, _, label in works])


def headings(report) -> list[str]:  # type: ignore[no-untyped-def]
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    return [ln for ln in md.splitlines() if ln.startswith("## ")]


def test_numbers_continue_the_survey_and_every_earlier_digest(tmp_path: Path,
                                                              warehouse: Warehouse) -> None:
    seeded(warehouse)
    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.00001", "XiHe-2: A Data-Driven Ocean Forecasting System", "ocean_models"),
        ("arxiv:2611.00002", "OceanCast: Ocean forecasting with transformers", "ocean_models"),
        ("arxiv:2611.00003", "SARDet: SAR ship detection", "ship_detection")])
    first = run_digest(settings(tmp_path), warehouse, period="2026-W48", deliver=False, now=NOW)
    # The survey holds 1.1–1.5 and 3.1–3.3: the digest goes on from there, never 1.1 again.
    assert headings(first) == ["## 1.6 OceanCast", "## 1.7 XiHe-2", "## 3.4 SARDet"]
    again = run_digest(settings(tmp_path), warehouse, period="2026-W48", deliver=False, now=NOW)
    assert headings(again) == headings(first)  # a re-render keeps the numbers
    with warehouse.read() as con:
        stored = dict(con.execute("SELECT work_id, entry FROM digest_items").fetchall())
    assert stored == {"arxiv:2611.00002": "1.6", "arxiv:2611.00001": "1.7",
                      "arxiv:2611.00003": "3.4"}
    crawl(warehouse, "2026-W49", [
        ("arxiv:2612.00001", "AlphaSea: a new ocean model", "ocean_models")])
    nxt = run_digest(settings(tmp_path), warehouse, period="2026-W49", deliver=False, now=NOW)
    assert headings(nxt) == ["## 1.8 AlphaSea"]
    # Re-rendering the earlier week afterwards still gives it its own numbers.
    assert headings(run_digest(settings(tmp_path), warehouse, period="2026-W48",
                               deliver=False, now=NOW)) == headings(first)


def test_offline_entry_is_the_short_name_and_the_whole_abstract(tmp_path: Path,
                                                                warehouse: Warehouse) -> None:
    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.00001", "XiHe-2: A Data-Driven Ocean Forecasting System", "ocean_models")])
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (1, '海洋大模型', 'ocean_models', '')")
        # what triage's offline summary stores: the lead sentences
        con.execute("INSERT INTO summaries VALUES ('arxiv:2611.00001', NULL, ?, 'en', 'lead', "
                    "NULL, now())", [lead_sentences(ABSTRACT)])
    report = run_digest(settings(tmp_path), warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "## 1.1 XiHe-2\n" in md
    assert f"\n论文摘要（原文）：{ABSTRACT}\n" in md
    assert "21. 5" not in md and "97. 1" not in md


def test_lead_sentences_keep_decimals() -> None:
    assert lead_sentences(ABSTRACT, 130) == ("We build XiHe-2, a global ocean forecasting "
                                             "system at 1/12° resolution. Trained on 21.5 "
                                             "million samples, it reaches 97.1% skill.")


def test_short_names() -> None:
    assert short_name("XiHe-2: A Data-Driven Ocean Forecasting System") == "XiHe-2"
    assert short_name("AI-GOMS: Large AI-Driven Global Ocean Modeling System") == "AI-GOMS"
    assert short_name("SatMAE++: Rethinking pretraining") == "SatMAE++"
    assert short_name("Remote sensing foundation models: a survey") == \
        "Remote sensing foundation models: a survey"
    assert short_name("A Closer Look at Pretraining for Overhead Imagery") == \
        "A Closer Look at Pretraining for Overhead Imagery"


def test_news_summary_drops_title_date_and_byline() -> None:
    text = ("海洋大模型研讨会召开\n2023-09-26 10:21 来源：大连市人民政府\n"
            "中国海洋报记者 张三\n9月20日，智慧海洋大模型研讨会在大连召开。会议讨论了发展方向。")
    assert news_body(text, "海洋大模型研讨会召开") == \
        "9月20日，智慧海洋大模型研讨会在大连召开。会议讨论了发展方向。"


def test_doi_shown_as_the_registry_writes_it_and_links_keep_their_scheme(
        tmp_path: Path, warehouse: Warehouse) -> None:
    from spiders.crossref import parse_work

    paper = parse_work({"DOI": "10.1109/TGRS.2022.3176603", "type": "journal-article",
                        "title": ["A Synthetic Study of Remote Sensing Pretraining Scales"],
                        "container-title": ["IEEE Transactions on Geoscience and Remote Sensing"],
                        "author": [{"given": "Di", "family": "Wang"}]})
    assert paper is not None and paper.ids == ["doi:10.1109/tgrs.2022.3176603"]  # key: lower
    from spiders.news.records import article_to_work

    news = article_to_work({"url": "http://www.qdio.cas.cn/2019Ver/News/kyjz/202303/t1.html",
                            "title": "海洋所发布海洋大模型", "text": "海洋所发布海洋大模型。"},
                           source="news:qdio", fetched_at=datetime(2026, 11, 24))
    lo, _ = parse_period("2026-W48", "Asia/Shanghai").bounds()
    upsert_works(warehouse, [paper, news], now=lo + timedelta(days=1))
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (2, '舰船检测大模型', 'rs_foundation_models', ''),"
                    " (5, '相关论坛/资讯', 'news', '')")
        con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                    "classified_at) VALUES (?, 'rs_foundation_models', 0.9, 'offline', now()), "
                    "(?, 'news', 0.9, 'offline', now())", [paper.ids[0], news.ids[0]])
    report = run_digest(settings(tmp_path), warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "doi: [10.1109/TGRS.2022.3176603](https://doi.org/10.1109/TGRS.2022.3176603)" in md
    assert "tgrs" not in md
    assert "http://www.qdio.cas.cn/2019Ver/News/kyjz/202303/t1.html" in md
    assert "https://www.qdio.cas.cn" not in md


def test_html_markdown_and_feed_escape_once_and_name_fonts_and_zone(tmp_path: Path,
                                                                     warehouse: Warehouse) -> None:
    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.00009", "Ships & Wakes <SAR>: detection at sea", "ship_detection")])
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (3, '相关技术', 'ship_detection', '')")
    s = settings(tmp_path)
    s.config.digest.formats = ["md", "html", "atom"]
    report = run_digest(s, warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "“Ships & Wakes &lt;SAR&gt;: detection at sea.”" in md
    assert "&amp;" not in md and "&amp;lt;" not in md
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert "Ships &amp; Wakes &lt;SAR&gt;" in html and "&amp;amp;" not in html
    assert "&amp;lt;" not in html
    assert "'Noto Sans SC'" in html and "'Noto Sans CJK SC'" in html  # CJK fallback
    # ... and the packaged font beside the archive, so Chinese reads offline without any
    font = re.search(r"url\('(\.\./fonts/[^']+)'\) format\('truetype'\)", html)
    assert font and "'Seascout CJK',sans-serif" in html
    assert (Path(report.files["html"]).parent / font.group(1)).stat().st_size > 10_000_000
    assert (s.digest_dir / "fonts" / "OFL.txt").is_file()
    assert "（Asia/Shanghai）</p>" in html or "（Asia/Shanghai）" in html.split("由 seascout")[1]
    assert '<a href="https://ar5iv.labs.arxiv.org/html/2611.00009">' in html  # live links
    atom = Path(report.files["atom"]).read_text(encoding="utf-8")
    assert "file://" not in atom and "<author>" in atom
    assert "<id>tag:seascout,2026:digests/2026-W48</id>" in atom


def test_atom_lists_newest_first(tmp_path: Path, warehouse: Warehouse) -> None:
    s = settings(tmp_path)
    s.config.digest.formats = ["md", "atom"]
    s.config.digest.site_url = "https://lab.example.org/digest"
    for week in ("2026-W46", "2026-W47", "2026-W48"):
        report = run_digest(s, warehouse, period=week, deliver=False, now=NOW)
    atom = Path(report.files["atom"]).read_text(encoding="utf-8")
    ids = re.findall(r"<id>(https://lab\.example\.org/digest/[^<]+/)</id>", atom)
    assert ids == [f"https://lab.example.org/digest/{w}/" for w in
                   ("2026-W48", "2026-W47", "2026-W46")]


def test_llm_summary_is_labelled_and_its_facts_checked(tmp_path: Path,
                                                       warehouse: Warehouse) -> None:
    from digests.entry_text import unsupported_facts

    crawl(warehouse, "2026-W48", [
        ("arxiv:2611.00001", "XiHe-2: A Data-Driven Ocean Forecasting System", "ocean_models"),
        ("arxiv:2611.00002", "OceanCast: Ocean forecasting with transformers", "ocean_models")])
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (1, '海洋大模型', 'ocean_models', '')")
        con.execute("INSERT INTO summaries VALUES ('arxiv:2611.00001', '羲和-2 海洋预报系统', ?, "
                    "'zh', 'llm', 'm', now()), ('arxiv:2611.00002', 'OceanCast', ?, 'zh', 'llm', "
                    "'m', now())",
                    ["XiHe-2 以 1/12° 分辨率预报全球海洋，训练样本 2150 万，技巧达 97.1%。",
                     "论文摘要：OceanCast 用 2300 万样本训练，技巧 98.2%，优于 GPT-4。"])
    report = run_digest(settings(tmp_path), warehouse, period="2026-W48", deliver=False, now=NOW)
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    xihe = md.split("羲和-2 海洋预报系统", 1)[1].split("\n## ", 1)[0]
    assert "\n论文摘要：XiHe-2 以 1/12° 分辨率" in xihe and "待核对" not in xihe
    cast = md.split("## 1.1 OceanCast", 1)[1].split("\n## ", 1)[0]
    assert "\n论文摘要：OceanCast 用" in cast and "论文摘要：论文摘要" not in md
    assert "**待核对**：摘要原文中未见 GPT-4、2300 万、98.2。" in cast
    assert unsupported_facts("训练样本 2150 万", ABSTRACT) == []  # 21.5 million, in Chinese


def test_tex_in_real_arxiv_abstracts_becomes_the_text_it_stands_for() -> None:
    import json

    from digests.entry_text import abstract_summary, tex_to_text

    path = Path(__file__).resolve().parent / "fixtures" / "tex" / "arxiv_abstracts_with_tex.jsonl"
    records = {r["arxiv_id"]: r["abstract"] for r in map(json.loads, path.read_text(
        encoding="utf-8").splitlines())}
    shown = {aid: abstract_summary(text) for aid, text in records.items()}
    for aid, text in shown.items():
        assert not re.search(r"\\(url|href|textbf|textsc|emph)\b|\\%|\$\\sim\$|urlhttp", text), aid
    assert "in our repository: https://github.com/rd20karim/MB-ORES." in shown["2503.24219"]
    assert "achieves 100% ownership" in shown["2601.08189"]
    assert "available at https://github.com/Xuzhenhua55/ForgetMark" in shown["2601.08189"]
    assert "∼" in shown["2503.23547"] and "°" in shown["2503.13896"]
    demo = Path(__file__).resolve().parent / "fixtures" / "demo" / "arxiv_week.jsonl"
    agrifm = next(r["abstract"] for r in map(json.loads, demo.read_text(
        encoding="utf-8").splitlines()) if r["arxiv_id"] == "2505.21357")
    assert "urlhttps" in agrifm  # the corpus's scraper lost `\url{…}`'s backslash and braces
    assert "available at https://github.com/flyakon/AgriFM." in abstract_summary(agrifm)
    # what is not TeX stays as written; a formula without a plain spelling stays TeX
    assert tex_to_text("see https://x.org/~user, p<0.05") == "see https://x.org/~user, p<0.05"
    assert tex_to_text(r"rate $\frac{a}{b}$, (i)~first, 8.2{\deg}, $10^{-3}$") == \
        r"rate $\frac{a}{b}$, (i) first, 8.2°, 10⁻³"
    assert tex_to_text(r"code \href{https://github.com/x/y}{here}; \href{https://p.io}{the page}") \
        == "code https://github.com/x/y; the page (https://p.io)"


def test_tex_accents_in_abstracts_read_as_letters_not_ties() -> None:
    from digests.entry_text import tex_to_text

    # As arXiv abstracts write them (e.g. ENSO papers: "El Ni\~no"); the tilde is an accent here.
    assert tex_to_text(r"La Ni\~na and El Ni\~no, after M\"uller~[3]") == \
        "La Niña and El Niño, after Müller [3]"
