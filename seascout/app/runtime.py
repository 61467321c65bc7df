"""Process environment every entry point sets before Prefect, litellm or Scrapy load, and the
Prefect API a command will talk to."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUIET_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # offline, telemetry only fills the logs
    "DO_NOT_TRACK": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # otherwise importing litellm fetches a price map
    # A temporary Prefect server starts for each run without a PREFECT_API_URL; on a loaded
    # 2-core machine it can need more than Prefect's default 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # That temporary server shares the terminal: on Ctrl-C it stops too, and would print
    # the tracebacks of its interrupted services over the run's own lines.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}
PROBE_SECONDS = 3.0


def prepare_environment(root: Path | None = None) -> None:
    """Project-local PREFECT_HOME and quiet, offline-safe defaults; never overrides the user."""
    base = (root or Path.cwd()).resolve()
    os.environ.setdefault("PREFECT_HOME", str(base / ".prefect"))
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)


class HomeError(RuntimeError):
    """The data folder (SEASCOUT_HOME, default ./data) cannot hold what a command writes."""


def writable(folder: Path) -> bool:
    """Whether this process may create files in `folder` (a read-only mount too)."""
    return os.access(folder, os.W_OK | os.X_OK)


def check_home(home: Path, option: str = "") -> None:
    """HomeError unless `home` is a folder this process can write, or can be made one (the
    nearest existing folder above it is writable). Creates nothing. `option`: the command's
    own option that named the folder (`--home`), else it is SEASCOUT_HOME or ./data."""
    if option:
        what, fix = f"{home} ({option})", f"pass {option} a folder you can write"
    else:
        what = f"{home} ({'SEASCOUT_HOME' if os.environ.get('SEASCOUT_HOME') else 'the data folder'})"
        fix = "set SEASCOUT_HOME to a folder you can write, or unset it to use ./data"
    existing = home
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == home else f"cannot be made: {existing} is a file"
        raise HomeError(f"{what} {where}, not a folder — {fix}")
    if not writable(existing):
        where = "is read-only" if existing == home else f"cannot be made: {existing} is read-only"
        raise HomeError(f"{what} {where} — {fix}")


class PrefectServerError(RuntimeError):
    """The Prefect server a command needs is not configured or does not answer."""


@dataclass(frozen=True)
class PrefectApi:
    url: str  # "" = a temporary server in this process
    note: str = ""  # one line for the user when the configured server was bypassed


def configured_api_url() -> str:
    """PREFECT_API_URL as Prefect resolves it: the environment, else the active profile."""
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url or "")


def reachable(url: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether anything answers HTTP at `url` (any status: Prefect Cloud answers 401 here)."""
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


@contextmanager
def prefect_api_for_runs() -> Iterator[PrefectApi]:
    """The API flow runs in this block use: the configured server when it answers, else a
    temporary local one (a stopped server never stops `seascout weekly`), with a note."""
    url = configured_api_url()
    if not url or reachable(url):
        yield PrefectApi(url)
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    note = (f"Prefect server {url} not reachable: this run uses a temporary local server and "
            "will not show in that UI — start the server (`prefect server start`), or stop "
            "using it (`prefect config unset PREFECT_API_URL`)")
    with temporary_settings(updates={PREFECT_API_URL: None}):  # Prefect starts its own
        yield PrefectApi("", note)


def prefect_api_for_serve() -> PrefectApi:
    """`seascout serve` needs a running server: its URL, or PrefectServerError saying what to do."""
    url = configured_api_url()
    if not url:
        raise PrefectServerError(
            "seascout serve needs a Prefect server and PREFECT_API_URL is not set — start one "
            "(`prefect server start`), then `prefect config set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api`")
    if not reachable(url):
        raise PrefectServerError(
            f"cannot reach the Prefect server at {url} — start it (`prefect server start`), "
            "or point PREFECT_API_URL at a running one")
    return PrefectApi(url)


class ServerWatch:
    """Around `seascout serve`: Ctrl-C ends it cleanly in any order, and a server that stops
    answering ends it too, in one line each.

    Prefect's own shutdown pauses the deployments through the API, and with the server gone
    its retries hang. So a Ctrl-C while the server is unreachable, or a second Ctrl-C, ends the
    process at once; a first one with the server up lets Prefect shut down as usual. A server
    gone for `grace` seconds (longer than a restart) ends `serve` the same way."""

    def __init__(self, url: str, say: Callable[[str], None], *, grace: float = 60.0,
                 every: float = 10.0, exit: Callable[[int], object] = os._exit):
        self.url, self.say, self.grace, self.every, self.exit = url, say, grace, every, exit
        self.interrupts = 0
        self._stop = threading.Event()
        self._previous: Any = None

    def __enter__(self) -> ServerWatch:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        threading.Thread(target=self._watch, name="seascout-server-watch", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        signal.signal(signal.SIGINT, self._previous)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        self.interrupts += 1
        if self.interrupts > 1 or not reachable(self.url, timeout=1.0):
            self._end(130, "serve stopped by Ctrl-C" + (
                "" if self.interrupts > 1 else f" (Prefect server {self.url} not reachable: "
                "the deployments' schedules stay as they were)"))
            return
        raise KeyboardInterrupt  # the server is up: Prefect pauses the schedules and stops

    def _watch(self) -> None:
        down_since: float | None = None
        while not self._stop.wait(self.every):
            if reachable(self.url, timeout=min(self.every, PROBE_SECONDS)):
                down_since = None
                continue
            down_since = down_since or time.monotonic()
            if time.monotonic() - down_since >= self.grace:
                self._end(1, f"Prefect server {self.url} stopped answering {self.grace:.0f} s "
                             "ago: serve ends — start the server again, then `seascout serve`")
                return

    def _end(self, code: int, line: str) -> None:
        self.say(line)
        sys.stdout.flush()
        sys.stderr.flush()
        self.exit(code)  # os._exit: Prefect's shutdown would wait on the unreachable server


@contextmanager
def interruptible(say: Callable[[str], None], *, grace: float = 15.0,
                  exit: Callable[[int], object] = os._exit,
                  children: Callable[[], None] | None = None) -> Iterator[None]:
    """Ctrl-C while a flow runs in this process ends it, whatever Prefect is doing.

    The first Ctrl-C says so in one line and raises KeyboardInterrupt, so Prefect marks the
    run and the temporary server stops; Prefect can swallow it (while its temporary server
    starts) or take long to clean up, so `grace` seconds later, or at a second Ctrl-C, the
    process ends at once, its child processes (that server, crawler subprocesses) with it.
    The warehouse is safe either way: every write is one transaction, replayed or dropped."""
    fired = threading.Event()

    def hard_stop(line: str) -> None:
        say(line)
        sys.stderr.flush()
        (children or _terminate_children)()
        exit(130)

    def on_interrupt(signum: int, frame: Any) -> None:
        if fired.is_set():
            hard_stop("stopped at once (second Ctrl-C); a rerun continues where this one stopped")
            return
        fired.set()
        say("interrupted: stopping (Ctrl-C again to stop at once)")
        timer = threading.Timer(grace, hard_stop, [f"stopped: clean-up took over {grace:.0f} s; "
                                                   "a rerun continues where this one stopped"])
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _terminate_children() -> None:
    """SIGTERM to this process's children (Linux /proc; elsewhere nothing to find)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # field 4 of stat, after "pid (comm) state"
            with suppress(OSError):
                os.kill(int(stat.parent.name), signal.SIGTERM)
