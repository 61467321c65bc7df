"""Opening the DuckDB file: the only place in seascout that does.

DuckDB lets one process hold a database file at a time; a second process, even a reader,
gets "Could not set lock on file … (PID n)" at once. Writers therefore keep connections
short (`Warehouse.write()` is one transaction), and every open retries a lock conflict with
backoff, then fails with a message that names the process holding the file. Inside one
process, the short connections are cursors on one shared DuckDB instance (`_Database`).
"""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from seascout.core import clock

DEFAULT_LOCK_WAIT_SECONDS = 60.0
SANDBOX_MEMORY_LIMIT = "2GB"  # for users' SQL; DuckDB's default is 80 % of the machine's memory
MEMORY_LIMIT = "1GB"  # for the pipeline (SEASCOUT_MEMORY_LIMIT): bounds a merge of look-alike titles
MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
ROW_GROUP_SIZE = 16_384  # see `_Database`
ALIAS = "warehouse"  # the catalog name SQL sees
_LOCK_RE = re.compile(r"Could not set lock on file|Conflicting lock", re.IGNORECASE)
_PID_RE = re.compile(r"PID (\d+)")
T = TypeVar("T")


def _memory_limit() -> str:
    from seascout.core.config import ConfigError

    value = os.environ.get("SEASCOUT_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    if not MEMORY_SIZE.match(value):
        raise ConfigError(f"SEASCOUT_MEMORY_LIMIT={value!r} is not a memory size (e.g. 1GB, 512MB)")
    return value


class WarehouseLockedError(RuntimeError):
    """Another process held the warehouse for longer than we were willing to wait."""


class WarehouseMissingError(FileNotFoundError):
    """A read was asked of a warehouse that does not exist yet (and the base of what else
    leaves a command without a usable warehouse: the CLI prints each as one line)."""


class WarehouseDamagedError(WarehouseMissingError):
    """The file is there but is no DuckDB database DuckDB can read: another file, truncated,
    zeroed, a corrupt block. It is left exactly as it is."""


class WarehouseDiskFullError(WarehouseMissingError):
    """A write ran out of disk space; its transaction was rolled back."""


_DAMAGED_RE = re.compile(
    r"not a valid DuckDB database file|Could not read enough bytes|Corrupt database file"
    r"|does not match stored checksum", re.IGNORECASE)
_DISK_FULL_RE = re.compile(r"No space left on device|Disk quota exceeded", re.IGNORECASE)
_FILE_RE = re.compile(r'file \\?"([^"\\]+)')


def fault_error(path: Path, error: BaseException) -> WarehouseMissingError | None:
    """The one-line domain error for a damaged warehouse file or a full disk, else None."""
    text = " ".join(str(error).split())
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
    if full or _DISK_FULL_RE.search(text):
        named = _FILE_RE.search(text)
        where = getattr(error, "filename", None) or (named.group(1) if named else path)
        return WarehouseDiskFullError(
            f"{Path(where).parent}: no space left on device — free space, then rerun: the "
            "warehouse is unchanged")
    if isinstance(error, duckdb.Error) and _DAMAGED_RE.search(text):
        return WarehouseDamagedError(
            f"{path}: not a readable DuckDB warehouse ({text[:160]}); it was left as it is — "
            "restore it from a backup or your last `seascout export --parquet` folder, or move "
            "it aside and run `seascout seed` to start afresh")
    return None


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    """Re-raise a damaged file or a full disk met inside the block as its domain error."""
    try:
        yield
    except (duckdb.Error, OSError) as e:
        unusable = fault_error(path, e)
        if unusable is None:
            raise
        raise unusable from None


class Warehouse:
    """A DuckDB file. Holds no connection; `read()` and `write()` open short ones."""

    def __init__(self, path: str | Path, *, lock_wait: float | None = None):
        self.path = Path(path)
        # How long to wait for another process's lock: the argument, else SEASCOUT_LOCK_WAIT.
        self.lock_wait = lock_wait if lock_wait is not None else float(
            os.environ.get("SEASCOUT_LOCK_WAIT", DEFAULT_LOCK_WAIT_SECONDS))
        self._migrated = False

    def require(self) -> None:
        """Raise `WarehouseMissingError` (saying how to make one) unless the file exists."""
        if not self.path.exists():
            raise WarehouseMissingError(
                f"{self.path}: no warehouse yet — run `seascout seed` (or `seascout weekly`) first"
            )

    # -- connections ---------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (the default mode). Waits while a writer holds the file."""
        self.require()
        with self._connection(read_only=True) as con:
            yield con

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-write connection wrapped in one transaction (all or nothing)."""
        self.ensure_schema()
        with _writer_lock(self.path), self._connection(read_only=False) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                with suppress(duckdb.Error):  # a damaged file may refuse this too: keep the cause
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @contextmanager
    def sandboxed(self, *, memory_limit: str = SANDBOX_MEMORY_LIMIT
                  ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for SQL written by users (`seascout sql`): the warehouse file, read-only,
        and nothing else. DuckDB's own settings, locked for the connection's life, forbid every
        other file (ATTACH, COPY … TO, read_csv('/etc/…'), EXPORT), extension installs and loads;
        no temp folder (so not even `<db>.tmp/` is writable) and at most `memory_limit`."""
        self.require()
        con = self._retrying(lambda: _open_sandbox(self.path, memory_limit))
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def _connection(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        database = self._retrying(lambda: _Database.open(self.path, read_only=read_only))
        try:
            with _translated(self.path), database.connection() as con:
                yield con
        finally:
            database.release()

    def _retrying(self, open_: Callable[[], T]) -> T:
        """`open_()`, retried with backoff while another holder has the file, for `lock_wait`."""
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                with _translated(self.path):
                    return open_()
            except _InUse as e:
                holder = str(e)
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
        with _writer_lock(self.path):
            database = self._retrying(lambda: _Database.open(self.path, read_only=False))
            try:
                with _translated(self.path), database.connection() as con:
                    applied = apply_migrations(con, machine_zone=database.machine_zone)
            finally:
                database.release()
        self._migrated = True
        return applied


# Users' SQL reaches the warehouse file and nothing else; `lock_configuration` stops a query
# from SETting any of this back. DuckDB always allows the database file (and its WAL) itself.
SANDBOX_CONFIG: dict[str, str | bool] = {
    "enable_external_access": False,  # no other file: ATTACH, COPY TO, read_*(), glob, EXPORT
    "autoinstall_known_extensions": False,  # no download (INSTALL httpfs fails too: no access)
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    # DuckDB lets a query write into its temp folder even without external access: with none,
    # `COPY … TO '<db>.tmp/x.csv'` is refused too (and a query never spills to disk).
    "temp_directory": "",
    "lock_configuration": True,
}


def _open_sandbox(path: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    key = path.resolve()
    with _registry_lock:
        if key in _databases:  # this process has it open (a flow's short write): wait it out
            raise _InUse("this process")
    config: dict[str, str | bool | int | float | list[str]] = {
        k: v for k, v in SANDBOX_CONFIG.items() if k != "lock_configuration"}
    config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(str(key), read_only=True, config=config)
    except duckdb.Error as e:
        if "already attached" in str(e) or "Unique file handle conflict" in str(e):
            raise _InUse("this process") from None
        raise
    _speak_utc(con)  # before the lock: `now()` and `current_date` in users' SQL are UTC too
    con.execute("SET lock_configuration = true")
    return con


def _speak_utc(con: duckdb.DuckDBPyConnection) -> str:
    """Make `con`'s instance read and write timestamps in UTC, as the warehouse stores them
    (an aware datetime bound to a TIMESTAMP is converted to UTC). Returns the zone DuckDB
    found on this machine, which earlier releases' naive local timestamps were taken in."""
    machine = str(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])  # type: ignore[index]
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    return machine


class _InUse(Exception):
    """The file is open in this process in a mode that cannot be shared (read-only, for a writer)."""


class _Database:
    """One DuckDB instance per file and process, shared by the short connections open on it
    and closed (checkpointing the file, releasing its lock) when the last one ends.

    The file is attached to an in-memory instance rather than opened with `duckdb.connect`
    because only ATTACH takes a row-group size: with 16k-row groups DuckDB writes a large
    insert to disk while it runs (optimistic writes) and compresses row groups on all cores,
    where its default 122,880-row group left a 100k-work upsert to one thread at commit
    (2.2 s instead of 0.75 s).
    """

    def __init__(self, path: Path, read_only: bool):
        self.path, self.read_only, self.users = path, read_only, 0
        self.root = duckdb.connect(config={"temp_directory": f"{path}.tmp", "memory_limit": _memory_limit()})
        try:
            self.machine_zone = _speak_utc(self.root)
            options = "READ_ONLY" if read_only else f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}"
            quoted = str(path).replace("'", "''")
            self.root.execute(f"ATTACH '{quoted}' AS {ALIAS} ({options})")
        except BaseException:
            self.root.close()
            raise

    @classmethod
    def open(cls, path: Path, *, read_only: bool) -> _Database:
        """The process's instance for `path`, opening it if needed. A reader shares a writer's
        instance; a writer waits (raises `_InUse`) while only readers have the file open."""
        key = path.resolve()
        with _registry_lock:
            db = _databases.get(key)
            if db is not None and db.read_only and not read_only:
                raise _InUse("a read-only connection in this process")
            if db is None:
                db = _databases[key] = _Database(key, read_only)
            db.users += 1
            return db

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with _registry_lock:  # the root connection is shared by threads: one call at a time
            con = self.root.cursor()
        try:
            con.execute(f"USE {ALIAS}")
            yield con
        finally:
            con.close()

    def release(self) -> None:
        with _registry_lock:
            self.users -= 1
            if self.users == 0:
                del _databases[self.path]
                self.root.close()


_databases: dict[Path, _Database] = {}  # open in this process, by resolved path
_writer_locks: dict[Path, threading.Lock] = {}
_registry_lock = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    """One writer per file in this process; DuckDB serialises processes."""
    with _registry_lock:
        return _writer_locks.setdefault(path.resolve(), threading.Lock())


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every migration shipped in warehouse/migrations, in order."""
    folder = resources.files("warehouse") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def apply_migrations(con: duckdb.DuckDBPyConnection, *, machine_zone: str = "UTC") -> list[str]:
    """Apply the pending migrations in order. `machine_zone` is the timezone this machine's
    earlier releases wrote their naive local timestamps in (migrations read it as
    `getvariable('machine_zone')` to convert them to UTC)."""
    con.execute("SET VARIABLE machine_zone = ?", [machine_zone])
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
            con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, clock.now()])
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
    except BaseException:
        # A failed statement aborts the transaction, and DuckDB then refuses the unregister
        # too: the statement's error is the one to see (the view ends with the connection).
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)
