"""Publication dates as Chinese and international news pages write them.

`2023年06月30日`, `2023年6月30日 10:00`, `2023-06-30 10:00`, `2023/06/30`, `2023.06.30`,
`发布时间：…`, `发布日期: …`, and dates hidden in TRS CMS article URLs
(`/202306/t20230630_123.shtml`), `/2023-06/30/content_1.htm`, `/n1/2023/0630/c1-2.html`.
"""

from __future__ import annotations

import re
from datetime import date

_SEP_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?(?!\d)"
)
_LABELLED = re.compile(
    r"(?:发布时间|发布日期|发表时间|发稿时间|更新时间|时间|日期|Published|Date)\s*[:：]?\s*"
    r"((?:19|20)\d{2}\s*(?:年|-|/|\.)\s*\d{1,2}\s*(?:月|-|/|\.)\s*\d{1,2})",
    re.IGNORECASE,
)
_URL_DATES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS: /202306/t20230630_123.shtml
    re.compile(r"/((?:19|20)\d{2})-(\d{2})-(\d{2})/"),  # /2023-06-30/794767.shtml
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),  # /2023-06/30/content_1.htm
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/"),  # /n1/2023/0630/c1-2.html
    re.compile(r"/((?:19|20)\d{2})/(\d{2})/(\d{2})/"),  # /2023/06/30/slug
)


def _make(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """The first plausible date in a string (ISO timestamps included)."""
    if not text:
        return None
    for m in _SEP_DATE.finditer(text):
        found = _make(*m.groups())
        if found:
            return found
    compact = re.search(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)", text)
    return _make(*compact.groups()) if compact else None


def labelled_date(text: str) -> date | None:
    """A date after a label such as 发布时间： or 发布日期:."""
    for m in _LABELLED.finditer(text):
        found = parse_date(m.group(1))
        if found:
            return found
    return None


def date_from_url(url: str) -> date | None:
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            found = _make(*m.groups())
            if found:
                return found
    return None
