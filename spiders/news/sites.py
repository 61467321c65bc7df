"""The built-in news sites the survey cites, as plain configuration.

Their real markup, listing URLs and robots.txt could not be checked from where this was
written (no internet). Every site is therefore only data: start URLs, an article-URL
pattern and optional selectors, each with the extractor's generic fallbacks behind it.
Override any of it in `seascout.toml` under `[[sources.news.sites]]` with the same `name`.
"""

from __future__ import annotations

from seascout.core.config import NewsConfig, NewsSiteConfig

# TRS CMS article URLs (cas.cn, qdio.cas.cn, cnii.com.cn …): /202306/t20230630_4940123.shtml
TRS_ARTICLE = r"/\d{6}/t\d{8}_\d+\.s?html?$"
# The CMSs Chinese institutes' sites run besides TRS: VSB/博达 (/info/1012/3456.htm,
# /content.jsp?urltype=news.NewsContentUrl&wbnewsid=3456) and WebPlus
# (/2023/0630/c1234a56789/page.htm). Specific on purpose: a loose "/article/…digits….html"
# matches every portal's article links (NetEase's /news/article/FJ8K1O2C0001899O.html).
INSTITUTE_CMS_ARTICLE = (r"/info/\d+/\d+\.html?$|/content\.jsp\?(?:.*&)?wbnewsid=\d+"
                         r"|/\d{4}/\d{4}/c\d+a\d+/page\.html?$")


def builtin_sites() -> list[NewsSiteConfig]:
    """A fresh list of the built-in site configurations."""
    return [
        NewsSiteConfig(
            name="cas", start_urls=["https://www.cas.cn/yw/", "https://www.cas.cn/kj/"],
            allowed_domains=["cas.cn"], article_pattern=TRS_ARTICLE,
            body_css="#cztxxb1x .TRS_Editor, .TRS_Editor", download_delay=3.0,
        ),
        NewsSiteConfig(
            name="qdio", start_urls=["http://www.qdio.cas.cn/xwzx/kyjz/",
                                     "http://www.qdio.cas.cn/xwzx/zhxw/"],
            allowed_domains=["qdio.cas.cn"], article_pattern=TRS_ARTICLE,
            body_css=".TRS_Editor", download_delay=3.0,
        ),
        NewsSiteConfig(
            name="soed", start_urls=["http://soed.sio.org.cn/"],
            allowed_domains=["soed.sio.org.cn"],
            article_pattern=f"{TRS_ARTICLE}|{INSTITUTE_CMS_ARTICLE}",
            download_delay=3.0,
        ),
        NewsSiteConfig(
            name="ccf", start_urls=["https://www.ccf.org.cn/Media_list/ccfyw/"],
            allowed_domains=["ccf.org.cn"],
            article_pattern=r"/\d{4}-\d{2}-\d{2}/\d+\.s?html?$|" + TRS_ARTICLE,
            download_delay=3.0,
        ),
        NewsSiteConfig(
            name="science_china", start_urls=["http://science.china.com.cn/"],
            allowed_domains=["science.china.com.cn"],
            article_pattern=r"/\d{4}-\d{2}/\d{2}/content_\d+\.s?html?$",
            download_delay=3.0,
        ),
        NewsSiteConfig(
            name="cnii", start_urls=["https://www.cnii.com.cn/"],
            allowed_domains=["cnii.com.cn"], article_pattern=TRS_ARTICLE,
            body_css=".TRS_Editor", download_delay=3.0,
        ),
    ]


def builtin_site(name: str) -> NewsSiteConfig:
    for site in builtin_sites():
        if site.name == name:
            return site
    raise KeyError(f"no built-in news site {name!r}")


def configured_sites(news: NewsConfig) -> list[NewsSiteConfig]:
    """Built-in sites (minus `disabled_sites`, replaced by a config site of the same name)
    followed by the config's own sites; disabled ones are left out."""
    own = {s.name: s for s in news.sites}
    out = [own.pop(s.name, s) for s in builtin_sites() if s.name not in news.disabled_sites]
    out.extend(own.values())
    return [s for s in out if s.enabled]
