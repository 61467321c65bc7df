"""`run_digest`: the digest stage's orchestration — select a period's works
(`digests.selection`), write every format (`digests.export`), publish the archive and feed,
deliver once per channel (`digests.delivery`, `digests.channels`). Rendering opens no
connection: the entries' figures are the ones the figures stage stored
(`digests.figure_fetch`)."""

from __future__ import annotations

from datetime import datetime

from digests.channels import channels
from digests.chart import chart_png, chart_with_legend, section_chart, section_colours
from digests.delivery import deliver_once
from digests.document import Digest
from digests.export import Target, environment, write_formats
from digests.figures import attach_figures
from digests.pdf import WEB_FONT, cjk_font_path
from digests.publish import write_archive_index, write_atom
from digests.render import render_markdown
from digests.report import DigestReport
from digests.selection import (
    build_digest,
    draw_spot_check,
    file_stem,
    quality_trend,
    spot_check_block,
)
from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.period import Period, current_period, parse_period, today
from warehouse import digest_store as store
from warehouse.db import Warehouse

__all__ = ["DigestReport", "produce", "run_digest"]


def produce(settings: Settings, wh: Warehouse, period: Period,
            now: datetime | None = None) -> tuple[Digest, DigestReport]:
    """Select, store and render one period; writes every configured format. Safe to rerun.
    Entries show the figures stored in the warehouse (the figures stage fetched them).
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
    env = environment(settings)
    root = settings.digest_dir
    folder = root / period.id
    folder.mkdir(parents=True, exist_ok=True)
    attach_figures(settings, wh, digest, folder)
    report.markdown = render_markdown(digest, env)
    chart = None
    if digest.chart_svg and "docx" in cfg.formats:
        chart = chart_with_legend(chart_png(section_chart(weekly, taxonomy, legend=False)),
                                  section_colours(taxonomy), cjk_font_path())
    exported = write_formats(settings, digest, env, report.markdown, Target(
        folder, file_stem(period.id), "index.html", root / "fonts", "../fonts", archive=True,
        chart=chart), cfg.formats)
    report.notes += exported.notes
    outputs = exported.files
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


def run_digest(settings: Settings, wh: Warehouse, *, period: str | None = None,
               run_id: str | None = None, deliver: bool = True,
               now: datetime | None = None, resend: bool = False) -> DigestReport:
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
    digest, report = produce(settings, wh, p, now)
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
    deliver_once(settings, wh, digest, report, configured, run_id)
    for old_id, channel in store.failed_deliveries(wh):
        if old_id == p.id or channel not in configured:
            continue
        old_digest, old_report = produce(settings, wh, parse_period(old_id, tz), now)
        deliver_once(settings, wh, old_digest, old_report, [channel], run_id)
        report.deliveries[f"{channel} ({old_id})"] = old_report.deliveries.get(channel, "?")
        report.errors.extend(old_report.errors)
    return report
