"""An inline SVG bar chart: items per section per week (the last 12 digests)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path

PALETTE = ("#1f6feb", "#2da44e", "#d29922", "#8250df", "#cf222e", "#57606a", "#0a7d8c")


def section_colours(sections: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """(colour, "N. title") of each section, as the chart draws them."""
    return [(PALETTE[i % len(PALETTE)], f"{num}. {title}") for i, (num, title) in enumerate(sections)]


def chart_png(svg: str, *, width: int = 1280) -> bytes:
    """The chart as a PNG (mail clients strip inline SVG). Draw it with `legend=False`: the
    PNG is rasterised with the system's fonts, which may lack Chinese; the legend goes beside
    it as text."""
    import cairosvg

    return bytes(cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width))


def section_chart(counts: Sequence[tuple[str, int | None, int]], sections: list[tuple[int, str]],
                  *, width: int = 640, height: int = 220, legend: bool = True) -> str:
    """Stacked bars, one per week; `counts` holds (week, section, items) rows."""
    weeks = sorted({w for w, _, _ in counts})
    if not weeks:
        return ""
    per: dict[str, dict[int, int]] = {w: {} for w in weeks}
    for w, s, n in counts:
        if s is not None:
            per[w][s] = per[w].get(s, 0) + n
    top = max([sum(v.values()) for v in per.values()] + [1])
    shown = sections if legend else []
    if not legend:
        height -= 18 * ((len(sections) + 2) // 3)
    left, bottom, legend_h = 32, 34, 18 * ((len(shown) + 2) // 3)
    plot_h = height - bottom - legend_h - 10
    slot = (width - left - 10) / len(weeks)
    bar = max(6.0, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="每周各章节条目数" '
             "style=\"font-family:'Noto Sans SC','Noto Sans CJK SC','Seascout CJK',sans-serif;"
             'font-size:10px">',
             f'<line x1="{left}" y1="{10 + plot_h}" x2="{width - 10}" y2="{10 + plot_h}" '
             'stroke="#999"/>',
             f'<text x="{left - 4}" y="14" text-anchor="end">{top}</text>',
             f'<text x="{left - 4}" y="{10 + plot_h}" text-anchor="end">0</text>']
    colour = {num: PALETTE[i % len(PALETTE)] for i, (num, _) in enumerate(sections)}
    for i, w in enumerate(weeks):
        x = left + i * slot + (slot - bar) / 2
        y: float = 10 + plot_h
        for num, _ in sections:
            n = per[w].get(num, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour[num]}"><title>{escape(w)} §{num}: {n}</title></rect>')
        label = escape(w.split("-")[-1])
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{22 + plot_h}" '
                     f'text-anchor="middle">{label}</text>')
    for i, (num, title) in enumerate(shown):
        lx = left + (i % 3) * ((width - left) / 3)
        ly = height - legend_h + 12 + 18 * (i // 3)
        parts.append(f'<rect x="{lx:.0f}" y="{ly - 9}" width="10" height="10" '
                     f'fill="{colour[num]}"/><text x="{lx + 14:.0f}" y="{ly}">'
                     f'{num}. {escape(title)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def chart_with_legend(png: bytes, legend: list[tuple[str, str]], font: Path) -> bytes:
    """The chart PNG (drawn without its legend) with the legend drawn beneath it in `font`
    (the packaged CJK font, so section names print whatever fonts the system has) — for the
    DOCX, which has no HTML to put the legend in."""
    from PIL import Image, ImageDraw, ImageFont

    drawn = Image.open(io.BytesIO(png)).convert("RGBA")
    chart = Image.new("RGBA", drawn.size, "white")
    chart.alpha_composite(drawn)  # the SVG's background is transparent
    scale = chart.width / 640
    face = ImageFont.truetype(str(font), round(12 * scale))
    with contextlib.suppress(OSError):  # a variable font: its Regular weight, not Thin
        face.set_variation_by_axes([400])
    row = round(20 * scale)
    out = Image.new("RGB", (chart.width, chart.height + row * ((len(legend) + 2) // 3)
                            + round(8 * scale)), "white")
    out.paste(chart, (0, 0))
    draw = ImageDraw.Draw(out)
    column = (chart.width - 32 * scale) / 3
    for i, (colour, label) in enumerate(legend):
        x = round(32 * scale + (i % 3) * column)
        y = chart.height + row * (i // 3) + round(4 * scale)
        draw.rectangle((x, y + round(3 * scale), x + round(10 * scale), y + round(13 * scale)),
                       fill=colour)
        draw.text((x + round(14 * scale), y), label, font=face, fill="#1f2328")
    buffer = io.BytesIO()
    out.save(buffer, "PNG")
    return buffer.getvalue()
