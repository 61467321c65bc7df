"""PDF export: the digest's HTML printed by WeasyPrint, a real layout engine (Pango line
breaking, so no line starts with 。 and nothing is justified into gaps), with live links, the
inline SVG chart and the figures.

The CJK font is Noto Sans SC from the `justmytype-intl-cjk` package (SIL OFL), so `uv sync`
installs everything the PDF needs besides Pango (present on Debian/Ubuntu desktops and in the
CI image; `apt-get install libpango-1.0-0 libpangoft2-1.0-0` elsewhere). Glyphs that font
lacks (∘, ∼) fall back to the system's fonts through fontconfig. Only local files and data:
URLs are loaded while printing: a digest never makes the printer fetch from the network.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from importlib import resources
from pathlib import Path

FONT = "Seascout CJK"


def cjk_font_path() -> Path:
    base = resources.files("justmytype_intl_cjk") / "fonts" / "ofl" / "notosanssc"
    found = sorted((p for p in base.iterdir() if p.name.startswith("NotoSansSC")),
                   key=lambda p: p.name)
    fonts = [p for p in found if p.name.endswith((".ttf", ".otf"))]
    if not fonts:
        raise FileNotFoundError("Noto Sans SC not found in justmytype-intl-cjk (run `uv sync`)")
    return Path(str(fonts[0]))


WEB_FONT = "NotoSansSC-Variable.ttf"


def install_web_font(folder: Path) -> Path:
    """The packaged CJK font (variable: every weight in one file) and its licence (SIL OFL) in
    `folder`, for the HTML pages' `@font-face`: they read Chinese on a machine without CJK
    fonts, offline. Copied once (a copy of the same size is left alone)."""
    import shutil

    source = cjk_font_path()
    target = folder / WEB_FONT
    if not (target.is_file() and target.stat().st_size == source.stat().st_size):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        licence = source.parent / "OFL.txt"
        if licence.is_file():
            shutil.copyfile(licence, folder / "OFL.txt")
    return target


def font_cache_dir(fallback: Path) -> Path:
    """Where the PDF's static font instances are kept: once per machine user, shared by every
    SEASCOUT_HOME, every demo and every clone — `seascout/fonts` in the user cache
    (platformdirs: `$XDG_CACHE_HOME` or `~/.cache` on Linux), one folder per version of the
    packaged font. `fallback` (the home's own cache) when the user cache cannot be written,
    e.g. a read-only home directory. Deleting either loses nothing."""
    import platformdirs

    source = cjk_font_path()
    version = re.sub(r"[^\w.-]", "", f"{source.stem}-{source.stat().st_size}")
    folder = Path(platformdirs.user_cache_dir("seascout")) / "fonts" / version
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return fallback
    return folder if os.access(folder, os.W_OK) else fallback


def fonts_ready(cache_dir: Path) -> bool:
    """Whether the static instances the PDF uses are already made."""
    return all((cache_dir / f"NotoSansSC-{n}.ttf").exists() for n in ("Regular", "Bold"))


def regular_font(cache_dir: Path | None, weight: int = 400) -> Path:
    """A static instance (wght 400 Regular, 700 Bold) of the variable font, made once into
    `cache_dir` (~10 s each; `font_cache_dir` says where); without a cache, the variable font's
    default instance (Thin). Processes making one at the same time each write their own
    temporary file and the last rename wins: the file is always whole."""
    source = cjk_font_path()
    if cache_dir is None:
        return source
    name = {400: "Regular", 700: "Bold"}.get(weight, str(weight))
    target = cache_dir / f"NotoSansSC-{name}.ttf"
    if target.exists():
        return target
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    cache_dir.mkdir(parents=True, exist_ok=True)
    font = instancer.instantiateVariableFont(TTFont(str(source)), {"wght": weight})
    tmp = target.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
    font.save(str(tmp))
    tmp.replace(target)
    return target


def _print_css(font: Path, bold: Path | None = None) -> str:
    bold_face = (f"@font-face {{ font-family: '{FONT}'; font-weight: bold; "
                 f"src: url('{bold.as_uri()}'); }}" if bold else "")
    return f"""
@font-face {{ font-family: '{FONT}'; src: url('{font.as_uri()}'); }}
{bold_face}
@page {{ size: A4; margin: 15mm 14mm 16mm 14mm;
        @bottom-center {{ content: counter(page); font-size: 8pt; color: #57606a; }} }}
html, body, table, td, th, p, li, h1, h2, h3, blockquote, div, span, strong, a {{
    font-family: '{FONT}', 'DejaVu Sans', 'Noto Sans', sans-serif !important;
    text-align: left !important; }}
body {{ background: #fff !important; margin: 0 !important; }}
table[role=presentation] {{ width: 100% !important; max-width: none !important;
                            border: none !important; background: #fff !important; }}
td {{ padding-left: 0 !important; padding-right: 0 !important; }}
table.quality-trend td {{ padding: 2px 6px !important; }}
h1, h2, h3 {{ break-after: avoid; }}
img, svg {{ max-width: 100%; height: auto; }}
a {{ color: #0969da; overflow-wrap: anywhere; }}
"""


def write_pdf(html: str, path: Path, *, font_cache: Path | None = None) -> Path:
    """Print the digest's HTML page to `path` (A4)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    font = regular_font(font_cache)
    bold = regular_font(font_cache, 700) if font_cache is not None else None
    path.parent.mkdir(parents=True, exist_ok=True)
    # A missing image is said by the run report, once; WeasyPrint would log it at ERROR.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    local_only = URLFetcher(allowed_protocols=("file", "data"))  # never the network
    fonts = FontConfiguration()  # where the @font-face of the packaged CJK font is loaded
    css = CSS(string=_print_css(font, bold), url_fetcher=local_only, font_config=fonts)
    # No base URL, so links to the other exports (`./….docx`) stay relative in the PDF (an
    # absolute file:/// link is dead once the PDF is mailed); the images it embeds are given
    # their own absolute file URIs instead.
    html = _IMG_SRC_RE.sub(lambda m: m.group(1) + (path.parent / m.group(2)).resolve().as_uri()
                           + '"', html)
    HTML(string=html, base_url=None, url_fetcher=local_only).write_pdf(
        str(path), stylesheets=[css], font_config=fonts)
    return path


_IMG_SRC_RE = re.compile(r'(<img\b[^>]*?\bsrc=")(?![A-Za-z][A-Za-z0-9+.-]*:)([^"#?]+)"')
