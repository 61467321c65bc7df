"""Jinja2 rendering of a `Digest`: Markdown in the survey's format, HTML e-mail, plain text.

Templates live in `digests/templates/`; a file of the same name in `[digest] templates_dir`
overrides the built-in one. HTML templates autoescape every value; the Markdown filters keep
untrusted strings on one line and out of the document structure.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from digests.document import Digest
from seascout.core.model import QuoteLine

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def one_line(value: object) -> str:
    """Any string on one line: CR, LF, tabs and other control characters become spaces."""
    text = _CONTROL_RE.sub(" ", str(value or "")).replace("\n", " ")
    return " ".join(text.split())


# `&` that a Markdown reader would take for an entity (`&lt;`, `&#60;`): escaped, so the text
# reads back as written; a URL's `&id=4` is left alone.
_ENTITY_LIKE_RE = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")


def md_inline(value: object) -> str:
    """An untrusted string for one line of Markdown: no newlines, no raw HTML. The survey
    parser decodes exactly this (`seascout.core.survey.decode`)."""
    text = _ENTITY_LIKE_RE.sub("&amp;", one_line(value))
    return text.replace("<", "&lt;").replace(">", "&gt;")


# Every line-break class Python's `str.splitlines` (and so a reader of the file) knows.
_BREAKS_RE = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# What makes a line structure in Markdown: a blockquote, heading, list item, table row,
# fence, setext underline or thematic break, an ordered-list number.
_LINE_START_RE = re.compile(r"(?m)^[ \t]*(?:([>#\-+*|=~`_])|(\d{1,9})([.)]))")


def md_block(value: object, survey: bool = False) -> str:
    """Untrusted Markdown paragraphs (crawled text, LLM summaries, lab edits): no raw HTML,
    every line break a plain newline, and nothing at a line start that makes structure — a
    feed's `> **论文引用**：…` paragraph stays text, never a second citation block.

    With `survey` (the survey's own entries, as its document writes them) the document's
    lists stay lists; breaks are still folded, raw HTML and headings still escaped. Text that
    came in untrusted keeps its escapes when it is re-seeded, so it stays text."""
    text = _BREAKS_RE.sub("\n", str(value or ""))
    text = _CONTROL_RE.sub(" ", text).replace("<", "&lt;")
    if survey:
        return re.sub(r"(?m)^(\s{0,3})#", r"\1\\#", text).strip()
    text = re.sub(r"(?m)^[ \t]+", "", text)  # no indented code blocks either
    text = _LINE_START_RE.sub(lambda m: f"\\{m.group(1)}" if m.group(1)
                              else f"{m.group(2)}\\{m.group(3)}", text)
    return text.strip()


def quote_label(line: QuoteLine) -> str:
    """The label of a blockquote line with its bold and colon as the line writes them."""
    if not line.label:
        return ""
    label = md_inline(line.label)
    if line.bold == "label":
        return f"**{label}**{line.colon}"
    if line.bold == "colon":
        return f"**{label}{line.colon}**"
    return f"{label}{line.colon}"


_BARE_URL_RE = re.compile(r"(?<![(<\[])\bhttps?://[^\s<>()（）\[\]，。；、]+")


_TRAILING_RE = re.compile(r"[.,;:!?'\"*_~]+$")  # a sentence's punctuation after a URL, not the URL's


def _autolink(text: str) -> str:
    """Bare URLs as CommonMark autolinks (`<https://…>`), so HTML gets live links; the full stop
    or comma that ends the sentence stays outside the link (`…/SOMA-1M.` links `…/SOMA-1M`)."""
    def link(m: re.Match[str]) -> str:
        url = m.group(0)
        tail = _TRAILING_RE.search(url)
        cut = tail.start() if tail else len(url)
        return f"<{url[:cut]}>{url[cut:]}"
    return _BARE_URL_RE.sub(link, text)


# Built once: making a parser costs more than rendering an entry with it.
_BLOCK_MD = MarkdownIt("commonmark", {"html": False, "linkify": False})
_INLINE_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
for _md in (_BLOCK_MD, _INLINE_MD):
    _md.validateLink = lambda url: _valid_link(url)  # type: ignore[method-assign]


def markdown_to_html(value: object) -> Markup:
    """Markdown (a summary) as HTML: raw HTML is escaped, unsafe link schemes are dropped;
    figures are kept, bare URLs become links."""
    return Markup(_BLOCK_MD.render(_autolink(str(value or ""))))  # noqa: S704 - escaped


def markdown_inline(value: object) -> Markup:
    """One line of Markdown (a citation) as inline HTML, escaped like `markdown_to_html`."""
    return Markup(_INLINE_MD.renderInline(_autolink(one_line(value))))  # noqa: S704 - escaped


def quote_label_html(line: QuoteLine) -> Markup:
    """`quote_label` as HTML."""
    if not line.label:
        return Markup("")
    label = escape(one_line(line.label))
    if line.bold == "label":
        return Markup(f"<strong>{label}</strong>{line.colon}")  # noqa: S704 - escaped
    if line.bold == "colon":
        return Markup(f"<strong>{label}{line.colon}</strong>")  # noqa: S704 - escaped
    return Markup(f"{label}{line.colon}")  # noqa: S704 - escaped


def safe_url(value: object) -> str:
    """Only http(s) and mailto URLs reach an href; anything else becomes '#'."""
    url = one_line(value)
    return url if _SAFE_URL_RE.match(url) else "#"


_SAFE_URL_RE = re.compile(r"^(https?://|mailto:|\./|\.\./)", re.I)
_MD_URL_UNSAFE = {c: f"%{ord(c):02X}" for c in '<>"\'()[]` '}


def md_url(value: object) -> str:
    """A URL for Markdown: http(s), mailto or relative only, and no character that would end it
    or start raw HTML (`…/repo<script>` is percent-encoded)."""
    url = one_line(value)
    return "".join(_MD_URL_UNSAFE.get(c, c) for c in (url if _valid_link(url) else "#"))


def _valid_link(url: str) -> bool:
    """markdown-it's link check: http(s), mailto and relative links only (no `javascript:`,
    `data:`, `file:`, `smb:`, `ms-msdt:` …)."""
    target = url.strip()
    return bool(_SAFE_URL_RE.match(target)) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target)


# A Markdown link or image target anywhere in a rendered document: `](target` .
_MD_LINK_TARGET_RE = re.compile(r"\]\(\s*<?([^)\s>]*)")


def _safe_link_targets(markdown: str) -> str:
    """Every link target in the Markdown that is not http(s), mailto or relative becomes
    '#', whatever text carried it (a title's `[x](javascript:…)`): pandoc would make it a
    live DOCX hyperlink."""
    def target(m: re.Match[str]) -> str:
        return m.group(0) if _valid_link(m.group(1)) else m.group(0).replace(m.group(1), "#", 1)

    return _MD_LINK_TARGET_RE.sub(target, markdown)


def make_environment(templates_dir: str | Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.PackageLoader("digests", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml", "html.j2"),
                                            default_for_string=True, default=False),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md_inline
    env.filters["mdblock"] = md_block
    env.filters["line"] = one_line
    env.filters["markdown"] = markdown_to_html
    env.filters["markdown_inline"] = markdown_inline
    env.filters["url"] = safe_url
    env.filters["mdurl"] = md_url
    env.filters["quote_label"] = quote_label
    env.filters["quote_label_html"] = quote_label_html
    env.filters["e1"] = lambda v: escape(one_line(v))
    return env


def render_markdown(digest: Digest, env: jinja2.Environment) -> str:
    text = env.get_template("digest.md.j2").render(digest=digest)
    return _safe_link_targets(re.sub(r"\n{3,}", "\n\n", text).strip() + "\n")


def render_html(digest: Digest, env: jinja2.Environment, *, archive: bool = False,
                for_print: bool = False, for_email: bool = False, font_url: str = "") -> str:
    """The HTML page (`archive`: with the link back to the archive); `for_print`: the same
    content without the e-mail layout tables, for the PDF; `for_email`: the chart as the
    attached PNG (`cid:chart`) and exports without a web address named as attachments;
    `font_url`: the CJK font its `@font-face` falls back to (`../fonts/…`)."""
    return env.get_template("digest.html.j2").render(digest=digest, archive=archive,
                                                     for_print=for_print, for_email=for_email,
                                                     font_url=font_url)


def render_text(digest: Digest, env: jinja2.Environment) -> str:
    text = env.get_template("digest.txt.j2").render(digest=digest)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
