"""DOCX export: the digest's Markdown converted by pandoc (the `pypandoc-binary` wheel ships
the binary), so the Word file has what the Markdown has — the 导出 table, real hyperlinks,
real (nested) lists, block quotes, headings in Word's navigation pane, figures. Afterwards the
styles get an East Asian font entry so Word and WPS pick a Chinese face.

Figures are embedded from local files only; a remote or missing image is left out (pandoc
would otherwise fetch it from the network), and so is the survey's `[TOC]` marker.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

EAST_ASIAN_FONT = "Microsoft YaHei"
# Pandoc's Markdown, minus what the survey's text does not mean: `$…$` is not TeX there
# ("M$^2$E-UAV"), and a line-initial "1)" is text, not a list.
PANDOC_FORMAT = "markdown+autolink_bare_uris-tex_math_dollars-fancy_lists-raw_html"
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _local_images(markdown: str, folder: Path) -> str:
    def keep(m: re.Match[str]) -> str:
        src = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
            return ""
        return m.group(0) if (folder / src).is_file() else ""

    return _IMAGE_RE.sub(keep, markdown)


def write_docx(markdown: str, path: Path, *, title: str, chart: str | None = None) -> Path:
    """`chart`: an image file beside `path` (the items-per-week chart), placed before the
    first section, after the summary tables, as the HTML and PDF show it."""
    import pypandoc

    path.parent.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"^\[TOC\]\s*$", "", markdown, flags=re.M)
    if chart:
        text = re.sub(r"^(# 1\. )", lambda m: f"![每周各章节条目数]({chart})\n\n{m.group(1)}",
                      text, count=1, flags=re.M)
    text = _local_images(text, path.parent)
    pypandoc.convert_text(text, "docx", format=PANDOC_FORMAT, outputfile=str(path),
                          extra_args=[f"--resource-path={path.parent}",
                                      f"--metadata=title:{title}"])
    doc = Document(str(path))
    for style in doc.styles:
        if style.type not in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            continue
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would win over it
    doc.core_properties.title = title
    doc.save(str(path))
    return path
