"""Plain text from what the registries and feeds send: one cleaner for every source.

Titles, abstracts and container titles arrive with HTML or JATS markup (`<i>b</i><sup>2</sup>`,
`<jats:p>`, `<br>`), entities (`&amp;`, `&#13;`), control characters and the string "null".
`clean_text` turns any of them into the text a reader sees. Only tags of the HTML, JATS and
MathML vocabularies are taken out, so `p<0.05` or `$a<b$` in an arXiv abstract stays.
Pure string functions.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Block elements end a paragraph; `<br>` ends a line.
_BLOCK_TAGS = frozenset({
    "p", "div", "sec", "section", "title", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "list-item", "ul", "ol", "list", "table", "tr", "blockquote", "pre", "dd", "dt", "hr",
    "abstract", "caption",
})
_INLINE_TAGS = frozenset({
    "a", "abbr", "b", "big", "bold", "cite", "code", "em", "ext-link", "font", "i", "img",
    "inline-formula", "italic", "label", "math", "mi", "mn", "mo", "mfrac", "mrow", "msub",
    "msup", "msubsup", "mtext", "monospace", "named-content", "q", "s", "sc", "scp", "small",
    "span", "strike", "strong", "styled-content", "sub", "sup", "tbody", "td", "th", "thead",
    "tt", "u", "underline", "xref", "br",
})
_KNOWN_TAGS = _BLOCK_TAGS | _INLINE_TAGS
# A tag: a name, then only `name=value` attributes (so `a<b c>d` in a formula is no tag).
_TAG_RE = re.compile(r"<(/?)(?:([A-Za-z][\w.-]*):)?([A-Za-z][\w-]*)"
                     r"(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))*\s*/?>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# `&#13;` followed by a literal backslash-n: a carriage return and an escaped newline.
_ESCAPED_NEWLINE_RE = re.compile(r"\r(?:\\n)?|\\r\\n")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Every other line-break class `str.splitlines` knows (so does any reader of the file).
_BREAK_CLASS_RE = re.compile(r"[\v\f\x1c-\x1e\x85\u2028\u2029]")
_ABSTRACT_HEADING_RE = re.compile(r"^(?:abstract|ABSTRACT|Abstract)\s*[:.]?\s+(?=\S)")
_PLAIN_RE = re.compile(r"[^<&\\\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n\s*")
_NULLS = frozenset({"null", "none", "nil", "undefined", "n/a"})
_PARAGRAPH = "\ue000"  # private-use characters mark breaks while the text is cleaned
_LINE = "\ue001"


def _tag(m: re.Match[str]) -> str:
    prefix, name = m.group(2), m.group(3).lower()
    if not prefix and name not in _KNOWN_TAGS:
        return m.group(0)  # not markup: `a<b c>d` in a formula
    if name == "br":
        return _LINE
    if name in _BLOCK_TAGS:
        return _PARAGRAPH
    return ""


def _strip_tags(text: str) -> str:
    text = _CDATA_RE.sub(lambda m: m.group(1), text)
    text = _COMMENT_RE.sub(" ", text)
    # JATS/HTML "Abstract" heading element: a label, not text
    text = re.sub(r"<(?:\w+:)?title[^>]*>\s*(?:abstract|summary)\s*</(?:\w+:)?title>", "",
                  text, flags=re.IGNORECASE)
    return _TAG_RE.sub(_tag, text)


def clean_text(value: object, *, paragraphs: bool = False) -> str:
    """Plain text: markup out, entities decoded, whitespace folded; "" for None or "null".

    With `paragraphs` (abstracts, descriptions) paragraph and line breaks survive as "\\n\\n"
    and "\\n" and a leading "Abstract" heading is dropped; without, the result is one line."""
    if value is None:
        return ""
    text = str(value)
    if text.strip().lower() in _NULLS:
        return ""
    if not paragraphs and _PLAIN_RE.fullmatch(text):  # the common case: nothing to clean
        return " ".join(text.split())
    if "<" in text:
        text = _strip_tags(text)
    for _ in range(2):  # double-escaped `&amp;lt;i&amp;gt;` needs two rounds
        if "&" not in text:
            break
        text = html.unescape(text)
        if "<" in text:
            text = _strip_tags(text)
    text = _ESCAPED_NEWLINE_RE.sub(" ", text)  # hard-wrapped source lines, not breaks
    text = _BREAK_CLASS_RE.sub("\n", text)  # U+0085, U+2028, \v, \f …: a line break like "\n"
    text = _CONTROL_RE.sub("", text)
    if not paragraphs:
        text = " ".join(text.replace(_PARAGRAPH, " ").replace(_LINE, " ").split())
        return "" if text.lower() in _NULLS else text
    # Source line breaks are wrapping, not breaks; a blank line is a paragraph, `<br>` a line.
    text = _BLANK_LINE_RE.sub(_PARAGRAPH, text)
    blocks = []
    for block in text.split(_PARAGRAPH):
        lines = [" ".join(line.split()) for line in block.split(_LINE)]
        joined = "\n".join(line for line in lines if line)
        if joined:
            blocks.append(joined)
    text = "\n\n".join(blocks)
    text = _ABSTRACT_HEADING_RE.sub("", text)
    return "" if text.lower() in _NULLS else text


def has_markup(text: str) -> bool:
    """Whether a string still holds tags of the vocabularies above or an entity."""
    if _ENTITY_RE.search(text):
        return True
    return any(m.group(2) or m.group(3).lower() in _KNOWN_TAGS for m in _TAG_RE.finditer(text))


# TeX accents as arXiv abstracts carry them ("El Ni\\~no", "M\\"uller"), read as the letters.
_TEX_ACCENT = re.compile(r"""\\([~'`"^])\{?([A-Za-z])\}?""")
_COMBINING = {"~": "\u0303", "'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302"}


def untex(text: str) -> str:
    """Replace TeX accent commands by the accented letters (`Ni\\~no` → `Niño`)."""
    if "\\" not in text:
        return text
    return unicodedata.normalize("NFC", _TEX_ACCENT.sub(lambda m: m.group(2) + _COMBINING[m.group(1)], text))
