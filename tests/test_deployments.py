"""The ad-hoc deployment path as a user runs it, against a real Prefect server.

    prefect server start                      (here: a free loopback port, PREFECT_HOME in tmp)
    seascout serve                            (registers weekly/weekly and backfill/backfill)
    prefect deployment run 'backfill/backfill' --param since=… --param until=… --watch

Every source points at the loopback replay server of `seascout demo` (recorded real
responses), so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from testing.demo import DEMO_SECRET_ENV, demo_environment
from warehouse.db import Warehouse
from warehouse.query import run_query

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e
PREFECT = str(Path(sys.executable).with_name("prefect"))

# 50-65 s on an idle machine (server start ~15 s, serve ~7 s, the backfill run ~30-40 s): an
# end-to-end test (`make test-e2e`), the one test of the path users take for ad-hoc runs.
# SAFETY only keeps a broken build from hanging the suite: the test waits on conditions (the
# server answers, both deployments are registered, the run completed), never on a time budget.
SAFETY = 1800


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess in its own process group, stopped (group and all) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the group of this process only (start_new_session)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _wait_for(what: str, check, timeout: float, proc: subprocess.Popen[bytes], log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}\n{log.read_text(errors='replace')}")
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what}: not ready after {timeout:.0f} s\n{log.read_text(errors='replace')[-4000:]}")


def test_served_backfill_deployment_runs_with_parameters(tmp_path: Path) -> None:
    started = time.monotonic()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "SEASCOUT_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_UI_ENABLED="false", LITELLM_LOCAL_MODEL_COST_MAP="True",
               SEASCOUT_HOME=str(home), COLUMNS="200")
    env[DEMO_SECRET_ENV] = "demo-key-not-secret"
    timings: dict[str, float] = {}

    with demo_environment(home) as demo, \
         _process([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                  env, tmp_path / "server.log") as server:
        _wait_for("prefect server", lambda: httpx.get(f"{api}/health", timeout=2).is_success,
                  SAFETY, server, tmp_path / "server.log")
        timings["server"] = time.monotonic() - started

        serve_cmd = [sys.executable, "-m", "seascout.app.cli", "serve", "--config", str(demo.config_path)]
        with _process(serve_cmd, env, tmp_path / "serve.log") as serve:
            def registered() -> set[str]:
                r = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
                r.raise_for_status()
                names = {d["name"] for d in r.json()}
                return names if {"weekly", "backfill"} <= names else set()

            assert _wait_for("seascout serve", registered, SAFETY, serve, tmp_path / "serve.log") \
                == {"weekly", "backfill"}
            timings["serve"] = time.monotonic() - started

            run = subprocess.run(
                [PREFECT, "deployment", "run", "backfill/backfill", "--param", "since=2024-01-01",
                 "--param", "until=2024-02-29", "--watch", "--watch-timeout", str(SAFETY)],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=SAFETY + 60, check=False)
            timings["run"] = time.monotonic() - started
            out = run.stdout + run.stderr
            assert run.returncode == 0, out + (tmp_path / "serve.log").read_text(errors="replace")
            assert "Completed" in out, out

    wh = Warehouse(home / "seascout.duckdb")
    (row,) = run_query(wh, "SELECT flow, status, parameters, counts FROM runs WHERE flow = 'backfill'")[1]
    flow, status, parameters, counts = row
    assert (flow, status) == ("backfill", "ok"), row
    params = json.loads(parameters)
    assert (params["since"], params["until"]) == ("2024-01-01", "2024-02-29")
    assert set(json.loads(counts)["months"]) == {"2024-01", "2024-02"}
    assert run_query(wh, "SELECT value FROM cursors WHERE source = 'backfill'")[1] == [("2024-02-29",)]
    assert run_query(wh, "SELECT count(*) FROM works WHERE work_id NOT IN "
                         "(SELECT work_id FROM seed_entries)")[1][0][0] > 0  # it crawled something
    timings["total"] = time.monotonic() - started
    print("deployment path timings (s since start):",
          {k: round(v, 1) for k, v in timings.items()})
