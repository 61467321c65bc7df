"""Extraction and spider callbacks on the real Chinese pages (see fixtures/news/README.md)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from seascout.core.model import Kind, LinkKind
from spiders.news.charset import decode_html
from spiders.news.dates import date_from_url, labelled_date, parse_date
from spiders.news.extract import extract_article
from spiders.news.links import body_links, classify
from spiders.news.listing import listing_links
from spiders.news.records import article_to_work, read_items
from spiders.news.sites import TRS_ARTICLE, builtin_sites, configured_sites
from spiders.news.spiders.builtin import CasSpider
from spiders.news.spiders.listing_spider import ListingSpider

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "news"
CMSE = FIXTURES / "cmse_china_manned_space_press_conference_2012.html"
GSC = FIXTURES / "gsc_geographical_society_of_china_news_2019.html"
PEOPLE = FIXTURES / "people_com_cn_culture_2019.html"


def _response(url: str, path: Path, content_type: str = "text/html; charset=utf-8",
              meta: dict | None = None) -> HtmlResponse:  # type: ignore[type-arg]
    request = Request(url, meta=meta or {})
    return HtmlResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type},
                        request=request)


@pytest.mark.parametrize(("path", "title", "published", "source", "snippet"), [
    (CMSE, "天宫一号与神舟九号载人交会对接任务第二场新闻发布会", date(2012, 6, 24), None,
     "首次手动控制交会对接"),
    (GSC, "2019年中国人文地理学术年会在重庆•西南大学成功举行！", date(2019, 5, 18),
     "中国地理学会", "人文地理学术年会"),
    (PEOPLE, "女儿出嫁，郑板桥画了几笔兰花当嫁妆", date(2019, 6, 15), "人民网-文化频道",
     "父亲节"),
])
def test_extract_real_pages(path, title, published, source, snippet) -> None:  # type: ignore[no-untyped-def]
    a = extract_article("https://www.example.cn/202306/t20230630_1.shtml", path.read_bytes())
    assert a.title == title
    assert a.published == published
    assert a.source_name == source
    assert snippet in a.text and a.language == "zh"
    assert "function(" not in a.text and "var " not in a.text  # no script in the clean text
    assert len(a.lead) >= 20 and not a.warnings


def test_charset_that_lies_and_real_gb18030() -> None:
    body = PEOPLE.read_bytes()  # says GB2312, is UTF-8
    text, enc = decode_html(body, {b"Content-Type": [b"text/html; charset=GB2312"]})
    assert enc == "utf-8" and "郑板桥" in text
    gb = "<html><head><meta charset='gb2312'></head><body><h1>海洋研究所新闻</h1></body></html>"
    text, enc = decode_html(gb.encode("gb18030"), None)
    assert enc == "gb18030" and "海洋研究所" in text
    a = extract_article("https://x.cn/a", PEOPLE.read_bytes(),
                        {b"Content-Type": [b"text/html; charset=GB2312"]})
    assert a.title.startswith("女儿出嫁")


def test_lead_image_and_canonical() -> None:
    a = extract_article("http://www.gsc.org.cn/content.aspx?id=1", GSC.read_bytes())
    assert a.image and a.image.endswith(".jpg")
    page = (b"<html><head><link rel='canonical' href='/n/1.html'>"
            b"<meta property='og:image' content='/i.png'></head><body><h1>Title here</h1>"
            b"<article><p>" + b"Ocean foundation models are here. " * 5 + b"</p></article>"
            b"</body></html>")
    b = extract_article("https://news.example.org/n/1.html?utm_source=x", page)
    assert b.canonical_url == "https://news.example.org/n/1.html"
    assert b.image == "https://news.example.org/i.png"
    assert b.language == "en" and b.published is None
    assert "no publication date found" in b.warnings


@pytest.mark.parametrize(("text", "expected"), [
    ("2023年06月30日", date(2023, 6, 30)), ("2023年6月3日 10:00", date(2023, 6, 3)),
    ("2023-06-30 10:00", date(2023, 6, 30)), ("2023/6/30", date(2023, 6, 30)),
    ("2023.06.30", date(2023, 6, 30)), ("2023-02-30", None), ("no date", None),
])
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_labelled_and_url_dates() -> None:
    june30 = date(2023, 6, 30)
    assert labelled_date("首页 2020-01-01 发布时间：2023-06-30 来源：中国科学院") == june30
    assert labelled_date("发布日期: 2023年06月30日") == june30
    for url in ("https://www.cas.cn/yw/202306/t20230630_4940123.shtml",
                "http://science.china.com.cn/2023-06/30/content_1.htm",
                "https://www.ccf.org.cn/Media_list/x/2023-06-30/79.shtml",
                "http://culture.people.com.cn/n1/2023/0630/c1013-31153719.html"):
        assert date_from_url(url) == june30, url


def test_body_links_are_typed_and_papers_stay_links() -> None:
    links = body_links(
        ["https://github.com/zhengg/tiw/tree/main", "https://huggingface.co/org/model-7b",
         "https://huggingface.co/datasets/org/ships", "https://doi.org/10.1126/sciadv.aba1482",
         "https://arxiv.org/pdf/2308.03152v2", "https://www.cas.cn/"],
        "详见 doi: 10.1038/s41586-023-06185-3 与 arXiv:2401.00001",
    )
    got = {(ln.kind, ln.url) for ln in links}
    assert (LinkKind.CODE, "https://github.com/zhengg/tiw") in got
    assert (LinkKind.MODEL, "https://huggingface.co/org/model-7b") in got
    assert (LinkKind.DATASET, "https://huggingface.co/datasets/org/ships") in got
    assert (LinkKind.PAPER, "https://doi.org/10.1126/sciadv.aba1482") in got
    assert (LinkKind.PAPER, "https://arxiv.org/abs/2308.03152") in got
    assert (LinkKind.PAPER, "https://doi.org/10.1038/s41586-023-06185-3") in got
    assert (LinkKind.PAPER, "https://arxiv.org/abs/2401.00001") in got
    assert classify("https://www.cas.cn/") is None
    item = {"url": "https://www.cas.cn/yw/202306/t20230630_1.shtml", "title": "t",
            "links": [{"kind": "paper", "url": "https://doi.org/10.1/x", "label": "论文地址"}],
            "published": "2023-06-30", "listing": "https://www.cas.cn/yw/"}
    work = article_to_work(item, source="news:cas", fetched_at=datetime(2024, 1, 1))
    assert work.ids == ["url:https://www.cas.cn/yw/202306/t20230630_1.shtml"]
    assert work.kind is Kind.NEWS and work.links[0].kind is LinkKind.PAPER


def test_spider_callbacks_on_real_pages() -> None:
    spider = CasSpider(since="2023-01-01")
    assert spider.allowed_domains == ["cas.cn"] and CasSpider.custom_settings == {
        "DOWNLOAD_DELAY": 3.0}
    url = "https://www.cas.cn/yw/202306/t20230630_4940123.shtml"
    [item] = list(spider.parse_article(_response(url, CMSE, meta={"listing": "L"})))
    assert item["type"] == "article" and item["site"] == "cas" and item["listing"] == "L"
    assert item["title"].startswith("天宫一号") and item["published"] == "2012-06-24"
    people = ListingSpider(site=builtin_sites()[0].model_copy(update={
        "name": "people", "allowed_domains": ["people.com.cn"]}).model_dump_json())
    [p] = list(people.parse_article(_response(
        "http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", PEOPLE,
        "text/html; charset=GB2312")))
    assert p["title"] == "女儿出嫁，郑板桥画了几笔兰花当嫁妆" and p["published"] == "2019-06-15"


def test_listing_callback_follows_only_newer_in_domain_articles() -> None:
    listing = (b"<html><body><ul>"
               b"<li><a href='./202306/t20230630_1.shtml'>new</a></li>"
               b"<li><a href='./202001/t20200101_2.shtml'>old</a></li>"
               b"<li><a href='https://evil.example.com/202306/t20230630_3.shtml'>off</a></li>"
               b"<li><a href='/about/'>about</a></li></ul>"
               b"<a href='index_1.shtml'>\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5</a></body></html>")
    spider = CasSpider(since="2023-01-01")
    response = HtmlResponse("https://www.cas.cn/yw/", body=listing,
                            headers={"Content-Type": "text/html"},
                            request=Request("https://www.cas.cn/yw/", meta={"page": 1}))
    out = list(spider.parse_listing(response))
    requests = [o for o in out if isinstance(o, Request)]
    items = [o for o in out if isinstance(o, dict)]
    assert [r.url for r in requests] == ["https://www.cas.cn/yw/202306/t20230630_1.shtml",
                                         "https://www.cas.cn/yw/index_1.shtml"]
    assert items == [{"type": "listing", "site": "cas", "url": "https://www.cas.cn/yw/",
                      "listing": "https://www.cas.cn/yw/", "articles": 2, "newer": 1}]
    links, nxt = listing_links("https://www.cas.cn/yw/", listing, None,
                               article_pattern=TRS_ARTICLE, allowed_domains=["cas.cn"])
    assert len(links) == 2 and nxt == "https://www.cas.cn/yw/index_1.shtml"


def test_sites_config_and_item_reading() -> None:
    from seascout.core.config import NewsConfig, NewsSiteConfig

    names = [s.name for s in builtin_sites()]
    assert names == ["cas", "qdio", "soed", "ccf", "science_china", "cnii"]
    mine = NewsSiteConfig(name="cas", start_urls=["https://www.cas.cn/kj/"],
                          allowed_domains=["cas.cn"], article_pattern=TRS_ARTICLE)
    chosen = configured_sites(NewsConfig(sites=[mine], disabled_sites=["cnii"]))
    assert [s.name for s in chosen] == names[:-1]
    assert chosen[0].start_urls == ["https://www.cas.cn/kj/"]
    out = read_items(['{"type": "article", "url": "u"}', "", "{broken", '{"type": "listing"}'])
    assert len(out.articles) == 1 and len(out.listings) == 1 and out.unreadable == 1


def test_scrapy_settings_are_polite() -> None:
    from scrapy.utils.project import get_project_settings

    from spiders.news import settings as s

    assert s.ROBOTSTXT_OBEY is True and s.REMOTE_CONTROL_ENABLED is False
    assert s.TELNETCONSOLE_ENABLED is False and s.AUTOTHROTTLE_ENABLED is True
    assert s.DOWNLOAD_MAXSIZE > 0 and "seascout" in s.USER_AGENT
    assert get_project_settings  # the project is importable as a Scrapy project


# -- faults found on real third-party pages (fixtures/external, issue 16) --------------------
EXTERNAL = Path(__file__).resolve().parent / "fixtures" / "external"


def _page(name: str) -> bytes:
    return (EXTERNAL / "news_html" / name).read_bytes()


def test_gov_page_closing_html_early_keeps_the_resolution_and_a_clean_title() -> None:
    a = extract_article("https://www.gov.cn/gongbao/content/2007/content_1.htm",
                        _page("gne_other_npc_resolution_1.html"))
    assert "会议决定：批准发行15500亿元特别国债购买外汇" in a.text  # was 62 characters of menu
    assert "首页" not in a.text and "扫一扫" not in a.text
    assert a.title.endswith("国债余额限额的决议")  # not "…的决议_" (the site's "__公报_网" suffix)
    assert a.lead.startswith("（2007年6月29日第十届全国人民代表大会常务委员会")


@pytest.mark.parametrize(("name", "last_words", "sidebar"), [
    ("gne_xinhuanet_1.html", "宣布退休制度改革的总体架构。", ["新闻评论", "加载更多", "热帖", "热词"]),
    ("gerapy_detail_china_news1.html", "(作者：方敏北京大学经济学院教授)", ["理论新闻精选"]),
    ("gne_cjddsb_1.html", "(文/图 刘玺东 易赛楠)", []),
])
def test_sidebars_and_hot_lists_stay_out_of_the_text(name: str, last_words: str,
                                                     sidebar: list[str]) -> None:
    a = extract_article("https://news.example.cn/a.html", _page(name))
    assert a.text.endswith(last_words)
    for word in sidebar:
        assert word not in a.text


@pytest.mark.parametrize(("name", "lead_start"), [
    ("gne_thepaper_2.html", "本文原标题"),  # not the "2019-08-13 14:07来源：…" byline
    ("gne_zyyfy_hospital_1.html", "本站讯"),  # not "时间：2019年10月31日 23:00 浏览："
    ("gne_cjddsb_1.html", "为持续推动金融消费者教育"),  # not the title again
    ("gne_sina_4.html", "新浪科技讯"),
])
def test_lead_is_article_text_not_byline_title_or_navigation(name: str, lead_start: str) -> None:
    assert extract_article("https://news.example.cn/a.html", _page(name)).lead.startswith(
        lead_start)


def test_breadcrumbs_and_menus_are_not_leads_and_laiyuanyu_is_a_source() -> None:
    from spiders.news.boilerplate import is_navigation

    assert is_navigation("首页 > 国务院公报 > 2007年第23号")
    assert is_navigation("首页 | 简 | 繁 | EN | 登录 | 个人中心 | 退出")
    assert not is_navigation("新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国跨行业大罢工")
    page = ("<html><body><h1>海洋所发布新一代海洋预报模型</h1><p class='info'>来源于：青岛海洋所"
            "</p>\n<div class='article'><p>" + "海洋预报模型发布。" * 10 + "</p></div></body></html>")
    assert extract_article("https://x.cn/a.html", page.encode()).source_name == "青岛海洋所"


def test_soed_pattern_does_not_match_other_sites_article_links() -> None:
    import re

    import lxml.html

    soed = re.compile(next(s for s in builtin_sites() if s.name == "soed").article_pattern)
    hrefs = [h for f in sorted((EXTERNAL / "news_listing").glob("*.html"))
             for h in lxml.html.document_fromstring(f.read_bytes()).xpath("//a/@href")]
    assert len(hrefs) > 100 and not [h for h in hrefs if soed.search(h)]
    for other in ("https://www.163.com/news/article/FJ8K1O2C0001899O.html",
                  "https://news.example.com/article/2019/123456.html",
                  "https://www.example.cn/content/20190101/123.php"):
        assert not soed.search(other), other
    for own in ("http://soed.sio.org.cn/info/1012/3456.htm",
                "http://soed.sio.org.cn/2023/0630/c1234a56789/page.htm",
                "http://soed.sio.org.cn/xwdt/202306/t20230630_123.html"):
        assert soed.search(own), own
