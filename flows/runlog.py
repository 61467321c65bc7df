"""The run record a flow keeps: counts, errors and seconds per stage → `runs`, the run's final
Prefect state and its summary artifact, all telling the same story."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from spiders.crawl import CrawlReport
from warehouse.db import Warehouse
from warehouse.state import finish_run, log_error

if TYPE_CHECKING:
    from digests.run import DigestReport

T = TypeVar("T")
MESSAGE_LIMIT = 600  # characters of a state message (the UI shows one line)
# `extra` of a log line the run's summary repeats: the UI keeps it, a terminal that prints
# the summary hides it (`HideSummarised`), so nothing is printed twice.
IN_SUMMARY = {"seascout_in_summary": True}


class RunFailed(Exception):
    """The data of a run's Failed state: an exception Prefect can raise where it wants one
    (a dict there was `TypeError: Unexpected result for failed state`), carrying the run's
    record for whoever reads the state (`run_result`)."""

    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:  # the state's data is pickled with its record
        return (RunFailed, (str(self), self.result))


def run_result(state: State) -> dict[str, Any]:
    """A finished run's record, whether it ended Completed or Failed."""
    data = state.result(raise_on_failure=False)
    if isinstance(data, RunFailed):
        return dict(data.result)
    if isinstance(data, BaseException):  # the flow raised: a bug, or an error the CLI words
        raise data
    return dict(data)


class _FailedRunSaidOnce(logging.Filter):
    """A deployment run (`seascout serve`) that ends Failed is said in one line by Prefect
    (`Finished in state Failed('every source failed: …')`); its engine then logs the same
    failure again as "exited with unexpected exception" with a 40-line traceback: dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], RunFailed))


logging.getLogger("prefect.flow_runs").addFilter(_FailedRunSaidOnce())


class HideSummarised(logging.Filter):
    """For a console handler while the CLI runs a flow and then prints its summary."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "seascout_in_summary", False)


@dataclass
class StageLog:
    """What the run record keeps: counts, errors and seconds per stage."""

    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # stage, source, message
    timings: dict[str, float] = field(default_factory=dict)
    crawl: CrawlReport = field(default_factory=CrawlReport)  # every crawl pass of the run

    def add_crawl(self, report: CrawlReport) -> None:
        """A crawl pass: into the run's report (kept as `counts["crawl"]`) and its errors, each
        message once however many passes (months) repeated it."""
        self.crawl.add(report.sources)
        self.counts["crawl"] = self.crawl.counts()
        for r in report.sources:
            for message in r.errors:
                if ("crawl", r.source, message) not in self.errors:
                    self.errors.append(("crawl", r.source, message))

    def timed(self, stage: str, fn: Callable[[], T]) -> T:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.timings[stage] = round(self.timings.get(stage, 0) + time.monotonic() - start, 3)

    @property
    def status(self) -> str:
        """ok; failed when sources failed and none worked (the run found nothing it was meant
        to find); partial when something failed and the rest completed."""
        if not self.errors:
            return "ok"
        return "failed" if self.crawl.sources and self.crawl.status == "failed" else "partial"

    def failures(self) -> str:
        """What failed, by stage and source (`crawl arxiv_api, deliver email`); the messages
        themselves are in the summary artifact and `run_errors`."""
        names = list(dict.fromkeys(f"{stage} {source}" for stage, source, _ in self.errors))
        text = ", ".join(names)
        return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def record(wh: Warehouse, run_id: str, log: StageLog) -> None:
    for stage, source, message in log.errors:
        if stage != "crawl":  # the crawl driver keeps its own, as they happen
            log_error(wh, run_id, stage, source, message)
    # LLM calls, tokens and cost are added to the run row by triage itself.
    finish_run(wh, run_id, status=log.status, counts=log.counts, timings=log.timings)


def final_state(log: StageLog, result: dict[str, Any]) -> State:
    """The run's Prefect state, as true as its `runs` row: Failed when every source failed,
    Completed named "Partial" with what failed as its message, else Completed."""
    where = "(messages in the run's summary artifact)"
    if log.status == "failed":
        message = f"every source failed: {log.failures()} {where}"
        return Failed(message=message, data=RunFailed(message, result))
    if log.status == "partial":
        return Completed(name="Partial", message=f"partial: {log.failures()} failed {where}",
                         data=result)
    return Completed(message="ok", data=result)


def _cell(value: object) -> str:
    """A Markdown table cell: one line, `|` escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)]


def summary_markdown(log: StageLog, title: str) -> str:
    """The run summary artifact: the status and what failed, one row per source, the other
    stages in words, then every error in full."""
    lines = [f"# {_cell(title)}: {log.status}", ""]
    if log.errors:
        lines += [f"**{'Every source failed' if log.status == 'failed' else 'Partial'}**: "
                  f"{len(log.errors)} error(s), listed below.", ""]
    lines += crawl_markdown(CrawlReport.from_counts(log.counts))
    stages: list[list[object]] = [[stage, words] for stage, words in _stage_words(log.counts)]
    if stages:
        lines += [*_table(["stage", "result"], stages), ""]
    others: list[list[object]] = [list(e) for e in log.errors if e[0] != "crawl"]
    if others:  # the crawl's are under its table
        lines += ["## Errors", "", *_table(["stage", "source", "message"], others), ""]
    if log.timings:
        lines.append("Seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in log.timings.items()))
    return "\n".join(lines).rstrip() + "\n"


CRAWL_HEADER = ["source", "fetched", "new", "updated", "requests", "status"]


def crawl_markdown(report: CrawlReport) -> list[str]:
    """The crawl as the summary artifact shows it: the rows and notes the terminal prints."""
    if not report.sources:
        return []
    notes = [f"- {_cell(source)} {kind}: {_cell(text)}" for kind, source, text in report.notes()]
    return [*_table(CRAWL_HEADER, [list(row) for row in report.rows()]), "",
            *([*notes, ""] if notes else [])]


def _stage_words(counts: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    seed = counts.get("seed")
    if seed:
        out.append(("seed", "survey unchanged since the last seed" if seed.get("unchanged") else
                    f"{seed.get('entries', 0)} entries: {seed.get('new', 0)} new, "
                    f"{seed.get('updated', 0)} updated"))
    if "months" in counts:
        out.append(("months", ", ".join(f"{m} {n} new" for m, n in counts["months"].items())))
    tri = counts.get("triage")
    if tri:
        labels = ", ".join(f"{k} {v}" for k, v in sorted(tri.get("by_label", {}).items()))
        out.append(("triage", f"{tri.get('classified', 0)} classified"
                    + (f" ({labels})" if labels else "")))
    dig = counts.get("digest")
    if dig:
        deliveries = ", ".join(f"{k} {v}" for k, v in (dig.get("deliveries") or {}).items())
        out.append(("digest", f"{dig['digest_id']}: {dig['items']} items ({dig['new']} new, "
                    f"{dig['updated']} updated); deliveries: {deliveries or 'none'}"))
    survey = counts.get("survey")
    if survey:
        out.append(("survey", f"{survey['version']}: {survey['kept']} kept entries"
                    + ("" if survey.get("files") else " (unchanged, no new version)")))
    if "digests" in counts:
        out.append(("digests", ", ".join(f"{w} {n} items" for w, n in counts["digests"].items())))
    return out


_RELATIVE_LINK = re.compile(r"(!?)\[([^\]]*)\]\((?![a-zA-Z][\w+.-]*:|/|#)(?:\./)?([^)\s]+)\)")


def digest_preview(markdown: str, digest_id: str, site_url: str = "") -> str:
    """The digest as the Prefect UI can render it: without the survey editor's `[TOC]` marker,
    and links to the digest's own files absolute under `site_url` (plain text without one:
    a relative link is dead in the UI)."""
    text = "\n".join(line for line in markdown.splitlines() if line.strip() != "[TOC]").lstrip("\n")
    base = f"{site_url.rstrip('/')}/{digest_id}/" if site_url else ""

    def absolute(m: re.Match[str]) -> str:
        bang, label, target = m.groups()
        return f"{bang}[{label}]({base}{target})" if base else (label or target)

    return _RELATIVE_LINK.sub(absolute, text)


def publish_artifact(report: DigestReport, key: str, site_url: str = "") -> None:
    """The digest's Markdown as an artifact of the run (inside a flow only)."""
    create_markdown_artifact(markdown=digest_preview(report.markdown, report.digest_id, site_url),
                             key=key, description=f"seascout digest {report.digest_id}")
