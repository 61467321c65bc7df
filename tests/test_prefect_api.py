"""The Prefect server a command talks to: a configured server that is down never breaks a
run (a temporary one takes over, said in one line); `seascout serve` without one says so in
one line; Ctrl-C and a server that goes away end `serve` cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from seascout.app.runtime import ServerWatch, prefect_api_for_runs

ROOT = Path(__file__).resolve().parents[1]
SAFETY = 1800  # s: only so a broken build cannot hang the suite; the tests assert on outcomes


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"  # nothing listens there any more


def _env(tmp_path: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api_url,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", SEASCOUT_HOME=str(tmp_path / "data"),
               COLUMNS="200")
    return env


@pytest.mark.parametrize("configured", ["dead", "unset"])
def test_serve_without_a_server_says_so_in_one_line(tmp_path: Path, configured: str) -> None:
    url = _dead_url() if configured == "dead" else ""
    proc = subprocess.run([sys.executable, "-m", "seascout.app.cli", "serve"], cwd=tmp_path,
                          env=_env(tmp_path, url), capture_output=True, text=True, timeout=SAFETY,
                          check=False)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, lines
    assert "prefect server start" in lines[0]
    assert (url in lines[0]) if url else ("PREFECT_API_URL is not set" in lines[0])


def test_a_run_bypasses_a_configured_server_that_is_down() -> None:
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    url = _dead_url()
    with temporary_settings(updates={PREFECT_API_URL: url}), prefect_api_for_runs() as api:
        assert url in api.note and "prefect config unset PREFECT_API_URL" in api.note
        assert "prefect server start" in api.note
        assert get_current_settings().api.url is None  # Prefect starts a temporary server


def test_a_run_keeps_a_server_that_answers() -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api"
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}), prefect_api_for_runs() as api:
            assert api.note == "" and get_current_settings().api.url == url
    finally:
        server.shutdown()


def test_serve_ends_when_the_server_stays_away() -> None:
    lines: list[str] = []
    codes: list[int] = []
    ended = threading.Event()
    url = _dead_url()

    def exit(code: int) -> None:
        codes.append(code)
        ended.set()

    with ServerWatch(url, lines.append, grace=0.3, every=0.1, exit=exit):
        assert ended.wait(SAFETY), "serve never ended with the server gone"
    assert codes == [1] and url in lines[0] and "stopped answering" in lines[0]


def test_ctrl_c_with_the_server_gone_ends_serve_at_once() -> None:
    lines: list[str] = []
    codes: list[int] = []
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite itself runs in the background
    with ServerWatch(_dead_url(), lines.append, grace=60, every=30, exit=codes.append):
        signal.raise_signal(signal.SIGINT)  # Prefect's shutdown would hang on the server
    assert codes == [130] and "serve stopped by Ctrl-C" in lines[0]
    assert signal.getsignal(signal.SIGINT) is before  # restored


@pytest.mark.e2e
def test_weekly_runs_whatever_the_profile_says(tmp_path: Path) -> None:
    """As the README's trap had it: PREFECT_API_URL names a server that is not running. End to
    end: a real `seascout weekly` process starting its own temporary Prefect server (the
    in-process check is test_a_run_bypasses_a_configured_server_that_is_down)."""
    cfg = tmp_path / "seascout.toml"
    cfg.write_text(f'seeds_dir = "{ROOT / "seeds"}"\n[sources.news]\nenabled = false\n'
                   '[sources.arxiv]\nenabled = false\nrss_enabled = false\n[sources.crossref]\n'
                   'enabled = false\n[sources.datacite]\nenabled = false\n[sources.openalex]\n'
                   'enabled = false\n[delivery.files]\nenabled = false\n[digest]\nformats = ["md"]\n',
                   encoding="utf-8")
    url = _dead_url()
    proc = subprocess.run([sys.executable, "-m", "seascout.app.cli", "weekly", "--config", str(cfg)],
                          cwd=tmp_path, env=_env(tmp_path, url), capture_output=True, text=True,
                          timeout=SAFETY, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"note: Prefect server {url} not reachable" in out
    assert "Traceback" not in out and "Failed to reach API" not in out


def test_ctrl_c_during_a_run_ends_it_even_when_swallowed() -> None:
    from seascout.app.runtime import interruptible

    lines: list[str] = []
    codes: list[int] = []
    stopped: list[bool] = []
    ended = threading.Event()

    def exit(code: int) -> None:
        codes.append(code)
        ended.set()

    with interruptible(lines.append, grace=0.2, exit=exit, children=lambda: stopped.append(True)):
        with contextlib.suppress(KeyboardInterrupt):  # as Prefect does while its server starts
            signal.raise_signal(signal.SIGINT)
        assert ended.wait(SAFETY), "the swallowed Ctrl-C never ended the run"
    assert codes == [130] and stopped == [True]
    assert lines[0] == "interrupted: stopping (Ctrl-C again to stop at once)"
    assert lines[1].startswith("stopped: clean-up took over 0 s")


def test_a_second_ctrl_c_stops_at_once() -> None:
    from seascout.app.runtime import interruptible

    lines: list[str] = []
    codes: list[int] = []
    before = signal.getsignal(signal.SIGINT)
    with interruptible(lines.append, grace=60, exit=codes.append, children=lambda: None):
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
    assert codes == [130] and lines[1].startswith("stopped at once (second Ctrl-C)")
    assert signal.getsignal(signal.SIGINT) is before
