"""Secrets set in the environment never reach the logs, the warehouse or any output file.

One pass through the whole pipeline on loopback with fake secrets — crawl (OpenAlex key, with
an OpenAlex failure so its error message is written), triage through a scripted model that
receives the LLM key and once fails the way providers do (echoing the key), digest and
delivery by SMTP with AUTH (password) and to two webhooks whose URLs carry tokens (one
answers 500) — with every logger captured at DEBUG. Then scan: captured logs, stdout/stderr,
the bytes of every file under SEASCOUT_HOME and every column of every warehouse table.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seascout.core import clock
from seascout.core.period import this_week
from testing import fault_matrix as fm
from testing.replay import ReplayServer, Reply

SECRETS = {
    "OPENALEX_API_KEY": "oa-SECRET-5b1f0c9e2d",
    "SEASCOUT_SMTP_PASSWORD": "smtp-SECRET-a9d4e7",
    "SEASCOUT_TEST_LLM_KEY": "sk-SECRET-llm-33c8f1",
}
HOOK_TOKEN = "hook-SECRET-token-71e2"  # noqa: S105 - a fake, scanned for
BAD_HOOK_TOKEN = "hook-SECRET-token-failing-0d9b"  # noqa: S105 - a fake


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def webhooks() -> Iterator[tuple[list[str], str]]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.path)
            status = 500 if "failing" in self.path else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code": 0}' if status == 200 else b"internal error")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield seen, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp_sink() -> Iterator[tuple[list[bytes], list[str], int]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    messages: list[bytes] = []
    logins: list[str] = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            messages.append(envelope.content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.password.decode() == SECRETS["SEASCOUT_SMTP_PASSWORD"]
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    port = free_port()
    ctl = Controller(Inbox(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                     auth_require_tls=False, auth_required=True)
    ctl.start()
    try:
        yield messages, logins, port
    finally:
        ctl.stop()


def _settings(home: Path, base: str, smtp_port: int):  # type: ignore[no-untyped-def]
    from seascout.core.config import Config, Settings

    data = fm.make_settings(home, base).config.model_dump()
    data["triage"] = {"model": "openai/test-model", "api_key_env": "SEASCOUT_TEST_LLM_KEY",
                      "api_base": "http://127.0.0.1:9/v1", "backoff_seconds": 0}
    data["digest"] = {"formats": ["md", "html", "atom"], "site_url": "https://example.org/d"}
    data["delivery"] = {
        "email": {"enabled": True, "host": "127.0.0.1", "port": smtp_port, "security": "none",
                  "user": "seascout", "sender": "seascout@example.org",
                  "recipients": ["lab@example.org"]},
        "webhooks": [{"kind": "feishu", "url_env": "SEASCOUT_TEST_HOOK"},
                     {"kind": "wecom", "url_env": "SEASCOUT_TEST_BAD_HOOK"}],
        "files": {"enabled": True, "dir": str(home / "survey-repo")},
    }
    return Settings(config=Config.model_validate(data), home=home, root=home, config_path=None)


def test_no_secret_appears_in_logs_warehouse_or_files(tmp_path: Path, monkeypatch, caplog,  # type: ignore[no-untyped-def]
                                                      capsys, webhooks, smtp_sink) -> None:
    from digests import run_digest
    from spiders.crawl import make_http_client, run_crawl
    from testing.fake_model import FakeModel
    from triage.run import run_triage
    from warehouse.state import start_run

    hook_paths, hook_base = webhooks
    messages, logins, smtp_port = smtp_sink
    home = tmp_path / "home"
    monkeypatch.setenv("SEASCOUT_HOME", str(home))
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SEASCOUT_TEST_HOOK", f"{hook_base}/open-apis/bot/v2/hook/{HOOK_TOKEN}")
    monkeypatch.setenv("SEASCOUT_TEST_BAD_HOOK", f"{hook_base}/cgi-bin/webhook/send?key="
                                                 f"{BAD_HOOK_TOKEN}&failing=1")
    secrets = [*SECRETS.values(), HOOK_TOKEN, BAD_HOOK_TOKEN]
    caplog.set_level(logging.DEBUG)  # every logger, including httpx's request lines

    with ReplayServer() as srv:
        fm.install(srv)
        settings = _settings(home, srv.base_url, smtp_port)
        wh = fm.fresh_warehouse(home)
        with wh.write() as con:  # the survey's sections (seeding is not under test here)
            con.executemany("INSERT INTO sections VALUES (?, ?, ?, '')", [
                (1, "海洋大模型", "ocean_models"), (2, "舰船检测大模型", "rs_foundation_models"),
                (3, "相关技术", "ship_detection"), (4, "数据集", "datasets"),
                (5, "相关论坛/资讯", "news")])
        run_id = start_run(wh, "weekly")
        # OpenAlex fails on its list page (its error message carries the request URL).
        srv.add("/works", Reply.error(503), query={"cursor": "*", "api_key": fm.ANY,
                                                   "filter": fm.ANY, "per_page": fm.ANY})
        http = make_http_client(settings, retry=fm.FAST, timeout=1.0)
        with http:
            reports = run_crawl(settings, wh, http=http, until=fm.UNTIL, run_id=run_id)
        openalex_hits = [r for r in srv.requests if "api_key" in r.query]
    by_source = {r.source: r for r in reports}
    assert by_source["openalex"].errors and by_source["arxiv_api"].new == 3
    assert openalex_hits and all(r.query["api_key"] == SECRETS["OPENALEX_API_KEY"]
                                 for r in openalex_hits)

    from tests.test_triage_llm import label_by_title

    fake = FakeModel(script=[PermissionError(  # a provider that echoes the key it refused
        f"AuthenticationError: Incorrect API key provided: {SECRETS['SEASCOUT_TEST_LLM_KEY']}")],
        default=label_by_title)
    triage = run_triage(settings, wh, run_id=run_id, llm_completion=fake)
    # the refused key stops the LLM for this run; the items keep their offline label, flagged
    assert triage.stopped and triage.fallback and triage.classified == sum(triage.counts.values()) > 3
    assert SECRETS["SEASCOUT_TEST_LLM_KEY"] not in " ".join(m for _, _, m in triage.errors())
    assert fake.kwargs[0].get("api_key") == SECRETS["SEASCOUT_TEST_LLM_KEY"]

    week = this_week(settings.config.digest.timezone).id  # what was crawled
    digest = run_digest(settings, wh, period=week, run_id=run_id,
                        now=clock.now() + timedelta(days=8))  # the week is over: delivered
    assert digest.deliveries.get("email") == "sent", digest.deliveries
    assert messages and logins == ["seascout"]
    assert any(HOOK_TOKEN in p for p in hook_paths)
    assert any(BAD_HOOK_TOKEN in p for p in hook_paths)  # the failing hook was tried
    assert any("wecom" in e for e in digest.errors), digest.errors
    assert digest.items > 0, digest
    logging.getLogger("seascout.test").info("reports: %s %s %s", reports, triage,
                                            digest)

    leaks: list[str] = []
    out = capsys.readouterr()
    for where, text in (("logs", caplog.text), ("stdout", out.out), ("stderr", out.err),
                        ("reports", repr((reports, triage, digest)))):
        leaks += [f"{where}: {s}" for s in secrets if s in text]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".duckdb" for p in files)
    for path in files:
        blob = path.read_bytes()
        leaks += [f"{path.relative_to(home)}: {s}" for s in secrets if s.encode() in blob]
    with wh.read() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()]
        rows = 0
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                rows += 1
                text = json.dumps(row, default=str, ensure_ascii=False)
                leaks += [f"table {table}: {s}" for s in secrets if s in text]
    assert rows > 50
    assert not leaks, "secrets leaked:\n" + "\n".join(sorted(set(leaks)))
