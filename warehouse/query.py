"""Read-only SQL for users: `seascout sql` and Parquet export."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from seascout.core.model import Work
from warehouse.db import MEMORY_SIZE, SANDBOX_MEMORY_LIMIT, Warehouse, fault_error

DEFAULT_TIMEOUT_SECONDS = 30.0


class QueryError(ValueError):
    """A query DuckDB rejected (syntax, unknown table, an attempt to write, too long, too big)."""


def run_query(wh: Warehouse, query: str, params: list[Any] | None = None, *,
              timeout: float | None = None,
              memory_limit: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query on a sandboxed connection: the warehouse read-only,
    no other file, no extension (see `Warehouse.sandboxed`). The query is stopped after
    `timeout` seconds (default SEASCOUT_SQL_TIMEOUT, else 30) and may use `memory_limit`
    (default SEASCOUT_SQL_MEMORY, else 2GB)."""
    limit = timeout if timeout is not None else _seconds("SEASCOUT_SQL_TIMEOUT")
    memory = memory_limit or os.environ.get("SEASCOUT_SQL_MEMORY", "").strip() or \
        SANDBOX_MEMORY_LIMIT
    if not MEMORY_SIZE.match(memory):
        raise QueryError(f"SEASCOUT_SQL_MEMORY={memory!r} is not a memory size (e.g. 2GB, 500MB)")
    with wh.sandboxed(memory_limit=memory) as con:
        timer = threading.Timer(limit, con.interrupt)  # stops the query where it is
        timer.daemon = True
        timer.start()
        try:
            cur = con.execute(query, params or [])
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.InterruptException:
            raise QueryError(
                f"the query ran for {limit:g} s and was stopped (SEASCOUT_SQL_TIMEOUT sets the "
                "limit; or export with `seascout export --parquet DIR` and query the files)"
            ) from None
        except duckdb.Error as e:
            fault = fault_error(wh.path, e)  # a corrupt block: the file's fault, not the query's
            if fault is not None:
                raise fault from None
            raise QueryError(_explain(e, memory)) from None
        finally:
            timer.cancel()


def _seconds(name: str) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a number of seconds (e.g. 30)") from None
    if value <= 0:
        raise QueryError(f"{name}={raw!r} must be more than 0 seconds")
    return value


def _explain(error: duckdb.Error, memory: str) -> str:
    """DuckDB's message on one line, and why the sandbox refused, when it did."""
    text = " ".join(str(error).split())
    if "read-only" in text:
        return f"{text} (the warehouse is opened read-only)"
    if isinstance(error, duckdb.OutOfMemoryException):
        return (f"{text[:300]} (seascout sql may use {memory}: SEASCOUT_SQL_MEMORY sets it; or "
                "narrow the query)")
    if isinstance(error, duckdb.PermissionException) or "configuration has been locked" in text:
        return (f"{text} (seascout sql reads the warehouse only: no other file, no extension, "
                "no setting; for files use `seascout export --parquet DIR`)")
    return text


def relations(wh: Warehouse) -> list[tuple[str, str]]:
    """(name, 'table'|'view') of every user-facing relation."""
    with wh.read() as con:
        return con.execute(
            "SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END "
            "FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()


def export_parquet(wh: Warehouse, folder: Path) -> list[tuple[str, Path, int]]:
    """One Parquet file per table and view in `folder`, made only once the warehouse is open."""
    if folder.exists() and not folder.is_dir():
        raise QueryError(f"{folder}: exists and is not a folder — pass --parquet a folder")
    out = []
    with wh.read() as con:
        folder.mkdir(parents=True, exist_ok=True)
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
        ).fetchall()]
        for name in names:
            path = folder / f"{name}.parquet"
            # the path as a parameter: a folder named `it's` is a folder, not SQL
            con.execute(f'COPY (SELECT * FROM "{name}") TO ? (FORMAT parquet)', [str(path)])
            n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # type: ignore[index]
            out.append((name, path, n))
    return out


def survey_works(wh: Warehouse, bounds: tuple[Any, Any] | None = None) -> list[tuple[int, Work]]:
    """(section, work) of the survey as it stands, by section: `survey_membership.in_survey`,
    the survey document's entries and the works the lab kept or moved (triage's undecided
    picks are not in it). With `bounds` = [lo, hi): only those first seen then (no document
    entry)."""
    sql = "SELECT work_id, section FROM relevant_works WHERE in_survey"
    if bounds is not None:
        sql += " AND work_id NOT IN (SELECT work_id FROM seed_entries) AND first_seen >= ? AND first_seen < ?"
    return _works(wh, sql, list(bounds or ()))


def week_works(wh: Warehouse, bounds: tuple[Any, Any]) -> list[tuple[int, Work]]:
    """(section, work) of a week's entries, by section: the works first seen in [lo, hi)
    that are in a section (`relevant_works`: those the lab kept or moved and triage's
    undecided picks; the dropped ones not), the survey document's entries aside."""
    return _works(wh, "SELECT work_id, section FROM relevant_works WHERE first_seen >= ? AND "
                      "first_seen < ? AND work_id NOT IN (SELECT work_id FROM seed_entries)",
                  list(bounds))


def _works(wh: Warehouse, sql: str, params: list[Any]) -> list[tuple[int, Work]]:
    from warehouse.works import get_works

    with wh.read() as con:
        rows = con.execute(f"{sql} ORDER BY section, published NULLS LAST, work_id",
                           params).fetchall()
    works = {w.work_id: w for w in get_works(wh, [r[0] for r in rows])}
    return [(int(s), works[wid]) for wid, s in rows if wid in works]
