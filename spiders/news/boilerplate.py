"""What is not the article on a news page: sidebars, hot lists, navigation, share bars.

Where no body selector matches, or the matched block holds a "recommended" list, these end
up in the extracted text (xinhuanet's 热帖 column, chinanews' 理论新闻精选, gov.cn's QR-code
box). Three pure rules take them out:

- `drop_boilerplate`: elements named for what they are (class/id tokens such as `hot`,
  `recommend`, `breadcrumb`, `share`, `sweep`) and link lists (blocks whose text is mostly
  anchors) are removed from the document, except the article block and its ancestors;
- `cut_at_list_heading`: the text stops at a line that heads such a list ("相关新闻", "热帖");
- `is_navigation`: a line that is a breadcrumb or a menu is never the lead.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_BOILERPLATE_TOKENS = frozenset({
    "hot", "hots", "hotnews", "rank", "ranking", "paihang", "recommend", "recommends",
    "related", "relate", "xgxw", "xgyd", "jxxw", "tuijian", "comment", "comments", "pinglun",
    "sidebar", "aside", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "share", "sharebar",
    "sweep", "qrcode", "erweima", "footer", "copyright", "toolbar", "navbar", "nav", "menu",
    "more", "advert", "ad", "ads", "guanggao",
})
_BOILERPLATE_TAGS = ("nav", "aside", "footer")
_LIST_HEADINGS = frozenset({
    "新闻评论", "相关新闻", "相关阅读", "相关文章", "相关链接", "推荐阅读", "热门推荐", "热点推荐",
    "精彩推荐", "猜你喜欢", "热帖", "热词", "热门文章", "热点新闻", "热门新闻", "排行榜",
    "新闻排行", "点击排行", "理论新闻精选", "加载更多", "返回顶部", "分享到", "扫一扫在手机打开当前页",
    "24小时热文", "今日推荐", "编辑推荐", "大家都在看", "更多新闻",
})
_NAV_SEPARATORS = re.compile(r"\s*(?:>|›|»|＞|\||｜|/|→)\s*")
_MIN_LINK_BLOCK = 60  # characters: shorter link runs (a source credit, a byline) stay


def _tokens(el: Any) -> set[str]:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return {t.lower() for t in _TOKEN_SPLIT.split(names) if t}


def _text_len(el: Any) -> int:
    return len("".join(el.text_content().split()))


def _own_text(el: Any) -> tuple[int, int]:
    """(characters of text, characters of it inside anchors)."""
    return _text_len(el), sum(len("".join(a.text_content().split())) for a in el.iter("a"))


def _is_link_list(el: Any) -> bool:
    """Mostly anchors (> 70 % of its text) and little text of its own (< 200 characters)."""
    total, linked = _own_text(el)
    return total >= _MIN_LINK_BLOCK and linked > 0.7 * total and total - linked < 200


def _named_boilerplate(el: Any) -> bool:
    """Named like a sidebar (`hot-news`, `share`…) and not holding an article's worth of
    plain text (ifeng's article body is `js_img_share_area artical_real`)."""
    if not (el.tag in _BOILERPLATE_TAGS or _tokens(el) & _BOILERPLATE_TOKENS):
        return False
    total, linked = _own_text(el)
    return total - linked < 200 or linked > 0.5 * total


def drop_boilerplate(doc: Any, keep: Any = None) -> None:
    """Remove sidebars, hot lists, navigation and link lists from `doc` in place; `keep`
    (the article block), its ancestors and its headings stay."""
    protected: set[Any] = set()
    if keep is not None:
        protected.add(keep)
        protected.update(keep.iterancestors())
    doomed = []
    for el in doc.iter():
        if not isinstance(el.tag, str) or el in protected or el.tag in ("html", "body", "head"):
            continue
        if _named_boilerplate(el) or (
                el.tag in ("ul", "ol", "div", "table", "section", "dl") and _is_link_list(el)):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and not any(a in doomed for a in el.iterancestors()):
            el.drop_tree()


def cut_at_list_heading(text: str, min_chars: int = 100) -> str:
    """The text up to the first line heading a list of other articles (after `min_chars`)."""
    seen = 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        bare = line.strip().strip("：:-· ")
        if seen >= min_chars and bare in _LIST_HEADINGS:
            return "\n".join(lines[:i]).rstrip()
        seen += len(bare)
    return text


def is_navigation(line: str) -> bool:
    """A breadcrumb ("首页 > 新闻 > 正文") or a menu ("首页|简|繁|EN"), not article text."""
    parts = [p for p in _NAV_SEPARATORS.split(line.strip()) if p]
    if len(parts) >= 3 and max(len(p) for p in parts) <= 12:
        return True
    return line.strip().startswith(("首页", "当前位置", "您的位置", "你的位置", "您现在的位置",
                                     "你现在的位置", "现在位置", "位置：")) and len(parts) >= 2
