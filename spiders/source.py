"""What a paper source gets to work with during a crawl, and how it reports back.

A source runner is a function `run(ctx: CrawlContext) -> None`: it fetches (I/O through
`ctx.http`), parses with its pure `parse(bytes)`, stores each batch with `ctx.store()` and only
then advances its cursor with `ctx.advance()`. It raises `SourceSkipped` when it cannot run
at all (disabled, no API key) and any exception for a failure; `spiders.crawl` isolates both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from seascout.core import clock
from seascout.core.config import Settings
from seascout.core.model import SourceReport, Work
from spiders.http import HttpClient, OfflineError
from warehouse.db import Warehouse
from warehouse.state import get_cursor, set_cursor
from warehouse.works import UpsertResult, upsert_works

T = TypeVar("T")


class SourceSkipped(Exception):
    """The source did not run; the message says why and how to enable it."""


class SourceError(RuntimeError):
    """A source-level failure with a message fit for the CLI (names the cause and the fix)."""


class SourceStopped(SourceError):
    """A failure that stops the source's remaining queries too (e.g. its API key was refused)."""


class UnusableRecord(ValueError):
    """One record of a response that cannot become a `Work` (no title, no id it can be known
    by, a cover page). A parser raises it for that record and `keep_usable` names it; the
    runner counts it in the source's report (`CrawlContext.unusable`). Never dropped silently."""

    def __init__(self, record: str, reason: str):
        super().__init__(f"{record}: {reason}")
        self.record = record
        self.reason = reason


def keep_usable(records: Iterable[T], parse_one: Callable[[T], Work],
                unusable: list[str] | None) -> list[Work]:
    """`parse_one` over each record; records it refuses are named in `unusable` (when given)."""
    works: list[Work] = []
    for record in records:
        try:
            works.append(parse_one(record))
        except UnusableRecord as e:
            if unusable is not None:
                unusable.append(str(e))
    return works


def each_query(items: Iterable[T], label: Callable[[T], str], run_one: Callable[[T], None]) -> None:
    """Run a source's queries in isolation. A query that fails is recorded (its cursor stays
    where it was) and the others still run; being offline, or a `SourceStopped`, stops them
    all. Raises one `SourceError` naming every failed query at the end."""
    failures: list[str] = []
    for item in items:
        try:
            run_one(item)
        except (OfflineError, SourceStopped):
            raise
        except Exception as e:
            failures.append(f"{label(item)}: {e}")
    if failures:
        raise SourceError("; ".join(failures))


@dataclass(slots=True)
class CrawlSourceReport(SourceReport):
    """`SourceReport` plus the number of stored works whose fields changed and of records
    the parser could not use (each also named in `warnings`)."""

    updated: int = 0
    unusable: int = 0


@dataclass
class CrawlContext:
    settings: Settings
    wh: Warehouse
    http: HttpClient
    report: CrawlSourceReport
    since: date | None = None  # explicit window (backfill); None → from the cursor
    until: date | None = None
    today: date = field(default_factory=lambda: clock.now().date())
    log: Callable[[str], None] | None = None

    @property
    def source(self) -> str:
        return self.report.source

    def cursor(self, query: str = "") -> str | None:
        return get_cursor(self.wh, self.source, query)

    def window(self, query: str, *, overlap_days: int, first_run_days: int) -> tuple[date, date]:
        """The date window to ask for: explicit `since`/`until`, else from the stored cursor
        minus an overlap (sources index late), else the last `first_run_days` days."""
        end = self.until or self.today
        if self.since is not None:
            return self.since, end
        cursor = self.cursor(query)
        if cursor:
            start = date.fromisoformat(cursor[:10]) - timedelta(days=overlap_days)
        else:
            start = end - timedelta(days=first_run_days)
        return min(start, end), end

    def store(self, works: Iterable[Work]) -> UpsertResult:
        """Store one batch through the warehouse's dedupe/merge and count it."""
        batch = list(works)
        result = upsert_works(self.wh, batch)
        self.report.stored += len(result.work_ids)
        self.report.new += len(result.inserted)
        self.report.updated += len(result.updated)
        return result

    def advance(self, query: str, value: date | str, *, forward_only: bool | None = None) -> None:
        """Move a cursor. A date cursor (or an ISO timestamp with `forward_only`) never moves
        back: a backfill of an old window keeps it."""
        text = value.isoformat() if isinstance(value, date) else value
        forward = isinstance(value, date) if forward_only is None else forward_only
        set_cursor(self.wh, self.source, query, text, forward_only=forward)

    def unusable(self, names: Iterable[str]) -> None:
        """Count and name records the parser could not use."""
        for name in names:
            self.report.unusable += 1
            self.warn(f"unusable record {name}")

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)
        if self.log:
            self.log(f"{self.source}: {message}")
