"""One run at a time per warehouse: a second weekly/backfill/crawl waits for the running one,
saying whom for, and refuses naming it after SEASCOUT_RUN_WAIT."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seascout.app.cli import app
from warehouse.run_lock import RunLockedError, exclusive_run

ROOT = Path(__file__).resolve().parents[1]


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process running a `weekly` on `db` for `seconds`."""
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from warehouse.run_lock import exclusive_run
        with exclusive_run(Path({str(db)!r}), "weekly"):
            print("holding", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_run_refuses_naming_the_running_one(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    proc = _hold(db, 30)
    told: list[str] = []
    try:
        with pytest.raises(RunLockedError, match=rf"in use by the run weekly \(PID {proc.pid} on "), \
                exclusive_run(db, "backfill", wait=0.5, on_wait=told.append):
            pytest.fail("ran while another run held the warehouse")
        assert len(told) == 1 and f"waiting for the run weekly (PID {proc.pid}" in told[0]
    finally:
        proc.kill()
        proc.wait()


def test_a_second_run_waits_for_the_first(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    proc = _hold(db, 1.5)
    told: list[str] = []
    started = time.monotonic()
    with exclusive_run(db, "backfill", wait=60, on_wait=told.append):
        waited = time.monotonic() - started
    proc.wait()
    assert waited > 0.5 and len(told) == 1


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    proc = _hold(db, 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with exclusive_run(db, "weekly", wait=0):
        pass


def test_the_lock_is_reentrant_in_a_thread_only(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    other: list[str] = []

    def second() -> None:
        try:
            with exclusive_run(db, "crawl", wait=0.3):
                other.append("ran")
        except RunLockedError:
            other.append("refused")

    with exclusive_run(db, "weekly"), exclusive_run(db, "weekly"):  # the CLI, then its flow
        t = threading.Thread(target=second)
        t.start()
        t.join()
    assert other == ["refused"]
    with exclusive_run(db, "weekly", wait=0):  # released after the outer block
        pass


def test_backfill_while_a_weekly_runs_says_so_in_one_line(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "data"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    monkeypatch.setenv("SEASCOUT_RUN_WAIT", "0.5")
    monkeypatch.chdir(tmp_path)
    proc = _hold(home / "seascout.duckdb", 30)
    try:
        result = CliRunner().invoke(app, ["backfill", "--since", "2024-01-01", "--until", "2024-01-31"])
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 3, result.output  # another run holds the warehouse
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"note: waiting for the run weekly (PID {proc.pid}")
    assert lines[1].startswith("warehouse busy: ") and f"weekly (PID {proc.pid}" in lines[1]
    assert len(lines) == 2 and not (home / "seascout.duckdb").exists()
