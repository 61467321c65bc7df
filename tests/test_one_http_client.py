"""One HTTP client for the whole product (issue 22 item 3; issue 23 items 4 and 8): POST with
a JSON body, robots.txt per call, an injectable sleep, `Retry-After` as an HTTP date, a
wall-clock deadline per request, and no other client anywhere in the product."""

from __future__ import annotations

import email.utils
import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from seascout.core import clock
from spiders.http import DeadlineError, HttpClient, RetryPolicy, RobotsDisallowedError
from testing.replay import AnyLoopbackPort, Recorded, ReplayServer, Reply

ROOT = Path(__file__).resolve().parents[1]
NO_WAIT = RetryPolicy(max_attempts=3, backoff_base=0.0, retry_after_max=120.0)


@pytest.fixture
def srv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def client(waits: list[float] | None = None, **kw: object) -> HttpClient:
    options: dict[str, object] = {"user_agent": "seascout-test", "retry": NO_WAIT,
                                   "timeout": 2.0, "trusted": AnyLoopbackPort(),
                                   "sleep": (waits.append if waits is not None else
                                             lambda s: None)}
    options.update(kw)
    return HttpClient(**options)  # type: ignore[arg-type]


def in_100_seconds() -> str:
    return email.utils.format_datetime(clock.now() + timedelta(seconds=100), usegmt=True)


def test_post_sends_json_and_headers_retries_on_an_http_date_and_never_asks_robots(
        srv: ReplayServer) -> None:
    srv.add("/robots.txt", Reply.text("User-agent: *\nDisallow: /\n"))
    srv.add("/hook", [Reply.raw(b"busy", "text/plain", status=429,
                                **{"Retry-After": in_100_seconds()}),
                      Reply.json({"ok": True})], method="POST")
    waits: list[float] = []
    with client(waits) as http:
        r = http.post(srv.url("/hook"), json={"text": "海洋"}, headers={"X-Token": "t"})
    assert json.loads(r.content) == {"ok": True} and http.retries == 1
    assert len(waits) == 1 and 60 <= waits[0] <= 101  # the date's delay, slept by the injected sleep
    (post, _) = srv.hits("/hook")
    assert post.method == "POST" and post.headers["x-token"] == "t"
    assert post.headers["content-type"] == "application/json"
    assert srv.hits("/robots.txt") == []  # a POST to a configured endpoint is not crawling


def test_get_asks_robots_only_when_told_and_once_per_site(srv: ReplayServer) -> None:
    srv.add("/robots.txt", Reply.text("User-agent: *\nDisallow: /private/\n"))
    srv.add("/private/a.html", Reply.text("secret page"))
    srv.add("/public/a.html", Reply.text("page"))
    with client() as http:
        assert http.get(srv.url("/private/a.html")).content == b"secret page"  # an API call
        assert srv.hits("/robots.txt") == []
        with pytest.raises(RobotsDisallowedError, match=r"robots\.txt of 127\.0\.0\.1:\d+ disallows"):
            http.get(srv.url("/private/a.html"), robots=True)
        assert http.get(srv.url("/public/a.html"), robots=True).content == b"page"
    assert len(srv.hits("/private/a.html")) == 1 and len(srv.hits("/robots.txt")) == 1


def test_a_forbidden_robots_txt_disallows_and_a_missing_one_allows(srv: ReplayServer) -> None:
    with ReplayServer() as locked:
        locked.add("/robots.txt", Reply.text("no", status=403))
        locked.add("/a", Reply.text("a"))
        srv.add("/a", Reply.text("a"))  # no /robots.txt route: the replay server answers 404
        with client() as http:
            with pytest.raises(RobotsDisallowedError):
                http.get(locked.url("/a"), robots=True)
            assert http.get(srv.url("/a"), robots=True).content == b"a"
        assert locked.hits("/a") == []


def test_the_url_s_own_query_string_is_fetched_as_such(srv: ReplayServer) -> None:
    """Issue 23 item 8 (fixed earlier; guarded here on the client itself): the bare path 404s."""
    srv.add("/feed", Reply.text("<rss/>"), query={"jc": "123", "type": "etoc", "feed": "rss"})
    with client() as http:
        assert http.get(srv.url("/feed?jc=123&type=etoc&feed=rss")).content == b"<rss/>"
    assert [h.query for h in srv.hits()] == [{"jc": "123", "type": "etoc", "feed": "rss"}]


class Trickle:
    """A loopback server that answers every connection one byte at a time, a byte every
    0.2 s, for about a minute (headers first, or a promised 1000-byte body)."""

    def __init__(self, headers_too: bool):
        self.headers_too = headers_too
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
        with conn:
            conn.recv(65536)
            if not self.headers_too:
                conn.sendall(head)
            data = (head if self.headers_too else b"") + b"x" * 1000
            for byte in data[:300]:
                if self.stop.wait(0.2):  # the server's pace, not a wait in the test
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_server_is_not_waited_for_beyond_the_deadline(headers_too: bool) -> None:
    server = Trickle(headers_too)
    try:
        with client(timeout=5.0, deadline=0.5) as http, \
                pytest.raises(DeadlineError, match=r"no complete answer within the 0.5 s "
                                                   r"deadline") as e:
            http.get(f"http://127.0.0.1:{server.port}/slow")
    finally:
        server.close()
    assert http.requests == 1  # final: a server that slow is not asked again at once
    assert "(GET http://127.0.0.1:" in str(e.value)


def test_zotero_honours_a_retry_after_date(srv: ReplayServer) -> None:
    """Its own backoff read `Retry-After` as a number only: a date fell back to the backoff."""
    from seascout.app.zotero import ZoteroClient, ZoteroError

    srv.add("/users/1/items", [Reply.raw(b"[]", "application/json", status=429,
                                         **{"Retry-After": in_100_seconds()}),
                               Reply.raw(b"[]", "application/json", **{"Total-Results": "0"})])
    waits: list[float] = []
    zc = ZoteroClient("users/1", "zkey-SECRET", base=srv.base_url, backoff=0, sleep=waits.append)
    try:
        assert zc.pushed_tags() == set()
    finally:
        zc.close()
    assert zc.retries == 1 and len(waits) == 1 and 60 <= waits[0] <= 101
    assert all(h.headers["zotero-api-key"] == "zkey-SECRET" for h in srv.hits())
    srv.add("/users/1/items", Reply.text("bad request from key zkey-SECRET", status=400),
            method="POST")
    zc = ZoteroClient("users/1", "zkey-SECRET", base=srv.base_url, backoff=0, sleep=waits.append)
    try:
        with pytest.raises(ZoteroError, match=r"refused the batch \(400\)") as e:
            zc.create([{"title": "x"}])
    finally:
        zc.close()
    assert "zkey-SECRET" not in str(e.value)  # a server echoing the key does not leak it


def test_a_webhook_error_never_names_its_token(srv: ReplayServer) -> None:
    from digests.webhooks import WebhookError, post_webhook

    token = "hook-SECRET-4d1e"  # noqa: S105 - a fake
    seen: list[Recorded] = []

    def ok(req: Recorded) -> Reply:
        seen.append(req)
        return Reply.json({"errcode": 0})
    srv.add(f"/bot/{token}", handler=ok, method="POST")
    post_webhook("wecom", srv.url(f"/bot/{token}"), {"msgtype": "text"})
    assert len(seen) == 1 and seen[0].headers["content-type"] == "application/json"
    # unrouted: the replay server's 404 body echoes the path, token included
    with pytest.raises(WebhookError) as e:
        post_webhook("wecom", srv.url(f"/other/{token}?key={token}"), {"msgtype": "text"})
    assert "HTTP 404" in str(e.value) and token not in str(e.value)
    assert srv.hits("/robots.txt") == []


def test_no_other_http_client_in_the_product() -> None:
    """Every outbound request goes through spiders/http.py; runtime.py's probe of the local
    Prefect server (loopback infrastructure) is the one exception."""
    pattern = re.compile(r"httpx\.(Client|AsyncClient|post|get|put|request|stream)\b|"
                         r"\burllib\.request\b|\burlopen\(|^\s*import requests\b|"
                         r"^\s*from requests\b|http\.client\b")
    allowed = {"spiders/http.py", "seascout/app/runtime.py"}
    found = []
    for folder in ("spiders", "digests", "seascout", "flows", "triage", "warehouse"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line.split("#")[0]) and name not in allowed:
                    found.append(f"{name}:{n}: {line.strip()}")
    assert found == []
