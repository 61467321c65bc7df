"""A run that never reaches `finish_run` does not stay `running` forever: killed (SIGKILL, a
full disk), the next run to take the lock records it `interrupted`; stopped by Ctrl-C or an
error, its own lock block records it at once (issue 23 item 14, issue 24 item 5)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_run
from warehouse.state import finish_run, start_run

ROOT = Path(__file__).resolve().parents[1]


def _runs(wh: Warehouse) -> list[tuple[str, str, bool]]:
    with wh.read() as con:
        return con.execute("SELECT run_id, status, finished_at IS NOT NULL FROM runs "
                           "ORDER BY started_at, run_id").fetchall()


def _errors(wh: Warehouse, run_id: str) -> list[tuple[str, str, str]]:
    with wh.read() as con:
        return con.execute("SELECT stage, source, message FROM run_errors WHERE run_id = ?",
                           [run_id]).fetchall()


def test_a_run_killed_by_sigkill_is_interrupted_at_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from warehouse.db import Warehouse
        from warehouse.run_lock import exclusive_run
        from warehouse.state import start_run
        db = Path({str(db)!r})
        with exclusive_run(db, "weekly"):
            print(start_run(Warehouse(db), "weekly"), flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        killed = proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    wh = Warehouse(db, lock_wait=10)
    assert _runs(wh) == [(killed, "running", False)]  # what the old code left forever

    with exclusive_run(db, "crawl", wait=10):
        new = start_run(wh, "crawl")
        assert dict((r, (s, f)) for r, s, f in _runs(wh)) == {
            killed: ("interrupted", True), new: ("running", False)}
        finish_run(wh, new, status="ok")
    [(stage, source, message)] = _errors(wh, killed)
    assert (stage, source) == ("run", "weekly") and message.startswith("interrupted:")
    assert _errors(wh, new) == []
    with exclusive_run(db, "crawl", wait=10):  # a rerun changes nothing more
        pass
    assert len(_errors(wh, killed)) == 1 and dict((r, s) for r, s, _ in _runs(wh)) == {
        killed: "interrupted", new: "ok"}


def test_ctrl_c_during_a_run_records_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    wh = Warehouse(db, lock_wait=10)
    started: list[str] = []
    with pytest.raises(KeyboardInterrupt), exclusive_run(db, "backfill"), \
            exclusive_run(db, "backfill"):  # the CLI, then its flow
        started.append(start_run(wh, "backfill"))
        raise KeyboardInterrupt
    assert _runs(wh) == [(started[0], "interrupted", True)]
    [(stage, source, message)] = _errors(wh, started[0])
    assert (stage, source) == ("run", "backfill") and "Ctrl-C" in message


def test_a_run_stopped_by_an_error_records_failed_with_it(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    wh = Warehouse(db, lock_wait=10)
    started: list[str] = []
    with pytest.raises(OSError, match="No space"), exclusive_run(db, "weekly"):
        started.append(start_run(wh, "weekly"))
        raise OSError(28, "No space left on device")
    assert _runs(wh) == [(started[0], "failed", True)]
    [(_, _, message)] = _errors(wh, started[0])
    assert "OSError" in message and "No space left on device" in message


def test_a_finished_run_and_a_run_of_this_process_are_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "seascout.duckdb"
    wh = Warehouse(db, lock_wait=10)
    with exclusive_run(db, "weekly"):
        done = start_run(wh, "weekly")
        finish_run(wh, done, status="partial")
        live = start_run(wh, "weekly")
        with exclusive_run(db, "weekly"):  # re-entered by this thread: its own run is live
            pass
        assert dict((r, s) for r, s, _ in _runs(wh)) == {done: "partial", live: "running"}
        finish_run(wh, live, status="ok")
    assert dict((r, s) for r, s, _ in _runs(wh)) == {done: "partial", live: "ok"}
    assert _errors(wh, done) == [] and _errors(wh, live) == []


def test_ctrl_c_during_seascout_crawl_is_recorded_interrupted(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's crawl (its own run row, under the run lock) stopped by Ctrl-C: one line on
    the terminal, `interrupted` in `runs`."""
    from typer.testing import CliRunner

    import spiders.crawl
    from seascout.app.cli import app

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    home = tmp_path / "data"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(spiders.crawl, "crawl", stopped)
    result = CliRunner().invoke(app, ["crawl", "--source", "arxiv_api"])
    assert result.exit_code == 130, result.output
    assert result.output.strip().startswith("interrupted: stopped by Ctrl-C")
    wh = Warehouse(home / "seascout.duckdb", lock_wait=10)
    [(run_id, status, finished)] = _runs(wh)
    assert (status, finished) == ("interrupted", True)
    assert [s for s, _, _ in _errors(wh, run_id)] == ["run"]
