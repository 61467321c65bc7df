"""PDF export with fpdf2 and Noto Sans SC.

fpdf2 is pure Python, maintained, embeds and subsets TrueType fonts, and needs no system
libraries (WeasyPrint needs Pango; ReportLab's CJK support relies on Adobe's fonts being
installed on the reader's side). The font comes from the `justmytype-intl-cjk` package
(Noto Sans SC, SIL OFL), so `uv sync` installs everything the PDF needs.
"""

from __future__ import annotations

import re
import warnings
from importlib import resources
from pathlib import Path

from fpdf import FPDF

from digests.document import Digest

FONT = "NotoSansSC"


def cjk_font_path() -> Path:
    base = resources.files("justmytype_intl_cjk") / "fonts" / "ofl" / "notosanssc"
    found = sorted((p for p in base.iterdir() if p.name.startswith("NotoSansSC")),
                   key=lambda p: p.name)
    fonts = [p for p in found if p.name.endswith((".ttf", ".otf"))]
    if not fonts:
        raise FileNotFoundError("Noto Sans SC not found in justmytype-intl-cjk (run `uv sync`)")
    return Path(str(fonts[0]))


def regular_font(cache_dir: Path | None) -> Path:
    """A static Regular (wght 400) instance of the variable font, made once into `cache_dir`
    (~10 s); without a cache, the variable font's default instance (Thin) is used as is."""
    source = cjk_font_path()
    if cache_dir is None:
        return source
    target = cache_dir / "NotoSansSC-Regular.ttf"
    if target.exists():
        return target
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    cache_dir.mkdir(parents=True, exist_ok=True)
    font = instancer.instantiateVariableFont(TTFont(str(source)), {"wght": 400})
    tmp = target.with_suffix(".tmp")
    font.save(str(tmp))
    tmp.replace(target)
    return target


def _plain(markdown: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _DigestPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 8, str(self.page_no()), align="C")


def write_pdf(digest: Digest, path: Path, *, font_cache: Path | None = None) -> Path:
    pdf = _DigestPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # variation-font notices
        font = str(regular_font(font_cache))
        pdf.add_font(FONT, "", font)
        pdf.add_font(FONT, "B", font)  # headings stand out by size
    pdf.set_title(f"{digest.title} {digest.digest_id}")
    pdf.set_creator("seascout")
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 10.5, style: str = "", color: int = 0,
             indent: float = 0, gap: float = 1.5) -> None:
        if not text.strip():
            return
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(color)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    para(f"{digest.title} · {digest.digest_id}", 18, "B")
    para(f"{digest.period_label} · 新增 {digest.new_count} 条 · 更新 {digest.updated_count} 条",
         10, color=90)
    for s in digest.sections:
        para(f"{s.number}. {s.title}：新增 {s.new_count}，更新 {s.updated_count}", 10, indent=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the font are left out
        for s in digest.sections:
            pdf.ln(3)
            para(f"{s.number}. {s.title}", 15, "B", gap=2)
            if not s.entries:
                para("本期无新增。", color=90)
            for e in s.entries:
                mark = "（更新）" if e.status == "updated" else ""
                para(f"{e.number} {e.title}{mark}", 12.5, "B")
                if e.update_text:
                    para(f"更新：{e.update_text}", 9.5, color=60, indent=4)
                if e.citation_text:
                    para(f"论文引用：{e.citation_text}", 9.5, color=60, indent=4)
                for ln in e.news_links if e.is_news else e.links:
                    para(f"{ln.label}：{ln.url}", 9.5, color=60, indent=4, gap=0.5)
                para(_plain(e.summary), 10.5, gap=3)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
