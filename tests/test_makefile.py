"""`make` works in the shell the README suggests, after `source .venv/bin/activate`."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_finds_uv_inside_the_activated_venv() -> None:
    venv = Path(sys.prefix)  # the environment running the tests: the project's .venv
    env = {**os.environ, "VIRTUAL_ENV": str(venv),  # what `source .venv/bin/activate` sets
           "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("MAKEFLAGS", None)
    plan = subprocess.run(["make", "-n", "setup"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=True).stdout.splitlines()
    sync = next(line for line in plan if "sync --frozen" in line)
    uv = shlex.split(sync)[: shlex.split(sync).index("sync")]  # e.g. [python, -m, uv]
    assert subprocess.run([*uv, "--version"], env=env, capture_output=True, text=True,
                          timeout=60, check=False).returncode == 0, f"{uv} cannot run uv inside the venv"
