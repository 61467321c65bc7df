"""Crash-resume: SIGKILL `seascout weekly` (the whole process group) at points spread over
crawl, triage, digest and delivery; rerun; the warehouse must equal a clean run's and the
SMTP sink must hold exactly one message for the period.

The machinery is `testing/crash_trials.py` (`bench/crash_trials.py` prints the trial table). The normal
suite kills one run during the crawl, then its rerun while the sink is receiving the mail
(the send-then-record race); with `-m e2e` the full trials run 20 kill points more. Every test
here is end to end (real `seascout weekly` processes): `make test-e2e`, run by CI.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import crash_trials as ct
from testing.demo import demo_environment

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

FULL_TRIALS = 20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The replay server + SMTP sink (kept up for every run, so the replay port — part of
    news URLs and hashes — is the same), and the clean reference run."""
    base = tmp_path_factory.mktemp("crash")
    period = ct.this_period()
    with demo_environment(base / "servers") as env:
        ref = ct.reference_run(env, base / "reference", base / "prefect", period)
        assert ref.messages == 1
        assert ref.snapshot["works"] and ref.snapshot["classifications"]
        assert [r[:3] for r in ref.snapshot["deliveries"]] == [(period, "email", "sent")]
        yield {"env": env, "base": base, "period": period, "ref": ref}


def run(world: dict[str, Any], name: str, points: ct.KillPoint | list[ct.KillPoint]) -> ct.Trial:
    return ct.run_trial(world["env"], world["base"] / name, world["base"] / "prefect",
                        world["period"], world["ref"], points)


def check(trial: ct.Trial) -> None:
    report = "\n".join(trial.problems)
    assert trial.killed_at is not None, report
    assert trial.messages == 1, f"{trial.messages} messages in the sink\n{report}"
    assert trial.equal, report
    assert not trial.problems, report


def test_killed_in_crawl_then_while_mailing_recovers_exactly(world: dict[str, Any]) -> None:
    """Two crashes in a row: mid-crawl, then the rerun right after the SMTP server took the
    message but before the run heard back or recorded it. The last rerun must neither resend
    (one message) nor lose anything (warehouse equal to the clean run)."""
    ref: ct.Reference = world["ref"]
    crawl = ref.marks["triage"] - ref.marks["crawl"]
    trial = run(world, "crawl-then-mail", [ct.KillPoint("crawl", round(crawl / 2, 2)),
                                           ct.KillPoint("mail")])
    check(trial)
    assert trial.stage == "crawl, delivery"


def test_harness_sees_a_difference(world: dict[str, Any], tmp_path: Path) -> None:
    """The comparison can fail: a warehouse with one delivery removed is not the reference."""
    import shutil

    from warehouse.db import Warehouse

    home = tmp_path / "copy"
    shutil.copytree(world["base"] / "reference", home)
    with Warehouse(home / "seascout.duckdb").write() as con:
        con.execute("DELETE FROM delivered_items")
        con.execute("DELETE FROM deliveries")
    diff = ct.differences(ct.snapshot(home), world["ref"].snapshot)
    assert any(d.startswith("deliveries:") for d in diff), diff


@pytest.mark.parametrize("n", range(FULL_TRIALS))
def test_full_crash_resume(n: int, request: pytest.FixtureRequest) -> None:
    world = request.getfixturevalue("world")
    points = ct.kill_points(world["ref"], FULL_TRIALS, random.Random(8))
    check(run(world, f"trial-{n:02d}", points[n]))
