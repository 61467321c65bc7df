"""What a review card shows: the work, the digest's entry number for it, its whole abstract,
its figure, its labelled links and triage's reason; in an order no decision changes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from digests.document import DigestEntry, DigestSection, LabelledLink
from digests.entry_text import news_body, tex_to_text
from digests.selection import continue_numbers, place_entries
from seascout.core.model import Kind, Work
from warehouse import digest_store
from warehouse.db import Warehouse
from warehouse.decisions_store import Candidate, review_candidates
from warehouse.figures_store import get_figures
from warehouse.works import get_works

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


@dataclass
class Card:
    """One work on the page: what the lab decides from."""

    candidate: Candidate
    number: str | None  # the entry number the digest gives it ("1.6"); None: not an entry
    abstract_label: str
    abstract: list[str]  # paragraphs
    links: list[LabelledLink]
    figure: str | None  # the figure's URL on this server

    @property
    def work_id(self) -> str:
        return self.candidate.work_id

    @property
    def anchor(self) -> str:
        return anchor(self.work_id)


def anchor(work_id: str) -> str:
    """The card's `id` (a fragment the page returns to after an action)."""
    return "w-" + hashlib.sha1(work_id.encode()).hexdigest()[:12]  # noqa: S324 (not security)


def cards(wh: Warehouse, period: str, bounds: tuple[datetime, datetime], figures: Path | None,
          url: Callable[[str], str]) -> list[Card]:
    """The week's candidates in an order the lab's decisions do not change (triage's
    section, then the 抽查 sample, then the least certain rejections), each with its digest
    entry number, abstract, figure (`url` makes its address) and labelled links."""
    listed = _ordered(review_candidates(wh, *bounds))
    works = {w.work_id: w for w in get_works(wh, [c.work_id for c in listed])}
    numbers = entry_numbers(wh, period, bounds)
    stored = get_figures(wh, [c.work_id for c in listed]) if figures else {}
    out = []
    for c in listed:
        work = works.get(c.work_id)
        news = work is not None and work.kind is Kind.NEWS
        record = stored.get(c.work_id)
        shown = record is not None and record.status == "stored" and bool(record.file)
        out.append(Card(
            c, numbers.get(c.work_id), "正文（原文节选）" if news else "论文摘要（原文）",
            _paragraphs(work), _links(work),
            url("/figure?" + urlencode({"work": c.work_id})) if shown else None))
    return out


def entry_numbers(wh: Warehouse, period: str, bounds: tuple[datetime, datetime]) -> dict[str, str]:
    """work_id → the `N.M` number the period's digest gives (or gave) the work."""
    selected = digest_store.select_items(wh, period, *bounds)
    sections = [DigestSection(n, t) for n, t in digest_store.sections(wh)]
    entries = place_entries(wh, selected, sections)
    continue_numbers(sections, entries, digest_store.entry_numbers(wh, period))
    return {wid: e.number for wid, e in entries.items()}


def figure_file(wh: Warehouse, figures: Path | None, work_id: str) -> Path | None:
    """The stored figure of `work_id`, if there is one inside the `figures` folder."""
    if figures is None:
        return None
    record = get_figures(wh, [work_id]).get(work_id)
    if record is None or record.status != "stored" or not record.file:
        return None
    root = figures.resolve()
    path = (root / record.file).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.suffix.lower() not in IMAGE_TYPES:
        return None
    return path


def _ordered(listed: list[Candidate]) -> list[Candidate]:
    """Triage's order, which no decision changes: its sections (inside one, as the digest
    numbers them: newest first, then by title), then the 抽查 sample, then the rejections it
    was least sure of."""
    by_digest = sorted(sorted(listed, key=lambda c: c.title),
                       key=lambda c: c.published or "", reverse=True)  # NULLS LAST
    return sorted(by_digest, key=_group)


def _group(c: Candidate) -> tuple[int, int, float]:
    if c.triage_section is not None:
        return (0, c.triage_section, 0.0)
    return (1 if c.spot_check else 2, 0, c.confidence if c.confidence is not None else 1.0)


def _paragraphs(work: Work | None) -> list[str]:
    """The whole abstract (a news item: its opening paragraphs) as paragraphs."""
    if work is None or not work.abstract:
        return []
    text = news_body(work.abstract, work.title) if work.kind is Kind.NEWS else tex_to_text(work.abstract)
    return [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _links(work: Work | None) -> list[LabelledLink]:
    """The links the digest gives the work, labelled as the survey writes them (http(s) only)."""
    if work is None:
        return []
    return [ln for ln in DigestEntry("", work.title, work).links
            if ln.url.lower().startswith(("https://", "http://"))]
