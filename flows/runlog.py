"""The run record a flow keeps: counts, errors and seconds per stage → `runs` and the UI."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from warehouse.db import Warehouse
from warehouse.state import finish_run, log_error

T = TypeVar("T")


@dataclass
class StageLog:
    """What the run record keeps: counts, errors and seconds per stage."""

    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # stage, source, message
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, fn: Callable[[], T]) -> T:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.timings[stage] = round(self.timings.get(stage, 0) + time.monotonic() - start, 3)

    @property
    def status(self) -> str:
        return "partial" if self.errors else "ok"


def record(wh: Warehouse, run_id: str, log: StageLog) -> None:
    for stage, source, message in log.errors:
        log_error(wh, run_id, stage, source, message)
    # LLM calls, tokens and cost are added to the run row by triage itself.
    finish_run(wh, run_id, status=log.status, counts=log.counts, timings=log.timings)


def summary_rows(log: StageLog) -> list[dict[str, Any]]:
    rows = [{"stage": "crawl", "source": s, **c} for s, c in log.counts.get("crawl", {}).items()]
    for stage in ("seed", "triage", "digest"):
        if stage in log.counts:
            rows.append({"stage": stage, "source": "", "detail": str(log.counts[stage])})
    return rows
