"""Concurrency: `seascout weekly` and `seascout backfill` started together on one warehouse,
with `seascout sql` polling throughout. DuckDB lets one process hold the file at a time, so
the outcome must be serialised writes (or a clear lock message) — never a traceback, a
corrupt file or lost rows — and the final warehouse must equal running the two one after
the other.

Real subprocesses, as a user (or cron plus a terminal) would start them; the replay server
and SMTP sink of `seascout demo` stand in for the internet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing import crash_trials as ct
from testing.demo import demo_environment

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

BACKFILL = ["--since", "2024-01-01", "--until", "2024-02-29", "--source", "arxiv_api",
            "--source", "crossref"]
LOCK_MESSAGE = re.compile(r"held by process \d+")
# Only so a hung child cannot hang the suite: the test asserts on how the runs ended, never
# on how long they took (a loaded machine may take many minutes).
SAFETY = 1800


def backfill_args(config: Path) -> list[str]:
    return [sys.executable, "-m", "seascout.app.cli", "backfill", *BACKFILL, "--config", str(config)]


def finished_ok(run: ct.Watched, rc: int, what: str) -> None:
    out = run.output
    assert "Traceback" not in out, f"{what} crashed:\n{out[-4000:]}"
    assert rc == 0, f"{what} exit {rc}:\n{out[-4000:]}"
    assert re.search(r"run \S+: ok\b", out), f"{what} did not finish ok:\n{out[-4000:]}"


def sql_count(home: Path, prefect_home: Path, config: Path) -> tuple[int | None, str]:
    """One `seascout sql` call: (count, '') when it answered, (None, message) when it said
    the warehouse is busy or not there yet. Anything else fails the test."""
    env = ct.child_env(home, prefect_home)
    env["SEASCOUT_LOCK_WAIT"] = "2"  # short, so the lock message path is exercised too
    proc = subprocess.run([sys.executable, "-m", "seascout.app.cli", "sql", "--format", "csv",
                           "SELECT count(*) AS n FROM works", "--config", str(config)],
                          capture_output=True, text=True, timeout=SAFETY, env=env, cwd=ROOT,
                          check=False)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, f"seascout sql crashed:\n{out[-3000:]}"
    if proc.returncode == 0:
        return int(proc.stdout.strip().splitlines()[-1]), ""
    assert LOCK_MESSAGE.search(out) or "no warehouse yet" in out, \
        f"seascout sql exit {proc.returncode} without a clear message:\n{out}"
    return None, " ".join(out.split())


def test_weekly_and_backfill_together_equal_one_after_the_other(tmp_path: Path) -> None:
    period = ct.this_period()
    prefect_home = tmp_path / "prefect"
    with demo_environment(tmp_path / "servers") as env:
        # one after the other
        seq = tmp_path / "sequential"
        for args, what in ((ct.weekly_args(env, period), "weekly"),
                           (backfill_args(env.config_path), "backfill")):
            with ct.Watched(args, ct.child_env(seq, prefect_home)) as run:
                finished_ok(run, run.wait(timeout=SAFETY), f"sequential {what}")
        want = ct.snapshot(seq)
        assert len(env.mailbox.messages) == 1
        env.mailbox.messages.clear()

        # together, with `seascout sql` polling throughout
        home = tmp_path / "together"
        answers: list[int] = []
        refusals: list[str] = []
        with ct.Watched(ct.weekly_args(env, period), ct.child_env(home, prefect_home)) as weekly, \
                ct.Watched(backfill_args(env.config_path), ct.child_env(home, prefect_home)) as back:
            safety = time.monotonic() + SAFETY
            while (weekly.proc.poll() is None or back.proc.poll() is None) \
                    and time.monotonic() < safety:
                n, message = sql_count(home, prefect_home, env.config_path)
                if n is None:
                    refusals.append(message)
                else:
                    answers.append(n)
                time.sleep(0.2)
            rc_weekly, rc_back = weekly.wait(timeout=60), back.wait(timeout=60)
        finished_ok(weekly, rc_weekly, "concurrent weekly")
        finished_ok(back, rc_back, "concurrent backfill")

        got = ct.snapshot(home)
        assert not ct.differences(got, want), "\n".join(ct.differences(got, want))
        assert len(env.mailbox.messages) == 1  # the weekly delivered once

    final, _ = sql_count(home, prefect_home, env.config_path)
    assert final == len(want["works"])
    # `seascout sql` was asked while both ran and mostly answered; counts never went down
    assert len(answers) + len(refusals) >= 3, (answers, refusals)
    assert answers, refusals
    assert answers == sorted(answers), f"rows disappeared between reads: {answers}"
    assert all(a <= len(want["works"]) for a in answers)
    os.environ.get("CI") or print(f"\nsql answered {len(answers)}×, refused {len(refusals)}×: "
                                  f"{answers} {refusals[:3]}")
