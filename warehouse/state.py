"""Explicit incremental state: crawl cursors, run records and their errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from seascout.core import clock
from warehouse.db import Warehouse


def get_cursor(wh: Warehouse, source: str, query: str = "") -> str | None:
    """The stored cursor of a source/query, or None on its first run."""
    if not wh.path.exists():
        return None
    with wh.read() as con:
        row = con.execute(
            "SELECT value FROM cursors WHERE source = ? AND query = ?", [source, query]
        ).fetchone()
    return row[0] if row else None


def set_cursor(wh: Warehouse, source: str, query: str, value: str, *,
               forward_only: bool = False) -> None:
    """Advance a cursor. Call only after the batch it covers is stored.

    With `forward_only` an ISO-date cursor never moves back (a backfill of an old window keeps
    it); the comparison happens inside the write, so two runs racing cannot undo each other."""
    guard = " WHERE cursors.value < excluded.value" if forward_only else ""
    with wh.write() as con:
        con.execute(
            "INSERT INTO cursors VALUES (?, ?, ?, ?) ON CONFLICT (source, query) "
            f"DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at{guard}",
            [source, query, value, clock.now()],
        )


def start_run(wh: Warehouse, flow: str, parameters: Mapping[str, Any] | None = None) -> str:
    run_id = f"{clock.now():%Y%m%dT%H%M%S}-{flow}-{uuid.uuid4().hex[:6]}"
    with wh.write() as con:
        con.execute(
            "INSERT INTO runs (run_id, flow, parameters, started_at, status) "
            "VALUES (?, ?, ?, ?, 'running')",
            [run_id, flow, json.dumps(dict(parameters or {}), default=str, ensure_ascii=False),
             clock.now()],
        )
    return run_id


def log_error(wh: Warehouse, run_id: str, stage: str, source: str, message: str,
              level: str = "error") -> None:
    with wh.write() as con:
        con.execute("INSERT INTO run_errors VALUES (?, ?, ?, ?, ?, ?)",
                    [run_id, stage, source, level, message, clock.now()])


def finish_run(wh: Warehouse, run_id: str, *, status: str, counts: Mapping[str, Any] | None = None,
               timings: Mapping[str, float] | None = None, llm_calls: int = 0,
               llm_tokens: int = 0, llm_cost_usd: float = 0.0) -> None:
    with wh.write() as con:
        con.execute(
            """UPDATE runs SET finished_at = ?, status = ?, counts = ?, timings = ?,
                   llm_calls = llm_calls + ?, llm_tokens = llm_tokens + ?,
                   llm_cost_usd = llm_cost_usd + ?
               WHERE run_id = ?""",
            [clock.now(), status, json.dumps(dict(counts or {}), default=str, ensure_ascii=False),
             json.dumps(dict(timings or {})), llm_calls, llm_tokens, llm_cost_usd, run_id],
        )
