"""`seascout survey`: the whole survey, regenerated — the seed document's entries as the lab
wrote them, then in each section the entries the lab kept, numbered after them.

The newest document in `seeds/` is the survey; its 导出 table gets a row for this version
(`YYYYMMDD-NN`, as the survey's own `20231208-01`). The Markdown written is itself a survey
document: dropped into `seeds/`, it re-seeds the same works, none twice.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digests.document import Digest, DigestEntry, ExportFile, digest_from_survey
from digests.export import DOCUMENT_FORMATS, Target, environment, write_formats
from digests.figures import attach_figures
from digests.related import attach_follow_ups, attach_relations
from digests.render import render_markdown
from digests.selection import continue_numbers, place_entries
from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.survey import ExportRow, Survey, parse_survey, read_document, survey_files
from warehouse import digest_store as store
from warehouse.db import Warehouse


@dataclass
class SurveyReport:
    version: str
    source: str  # the seed document it started from
    seed_entries: int = 0
    kept: dict[int, int] = field(default_factory=dict)  # section → entries added
    files: dict[str, str] = field(default_factory=dict)  # format → path
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        added = sum(self.kept.values())
        per = "，".join(f"{n}: {c}" for n, c in sorted(self.kept.items()) if c)
        lines = [f"survey {self.version}: {self.seed_entries} entries of {self.source} + "
                 f"{added} kept by the lab{f' ({per})' if per else ''}"]
        lines += [f"  {fmt:<5} {path}" for fmt, path in self.files.items()]
        lines += [f"  · {n}" for n in self.notes]
        return "\n".join(lines)


def next_version(rows: list[ExportRow], out: Path, day: date) -> str:
    """`YYYYMMDD-NN`: NN one past the highest of that day in the 导出 table or in `out`."""
    stamp = f"{day:%Y%m%d}"
    taken = [r.version for r in rows] + [p.stem.removeprefix("exported-")
                                         for p in out.glob(f"exported-{stamp}-*")]
    numbers = [int(v.split("-", 1)[1]) for v in taken
               if re.fullmatch(rf"{stamp}-\d+", v)]
    return f"{stamp}-{max(numbers, default=0) + 1:02d}"


def build_survey(settings: Settings, wh: Warehouse, survey: Survey, *, version: str,
                 now: datetime) -> tuple[Digest, dict[int, int]]:
    """The survey's entries as written, each section followed by the lab's kept entries
    (numbered after the survey's and every digest's, a digest's number kept where it had one)."""
    cfg = settings.config.digest
    title = cfg.title.replace("周报", "综述") if "周报" in cfg.title else f"{cfg.title} · 综述"
    doc = digest_from_survey(survey.sections, survey.entries, digest_id=version, title=title,
                             generated_at=now)
    kept = store.survey_items(wh, survey.name)
    added = place_entries(wh, kept, doc.sections)
    counts: dict[int, int] = {}
    for item in kept:
        if item.work_id in added:
            counts[item.section] = counts.get(item.section, 0) + 1
    _number_after_survey(doc, added, store.entry_numbers(wh, ""), survey)
    attach_relations(wh, added, updates=False)
    attach_follow_ups(wh, doc.sections, added)
    base = cfg.site_url.rstrip("/")
    note = f"seascout：新增 {len(added)} 条" if added else "seascout"
    if gaps := _number_gaps(doc):  # numbers stay those the digests gave: say why some are missing
        note += (f"；编号沿用各期周报，空号（{'、'.join(gaps[:5])}{' 等' if len(gaps) > 5 else ''}）"
                 "为实验室未保留的条目")
    doc.exports = [ExportFile(r.note, r.name, r.url, r.version) for r in survey.exports] + [
        ExportFile(note,
                   f"exported-{version}.{ext}",
                   f"{base}/survey/exported-{version}.{ext}" if base else f"./exported-{version}.{ext}",
                   version)
        for ext in ("pdf", "docx")]
    doc.survey = True
    doc.timezone = cfg.timezone
    doc.period_label = f"版本 {version} · 由 {survey.name} 与实验室保留的条目生成"
    return doc, counts


def _number_gaps(doc: Digest) -> list[str]:
    """Numbers a section skips (`3.4` between 3.3 and 3.5): digest entries the lab did not keep."""
    gaps = []
    for s in doc.sections:
        used = {int(e.number.rsplit(".", 1)[1]) for e in s.entries
                if re.fullmatch(rf"{s.number}\.\d+", e.number)}
        gaps += [f"{s.number}.{n}" for n in range(1, max(used, default=0)) if n not in used]
    return gaps


def _number_after_survey(doc: Digest, added: dict[str, DigestEntry], taken: store.EntryNumbers,
                         survey: Survey) -> None:
    """Kept entries get `N.M` after every number the survey and the digests used (the number
    their digest gave them, where it is in the same section); the survey's own stay as written."""
    seed = {e.number for e in survey.entries}
    last = dict(taken.last)
    for e in survey.entries:
        last[e.section] = max(last.get(e.section, 0), int(e.number.rsplit(".", 1)[1]))
    taken = store.EntryNumbers(last, {w: n for w, n in taken.earlier.items()
                                      if n not in seed}, {})
    own = {s.number: [e for e in s.entries if e.from_survey] for s in doc.sections}
    for s in doc.sections:
        s.entries = [e for e in s.entries if not e.from_survey]
    continue_numbers(doc.sections, added, taken)
    for s in doc.sections:
        s.entries = own[s.number] + s.entries


def write_survey(settings: Settings, wh: Warehouse, out: Path | None = None, *,
                 now: datetime | None = None, only_if_changed: bool = False) -> SurveyReport:
    """Render the whole survey into `out` (default: `survey/` under SEASCOUT_HOME) in
    Markdown, HTML, PDF and DOCX; the survey's own images are copied beside it, the kept
    entries' figures (fetched once, as for a digest) into `figures/`.
    `only_if_changed` (the weekly run): no new version when the newest one in `out` already
    says the same; the report then names that one and has no files."""
    tz = ZoneInfo(settings.config.digest.timezone)
    now = clock.aware(now or clock.now()).astimezone(tz)
    source = survey_files(settings.seeds_dir)[-1]
    survey = parse_survey(read_document(source.read_bytes(), source.name), source.name)
    out = out or settings.home / "survey"
    out.mkdir(parents=True, exist_ok=True)
    version = next_version(survey.exports, out, now.date())
    doc, counts = build_survey(settings, wh, survey, version=version, now=now)
    report = SurveyReport(version, source.name, len(survey.entries), counts)
    env = environment(settings)
    figures = attach_figures(settings, wh, doc, out).notes(settings.figures_dir)
    markdown = render_markdown(doc, env)
    latest = _latest(out)
    if only_if_changed and latest and (
            _content(latest.read_text(encoding="utf-8"), latest.stem.removeprefix("exported-"))
            == _content(markdown, version)):
        report.version = latest.stem.removeprefix("exported-")
        report.notes.append(f"unchanged since {latest.name}: no new version written")
        return report
    report.notes += figures + _copy_images(survey, source.parent, out)
    report.notes += [
        f"{d.work_id}: the lab's {d.action} has no effect — it is entry {d.entry} of the survey "
        f"document {d.survey_file}, which wins; edit the entry there and run `seascout seed`"
        for d in store.ineffective_decisions(wh)]
    waiting = store.undecided_count(wh)
    if waiting:
        report.notes.append(f"not yet decided: {waiting} digest entries (`seascout review` or "
                            "`seascout decide`); kept, they join the survey")
    stem = f"exported-{version}"
    exported = write_formats(settings, doc, env, markdown, Target(
        out, stem, f"{stem}.html", out / "fonts", "fonts"), DOCUMENT_FORMATS)
    report.notes += exported.notes
    files = exported.files
    report.files = {k: str(v) for k, v in files.items()}
    return report


def _latest(out: Path) -> Path | None:
    found = sorted(out.glob("exported-*.md"))
    return found[-1] if found else None


def _content(markdown: str, version: str) -> str:
    """A regenerated survey without the 导出 rows of its own version."""
    return "\n".join(ln for ln in markdown.splitlines() if not ln.startswith(f"| {version} |"))


def _copy_images(survey: Survey, seeds: Path, out: Path) -> list[str]:
    """The survey's own figures (`./src/img/…` beside the seed document) copied to `out`, so
    the HTML, PDF and DOCX show them; those not beside the document are named once."""
    missing = []
    for e in survey.entries:
        for src in e.images:
            if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
                continue  # a web address: the page loads it itself
            rel = Path(src)
            if rel.is_absolute() or ".." in rel.parts:
                missing.append(src)
                continue
            if (seeds / rel).is_file():
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(seeds / rel, out / rel)
            else:
                missing.append(src)
    if not missing:
        return []
    return [f"{len(missing)} of the survey's images are not beside {survey.name} in the seeds "
            f"folder (e.g. {missing[0]}): the Markdown keeps them as written, the HTML, PDF and "
            "DOCX show them once they are there"]
