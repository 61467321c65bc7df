"""DOCX export with python-docx (maintained, pure Python, writes real Word styles: headings
land in Word's navigation pane like the survey's outline). East Asian text gets its own font
entry so Word and WPS pick a Chinese face."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from digests.document import Digest

EAST_ASIAN_FONT = "Microsoft YaHei"
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _XML_BAD.sub("", text)


def _plain(markdown: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", text)
    return re.sub(r"(\*\*|__|\*|`)", "", text).strip()


def write_docx(digest: Digest, path: Path) -> Path:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    doc.core_properties.title = _clean(f"{digest.title} {digest.digest_id}")
    doc.add_heading(_clean(f"{digest.title} · {digest.digest_id}"), level=0)
    doc.add_paragraph(_clean(f"{digest.period_label} · 新增 {digest.new_count} 条 · "
                             f"更新 {digest.updated_count} 条"))
    for s in digest.sections:
        doc.add_paragraph(_clean(f"{s.number}. {s.title}：新增 {s.new_count}，"
                                 f"更新 {s.updated_count}"), style="List Bullet")
    for s in digest.sections:
        doc.add_heading(_clean(f"{s.number}. {s.title}"), level=1)
        if not s.entries:
            doc.add_paragraph("本期无新增。")
        for e in s.entries:
            mark = "（更新）" if e.status == "updated" else ""
            doc.add_heading(_clean(f"{e.number} {e.title}{mark}"), level=2)
            quote = []
            if e.update_text:
                quote.append(("更新：", e.update_text))
            if e.citation_text:
                quote.append(("论文引用：", e.citation_text))
            links = e.news_links if e.is_news else e.links
            quote.extend((f"{ln.label}：", ln.url) for ln in links)
            for label, value in quote:
                p = doc.add_paragraph(style="List Bullet")
                run = p.add_run(_clean(label))
                run.bold = True
                r2 = p.add_run(_clean(value))
                r2.font.color.rgb = RGBColor(0x42, 0x4A, 0x53)
            for block in re.split(r"\n\s*\n", _plain(e.summary)):
                if block.strip():
                    doc.add_paragraph(_clean(block.strip()))
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
