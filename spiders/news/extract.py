"""Article extraction: one pure function from a page's bytes to an `Article`.

`extract_article(url, body, headers)` decodes the bytes (the declared charset may lie),
then finds the title, publication date, source (来源), main text (trafilatura), canonical
URL, language, lead image and typed body links. Site selectors (`title_css`, `date_css`,
`body_css`) are tried first; every field has fallbacks because the sites' real markup
cannot be checked from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from seascout.core.model import Link
from seascout.core.text import clean_text
from spiders.news.boilerplate import cut_at_list_heading, drop_boilerplate, is_navigation
from spiders.news.charset import decode_html
from spiders.news.dates import date_from_url, labelled_date, parse_date
from spiders.news.links import body_links

# Where CMSs commonly put an article body: TRS (cas.cn, cmse.gov.cn …), society sites,
# people.com.cn, then generic HTML5.
BODY_FALLBACKS = (
    ".TRS_Editor", "#dochtmlcon", "#zoom", ".detailCon", "#rwb_zw", ".article-content",
    ".article_content", ".content_text", "#content", "article", ".article", ".content",
)
TITLE_FALLBACKS = ("h1", ".title", ".article-title", ".arti_title", "h2", "h3", "h4", "h5")
DATE_METAS = ("publishdate", "pubdate", "PubDate", "article:published_time", "og:release_date",
              "datePublished", "publish_date", "firstpublishedtime", "dc.date", "DC.Date")
MAX_TEXT_CHARS = 6000
_TITLE_EDGE = " _|-—–·"  # what a site's "title_site" template leaves at a title's end
_TITLE_SUFFIX = re.compile(r"\s*(?:_|--|—|–|\||-|·)\s*[^_|\-—–·]{1,30}$")
_SOURCE = re.compile(r"(?:(?:信息|稿件|文章|新闻)?来源于?|出处|Source)\s*[:：]\s*"
                     r"([^\s|｜/。，,;；]{2,40})", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A byline, not a lead: "2019-08-13 14:07来源：…", "时间：2019年10月31日", "作者：…"
_BYLINE = re.compile(r"^(?:(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}|(?:发布)?时间[:：]|作者[:：]|"
                     r"来源[:：]|编辑[:：]|浏览[:：])|(?:来源|作者|浏览|责任编辑)[:：]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# `</body>` / `</html>` closers: a page may close its document early (gov.cn ends its header
# include with `</html>` and the article follows); the parser closes the document itself.
_DOC_CLOSERS = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)


class ExtractionError(ValueError):
    """The bytes are not an HTML page an article can be taken from."""


@dataclass(slots=True)
class Article:
    url: str  # the URL that was fetched
    canonical_url: str  # the page's own canonical URL, else `url`
    title: str
    published: date | None
    text: str  # clean main text, capped at MAX_TEXT_CHARS
    lead: str  # first real paragraph
    language: str  # "zh" or "en"
    source_name: str | None = None  # 来源: the outlet the page credits
    image: str | None = None
    links: list[Link] = field(default_factory=list)
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)

    def to_item(self) -> dict[str, Any]:
        """A JSON-safe dict (Scrapy item / JSON Lines row)."""
        return {
            "url": self.url, "canonical_url": self.canonical_url, "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "text": self.text, "lead": self.lead, "language": self.language,
            "source_name": self.source_name, "image": self.image,
            "links": [{"kind": ln.kind.value, "url": ln.url, "label": ln.label}
                      for ln in self.links],
            "encoding": self.encoding, "warnings": list(self.warnings),
        }


def parse_html(text: str) -> Any:
    """An lxml document from decoded text (drops an XML declaration lxml would refuse and
    document closers, after which lxml would drop the rest of the page)."""
    try:
        return lxml.html.document_fromstring(clean_markup(text) or "<html></html>")
    except (etree.ParserError, ValueError) as e:
        raise ExtractionError(f"not an HTML page: {e}") from e


def clean_markup(text: str) -> str:
    """The page without an XML declaration or early document closers."""
    return _DOC_CLOSERS.sub("", _XML_DECL.sub("", text, count=1))


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def extract_article(url: str, body: bytes, headers: Any = None, *, title_css: str | None = None,
                    date_css: str | None = None, body_css: str | None = None) -> Article:
    """Extract one article from raw bytes. Pure: no I/O."""
    text, encoding = decode_html(body, headers)
    text = clean_markup(_CONTROL_CHARS.sub("", text))  # lxml refuses them in text nodes
    doc = parse_html(text)
    for bad in doc.xpath("//script|//style|//noscript|//comment()"):
        if bad.getparent() is not None:
            bad.drop_tree() if hasattr(bad, "drop_tree") else bad.getparent().remove(bad)
    canonical = _canonical(doc, url)
    title = clean_text(_title(doc, title_css)).strip(_TITLE_EDGE)
    page_text = " ".join(doc.text_content().split())
    body_el = _first(doc, (body_css,) if body_css else ())
    if body_el is None:
        body_el = _first(doc, BODY_FALLBACKS)
    published = _published(doc, date_css, page_text, title, text, url)
    source_name = _source(doc, page_text)
    drop_boilerplate(doc, body_el)
    main = cut_at_list_heading(_main_text(doc, body_el))
    warnings: list[str] = []
    if published is None:
        warnings.append("no publication date found")
    if not title:
        warnings.append("no title found")
        title = canonical
    if len(main) < 50:
        warnings.append("little or no main text found")
    hrefs = [urljoin(url, h) for h in (body_el if body_el is not None else doc).xpath(".//a/@href")]
    return Article(
        url=url, canonical_url=canonical, title=title, published=published,
        text=main[:MAX_TEXT_CHARS], lead=_lead(main, title), language=_language(title + main),
        source_name=source_name, image=_image(doc, body_el, url),
        links=body_links(hrefs, main), encoding=encoding, warnings=warnings,
    )


def _first(doc: Any, selectors: tuple[str, ...]) -> Any:
    for css in selectors:
        try:
            found = doc.cssselect(css)
        except Exception:  # noqa: S112 - a bad selector from config must not stop extraction
            continue
        for el in found:
            if len(" ".join(el.text_content().split())) >= 20:
                return el
    return None


def _clean(s: str | None) -> str:
    return " ".join((s or "").split())


def _meta(doc: Any, *names: str) -> str | None:
    for name in names:
        for attr in ("name", "property", "itemprop"):
            values = doc.xpath(f"//meta[@{attr}=$n]/@content", n=name)
            if values and _clean(values[0]):
                return _clean(values[0])
    return None


def _canonical(doc: Any, url: str) -> str:
    for href in [*doc.xpath("//link[@rel='canonical']/@href"), _meta(doc, "og:url") or ""]:
        href = href.strip()
        if href and not href.startswith(("javascript:", "#")):
            full = urljoin(url, href)
            if full.startswith(("http://", "https://")):
                return full
    return url


def _title(doc: Any, title_css: str | None) -> str:
    if title_css:
        el = _heading(doc, (title_css,), min_len=2)
        if el:
            return el
    og = _meta(doc, "og:title", "ArticleTitle", "title")
    if og:
        return og
    page_title = _clean(" ".join(doc.xpath("//title//text()")))
    h1 = _heading(doc, ("h1",), min_len=4)
    if h1:
        return h1
    candidates = [_clean(el.text_content()) for css in TITLE_FALLBACKS[1:]
                  for el in _safe_css(doc, css) if not el.xpath("ancestor::a|ancestor::li")]
    candidates = [c for c in candidates if 4 <= len(c) <= 150]
    stripped = page_title
    while True:
        shorter = _TITLE_SUFFIX.sub("", stripped)
        if shorter == stripped or len(shorter) < 4:
            break
        stripped = shorter
    # A heading that is the page title without the site's suffix is the article title.
    in_title = [c for c in candidates if len(c) >= 0.6 * len(stripped) and c in stripped]
    if in_title:
        return max(in_title, key=len)
    long_ones = [c for c in candidates if len(c) >= 8]
    if long_ones:
        return max(long_ones, key=len)
    return stripped


def _safe_css(doc: Any, css: str) -> list[Any]:
    try:
        return list(doc.cssselect(css))
    except Exception:
        return []


def _heading(doc: Any, selectors: tuple[str, ...], min_len: int) -> str | None:
    for css in selectors:
        for el in _safe_css(doc, css):
            t = _clean(el.text_content())
            if len(t) >= min_len and not el.xpath("ancestor::a"):
                return t
    return None


def _published(doc: Any, date_css: str | None, page_text: str, title: str, html: str,
               url: str) -> date | None:
    if date_css:
        for el in _safe_css(doc, date_css):
            found = parse_date(el.text_content())
            if found:
                return found
    for name in DATE_METAS:
        found = parse_date(_meta(doc, name))
        if found:
            return found
    for value in doc.xpath("//time/@datetime"):
        found = parse_date(value)
        if found:
            return found
    found = labelled_date(page_text)
    if found:
        return found
    at = page_text.find(title) if title else -1
    if at >= 0:  # the byline right under the title
        found = parse_date(page_text[at + len(title): at + len(title) + 300])
        if found:
            return found
    meta = trafilatura.extract_metadata(html)
    if meta is not None and meta.date:
        found = parse_date(meta.date)
        if found:
            return found
    return date_from_url(url)


def _main_text(doc: Any, body_el: Any) -> str:
    if body_el is not None:
        fragment = lxml.html.tostring(body_el, encoding="unicode")
        wrapped = f"<html><body><article>{fragment}</article></body></html>"
        text = trafilatura.extract(wrapped, include_comments=False, include_tables=True) or ""
        raw = "\n".join(_clean(p) for p in body_el.itertext() if _clean(p))
        # trafilatura can be too strict on a fragment: keep the longer of the two.
        if len(text) >= 0.5 * len(raw):
            return text.strip()
        return raw.strip()
    html = lxml.html.tostring(doc, encoding="unicode")
    return (trafilatura.extract(html, include_comments=False, include_tables=True) or "").strip()


def _lead(text: str, title: str = "") -> str:
    """The first real paragraph: not a breadcrumb or menu, not the title again."""
    bare_title = "".join(title.split()).rstrip(".…")
    for para in text.splitlines():
        para = para.strip()
        if len(para) < 20 or is_navigation(para) or _BYLINE.search(para[:40]):
            continue
        bare = "".join(para.split()).rstrip(".…")
        if bare_title and (bare == bare_title or (len(bare) <= len(bare_title) + 4
                                                   and bare.startswith(bare_title))):
            continue
        return para[:500]
    return text[:500]


def _language(text: str) -> str:
    sample = text[:2000]
    if not sample:
        return "zh"
    return "zh" if len(_CJK.findall(sample)) >= 0.1 * len(sample.replace(" ", "")) else "en"


def _source(doc: Any, page_text: str) -> str | None:
    meta = _meta(doc, "source", "og:site_name")
    if meta:
        m = _SOURCE.search(meta)
        return m.group(1) if m else meta
    m = _SOURCE.search(page_text)
    return m.group(1) if m else None


def _image(doc: Any, body_el: Any, url: str) -> str | None:
    og = _meta(doc, "og:image", "twitter:image")
    if og:
        return urljoin(url, og)
    if body_el is not None:
        for src in body_el.xpath(".//img/@src"):
            if src.strip() and not src.strip().startswith("data:"):
                return urljoin(url, src.strip())
    return None
