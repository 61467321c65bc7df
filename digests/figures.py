"""A figure per digest entry, before rendering: looked up once per work, kept under
`$SEASCOUT_HOME/figures`, copied beside the digest's files (`<digest>/figures/`) so the
digest folder is self-contained and every format finds it by a relative path.

The survey's own entries keep the images their text already has. A work whose figure cannot
be had (no arXiv HTML figure, no lead image, HTTP 4xx, not an image) is recorded as such
and not asked again; network trouble stores nothing, so the next run tries again. Either way
the run report says it once, in one line, and the digest renders without that figure.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from digests.document import Digest, DigestEntry, page_url
from seascout.core.config import Settings
from seascout.core.model import Kind, LinkKind, Work
from spiders.figures import Figure, FigureError, FigureFetcher
from spiders.http import FetchError, HttpClient, OfflineError, RetryPolicy
from warehouse.db import Warehouse
from warehouse.figures_store import FigureRecord, get_figures, save_figures

FOLDER = "figures"  # beside the digest's files
SHOWN = 5  # failures named in the run report's line; the figures table has them all
MAIL_WIDTH = 640  # pixels: the e-mail's text column


@dataclass
class FigureOutcome:
    fetched: int = 0  # new figures stored this run
    shown: int = 0  # entries rendered with a figure
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


def wanted(entry: DigestEntry) -> bool:
    """Entries that get a figure: every crawled work (the survey's own have theirs)."""
    return not entry.from_survey and bool(entry.work.work_id)


def attach_figures(settings: Settings, wh: Warehouse, digest: Digest, folder: Path, *,
                   http: HttpClient | None = None) -> FigureOutcome:
    """Fetch the figures not looked up yet, then give each entry with a stored figure its
    relative path (`figures/<file>`, copied into `folder`)."""
    outcome = FigureOutcome()
    if not settings.config.digest.figures:
        return outcome
    entries = [e for e in digest.entries if wanted(e)]
    known = get_figures(wh, [e.work.work_id or "" for e in entries])
    store = settings.figures_dir
    todo = [e.work for e in entries if not _usable(known.get(e.work.work_id or ""), store)]
    if todo:
        new = _fetch_all(settings, todo, store, outcome, http)
        save_figures(wh, new)
        known.update({r.work_id: r for r in new})
    for e in entries:
        record = known.get(e.work.work_id or "")
        if record is None or not _usable(record, store) or record.file is None:
            continue
        target = folder / FOLDER / record.file
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store / record.file, target)
        e.figure = f"{FOLDER}/{record.file}"
        outcome.shown += 1
    return outcome


def _usable(record: FigureRecord | None, store: Path) -> bool:
    """A final answer: a stored figure whose file is still there, or none/failed."""
    if record is None:
        return False
    if record.status == "stored":
        return bool(record.file) and (store / str(record.file)).is_file()
    return True


def figure_client(settings: Settings) -> HttpClient:
    """The crawl's client with short retries: a figure is worth less than a slow digest."""
    from spiders.crawl import make_http_client

    return make_http_client(settings, retry=RetryPolicy(max_attempts=2, backoff_base=1.0),
                            timeout=20.0, connect_timeout=5.0, max_bytes=30_000_000)


def _fetch_all(settings: Settings, works: list[Work], store: Path, outcome: FigureOutcome,
               http: HttpClient | None) -> list[FigureRecord]:
    client = http or figure_client(settings)
    fetcher = FigureFetcher(client, settings.user_agent)
    arxiv_base = settings.config.digest.arxiv_html_url
    unreachable: dict[str, str] = {}  # host → why: not asked again this run
    records: list[FigureRecord] = []
    try:
        for work in works:
            wid = work.work_id or ""
            label = work.key("arxiv") or wid
            pages = candidate_pages(work, arxiv_base)
            if not pages:  # a journal paper without arXiv id or project page: nothing to ask
                continue
            blocked = next((unreachable[h] for h in (_host(u) for u, _ in pages)
                            if h in unreachable), None)
            if blocked:
                outcome.later.append(blocked)
                continue
            try:
                figure = _find(fetcher, pages)
            except FigureError as e:
                outcome.failed.append(f"{label}: {e}")
                records.append(FigureRecord(wid, "failed", note=str(e)))
                continue
            except Exception as e:  # network trouble (or worse): never fails the digest
                host = _host(e.url) if isinstance(e, FetchError) else _host(pages[0][0])
                why = ("offline" if isinstance(e, OfflineError) else
                       e.reason if isinstance(e, FetchError) else f"{type(e).__name__}: {e}")
                reason = f"cannot reach {host}: {why}"
                unreachable[host] = reason
                outcome.later.append(reason)
                continue
            if figure is None:
                outcome.none.append(label)
                records.append(FigureRecord(wid, "none", page_url=pages[-1][0],
                                            note="no figure on its pages"))
                continue
            name = f"{file_key(wid)}.{figure.image.ext}"
            store.mkdir(parents=True, exist_ok=True)
            tmp = store / f".{name}.tmp"
            tmp.write_bytes(figure.image.data)
            tmp.replace(store / name)
            records.append(FigureRecord(wid, "stored", name, figure.image_url, figure.page_url,
                                        figure.image.width, figure.image.height,
                                        len(figure.image.data)))
            outcome.fetched += 1
    finally:
        if http is None:
            client.close()
    return records


def candidate_pages(work: Work, arxiv_html_url: str) -> list[tuple[str, str]]:
    """(URL, kind) of the pages a work's figure may come from, in order: its arXiv HTML
    version ("arxiv"), its project pages and, for news, its own page ("lead")."""
    out: list[tuple[str, str]] = []
    arxiv = work.key("arxiv")
    if arxiv and work.kind is not Kind.NEWS:
        out.append((arxiv_html_url.rstrip("/") + "/" + arxiv, "arxiv"))
    out += [(ln.url, "lead") for ln in work.links if ln.kind is LinkKind.PROJECT]
    if work.kind is Kind.NEWS:
        own = page_url(work)
        if own:
            out.append((own, "lead"))
    unique: dict[str, str] = {}
    for url, kind in out:
        if url.startswith(("http://", "https://")):
            unique.setdefault(url, kind)
    return list(unique.items())


def _find(fetcher: FigureFetcher, pages: list[tuple[str, str]]) -> Figure | None:
    """The first figure the pages give; a page that fails for good gives way to the next,
    and its error stands when no page has a figure."""
    error: FigureError | None = None
    for url, kind in pages:
        try:
            figure = fetcher.arxiv_figure(url) if kind == "arxiv" else fetcher.lead_figure(url)
        except FigureError as e:
            error = error or e
            continue
        if figure is not None:
            return figure
    if error:
        raise error
    return None


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


def _host(url: str) -> str:
    return urlsplit(url).netloc
