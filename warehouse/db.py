"""Opening the DuckDB file: the only place in seascout that does.

DuckDB lets one process hold a database file at a time; a second process, even a reader,
gets "Could not set lock on file … (PID n)" at once. Writers therefore keep connections
short (`Warehouse.write()` is one transaction), and every open retries a lock conflict with
backoff, then fails with a message that names the process holding the file.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_LOCK_WAIT_SECONDS = 60.0
_LOCK_RE = re.compile(r"Could not set lock on file|Conflicting lock", re.IGNORECASE)
_PID_RE = re.compile(r"PID (\d+)")


class WarehouseLockedError(RuntimeError):
    """Another process held the warehouse for longer than we were willing to wait."""


class WarehouseMissingError(FileNotFoundError):
    """A read was asked of a warehouse that does not exist yet."""


class Warehouse:
    """A DuckDB file. Holds no connection; `read()` and `write()` open short ones."""

    def __init__(self, path: str | Path, *, lock_wait: float | None = None):
        self.path = Path(path)
        # How long to wait for another process's lock: the argument, else SEASCOUT_LOCK_WAIT.
        self.lock_wait = lock_wait if lock_wait is not None else float(
            os.environ.get("SEASCOUT_LOCK_WAIT", DEFAULT_LOCK_WAIT_SECONDS))
        self._migrated = False
        self._write_lock = threading.Lock()  # one writer per process; DuckDB handles the rest

    # -- connections ---------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (the default mode). Waits while a writer holds the file."""
        if not self.path.exists():
            raise WarehouseMissingError(
                f"{self.path}: no warehouse yet — run `seascout seed` (or `seascout weekly`) first"
            )
        con = self._connect(read_only=True)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-write connection wrapped in one transaction (all or nothing)."""
        self.ensure_schema()
        with self._write_lock:
            con = self._connect(read_only=False)
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.ConnectionException as e:
                if "different configuration" not in str(e):
                    raise
                # This process already has the file open in the other mode (DuckDB shares one
                # instance per process). A reader simply shares the writer's mode; a writer
                # waits for the short read-only connections to close.
                if read_only:
                    return duckdb.connect(str(self.path), read_only=False)
                holder = "a read-only connection in this process"
            except duckdb.IOException as e:
                if not _LOCK_RE.search(str(e)):
                    raise
                pid = _PID_RE.search(str(e))
                holder = f"process {pid.group(1)}" if pid else "another process"
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"{self.path} is held by {holder} (a running flow?); waited "
                    f"{self.lock_wait:.0f} s. Try again when it finishes, or set "
                    "SEASCOUT_LOCK_WAIT to wait longer."
                ) from None
            time.sleep(delay)
            delay = min(delay * 1.6, 1.0)

    # -- schema --------------------------------------------------------------------------
    def ensure_schema(self) -> list[str]:
        """Apply pending migrations (ordered, named, recorded); returns the names applied."""
        if self._migrated:
            return []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            con = self._connect(read_only=False)
            try:
                applied = apply_migrations(con)
            finally:
                con.close()
        self._migrated = True
        return applied


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every migration shipped in warehouse/migrations, in order."""
    folder = resources.files("warehouse") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
    )
    done = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in migration_files():
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        applied.append(name)
    return applied


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: object) -> Iterator[None]:
    """An Arrow table visible to SQL as `name` for the duration of the block (bulk paths)."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)
