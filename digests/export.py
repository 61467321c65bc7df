"""The one export loop: a rendered document (a digest or the regenerated survey) written in
each format asked for — Markdown, HTML, PDF and DOCX — beside each other in one folder."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from digests.document import Digest
from digests.pdf import font_cache_dir, fonts_ready, install_web_font, write_pdf
from digests.render import make_environment, render_html
from seascout.core.config import Settings

DOCUMENT_FORMATS = ("md", "html", "pdf", "docx")


@dataclass
class Target:
    """Where and how one document is written: `folder/stem.{md,pdf,docx}` and
    `folder/html_name`; the web font goes into `fonts` and the HTML loads it as
    `font_url/<name>`. `archive`: the HTML links the digest archive; `chart`: a PNG to put
    into the DOCX (written beside it as `stem-chart.png`)."""

    folder: Path
    stem: str
    html_name: str
    fonts: Path
    font_url: str
    archive: bool = False
    chart: bytes | None = None


@dataclass
class Exported:
    files: dict[str, Path] = field(default_factory=dict)  # format → path, in the order written
    notes: list[str] = field(default_factory=list)


def templates_dir(settings: Settings) -> Path | None:
    """The lab's own templates folder (`[digest] templates_dir`), if set."""
    d = settings.config.digest.templates_dir
    return Settings._resolve(d, settings.root) if d else None


def environment(settings: Settings) -> Environment:
    return make_environment(templates_dir(settings))


def write_formats(settings: Settings, doc: Digest, env: Environment, markdown: str,
                  target: Target, formats: Sequence[str]) -> Exported:
    """Write `doc` (whose Markdown is `markdown`) in every format of `formats` that is a
    document format; the CJK font for the PDF is prepared once per machine (said once)."""
    out = Exported()
    folder = target.folder
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{doc.title} {doc.digest_id}"
    for fmt in (f for f in DOCUMENT_FORMATS if f in formats):
        if fmt == "md":
            out.files["md"] = _write(folder / f"{target.stem}.md", markdown)
        elif fmt == "html":
            font = install_web_font(target.fonts)
            out.files["html"] = _write(folder / target.html_name, render_html(
                doc, env, archive=target.archive, font_url=f"{target.font_url}/{font.name}"))
        elif fmt == "pdf":
            fonts = font_cache_dir(settings.cache_dir / "fonts")
            first = not fonts_ready(fonts)
            started = time.monotonic()
            out.files["pdf"] = write_pdf(render_html(doc, env, for_print=True),
                                         folder / f"{target.stem}.pdf", font_cache=fonts)
            if first:
                out.notes.append(f"PDF: prepared the CJK font once for this machine into {fonts} "
                                 f"({time.monotonic() - started:.0f} s with the first PDF)")
        else:
            from digests.word import write_docx

            chart = None
            if target.chart is not None:
                chart = f"{target.stem}-chart.png"
                (folder / chart).write_bytes(target.chart)
            out.files["docx"] = write_docx(markdown, folder / f"{target.stem}.docx", title=title,
                                           chart=chart)
    return out


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
