"""A figure per digest entry, at rendering time: read from the warehouse only. The figures
stage (`digests.figure_fetch`, run before the digest) has fetched them into
`$SEASCOUT_HOME/figures` and the `figures` table; here each entry with a stored figure gets
its relative path and the file is copied beside the digest's files (`<digest>/figures/`), so
the digest folder is self-contained and every format finds it. Nothing here opens a
connection: an entry whose figure is not stored (yet) is rendered without one.

The survey's own entries keep the images their text already has.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from digests.document import Digest, DigestEntry
from seascout.core.config import Settings
from warehouse.db import Warehouse
from warehouse.figures_store import FigureRecord, get_figures

FOLDER = "figures"  # beside the digest's files
SHOWN = 5  # failures named in the run report's line; the figures table has them all
MAIL_WIDTH = 640  # pixels: the e-mail's text column


@dataclass
class FigureOutcome:
    fetched: int = 0  # new figures stored this run
    shown: int = 0  # entries rendered with a figure
    known: int = 0  # entries whose answer was stored before (not asked again)
    none: list[str] = field(default_factory=list)  # works found to have none this run
    failed: list[str] = field(default_factory=list)  # "id: why" (final)
    later: list[str] = field(default_factory=list)  # why, per entry (network; tried next run)

    def notes(self, store: Path) -> list[str]:
        """One line for the run report (nothing when nothing happened)."""
        parts = []
        if self.fetched:
            parts.append(f"{self.fetched} new into {store}")
        if self.none:
            parts.append(f"{len(self.none)} entr{'y' if len(self.none) == 1 else 'ies'} "
                         "without one (no arXiv HTML figure or lead image)")
        if self.failed:
            shown = "; ".join(self.failed[:SHOWN])
            more = f"; … and {len(self.failed) - SHOWN} more" if len(self.failed) > SHOWN else ""
            parts.append(f"{len(self.failed)} skipped: {shown}{more}")
        if self.later:
            parts.append(f"{len(self.later)} not fetched ({'; '.join(dict.fromkeys(self.later))})"
                         ", tried again next run")
        return [f"figures: {', '.join(parts)}"] if parts else []

    def describe(self, store: Path) -> str:
        """The stage's line, also when nothing was asked."""
        return "\n".join(self.notes(store)) or f"figures: nothing new to fetch ({self.known} known)"

    def counts(self) -> dict[str, int]:
        return {"fetched": self.fetched, "known": self.known, "none": len(self.none),
                "failed": len(self.failed), "later": len(self.later)}


def wanted(entry: DigestEntry) -> bool:
    """Entries that get a figure: every crawled work (the survey's own have theirs)."""
    return not entry.from_survey and bool(entry.work.work_id)


def attach_figures(settings: Settings, wh: Warehouse, digest: Digest, folder: Path) -> FigureOutcome:
    """Give each entry with a stored figure its relative path (`figures/<file>`, copied into
    `folder`). Reads the warehouse and `$SEASCOUT_HOME/figures` only."""
    outcome = FigureOutcome()
    if not settings.config.digest.figures:
        return outcome
    entries = [e for e in digest.entries if wanted(e)]
    known = get_figures(wh, [e.work.work_id or "" for e in entries])
    store = settings.figures_dir
    for e in entries:
        record = known.get(e.work.work_id or "")
        if record is None or not usable(record, store) or record.file is None:
            continue
        target = folder / FOLDER / record.file
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store / record.file, target)
        e.figure = f"{FOLDER}/{record.file}"
        outcome.shown += 1
    return outcome


def usable(record: FigureRecord | None, store: Path) -> bool:
    """A final answer: a stored figure whose file is still there, or none/failed."""
    if record is None:
        return False
    if record.status == "stored":
        return bool(record.file) and (store / str(record.file)).is_file()
    return True


def mail_size(data: bytes, width: int = MAIL_WIDTH) -> bytes:
    """A stored figure at most `width` pixels wide (the e-mail's column), in its own format:
    thirty full-size figures would push a digest mail past what mail servers accept."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        if im.width <= width:
            return data
        kind = im.format or "PNG"
        im.thumbnail((width, width * im.height // im.width + 1))
        out = io.BytesIO()
        if kind == "JPEG":
            im.save(out, "JPEG", quality=85)
        else:
            im.save(out, "PNG")
        return out.getvalue()


def file_key(work_id: str) -> str:
    """A file name for a work: readable, safe, unique (`arxiv_2401.12345-1a2b3c4d`)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", work_id).strip("._")[:60]
    return f"{slug}-{hashlib.sha1(work_id.encode()).hexdigest()[:8]}"  # noqa: S324 - a name
