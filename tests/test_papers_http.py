"""The polite HTTP client against the loopback replay server: retries, faults, politeness."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from spiders.http import (
    BodyTooLargeError,
    HttpClient,
    HttpStatusError,
    OfflineError,
    RetryPolicy,
    parse_retry_after,
    redact,
)
from testing.replay import AnyLoopbackPort, ReplayServer, Reply

FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, retry_after_max=2.0)


@pytest.fixture
def srv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def client(**kw: object) -> HttpClient:
    options: dict[str, object] = {"user_agent": "seascout-test", "retry": FAST, "timeout": 1.0,
                                   "trusted": AnyLoopbackPort()}
    options.update(kw)
    return HttpClient(**options)  # type: ignore[arg-type]


def test_retries_429_honouring_retry_after_then_succeeds(srv: ReplayServer) -> None:
    srv.add("/x", [Reply.error(429, retry_after=1), Reply.text("ok")])
    with client() as c:
        r = c.get(srv.url("/x"))
    assert r.content == b"ok" and c.requests == 2
    (gap,) = srv.gaps("/x")
    assert gap >= 0.95  # waited the Retry-After second, not the 10 ms backoff


@pytest.mark.parametrize("status", [500, 503])
def test_retries_5xx_without_retry_after(srv: ReplayServer, status: int) -> None:
    srv.add("/x", [Reply.error(status), Reply.error(status), Reply.text("ok")])
    with client() as c:
        assert c.get(srv.url("/x")).content == b"ok"
    assert len(srv.hits("/x")) == 3


def test_gives_up_after_max_attempts_with_clear_error(srv: ReplayServer) -> None:
    srv.add("/x", Reply.error(503))
    with client() as c, pytest.raises(HttpStatusError, match=r"HTTP 503 after 4 attempts") as e:
        c.get(srv.url("/x"))
    assert e.value.status == 503 and len(srv.hits("/x")) == 4


def test_connection_reset_is_retried(srv: ReplayServer) -> None:
    srv.add("/x", [Reply.reset(), Reply.text("ok")])
    with client() as c:
        assert c.get(srv.url("/x")).content == b"ok"
    assert len(srv.hits("/x")) == 2


def test_timeout_is_retried(srv: ReplayServer) -> None:
    srv.add("/x", [Reply.slow(1.5), Reply.text("ok")])
    with client(timeout=0.3) as c:
        assert c.get(srv.url("/x")).content == b"ok"


def test_truncated_body_is_retried(srv: ReplayServer) -> None:
    srv.add("/x", [Reply.truncated(b"<feed>half"), Reply.text("whole")])
    with client() as c:
        assert c.get(srv.url("/x")).content == b"whole"
    assert len(srv.hits("/x")) == 2


def test_404_is_not_retried_and_keeps_the_plain_text_body(srv: ReplayServer) -> None:
    srv.add("/works/10.1371/notarealdoi", Reply.text("Resource not found.", status=404))
    with client() as c, pytest.raises(HttpStatusError) as e:
        c.get(srv.url("/works/10.1371/notarealdoi"))
    assert e.value.status == 404 and e.value.body == b"Resource not found."
    assert "Resource not found." in str(e.value) and len(srv.hits()) == 1


def test_size_cap(srv: ReplayServer) -> None:
    srv.add("/big", Reply.raw(b"x" * 5000))
    with client(max_bytes=1000) as c, pytest.raises(BodyTooLargeError):
        c.get(srv.url("/big"))


def test_connection_refused_fails_fast_without_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nobody listens there
    started = time.monotonic()
    with client(retry=RetryPolicy(max_attempts=5, backoff_base=2.0)) as c, \
            pytest.raises(OfflineError, match=r"cannot reach 127\.0\.0\.1"):
        c.get(f"http://127.0.0.1:{port}/api/query")
    assert time.monotonic() - started < 1.0 and c.requests == 1


def test_politeness_gate_spaces_requests_across_hosts_sharing_a_gate(srv: ReplayServer) -> None:
    srv.add("/api/query", Reply.text("api"))
    srv.add("/rss/cs.CV", Reply.text("rss"))
    with client(gate_intervals={"arxiv": 0.25}) as c:
        for path in ["/api/query", "/rss/cs.CV", "/api/query", "/rss/cs.CV"]:
            c.get(srv.url(path), gate="arxiv")
    gaps = srv.gaps()
    assert len(gaps) == 3 and min(gaps) >= 0.25, gaps


def test_ungated_requests_are_not_delayed(srv: ReplayServer) -> None:
    srv.add("/x", Reply.text("ok"))
    with client(gate_intervals={"arxiv": 5.0}) as c:
        started = time.monotonic()
        for _ in range(3):
            c.get(srv.url("/x"))
    assert time.monotonic() - started < 1.0


def test_user_agent_and_secret_redaction(srv: ReplayServer) -> None:
    srv.add("/works", Reply.text("nope", status=400))
    with client() as c, pytest.raises(HttpStatusError) as e:
        c.get(srv.url("/works"), {"api_key": "s3cret", "filter": "cites:W1"})
    assert "s3cret" not in str(e.value) and "<redacted>" in str(e.value)
    assert srv.hits()[0].headers["user-agent"] == "seascout-test"
    assert redact("https://x/?a=1&api_key=abc&b=2") == "https://x/?a=1&api_key=<redacted>&b=2"


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
