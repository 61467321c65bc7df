"""The static archive (index page + one page per digest) and the Atom feed of digests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from feedgen.feed import FeedGenerator

from digests.quality import QualityRow
from seascout.core import clock
from warehouse.digest_store import DigestRecord


@dataclass
class ArchiveRow:
    digest_id: str
    period_start: date
    last_day: date
    item_count: int
    exports: list[str]  # file names of the PDF/DOCX/Markdown next to the page


def _rows(records: list[DigestRecord]) -> list[ArchiveRow]:
    out = []
    for r in records:
        exports = [Path(p).name for fmt, p in sorted(r.files.items())
                   if fmt in ("md", "pdf", "docx")]
        out.append(ArchiveRow(r.digest_id, r.period_start, r.period_end - timedelta(days=1),
                              r.item_count, exports))
    return out


def write_archive_index(records: list[DigestRecord], root: Path, env: jinja2.Environment, *,
                        title: str, chart_svg: str = "", font_url: str = "",
                        quality: Sequence[QualityRow] = ()) -> Path:
    """The archive's index page; `quality`: the precision/抽查 trend, oldest first."""
    path = root / "index.html"
    root.mkdir(parents=True, exist_ok=True)
    html = env.get_template("archive_index.html.j2").render(
        title=title, digests=_rows(records), chart_svg=chart_svg, font_url=font_url,
        quality=list(quality))
    path.write_text(html, encoding="utf-8")
    return path


def write_atom(records: list[DigestRecord], root: Path, *, title: str, site_url: str,
               timezone: str) -> Path:
    """The feed of digests, newest first. Ids are stable: under `site_url` when it is set,
    else tag URIs (never the machine's file:// paths); links are then relative to the feed."""
    base = site_url.rstrip("/") if site_url else ""
    fg = FeedGenerator()
    fg.id(f"{base}/atom.xml" if base else "tag:seascout,2026:digests")
    fg.title(title)
    fg.author({"name": "seascout", **({"uri": f"{base}/index.html"} if base else {})})
    fg.link(href=f"{base}/index.html" if base else "index.html", rel="alternate")
    if base:
        fg.link(href=f"{base}/atom.xml", rel="self")
    fg.language("zh-CN")
    fg.generator("seascout")
    tz = ZoneInfo(timezone)
    latest = None
    for r in sorted(records, key=lambda r: r.period_start, reverse=True):
        when = clock.aware(r.rendered_at).astimezone(tz) if isinstance(
            r.rendered_at, datetime) else clock.now().astimezone(tz)
        latest = max(latest, when) if latest else when
        entry = fg.add_entry(order="append")
        entry.id(f"{base}/{r.digest_id}/" if base else f"tag:seascout,2026:digests/{r.digest_id}")
        entry.title(f"{title} {r.digest_id}")
        entry.link(href=f"{base}/{r.digest_id}/index.html" if base
                   else f"{r.digest_id}/index.html", rel="alternate")
        entry.updated(when)
        counts = "，".join(f"第 {k} 章 {v} 条" for k, v in sorted(r.counts.items()))
        entry.summary(f"{r.period_start} 至 {r.period_end - timedelta(days=1)}："
                      f"{r.item_count} 条（{counts or '无新增'}）")
    fg.updated(latest or clock.now().astimezone(tz))
    path = root / "atom.xml"
    root.mkdir(parents=True, exist_ok=True)
    fg.atom_file(str(path), pretty=True)
    return path
