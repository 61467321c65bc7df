"""`run_digest`: select a period's works, render every format, publish, deliver once per channel."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digests.chart import chart_png, chart_with_legend, section_chart, section_colours
from digests.document import Digest, DigestEntry, DigestSection, ExportFile
from digests.entry_text import (
    SUMMARY_LABEL,
    abstract_summary,
    news_body,
    short_name,
    unsupported_facts,
)
from digests.figures import FOLDER as FIGURES_FOLDER
from digests.figures import attach_figures, mail_size
from digests.pdf import WEB_FONT, cjk_font_path, install_web_font
from digests.publish import write_archive_index, write_atom
from digests.quality import QualityRow, SpotCheckBlock, SpotCheckEntry, spot_check_sample
from digests.render import make_environment, render_html, render_markdown, render_text
from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.model import Kind, Work
from seascout.core.period import Period, current_period, parse_period, today
from spiders.http import HttpClient
from warehouse import digest_store as store
from warehouse.db import Warehouse
from warehouse.decisions_store import decisions
from warehouse.works import get_works

log = logging.getLogger(__name__)


@dataclass
class DigestReport:
    digest_id: str
    items: int = 0
    new: int = 0
    updated: int = 0
    files: dict[str, str] = field(default_factory=dict)  # format → path
    deliveries: dict[str, str] = field(default_factory=dict)  # channel → sent|failed|already sent
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said to the user, not failures
    markdown: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        lines = [f"digest {self.digest_id}: {self.items} items ({self.new} new, "
                 f"{self.updated} updated)"]
        lines += [f"  {fmt:<5} {path}" for fmt, path in self.files.items()]
        lines += [f"  → {ch}: {status}" for ch, status in self.deliveries.items()]
        lines += [f"  · {n}" for n in self.notes]
        lines += [f"  ! {e}" for e in self.errors]
        return "\n".join(lines)


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


def produce(settings: Settings, wh: Warehouse, period: Period, now: datetime | None = None,
            *, http: HttpClient | None = None) -> tuple[Digest, DigestReport]:
    """Select, store and render one period; writes every configured format. Safe to rerun.
    Entries' figures are fetched first (`http`: the client to use, else one of its own).
    The archive page and the feed list closed weeks only (a week still running is not news)."""
    cfg = settings.config.digest
    digest, items = build_digest(settings, wh, period)
    report = DigestReport(period.id, len(items), digest.new_count, digest.updated_count)
    counts = {s.number: len(s.entries) for s in digest.sections}
    rendered_at = clock.stamp(digest.generated_at)
    record = store.DigestRecord(period.id, period.start, period.end, rendered_at,
                                len(items), {}, counts)
    store.save_digest(wh, record, items)
    digest.spot_check = spot_check_block(wh, draw_spot_check(settings, wh, period, now))
    digest.quality = quality_trend(wh, upto=period.id)
    taxonomy = [(s.number, s.title) for s in digest.sections]
    weekly = store.weekly_section_counts(wh, upto=period.id)
    digest.chart_svg = section_chart(weekly, taxonomy)
    if digest.chart_svg and settings.config.delivery.email.enabled:
        digest.chart_png = chart_png(section_chart(weekly, taxonomy, legend=False))
        digest.chart_legend = section_colours(taxonomy)
    env = make_environment(_templates_dir(settings))
    root = settings.digest_dir
    folder = root / period.id
    folder.mkdir(parents=True, exist_ok=True)
    report.notes += attach_figures(settings, wh, digest, folder,
                                   http=http).notes(settings.figures_dir)
    stem = file_stem(period.id)
    report.markdown = render_markdown(digest, env)
    outputs: dict[str, Path] = {}
    if "md" in cfg.formats:
        outputs["md"] = _write(folder / f"{stem}.md", report.markdown)
    if "html" in cfg.formats:
        font = install_web_font(root / "fonts")
        outputs["html"] = _write(folder / "index.html", render_html(
            digest, env, archive=True, font_url=f"../fonts/{font.name}"))
    if "pdf" in cfg.formats:
        from digests.pdf import font_cache_dir, fonts_ready, write_pdf

        fonts = font_cache_dir(settings.cache_dir / "fonts")
        first = not fonts_ready(fonts)
        started = time.monotonic()
        outputs["pdf"] = write_pdf(render_html(digest, env, for_print=True),
                                   folder / f"{stem}.pdf", font_cache=fonts)
        if first:
            report.notes.append(f"PDF: prepared the CJK font once for this machine into {fonts} "
                                f"({time.monotonic() - started:.0f} s with the first PDF)")
    if "docx" in cfg.formats:
        from digests.word import write_docx

        chart = None
        if digest.chart_svg:
            chart = f"{stem}-chart.png"
            (folder / chart).write_bytes(chart_with_legend(
                chart_png(section_chart(weekly, taxonomy, legend=False)),
                section_colours(taxonomy), cjk_font_path()))
        outputs["docx"] = write_docx(report.markdown, folder / f"{stem}.docx",
                                     title=f"{digest.title} {digest.digest_id}", chart=chart)
    report.files = {k: str(v) for k, v in outputs.items()}
    record.files = report.files
    store.save_digest(wh, record, items)
    last_day = today(cfg.timezone, now)
    records = [r for r in store.list_digests(wh) if r.period_end <= last_day]
    if "html" in cfg.formats:
        report.files["archive"] = str(write_archive_index(
            records, root, env, title=cfg.title, chart_svg=digest.chart_svg,
            font_url=f"fonts/{WEB_FONT}",
            quality=quality_trend(wh, upto=records[0].digest_id, weeks=len(records))
            if records else []))
    if "atom" in cfg.formats:
        report.files["atom"] = str(write_atom(records, root, title=cfg.title,
                                              site_url=cfg.site_url, timezone=cfg.timezone))
    return digest, report


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


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _templates_dir(settings: Settings) -> Path | None:
    d = settings.config.digest.templates_dir
    return Settings._resolve(d, settings.root) if d else None


# -- delivery ------------------------------------------------------------------------------
def channels(settings: Settings) -> list[str]:
    """Configured channel names: email, files, webhook:<kind>:<name or position>."""
    d = settings.config.delivery
    out = []
    if d.email.enabled:
        out.append("email")
    for i, hook in enumerate(d.webhooks):
        out.append(f"webhook:{hook.kind}:{hook.name or i + 1}")
    if d.files.enabled and d.files.dir:
        out.append("files")
    return out


def deliver_channel(settings: Settings, channel: str, digest: Digest, report: DigestReport) -> None:
    """Send one digest on one channel; raises on failure."""
    d = settings.config.delivery
    env = make_environment(_templates_dir(settings))
    if channel == "email":
        from digests.smtp import build_message, send_email

        subject = (f"{digest.title} {digest.digest_id}：新增 {digest.new_count} 条，"
                   f"更新 {digest.updated_count} 条")
        files = [Path(report.files[f]) for f in ("pdf", "docx", "md") if f in report.files]
        images = {"chart": digest.chart_png} if digest.chart_png else {}
        folder = settings.digest_dir / digest.digest_id
        images |= {e.figure_cid: mail_size((folder / e.figure).read_bytes())
                   for e in digest.entries if e.figure and (folder / e.figure).is_file()}
        msg = build_message(d.email, subject=subject, text=render_text(digest, env),
                            html=render_html(digest, env, for_email=True), attachments=files,
                            images=images)
        send_email(d.email, settings.secret(d.email.password_env), msg)
    elif channel.startswith("webhook:"):
        from digests.webhooks import WebhookError, build_payload, post_webhook

        _, kind, name = channel.split(":", 2)
        hook = next(h for i, h in enumerate(d.webhooks)
                    if h.kind == kind and (h.name or str(i + 1)) == name)
        url = settings.secret(hook.url_env)
        if not url:
            raise WebhookError(f"{channel}: ${hook.url_env} is not set")
        post_webhook(kind, url, build_payload(kind, digest))
    elif channel == "files":
        target = Settings._resolve(d.files.dir, settings.root) / digest.digest_id
        target.mkdir(parents=True, exist_ok=True)
        for fmt, path in report.files.items():
            if fmt in ("md", "html", "pdf", "docx"):
                shutil.copy2(path, target / Path(path).name)
        figures = settings.digest_dir / digest.digest_id / FIGURES_FOLDER
        if figures.is_dir():  # the Markdown's `./figures/…` images, beside it
            shutil.copytree(figures, target / FIGURES_FOLDER, dirs_exist_ok=True)
    else:
        raise ValueError(f"unknown channel {channel!r}")


def _deliver(settings: Settings, wh: Warehouse, digest: Digest, report: DigestReport,
             wanted: list[str], run_id: str | None) -> None:
    status = store.delivery_status(wh, digest.digest_id)
    items = store.digest_items(wh, digest.digest_id)
    for channel in wanted:
        if status.get(channel) == "sent":
            report.deliveries[channel] = "already sent"
            continue
        if status.get(channel) == "sending" and channel != "files":
            # An earlier run died between handing the digest over and recording it: it may well
            # have arrived. Never send twice; say so loudly instead (the run ends `partial`).
            message = (f"{channel}: an earlier run stopped while sending digest "
                       f"{digest.digest_id} and could not confirm it; not sent again (to never "
                       "send it twice) — check that it arrived")
            store.record_delivery(wh, digest.digest_id, channel, ok=True, items=items,
                                  error=f"unconfirmed: {message}")
            report.deliveries[channel] = "sent (unconfirmed)"
            report.errors.append(f"{digest.digest_id} {message}")
            log.warning("digest %s: %s", digest.digest_id, message)
            continue
        store.mark_sending(wh, digest.digest_id, channel)
        try:
            deliver_channel(settings, channel, digest, report)
        except Exception as e:  # one channel failing never stops the others
            message = f"{channel}: {e}"
            report.deliveries[channel] = "failed"
            report.errors.append(f"{digest.digest_id} {message}")
            store.record_delivery(wh, digest.digest_id, channel, ok=False, error=message)
            log.warning("digest %s: delivery failed: %s", digest.digest_id, message)
            if run_id:
                from warehouse.state import log_error

                log_error(wh, run_id, "deliver", channel, f"{digest.digest_id}: {e}")
            continue
        store.record_delivery(wh, digest.digest_id, channel, ok=True, items=items)
        report.deliveries[channel] = "sent"


def run_digest(settings: Settings, wh: Warehouse, *, period: str | None = None,
               run_id: str | None = None, deliver: bool = True,
               now: datetime | None = None, resend: bool = False,
               http: HttpClient | None = None) -> DigestReport:
    """Render the digest of `period` (default: last complete ISO week) in every configured
    format and deliver it to every configured channel that has not received it yet.

    Rerunning a period re-renders it but resends nothing; a channel that failed — for this
    period or an earlier one — is retried, and only that channel. `resend` delivers the period
    again on every channel, on purpose. A week that has not ended yet (in the digest's
    timezone) is rendered but never delivered.
    """
    tz = settings.config.digest.timezone
    p = parse_period(period, tz) if period else current_period(tz, now)
    wh.ensure_schema()
    digest, report = produce(settings, wh, p, now, http=http)
    if not deliver:
        return report
    configured = channels(settings)
    if not p.closed(now):
        report.notes.append(
            f"{p.id} runs until {p.last_day:%Y-%m-%d} ({tz}): rendered, not delivered and not "
            "in the archive or feed; it is delivered by the first run after the week ends")
        report.deliveries = {c: f"held until {p.end:%Y-%m-%d} 00:00 {tz}" for c in configured}
        return report
    if resend:
        store.forget_deliveries(wh, p.id, configured)
    elif any(store.delivery_status(wh, p.id).get(c) == "sent" for c in configured):
        sent = store.reported_works(wh, p.id)
        now_in = {i.work_id for i in store.digest_items(wh, p.id)}
        if sent != now_in:
            report.notes.append(
                f"{p.id} was delivered before: re-rendered with the lab's decisions "
                f"({len(sent - now_in)} of its delivered entries left out, {len(now_in - sent)} added), "
                "not sent again (--resend sends it again); its precision counts what was "
                "delivered")
    _deliver(settings, wh, digest, report, configured, run_id)
    for old_id, channel in store.failed_deliveries(wh):
        if old_id == p.id or channel not in configured:
            continue
        old_digest, old_report = produce(settings, wh, parse_period(old_id, tz), now, http=http)
        _deliver(settings, wh, old_digest, old_report, [channel], run_id)
        report.deliveries[f"{channel} ({old_id})"] = old_report.deliveries.get(channel, "?")
        report.errors.extend(old_report.errors)
    return report
