"""`seascout review`: a local page to keep, drop, move and edit the week's entries.

A stdlib `http.server` renders one Jinja2 page (autoescaped: every title, summary and id is
escaped) and takes one POST form per decision. Safety, in order of the checks:

- bound to 127.0.0.1 by default; bound anywhere else, every request needs the server's
  random access token (`?token=` on the page's URL, a hidden field in its forms);
- the `Host` header must name the address the server listens on (no DNS rebinding); bound to
  every address (`0.0.0.0`, `::`), the address the request came in on or the machine's name;
- a POST must come from the page itself: its `Origin` (or, without one, its `Referer`) must
  be this server, and it must carry the per-server CSRF token;
- a refused request gets a 4xx and changes nothing (the decision store checks the work and
  the section inside its transaction).

Robustness: each connection has a socket timeout (a half-open request or a short body is
dropped after `timeout` seconds), at most `max_threads` requests are handled at once (more get
an immediate 503), and a warehouse held by a running flow gives a one-line 503 page, not a
traceback. `SEASCOUT_REVIEW_TIMEOUT` and `SEASCOUT_REVIEW_THREADS` set the two limits.
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from jinja2 import Environment, PackageLoader

from digests.pdf import WEB_FONT, cjk_font_path
from seascout.app.review_cards import IMAGE_TYPES, Card, anchor, cards, figure_file
from warehouse.db import Warehouse, WarehouseLockedError
from warehouse.decisions_store import DecisionError, decide, section_titles

MAX_FORM_BYTES = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")  # noqa: S104 (compared with, never bound by default)
DEFAULT_TIMEOUT = 30.0  # seconds a connection may take to send its request
DEFAULT_THREADS = 16  # requests handled at once


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SystemExit(f"{name}={raw!r} is not a positive number: unset it or give e.g. {default:g}")
    return value


_ENV = Environment(loader=PackageLoader("seascout.app", "templates"), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
KINDS = {"paper": "论文", "preprint": "预印本", "news": "新闻", "dataset": "数据集", "other": "其他"}
ACTIONS = {"keep": " 保留", "move": " 移入"}  # after who decided: （lin 保留）
FONT_PATH = f"/font/{WEB_FONT}"
WRONG_HOST = "请按启动时打印的地址打开 — unknown Host header: open the address printed at start"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; img-src 'self'; "
       "form-action 'self'")



@dataclass
class ReviewApp:
    """What the page shows and whom it trusts; one per server."""

    wh: Warehouse
    period: str
    bounds: tuple[datetime, datetime]
    user: str
    host: str
    port: int = 0
    token: str | None = None  # required on every request when not bound to loopback
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    timeout: float = field(default_factory=lambda: _env_number(
        "SEASCOUT_REVIEW_TIMEOUT", DEFAULT_TIMEOUT))
    max_threads: int = field(default_factory=lambda: int(_env_number(
        "SEASCOUT_REVIEW_THREADS", DEFAULT_THREADS)))
    figures: Path | None = None  # where the figures the cards show are stored

    @property
    def origin(self) -> str:
        return f"http://{_netloc(self.host, self.port)}"

    def url(self) -> str:
        """The page's address as printed: bound to every address, the machine's name."""
        origin = f"http://{_netloc(socket.gethostname(), self.port)}" if self.wildcard else self.origin
        return origin + "/" + (f"?{urlencode({'token': self.token})}" if self.token else "")

    @property
    def wildcard(self) -> bool:
        return self.host in WILDCARD

    def hosts(self, local_address: str) -> set[str]:
        """The `Host` headers a request that came in on `local_address` may carry."""
        names = {self.host}
        local = local_address.removeprefix("::ffff:")
        if self.wildcard:
            names |= {local, socket.gethostname()}
        if local.startswith("127.") or local == "::1":
            names |= {"localhost", local}
        return {_netloc(n, self.port) for n in names}

    def page(self, message: str = "", at: str = "") -> str:
        """The page; `message` shown on the card of work `at` (else at the top)."""
        sections = section_titles(self.wh)
        cards = self.cards()
        at = at if any(c.work_id == at for c in cards) else ""
        return _ENV.get_template("review.html.j2").render(
            period=self.period, cards=cards, sections=sections, titles=dict(sections),
            user=self.user, message=message, message_at=at, csrf=self.csrf, token=self.token,
            font_url=self._with_token(FONT_PATH), kinds=KINDS, actions=ACTIONS)

    def cards(self) -> list[Card]:
        return cards(self.wh, self.period, self.bounds, self.figures, self._with_token)

    def _with_token(self, path: str) -> str:
        if not self.token:
            return path
        return path + ("&" if "?" in path else "?") + urlencode({"token": self.token})

    def apply(self, form: dict[str, str]) -> str:
        """Store one form's decision; raises DecisionError for a bad one."""
        action = form.get("action", "")
        section = form.get("section")
        number: int | None = None
        if action == "move":
            try:
                number = int(section or "")
            except ValueError:
                raise DecisionError(f"section {section!r} is not a section number") from None
        if action not in ("keep", "drop", "move", "edit"):
            raise DecisionError(f"{action!r}: unknown action (keep, drop, move or edit)")
        work_id = form.get("work_id", "")
        if action == "edit":
            title, summary = _changed(form, "title_zh"), _changed(form, "summary")
            if title is None and summary is None:  # 保存 pressed on an untouched form
                return f"{work_id}：没有改动，未保存任何内容"
            d = decide(self.wh, work_id, action=None, by=self.user, title_zh=title, summary=summary)
            saved = "与".join(n for n, v in (("中文标题", title), ("中文摘要", summary)) if v is not None)
            return f"{d.work_id}：已保存{saved}"
        d = decide(self.wh, work_id, action=action, section=number, by=self.user)
        if d.section is None:
            return f"{d.work_id}：已剔除"
        return f"{d.work_id}：已{'保留在' if d.action == 'keep' else '移至'}第 {d.section} 章"


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _changed(form: dict[str, str], name: str) -> str | None:
    """The field's new value, or None when the lab left it as the page showed it.

    The edit form carries what it showed (`NAME_shown`): a title-only edit must not store the
    pre-filled machine summary as the lab's own (a field nobody touched is never written).
    """
    value = form.get(name)
    if value is None:
        return None
    shown = form.get(f"{name}_shown")
    if shown is not None and _normal(value) == _normal(shown):
        return None
    return value


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _handler(app: ReviewApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "seascout-review"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _send(self, status: int, body: str, *, location: str | None = None) -> None:
            data = body.encode("utf-8")
            self._head(status, "text/html; charset=utf-8" if status == HTTPStatus.OK
                       else "text/plain; charset=utf-8", len(data), location=location)
            self.wfile.write(data)

        def _head(self, status: int, content_type: str, length: int, *,
                  location: str | None = None, cache: str = "no-store") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Referrer-Policy", "same-origin")
            self.send_header("Cache-Control", cache)
            if location:
                self.send_header("Location", location)
            self.end_headers()

        def _send_file(self, path: Path, content_type: str, cache: str) -> None:
            with path.open("rb") as f:
                self._head(HTTPStatus.OK, content_type, os.fstat(f.fileno()).st_size, cache=cache)
                shutil.copyfileobj(f, self.wfile)

        timeout = app.timeout  # the socket's: a half-open request or short body is dropped

        def _host_ok(self) -> bool:
            return self.headers.get("Host", "") in app.hosts(self.connection.getsockname()[0])

        def _busy(self, e: WarehouseLockedError) -> None:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"仓库正被占用，未作改动 — the warehouse is "
                       f"busy, nothing was changed: {e} Reload the page when it is free.")

        def _token_ok(self, given: str | None) -> bool:
            return app.token is None or (given is not None and hmac.compare_digest(given, app.token))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if not self._host_ok():
                return self._send(HTTPStatus.MISDIRECTED_REQUEST, WRONG_HOST)
            if not self._token_ok(next(iter(query.get("token", [])), None)):
                return self._send(HTTPStatus.FORBIDDEN, "缺少或错误的 token — missing or wrong "
                                  "?token= (open the address printed at start)")
            if url.path == FONT_PATH:  # the packaged CJK font: Chinese without system fonts
                return self._send_file(cjk_font_path(), "font/ttf", "private, max-age=86400")
            if url.path not in ("/", "/figure"):
                return self._send(HTTPStatus.NOT_FOUND, "not found")
            first = {k: v[0] for k, v in query.items()}
            try:
                if url.path == "/figure":
                    figure = figure_file(app.wh, app.figures, first.get("work", ""))
                    if figure is None:
                        return self._send(HTTPStatus.NOT_FOUND, "no figure stored for this work")
                    return self._send_file(figure, IMAGE_TYPES[figure.suffix.lower()], "no-store")
                page = app.page(first.get("msg", "")[:300], first.get("at", ""))
            except WarehouseLockedError as e:
                return self._busy(e)
            self._send(HTTPStatus.OK, page)

        def do_POST(self) -> None:
            if not self._host_ok():
                return self._send(HTTPStatus.MISDIRECTED_REQUEST, WRONG_HOST)
            origin = self.headers.get("Origin") or _origin_of(self.headers.get("Referer", ""))
            if origin != f"http://{self.headers.get('Host', '')}":
                return self._send(HTTPStatus.FORBIDDEN, "cross-site request refused (Origin)")
            if urlsplit(self.path).path != "/decide":
                return self._send(HTTPStatus.NOT_FOUND, "not found")
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_FORM_BYTES:
                return self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "form too large")
            raw = self.rfile.read(length).decode("utf-8", "replace")
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if not self._token_ok(form.get("token")):
                return self._send(HTTPStatus.FORBIDDEN, "missing or wrong token")
            if not hmac.compare_digest(form.get("csrf", ""), app.csrf):
                return self._send(HTTPStatus.FORBIDDEN, "页面已过期，请刷新 — missing or wrong CSRF "
                                  "token: reload the page")
            try:
                message = app.apply(form)
            except DecisionError as e:
                return self._send(HTTPStatus.BAD_REQUEST, f"决定未保存 (decision refused): {e}")
            except WarehouseLockedError as e:
                return self._busy(e)
            # back to the card acted on (a fragment): the page stays where the lab was
            work_id = form.get("work_id", "")
            query = {"msg": message, "at": work_id, **({"token": app.token} if app.token else {})}
            self._send(HTTPStatus.SEE_OTHER, message,
                       location=f"/?{urlencode(query)}#{anchor(work_id)}")

    return Handler


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ReviewServer(ThreadingHTTPServer):
    """A threading server that handles at most `max_threads` requests at once: a connection
    beyond them gets a 503 at once instead of another thread."""

    daemon_threads = True

    def __init__(self, app: ReviewApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in app.host else socket.AF_INET
        self.slots = threading.BoundedSemaphore(max(1, app.max_threads))
        super().__init__((app.host, app.port), _handler(app))

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.slots.release()  # before the close: a client that saw it close finds a slot
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr, never a traceback."""
        kind, error = sys.exc_info()[:2]
        name = kind.__name__ if kind else "error"
        print(f"seascout review: request from {client_address[0]} failed: {name}: {error}",
              file=sys.stderr)


_BUSY = ("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Retry-After: 5\r\nConnection: close\r\nContent-Length: {n}\r\n\r\n")


def _refuse_busy(request: socket.socket) -> None:
    body = "请求过多，请稍后刷新 — too many requests at once: reload the page in a moment\n".encode()
    try:
        request.settimeout(1.0)
        request.sendall(_BUSY.format(n=len(body)).encode() + body)
    except OSError:
        pass


def make_server(app: ReviewApp) -> ReviewServer:
    """Bind (port 0: any free port) and fix the app's port and token; not yet serving."""
    if app.host not in LOOPBACK and app.token is None:
        app.token = secrets.token_urlsafe(24)
    server = ReviewServer(app)
    app.port = server.server_address[1]
    return server


def serve_in_thread(app: ReviewApp) -> tuple[ReviewServer, Callable[[], None]]:
    """A server answering in a background thread, and the function that stops it (tests)."""
    server = make_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)
    return server, stop
