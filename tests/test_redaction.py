"""Secrets a server echoes back never reach the report, the log, `run_errors` or
`deliveries.last_error`: an SMTP server refusing AUTH with the decoded AUTH PLAIN in its 535,
and a webhook answering 400 with its token (issue 23 item 10)."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from digests import run_digest
from seascout.core.config import (
    Config,
    DeliveryConfig,
    DigestConfig,
    EmailConfig,
    FilesConfig,
    Settings,
    WebhookConfig,
)
from seascout.core.redact import MASK, redact
from tests.test_digest_delivery import PERIOD, free_port, seed_warehouse
from warehouse.db import Warehouse
from warehouse.state import start_run

PASSWORD = "smtp-SECRET-pw-4c1e9a"  # noqa: S105 - a fake, scanned for
TOKEN = "hook-SECRET-token-9f3b27"  # noqa: S105 - a fake
KEY = "wecom-SECRET-key-51d0aa"


def _settings(tmp_path: Path, smtp_port: int) -> Settings:
    cfg = Config(
        digest=DigestConfig(formats=["md"], site_url="https://example.org/d"),
        delivery=DeliveryConfig(
            email=EmailConfig(enabled=True, host="127.0.0.1", port=smtp_port, security="none",
                              user="seascout", sender="seascout@example.org",
                              recipients=["lab@example.org"]),
            webhooks=[WebhookConfig(kind="feishu", url_env="SEASCOUT_TEST_FEISHU"),
                      WebhookConfig(kind="wecom", url_env="SEASCOUT_TEST_WECOM")],
            files=FilesConfig(enabled=False)))
    return Settings(config=cfg, home=tmp_path, root=tmp_path, config_path=None)


@pytest.fixture
def echoing_smtp() -> Iterator[int]:
    """Refuses every login with a 535 that quotes the credentials it was sent."""
    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        said = f"{auth_data.login.decode()} / {auth_data.password.decode()}"
        raw = base64.b64encode(b"\0" + auth_data.login + b"\0" + auth_data.password).decode()
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 credentials {said} ({raw}) rejected")

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    port = free_port()
    ctl = Controller(Inbox(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                     auth_require_tls=False, auth_required=True)
    ctl.start()
    try:
        yield port
    finally:
        ctl.stop()


@pytest.fixture
def echoing_hooks() -> Iterator[str]:
    """Answers 400, quoting the token of the URL it was called on (as bots' APIs do)."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            token = self.path.rsplit("/", 1)[-1].split("key=")[-1]
            body = json.dumps({"code": 19001, "msg": f"param invalid: token {token} is not "
                               "a bot of this tenant"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_echoed_secrets_are_redacted_everywhere_they_are_kept(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch, caplog, echoing_smtp, echoing_hooks) -> None:
    monkeypatch.setenv("SEASCOUT_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SEASCOUT_TEST_FEISHU", f"{echoing_hooks}/open-apis/bot/v2/hook/{TOKEN}")
    monkeypatch.setenv("SEASCOUT_TEST_WECOM", f"{echoing_hooks}/cgi-bin/webhook/send?key={KEY}")
    caplog.set_level(logging.DEBUG)
    settings = _settings(tmp_path, echoing_smtp)
    wh = Warehouse(tmp_path / "seascout.duckdb", lock_wait=10)
    seed_warehouse(wh)
    run_id = start_run(wh, "weekly")
    report = run_digest(settings, wh, period=PERIOD, run_id=run_id)

    assert set(report.deliveries.values()) == {"failed"}, report.deliveries
    with wh.read() as con:
        last_errors = [r[0] for r in con.execute("SELECT last_error FROM deliveries").fetchall()]
        run_errors = [r[0] for r in con.execute("SELECT message FROM run_errors").fetchall()]
    assert len(last_errors) == 3 and len(run_errors) == 3
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]  # aiosmtpd: the server
    kept = {"report": "\n".join(report.errors), "log": "\n".join(r.getMessage() for r in ours),
            "deliveries.last_error": "\n".join(last_errors), "run_errors": "\n".join(run_errors)}
    plain = base64.b64encode(f"\0seascout\0{PASSWORD}".encode()).decode()
    leaks = [f"{where}: {secret}" for where, text in kept.items()
             for secret in (PASSWORD, plain, TOKEN, KEY) if secret in text]
    assert leaks == []
    assert sum("delivery failed" in r.getMessage() for r in ours) == 3
    email_error = next(e for e in last_errors if e.startswith("email"))
    assert "535" in email_error and "credentials seascout / <redacted>" in email_error
    # the servers did echo them: masked, not dropped (the webhook client masks its own URL first)
    assert all(MASK in e or "<webhook url>" in e for e in last_errors), last_errors
    assert any("token <redacted> is not a bot" in e or "token <webhook url> is not a bot" in e
               for e in run_errors)


def test_redact_masks_each_spelling_of_a_configured_secret(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAB_HOOK_URL", f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}")
    monkeypatch.setenv("MY_PROVIDER_API_KEY", "sk-SECRET-provider-0042")
    cfg = Config(delivery=DeliveryConfig(webhooks=[WebhookConfig(kind="feishu",
                                                                 url_env="LAB_HOOK_URL")]))
    Settings(config=cfg, home=tmp_path, root=tmp_path, config_path=None)
    monkeypatch.setenv("SEASCOUT_TEST_ODD_PASSWORD", "p@ss/wo rd+1")
    text = (f"HTTP 400 for https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}: token {TOKEN}, "
            "sk-SECRET-provider-0042, quoted p%40ss%2Fwo%20rd%2B1, "
            f"{base64.b64encode(b'sk-SECRET-provider-0042').decode()}; open-apis bot hook")
    masked = redact(text)
    assert TOKEN not in masked and "sk-SECRET" not in masked and "p%40ss" not in masked
    assert "c2stU0VDUkVU" not in masked  # base64
    assert masked.endswith("open-apis bot hook")  # words of the URL are not secrets
    assert redact("nothing secret here") == "nothing secret here"
