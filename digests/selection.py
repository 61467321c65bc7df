"""A period's digest as data: the works the `survey_membership` view places in a section that
are new or updated then, as numbered entries continuing the survey's and earlier digests'
numbers; the 抽查 sample and the precision trend beside them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from digests.document import Digest, DigestEntry, DigestSection, ExportFile
from digests.entry_text import (
    SUMMARY_LABEL,
    abstract_summary,
    news_body,
    short_name,
    unsupported_facts,
)
from digests.quality import QualityRow, SpotCheckBlock, SpotCheckEntry, spot_check_sample
from digests.related import attach_relations
from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.model import Kind, Work
from seascout.core.period import Period
from warehouse import digest_store as store
from warehouse.db import Warehouse
from warehouse.decisions_store import decisions
from warehouse.works import get_works


def file_stem(digest_id: str) -> str:
    return f"seascout-{digest_id}"


def build_digest(settings: Settings, wh: Warehouse,
                 period: Period) -> tuple[Digest, list[store.DigestItem]]:
    """The period's digest as data (selection + works + summaries), numbered in section order."""
    cfg = settings.config.digest
    lo, hi = period.bounds()
    selected = store.select_items(wh, period.id, lo, hi)
    taxonomy = store.sections(wh)
    sections = [DigestSection(n, t) for n, t in taxonomy]
    entries = place_entries(wh, selected, sections)
    continue_numbers(sections, entries, store.entry_numbers(wh, period.id))
    attach_relations(wh, entries)
    previous = store.list_digests(wh, before=period.id, limit=1)
    if previous:
        for s in sections:
            s.previous_count = previous[0].counts.get(s.number, 0)
    base = cfg.site_url.rstrip("/")
    stem = file_stem(period.id)
    exports = [ExportFile(label, f"{stem}.{ext}",
                          f"{base}/{period.id}/{stem}.{ext}" if base else f"./{stem}.{ext}")
               for ext, label in (("pdf", "PDF"), ("docx", "DOCX")) if ext in cfg.formats]
    digest = Digest(
        digest_id=period.id, title=cfg.title,
        period_label=f"{period.start:%Y-%m-%d} 至 {period.last_day:%Y-%m-%d}（{period.timezone}）",
        sections=sections, generated_at=clock.now().astimezone(ZoneInfo(cfg.timezone)), exports=exports,
        timezone=cfg.timezone,
        previous_id=previous[0].digest_id if previous else None,
        full_url=f"{base}/{period.id}/index.html" if base else "")
    items = [store.DigestItem(wid, by_number_of(entries[wid]), entries[wid].number,
                              entries[wid].status, entries[wid].content_hash,
                              entries[wid].change_note) for wid in entries]
    return digest, items


def place_entries(wh: Warehouse, selected: list[store.SelectedItem],
                  sections: list[DigestSection]) -> dict[str, DigestEntry]:
    """An entry (not numbered yet) per selected work, appended to its section; by work_id."""
    works = {w.work_id: w for w in get_works(wh, [s.work_id for s in selected])}
    by_number = {s.number: s for s in sections}
    entries: dict[str, DigestEntry] = {}
    for item in selected:
        work, sec = works.get(item.work_id), by_number.get(item.section)
        if work is None or sec is None:
            continue
        entry = DigestEntry("", entry_heading(item, work), work, entry_summary(item, work),
                            item.status, item.change_note, item.content_hash,
                            from_survey=item.heading is not None)
        sec.entries.append(entry)
        entries[item.work_id] = entry
    return entries


def entry_heading(item: store.SelectedItem, work: Work) -> str:
    """The lab's Chinese title, the survey's heading for a seed work, the LLM's Chinese
    title, else the short name."""
    return item.lab_title or item.heading or item.title_zh or short_name(work.title)


def entry_summary(item: store.SelectedItem, work: Work) -> str:
    """The survey's text for a seed work; an LLM summary as 论文摘要; else, offline, the
    whole abstract (a paper) or the opening paragraphs (a news item). The lab's own summary
    (`seascout review`, `decide --summary`) replaces all of them, as written."""
    if item.summary_method in ("seed", "lab") and item.summary:
        return item.summary
    if item.summary_method == "llm" and item.summary:
        body = item.summary.removeprefix(SUMMARY_LABEL)
        text = body if work.kind is Kind.NEWS else f"{SUMMARY_LABEL}{body}"
        unchecked = unsupported_facts(item.summary, work.abstract, work.title)
        if unchecked:  # never delivered silently: the reader sees what to check
            text += f"\n\n**待核对**：摘要原文中未见 {'、'.join(unchecked)}。"
        return text
    if work.kind is Kind.NEWS:
        return news_body(work.abstract, work.title) or item.summary or ""
    return abstract_summary(work.abstract) or item.summary or ""


def continue_numbers(sections: list[DigestSection], entries: dict[str, DigestEntry],
                     taken: store.EntryNumbers) -> None:
    """Number each entry N.M after the survey's and every other digest's entries of its section.
    An entry keeps the number this digest gave it before; an update keeps the work's last one."""
    by_entry = {id(e): wid for wid, e in entries.items()}
    for s in sections:
        used = {n for e in s.entries if (n := taken.this.get(by_entry[id(e)]))
                and n.split(".")[0] == str(s.number)}  # a moved entry's old number is elsewhere
        nxt = max([taken.last.get(s.number, 0)] + [_m(n) for n in used]) + 1
        for e in s.entries:
            wid = by_entry[id(e)]
            kept = taken.this.get(wid)
            if e.status == "updated" and not kept:
                earlier = taken.earlier.get(wid)
                if earlier and earlier.split(".")[0] == str(s.number) and earlier not in used:
                    kept = earlier
                    used.add(earlier)
            if kept and kept.split(".")[0] == str(s.number):
                e.number = kept
                continue
            e.number = f"{s.number}.{nxt}"
            used.add(e.number)
            nxt += 1
        s.entries.sort(key=lambda e: _m(e.number))


def _m(number: str) -> int:
    return int(number.rsplit(".", 1)[1])


def by_number_of(entry: DigestEntry) -> int:
    return int(entry.number.split(".")[0])


def draw_spot_check(settings: Settings, wh: Warehouse, period: Period,
                    now: datetime | None = None) -> store.SpotCheck | None:
    """The period's 抽查 sample: `[digest] spot_check_size` of the works triage rejected then,
    drawn at random seeded by the digest's id. Redrawn on each render while the week runs
    (more works arrive); once drawn after the week ended it is kept, so a rerun shows the
    same works and the lab's decisions on them keep counting. None: no sample wanted."""
    stored = store.spot_check(wh, period.id)
    if stored is not None and stored.closed:
        return stored
    size = settings.config.digest.spot_check_size
    if size == 0 and stored is None:
        return None
    rejected = store.rejected_works(wh, *period.bounds())
    check = store.SpotCheck(period.id, len(rejected), size, period.closed(now),
                            spot_check_sample(period.id, rejected, size), period.bounds())
    store.save_spot_check(wh, check)
    return check


def spot_check_block(wh: Warehouse, check: store.SpotCheck | None) -> SpotCheckBlock | None:
    """The 抽查 works with the lab's decisions on them, as the digest lists them."""
    if check is None or not check.work_ids:
        return None
    works = {w.work_id: w for w in get_works(wh, check.work_ids)}
    decided = {d.work_id: d for d in decisions(wh)}
    entries = []
    for wid in check.work_ids:
        if wid in works:
            d = decided.get(wid)
            entries.append(SpotCheckEntry(works[wid], d.action if d else None,
                                          d.section if d else None))
    return SpotCheckBlock(check.rejected, entries)


def quality_trend(wh: Warehouse, *, upto: str | None = None, weeks: int = 12) -> list[QualityRow]:
    """Precision and the 抽查 estimate of the last `weeks` digests, oldest first."""
    return [QualityRow(*r) for r in store.quality_trend(wh, upto=upto, weeks=weeks)]
