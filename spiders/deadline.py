"""A wall-clock deadline for one whole HTTP request.

httpx's timeouts bound each socket operation: a server that sends one byte every few seconds
never trips a 30 s read timeout and can hold a request for hours. `HttpClient` runs each
request `within(seconds)`; every socket the address guard opens is wrapped in
`DeadlineStream`, whose connects, reads and writes wait at most what is left of the deadline
and fail as timeouts once it has passed. The deadline lives in a context variable, so a
pooled connection serves each request with that request's deadline.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore

_until: ContextVar[float | None] = ContextVar("seascout_http_deadline", default=None)


@contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """Run the block with a deadline `seconds` from now (None: no deadline)."""
    token = _until.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _until.reset(token)


def passed() -> bool:
    """True when the current request's deadline has passed."""
    until = _until.get()
    return until is not None and time.monotonic() >= until


def bound(timeout: float | None, error: type[Exception] = httpcore.ReadTimeout) -> float | None:
    """`timeout` shortened to what is left of the deadline; raises `error` once it passed."""
    until = _until.get()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation respects the current request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, bound(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
