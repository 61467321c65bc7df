"""Explicit incremental state: crawl cursors, run records and their errors.

A run's row says `running` from `start_run` until `finish_run`. A run that never gets there
(SIGKILL, a full disk, Ctrl-C) is set right by the run lock (`warehouse/run_lock.py`): Ctrl-C
or an error ending the run's block records `interrupted` or `failed` at once, and the next run
to take the lock turns every `running` row left by a process that is gone into `interrupted`
(`close_abandoned`), each with a `run_errors` line saying so.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seascout.core import clock
from seascout.core.redact import redact
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


# Runs this process started and has not finished: run id → the warehouse file (resolved).
_open_runs: dict[str, Path] = {}
_open_lock = threading.Lock()


def start_run(wh: Warehouse, flow: str, parameters: Mapping[str, Any] | None = None) -> str:
    run_id = f"{clock.now():%Y%m%dT%H%M%S}-{flow}-{uuid.uuid4().hex[:6]}"
    with wh.write() as con:
        con.execute(
            "INSERT INTO runs (run_id, flow, parameters, started_at, status) "
            "VALUES (?, ?, ?, ?, 'running')",
            [run_id, flow, json.dumps(dict(parameters or {}), default=str, ensure_ascii=False),
             clock.now()],
        )
    with _open_lock:
        _open_runs[run_id] = wh.path.resolve()
    return run_id


def log_error(wh: Warehouse, run_id: str, stage: str, source: str, message: str,
              level: str = "error") -> None:
    with wh.write() as con:
        con.execute("INSERT INTO run_errors VALUES (?, ?, ?, ?, ?, ?)",
                    [run_id, stage, source, level, redact(message), clock.now()])


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
    with _open_lock:
        _open_runs.pop(run_id, None)


def open_runs(db_path: Path) -> list[str]:
    """The runs this process started on `db_path` and has not finished."""
    key = db_path.resolve()
    with _open_lock:
        return [r for r, path in _open_runs.items() if path == key]


def end_open_runs(wh: Warehouse, *, status: str, reason: str) -> list[str]:
    """Record every run this process left open on `wh` as ended with `status` (interrupted,
    failed), `reason` in `run_errors`. Called by the run lock when a run's block ends without
    `finish_run` (Ctrl-C, an error)."""
    ended = open_runs(wh.path)
    for run_id in ended:
        _close(wh, run_id, status, reason)
        with _open_lock:
            _open_runs.pop(run_id, None)
    return ended


def close_abandoned(wh: Warehouse) -> list[str]:
    """Turn every `running` row that no run of this process owns into `interrupted`. Call it
    only while holding the run lock: then no other process is running a flow on `wh`, and a
    `running` row is one whose process was killed (SIGKILL, a full disk) before it finished."""
    if not wh.path.exists():
        return []
    with wh.read() as con:
        running = [r[0] for r in con.execute(
            "SELECT run_id FROM runs WHERE status = 'running' ORDER BY started_at").fetchall()]
    mine = set(open_runs(wh.path))
    stale = [r for r in running if r not in mine]
    for run_id in stale:
        _close(wh, run_id, "interrupted",
               "interrupted: its process stopped before the run finished (killed, a full disk "
               "or a crash); found by the next run")
    return stale


def _close(wh: Warehouse, run_id: str, status: str, reason: str) -> None:
    now = clock.now()
    with wh.write() as con:
        con.execute("INSERT INTO run_errors SELECT run_id, 'run', flow, 'error', ?, ? "
                    "FROM runs WHERE run_id = ? AND status = 'running'", [redact(reason), now, run_id])
        con.execute("UPDATE runs SET status = ?, finished_at = ? "
                    "WHERE run_id = ? AND status = 'running'", [status, now, run_id])
