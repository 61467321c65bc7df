"""Shared test set-up: no internet, a fresh warehouse per test, project-local Prefect."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect" / "test"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# One fitted offline classifier for the whole suite (training it takes ~30 s).
os.environ.setdefault("SEASCOUT_MODEL_CACHE", str(ROOT / ".pytest_cache" / "seascout-model"))
for _secret in ("OPENALEX_API_KEY", "SEASCOUT_SMTP_PASSWORD", "SEASCOUT_LLM_MODEL", "SEASCOUT_CONFIG",
                "SEASCOUT_HOME", "SEASCOUT_DB"):
    os.environ.pop(_secret, None)

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith(_LOOPBACK) or host == "" or host.startswith("/")):
        return
    if isinstance(host, bytes | str) and not isinstance(address, tuple):
        return  # AF_UNIX paths
    raise RuntimeError(f"test tried to reach the network: {address!r} (tests must stay on loopback)")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    flags = kwargs.get("flags", args[4] if len(args) > 4 else 0)
    if flags & socket.AI_NUMERICHOST:  # a numeric spelling is read locally, never asks DNS
        return _real_getaddrinfo(host, *args, **kwargs)
    if host is not None and not str(host).startswith(_LOOPBACK) and host not in ("", b""):
        raise RuntimeError(f"test tried to resolve {host!r} (tests must stay on loopback)")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture
def warehouse(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh, migrated DuckDB warehouse in this test's own folder."""
    from warehouse.db import Warehouse

    wh = Warehouse(tmp_path / "seascout.duckdb", lock_wait=5)
    wh.ensure_schema()
    return wh


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Default settings with all state under this test's folder and seeds from the project."""
    from seascout.core.config import Config, Settings

    return Settings(config=Config(), home=tmp_path, root=ROOT, config_path=None)


@pytest.fixture(scope="session")
def prefect_harness():  # type: ignore[no-untyped-def]
    """One Prefect test harness for the whole session (~10 s); request it only in flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=600):  # a loaded 2-core machine is slow
        yield
