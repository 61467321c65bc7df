"""Two digests of one period delivered at the same time (two `seascout digest`, or a digest
beside a weekly run) reach every channel once, and neither says "sent (unconfirmed)" of a send
the other is still making (issue 23 item 6)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from digests import run_digest
from tests.test_digest_delivery import PERIOD, _Inbox, free_port, make_settings, seed_warehouse
from warehouse.db import Warehouse

BOUND = 60.0  # seconds a step may take before the test gives up (never reached when it works)


class _Hooks:
    """A webhook receiver that holds the first POST until `release` (the second delivery
    has reached the point where it would send, or is waiting for the first)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()


@pytest.fixture
def held_hooks() -> Iterator[tuple[_Hooks, str]]:
    rec = _Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with rec.lock:
                rec.paths.append(self.path)
                first = len(rec.paths) == 1
            if first:
                rec.first_arrived.set()
                rec.release.wait(BOUND)
            else:
                rec.release.set()  # a second send arrived while the first was held
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0, "code": 0}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield rec, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        rec.release.set()
        server.shutdown()
        server.server_close()


def test_two_deliveries_at_once_reach_each_channel_once(tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
                                                        held_hooks) -> None:
    rec, base = held_hooks
    inbox = _Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    db = tmp_path / "seascout.duckdb"
    seed_warehouse(Warehouse(db, lock_wait=10))
    settings = make_settings(tmp_path, smtp_port=port, hook_base=base, monkeypatch=monkeypatch)

    class Waiting(logging.Handler):  # the second delivery says it waits for the first
        def emit(self, record: logging.LogRecord) -> None:
            if "waiting for the digest delivery" in record.getMessage():
                rec.release.set()

    logger = logging.getLogger("digests.delivery")
    waiting, level = Waiting(), logger.level
    logger.addHandler(waiting)
    logger.setLevel(logging.INFO)
    reports: dict[str, Any] = {}

    def deliver(name: str) -> None:
        try:  # each its own Warehouse: its own connections to the file
            reports[name] = run_digest(settings, Warehouse(db, lock_wait=30), period=PERIOD)
        finally:
            rec.release.set()  # (a delivery that ended without sending lets the first go on)

    try:
        first = threading.Thread(target=deliver, args=("first",))
        first.start()
        assert rec.first_arrived.wait(BOUND), "the first delivery never reached the webhook"
        second = threading.Thread(target=deliver, args=("second",))
        second.start()
        first.join(BOUND)
        second.join(BOUND)
    finally:
        logger.removeHandler(waiting)
        logger.setLevel(level)
        ctl.stop()

    assert len(inbox.messages) == 1
    assert sorted(rec.paths) == ["/dingtalk", "/feishu", "/slack", "/wecom"]
    a, b = reports["first"], reports["second"]
    channels = {"email", "files", "webhook:feishu:1", "webhook:wecom:2", "webhook:dingtalk:3",
                "webhook:slack:4"}
    assert a.deliveries == dict.fromkeys(channels, "sent") and not a.errors
    assert b.deliveries == dict.fromkeys(channels, "already sent") and not b.errors
    with Warehouse(db).read() as con:
        rows = con.execute("SELECT channel, status, attempts, last_error FROM deliveries").fetchall()
    assert sorted(rows) == [(c, "sent", 1, None) for c in sorted(channels)]


CHILD = """
import json, logging, os, sys, urllib.request
from pathlib import Path
from digests import run_digest
from tests.test_digest_delivery import PERIOD, make_settings
from warehouse.db import Warehouse

class Env:
    setenv = staticmethod(os.environ.__setitem__)

class Waiting(logging.Handler):  # tell the test's server that this one waits for the other
    def emit(self, record):
        if "waiting for the digest delivery" in record.getMessage():
            urllib.request.urlopen(urllib.request.Request(
                sys.argv[3] + "/waiting", data=b"{}", method="POST"), timeout=30).read()

logger = logging.getLogger("digests.delivery")
logger.addHandler(Waiting())
logger.setLevel(logging.INFO)
home = Path(sys.argv[1])
settings = make_settings(home, smtp_port=int(sys.argv[2]), hook_base=sys.argv[3], monkeypatch=Env)
report = run_digest(settings, Warehouse(home / "seascout.duckdb", lock_wait=60), period=PERIOD)
print(json.dumps({"deliveries": report.deliveries, "errors": report.errors}))
"""


def test_two_digest_processes_at_once_reach_each_channel_once(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              held_hooks) -> None:
    import subprocess
    import sys

    rec, base = held_hooks
    inbox = _Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    seed_warehouse(Warehouse(tmp_path / "seascout.duckdb", lock_wait=10))
    root = Path(__file__).resolve().parents[1]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(port), base],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    try:
        first = start()
        assert rec.first_arrived.wait(BOUND * 3), "the first process never reached the webhook"
        second = start()
        out2, err2 = second.communicate(timeout=BOUND * 3)
        rec.release.set()  # (an old second process that sent nothing lets the first go on)
        out1, err1 = first.communicate(timeout=BOUND * 3)
    finally:
        rec.release.set()
        ctl.stop()
    assert first.returncode == 0 and second.returncode == 0, err1[-2000:] + err2[-2000:]
    a, b = json.loads(out1.splitlines()[-1]), json.loads(out2.splitlines()[-1])
    assert len(inbox.messages) == 1
    assert sorted(p for p in rec.paths if p != "/waiting") == [
        "/dingtalk", "/feishu", "/slack", "/wecom"]
    assert "/waiting" in rec.paths  # the second did wait for the first
    assert set(a["deliveries"].values()) == {"sent"} and a["errors"] == []
    assert set(b["deliveries"].values()) == {"already sent"} and b["errors"] == []
