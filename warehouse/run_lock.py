"""One run at a time per warehouse: `weekly`, `backfill` and `crawl` take `<warehouse>.run.lock`
(and every digest delivery `<warehouse>.deliver.lock`, `exclusive_delivery`).

Two runs at once would crawl every source twice (twice the request rate to each host) and
interleave their writes. The lock is an advisory `flock` on a file next to the warehouse, so
it is released when its process ends, however it ends. It holds the name of its holder; a
second run waits for it (saying for whom, once), up to `SEASCOUT_RUN_WAIT` seconds, then
refuses naming it. Within one thread the lock is re-entrant: the CLI takes it to say so in
one line, and the flow it then runs takes it again.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from seascout.core import clock
from warehouse.db import Warehouse
from warehouse.state import close_abandoned, end_open_runs, open_runs

DEFAULT_RUN_WAIT_SECONDS = 2 * 3600.0  # a backfill can take a while; a cron run waits it out


class RunLockedError(RuntimeError):
    """Another run held the warehouse for longer than this one would wait."""


_held: dict[Path, tuple[int, int]] = {}  # lock file → (thread id, depth), this process
_held_lock = threading.Lock()


def lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.run.lock")


def delivery_lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.deliver.lock")


@contextmanager
def exclusive_delivery(db_path: Path, *, on_wait: Callable[[str], object] = lambda _: None,
                       wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse's delivery lock (`<warehouse>.deliver.lock`) for the block: one
    process at a time sends digests, so two `seascout digest` at once never deliver a channel
    twice, and a channel found `sending` under the lock was left so by a process that is gone.
    Waits like `exclusive_run` (SEASCOUT_RUN_WAIT), telling `on_wait` once."""
    limit = wait if wait is not None else float(
        os.environ.get("SEASCOUT_RUN_WAIT", DEFAULT_RUN_WAIT_SECONDS))
    with _exclusive(delivery_lock_path(db_path), "delivery",
                    lambda who: f"waiting for the digest {who} to finish on {db_path} (one "
                                "delivery at a time)",
                    lambda who: f"{db_path}: the digest {who} is still sending; waited {limit:.0f} s "
                                "— run `seascout digest` again when it finishes (or set "
                                "SEASCOUT_RUN_WAIT to wait longer)",
                    limit, on_wait):
        yield


@contextmanager
def exclusive_run(db_path: Path, flow: str, *, on_wait: Callable[[str], object] = lambda _: None,
                  wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; wait for another holder (telling `on_wait`
    once whom for) up to `wait` seconds (default SEASCOUT_RUN_WAIT), then RunLockedError.

    The lock also keeps the `runs` table true: on taking it, a `running` row left by a process
    that is gone becomes `interrupted`; a block ended by Ctrl-C records its unfinished runs as
    `interrupted`, one ended by an error as `failed` (see `warehouse.state`)."""
    limit = wait if wait is not None else float(
        os.environ.get("SEASCOUT_RUN_WAIT", DEFAULT_RUN_WAIT_SECONDS))
    with _exclusive(lock_path(db_path), flow,
                    lambda who: f"waiting for the run {who} to finish on {db_path} (one run at a time)",
                    lambda who: f"{db_path} is in use by the run {who}; waited {limit:.0f} s — "
                                "try again when it finishes (or set SEASCOUT_RUN_WAIT to wait "
                                "longer)",
                    limit, on_wait) as outermost:
        if outermost:
            close_abandoned(Warehouse(db_path))
        try:
            yield
        except KeyboardInterrupt:
            _end_runs(db_path, "interrupted", "interrupted: stopped by Ctrl-C before it finished")
            raise
        except BaseException as e:
            what = " ".join(f"{type(e).__name__}: {e}".split())[:500]
            _end_runs(db_path, "failed", f"failed: stopped by {what}")
            raise
        if outermost:
            _end_runs(db_path, "interrupted", "interrupted: ended without recording its result")


def _end_runs(db_path: Path, status: str, reason: str) -> None:
    """Record the runs this process left open on `db_path`; when even that fails (a full
    disk), the next run to take the lock finds them."""
    if not open_runs(db_path):
        return
    with suppress(Exception):
        end_open_runs(Warehouse(db_path, lock_wait=10), status=status, reason=reason)


@contextmanager
def _exclusive(path: Path, holder: str, waiting: Callable[[str], str],
               refused: Callable[[str], str], limit: float,
               on_wait: Callable[[str], object]) -> Iterator[bool]:
    """An advisory lock on `path`, re-entrant within a thread; yields whether this block took
    it (False: an outer block of this thread holds it). `waiting` and `refused` say, given who
    holds it, that this one waits (told to `on_wait` once) and that it gave up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key, me = path.resolve(), threading.get_ident()
    with _held_lock:
        owner = _held.get(key)
        if owner and owner[0] == me:  # this thread holds it already (the CLI, then its flow)
            _held[key] = (me, owner[1] + 1)
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield False
        finally:
            with _held_lock:
                _held[key] = (me, _held[key][1] - 1)
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, waiting, refused, limit, on_wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({
            "flow": holder, "pid": os.getpid(), "host": socket.gethostname(),
            "since": clock.now().strftime("%Y-%m-%d %H:%M:%S UTC")}).encode(), 0)
        with _held_lock:
            _held[key] = (me, 1)
        try:
            yield True
        finally:
            with _held_lock:
                del _held[key]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, waiting: Callable[[str], str],
             refused: Callable[[str], str], limit: float,
             on_wait: Callable[[str], object]) -> None:
    deadline = time.monotonic() + limit
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        who = _describe(path)
        if time.monotonic() >= deadline:
            raise RunLockedError(refused(who))
        if not told:
            on_wait(waiting(who))
            told = True
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "of another process"
    return f"{info.get('flow', '?')} (PID {info.get('pid', '?')} on {info.get('host', '?')}, " \
           f"since {info.get('since', '?')})"
