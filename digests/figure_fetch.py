"""The figures stage, between triage and the digest: the figure of each work the period's
digest will show (the digest's own selection, `digests.selection.build_digest`) is looked up
once and stored, file in `$SEASCOUT_HOME/figures`, answer in the `figures` table. Rendering
then reads the warehouse only (`digests.figures.attach_figures`).

Where a figure comes from: the paper's arXiv HTML version, else its project pages, else (news)
its own page (`spiders.figures`). A work whose figure cannot be had (no figure, HTTP 4xx, not an
image, too large, robots.txt, a private address) is recorded as a final failure or "none" and
not asked again; network trouble stores nothing, so the next run tries again, and a host that
cannot be reached is not asked again this run. Each answer is stored as soon as it is known,
so a stage cut off halfway keeps what it fetched. The run report says it all in one line.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from digests.document import page_url
from digests.figures import FigureOutcome, file_key, usable, wanted
from digests.report import DigestReport
from digests.selection import build_digest
from seascout.core.config import Settings
from seascout.core.model import Kind, LinkKind, Work
from seascout.core.period import current_period, parse_period
from spiders.figures import Figure, FigureError, FigureFetcher
from spiders.http import FetchError, HttpClient, OfflineError, RetryPolicy
from warehouse.db import Warehouse
from warehouse.figures_store import FigureRecord, get_figures, save_figures


def fetch_figures(settings: Settings, wh: Warehouse, *, period: str | None = None,
                  now: datetime | None = None, http: HttpClient | None = None) -> FigureOutcome:
    """The figures stage for the digest of `period` (ISO week; default: the one `run_digest`
    renders). `http`: the client to use, else one of its own."""
    if not settings.config.digest.figures:
        return FigureOutcome()
    tz = settings.config.digest.timezone
    p = parse_period(period, tz) if period else current_period(tz, now)
    wh.ensure_schema()
    digest, _ = build_digest(settings, wh, p)
    return fetch_for(settings, wh, [e.work for e in digest.entries if wanted(e)], http=http)


def digest_with_figures(settings: Settings, wh: Warehouse, *, period: str | None = None,
                        deliver: bool = True, resend: bool = False, now: datetime | None = None,
                        http: HttpClient | None = None) -> DigestReport:
    """`seascout digest`: the figures stage, then the digest (`run_digest`), the stage's line
    first among the digest's notes."""
    from digests.run import run_digest

    outcome = fetch_figures(settings, wh, period=period, now=now, http=http)
    report = run_digest(settings, wh, period=period, deliver=deliver, resend=resend, now=now)
    report.notes[:0] = outcome.notes(settings.figures_dir)
    return report


def fetch_for(settings: Settings, wh: Warehouse, works: list[Work], *,
              http: HttpClient | None = None) -> FigureOutcome:
    """Fetch and store the figures of `works` not looked up yet."""
    outcome = FigureOutcome()
    store = settings.figures_dir
    known = get_figures(wh, [w.work_id or "" for w in works])
    todo = [w for w in works if not usable(known.get(w.work_id or ""), store)]
    outcome.known = len(works) - len(todo)
    if todo:
        client = http or figure_client(settings)
        try:
            _fetch_all(settings, wh, todo, outcome, client)
        finally:
            if http is None:
                client.close()
    return outcome


def figure_client(settings: Settings) -> HttpClient:
    """The crawl's client with short retries: a figure is worth less than a slow digest."""
    from spiders.crawl import make_http_client

    return make_http_client(settings, retry=RetryPolicy(max_attempts=2, backoff_base=1.0),
                            timeout=20.0, connect_timeout=5.0, max_bytes=30_000_000)


def _fetch_all(settings: Settings, wh: Warehouse, works: list[Work], outcome: FigureOutcome,
               client: HttpClient) -> None:
    fetcher = FigureFetcher(client, settings.user_agent)
    arxiv_base = settings.config.digest.arxiv_html_url
    store = settings.figures_dir
    unreachable: dict[str, str] = {}  # host → why: not asked again this run
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
        except FigureError as e:  # this work's fault, final: the host's other works go on
            outcome.failed.append(f"{label}: {e}")
            save_figures(wh, [FigureRecord(wid, "failed", note=str(e))])
            continue
        except Exception as e:  # network trouble (or worse): never fails the run
            host = _host(e.url) if isinstance(e, FetchError) else _host(pages[0][0])
            why = ("offline" if isinstance(e, OfflineError) else
                   e.reason if isinstance(e, FetchError) else f"{type(e).__name__}: {e}")
            reason = f"cannot reach {host}: {why}"
            unreachable[host] = reason
            outcome.later.append(reason)
            continue
        if figure is None:
            outcome.none.append(label)
            save_figures(wh, [FigureRecord(wid, "none", page_url=pages[-1][0],
                                           note="no figure on its pages")])
            continue
        save_figures(wh, [_store(figure, wid, store)])
        outcome.fetched += 1


def _store(figure: Figure, work_id: str, store: Path) -> FigureRecord:
    """The figure's file in `store` (written whole, then renamed) and its row."""
    name = f"{file_key(work_id)}.{figure.image.ext}"
    store.mkdir(parents=True, exist_ok=True)
    tmp = store / f".{name}.tmp"
    tmp.write_bytes(figure.image.data)
    tmp.replace(store / name)
    return FigureRecord(work_id, "stored", name, figure.image_url, figure.page_url,
                        figure.image.width, figure.image.height, len(figure.image.data))


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


def _host(url: str) -> str:
    return urlsplit(url).netloc
