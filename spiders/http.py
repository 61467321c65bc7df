"""The one HTTP client: every outbound request of the product goes through it (the paper
sources, news feeds, `seascout add`, figures, webhooks, Zotero).

Why one client: arXiv counts the API, RSS and OAI-PMH endpoints together ("one request every
3 s, one connection"), Crossref and OpenAlex tell us their limits in headers, and every source
needs the same answers to 429/5xx, resets, timeouts, truncated bodies and offline machines.

- Requests go one at a time through a `PolitenessGate` named by the caller (all arXiv
  endpoints pass ``gate="arxiv"``) or, by default, by the URL's host. A gate measures the
  interval from the *end* of the previous request to the start of the next one, so the server
  never sees two requests closer than the interval.
- 429, 500, 502, 503, 504, connection resets, read timeouts and truncated bodies are retried
  with exponential backoff, honouring `Retry-After` (seconds or HTTP date, capped).
- Name-resolution failures and refused connections are *not* retried: offline, a source fails
  at once with an `OfflineError` that says so.
- Bodies are read as bytes (arXiv sends no charset) with a size cap.
- Each request has a wall-clock deadline (`deadline`, 60 s by default) besides the
  per-operation timeouts: a server trickling a byte every few seconds fails it with a
  `DeadlineError` (final, not retried).
- `get(..., robots=True)` asks the site's robots.txt first (cached per site) and raises
  `RobotsDisallowedError` when it disallows the URL. Robots.txt is for crawling: the paper
  APIs, configured feeds, webhooks and the Zotero API are not asked.
- `post(url, json=…)` sends a JSON body (webhooks, API writes) and does not follow redirects.
- Secrets in query strings (``api_key``) are redacted in every message.
- Every connection, each redirect hop included, goes to a checked public address
  (`spiders.address_guard`): a link to this machine or a private network is refused with a
  `RefusedAddressError`, final, unless the config names that host as a source (`trusted`).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from seascout.core import clock
from spiders import deadline
from spiders.address_guard import AddressRefused, GuardedTransport, refusal

DEFAULT_USER_AGENT = "seascout/0.1 (+https://github.com/seascout/seascout)"
ANY_STATUS = range(100, 600)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SECRET_PARAM_RE = re.compile(r"((?:api_key|apikey|api-key|key|token)=)[^&\s]+", re.IGNORECASE)
_OFFLINE_RE = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname|"
    r"no address associated|getaddrinfo failed|name resolution|connection refused|"
    r"errno -[235]\b|errno 111\b|network is unreachable|no route to host",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Hide API keys and tokens in URLs before they reach a log or an error message."""
    return _SECRET_PARAM_RE.sub(r"\1<redacted>", text)


def quiet_httpx_log() -> None:
    """httpx logs every request URL at INFO, `api_key=` and webhook tokens included. Keep its
    logger at WARNING unless someone configured it on purpose."""
    logger = logging.getLogger("httpx")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


class FetchError(RuntimeError):
    """A request that failed for good; the message names the URL, the cause and a fix."""

    def __init__(self, url: str, reason: str, fix: str = "", status: int | None = None,
                 body: bytes = b"", method: str = "GET"):
        self.url = redact(url)
        self.reason = reason
        self.fix = fix
        self.status = status
        self.body = body
        # Reason first: the CLI shows one line per failure and URLs can be long.
        super().__init__(f"{reason}" + (f" — {fix}" if fix else "") + f" ({method} {self.url})")


class OfflineError(FetchError):
    """DNS failure or refused connection: retrying will not help, so we fail fast."""

    def __init__(self, url: str, reason: str, fix: str = ""):
        super().__init__(url, reason, fix)
        host = urlsplit(url).netloc or url
        self.args = (f"cannot reach {host}: {reason}" + (f" — {fix}" if fix else ""),)


class HttpStatusError(FetchError):
    """The server answered with a status we do not accept (after retries for 429/5xx)."""


class RefusedAddressError(FetchError):
    """The URL's host is this machine or a private network and the config does not name it:
    never fetched (final, not retried)."""


class BodyTooLargeError(FetchError):
    """The body passed the client's size cap."""


class DeadlineError(FetchError):
    """The request took longer than the client's wall-clock deadline (final, not retried)."""


class RobotsDisallowedError(FetchError):
    """The site's robots.txt disallows the URL for our User-Agent: never fetched."""


@dataclass(slots=True)
class Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    elapsed: float


class PolitenessGate:
    """At most one request at a time, and at least `interval` seconds between the end of one
    request and the start of the next. Thread-safe; `interval` may be raised by a source that
    learns a stricter limit (Crossref's ``x-rate-limit-*``)."""

    def __init__(self, interval: float = 0.0):
        self.interval = interval
        self._lock = threading.Lock()
        self._last_end: float | None = None
        self.starts: list[float] = []  # monotonic start times, for tests and the bench
        self.waited = 0.0  # seconds slept for politeness, for the bench

    def __enter__(self) -> PolitenessGate:
        self._lock.acquire()
        if self._last_end is not None:
            wait = self._last_end + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
                self.waited += wait
        self.starts.append(time.monotonic())
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # A request that never reached the server (offline) does not count against the gate.
        refused = (OfflineError, RefusedAddressError)
        if not (isinstance(exc_type, type) and issubclass(exc_type, refused)):
            self._last_end = time.monotonic()
        self._lock.release()


@dataclass
class RetryPolicy:
    max_attempts: int = 5  # including the first
    backoff_base: float = 2.0  # seconds; doubled each attempt, with jitter
    backoff_max: float = 60.0
    retry_after_max: float = 120.0  # a longer Retry-After is capped (and the attempt retried)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        base = min(self.backoff_base * (2 ** (attempt - 1)), self.backoff_max)
        return base * (0.75 + 0.5 * random.random())


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or clock.now())).total_seconds())


@dataclass
class HttpClient:
    """The client every source uses. Build one per crawl and share it (the gates live here).

    `gate_intervals` sets named gates, e.g. ``{"arxiv": 3.0}``; tests scale it down.
    `transport` lets tests inject an httpx transport; normally requests go over the network
    (or to the loopback replay server in tests and the offline demo). `timeout` bounds each
    socket read, `deadline` the whole request (headers and body, each attempt); `sleep` is
    the wait between retries (tests inject a no-op).
    """

    user_agent: str = DEFAULT_USER_AGENT
    gate_intervals: Mapping[str, float] = field(default_factory=dict)
    timeout: float = 30.0
    connect_timeout: float = 10.0
    deadline: float = 60.0
    max_bytes: int = 50_000_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.BaseTransport | None = None
    on_request: Callable[[str, str], None] | None = None  # (gate, url) hook, e.g. for counting
    # (host, port) the config names as sources: reachable on loopback or private addresses
    trusted: Container[tuple[str, int]] = frozenset()
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    retries: int = 0  # waits before a retry, counted for reports
    _gates: dict[str, PolitenessGate] = field(default_factory=dict, repr=False)
    _robots: dict[str, RobotFileParser] = field(default_factory=dict, repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)

    # -- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            quiet_httpx_log()
            self._client = httpx.Client(
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                follow_redirects=True,
                transport=self.transport or GuardedTransport(self.trusted),
                trust_env=False,
            )
        return self._client

    def gate(self, name: str) -> PolitenessGate:
        """The named gate (created on first use with its configured interval)."""
        if name not in self._gates:
            self._gates[name] = PolitenessGate(self.gate_intervals.get(name, 0.0))
        return self._gates[name]

    # -- requests -----------------------------------------------------------------------
    def refusal(self, url: str) -> str | None:
        """Why `url` would be refused as a non-public address (None: it would be fetched).
        Resolves the host; the connection itself is checked again when it is opened."""
        return None if self.transport is not None else refusal(url, self.trusted)

    def get(self, url: str, params: Mapping[str, Any] | None = None, *,
            headers: Mapping[str, str] | None = None, gate: str | None = None,
            accept: Container[int] = (200,), robots: bool = False) -> Response:
        """GET with politeness and retries. Statuses in `accept` are returned; any other
        status raises `HttpStatusError` (after retries for 429/5xx). `robots=True` (crawling
        a page) asks the site's robots.txt first."""
        return self.request("GET", url, params=params, headers=headers, gate=gate,
                            accept=accept, robots=robots)

    def post(self, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None,
             gate: str | None = None, accept: Container[int] = (200,)) -> Response:
        """POST a JSON body, with the same politeness, retries and errors as `get`. Never
        asks robots.txt (a webhook or an API is not crawled) and follows no redirect."""
        return self.request("POST", url, json=json, headers=headers, gate=gate, accept=accept)

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, headers: Mapping[str, str] | None = None,
                gate: str | None = None, accept: Container[int] = (200,),
                robots: bool = False) -> Response:
        try:
            # The URL's own query stays (an eTOC feed's `?jc=…&type=etoc`); params add to it.
            parsed = httpx.URL(url)
            request_url = str(parsed.copy_merge_params(dict(params)) if params else parsed)
        except httpx.InvalidURL as e:
            raise FetchError(url, f"not a valid URL ({e})", "check the link",
                             method=method) from None
        gate_name = gate or (urlsplit(url).netloc or "default")
        if robots and not self._robots_allow(request_url, gate_name):
            raise RobotsDisallowedError(
                request_url, f"robots.txt of {urlsplit(request_url).netloc} disallows it",
                "the site asks crawlers not to fetch this page")
        attempt = 0
        last_status: int | None = None
        last_body = b""
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = self._once(method, request_url, headers, json, gate_name)
            except _Retryable as e:
                problem = e.reason
            else:
                if response.status in accept:
                    return response
                if response.status not in RETRY_STATUSES:
                    raise HttpStatusError(
                        request_url, f"HTTP {response.status}: {_snippet(response.content)}",
                        _fix_for(response.status), status=response.status,
                        body=response.content, method=method)
                problem = f"HTTP {response.status}"
                # `Backoff` (seconds) is the Zotero API's own form of the hint
                retry_after = parse_retry_after(response.headers.get("retry-after")
                                                or response.headers.get("backoff"))
                last_status, last_body = response.status, response.content
            if attempt >= self.retry.max_attempts:
                status = last_status if problem.startswith("HTTP") else None
                raise HttpStatusError(
                    request_url, f"{problem} after {attempt} attempts" if attempt > 1 else problem,
                    "the server is overloaded or rate-limiting us; the next run will pick up "
                    "from the stored cursor", status=status,
                    body=last_body if status else b"", method=method)
            self.retries += 1
            self.sleep(self.retry.delay(attempt, retry_after))

    def _robots_allow(self, url: str, gate_name: str) -> bool:
        """Whether the site's robots.txt (fetched once per site) lets our User-Agent fetch
        `url`. No robots.txt, an error answer or an unreachable one allow (Scrapy's rule);
        401/403 disallow. A robots.txt redirecting into a private network is refused."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._robots:
            rules: list[str] = []  # no rules: everything allowed
            try:
                r = self.get(urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", "")),
                             gate=gate_name, accept=ANY_STATUS)
            except (RefusedAddressError, OfflineError):
                raise
            except FetchError:
                pass
            else:
                if r.status in (401, 403):
                    rules = ["User-agent: *", "Disallow: /"]
                elif r.status < 400:
                    rules = r.content.decode("utf-8", "replace").splitlines()
            parser = RobotFileParser()
            parser.parse(rules)
            self._robots[site] = parser
        return self._robots[site].can_fetch(self.user_agent, url)

    def _once(self, method: str, url: str, headers: Mapping[str, str] | None, json: Any,
              gate_name: str) -> Response:
        with self.gate(gate_name), deadline.within(self.deadline):
            self.requests += 1
            if self.on_request:
                self.on_request(gate_name, url)
            started = time.monotonic()
            try:
                with self._http().stream(method, url, headers=dict(headers or {}), json=json,
                                         follow_redirects=method == "GET") as r:
                    declared = r.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        raise BodyTooLargeError(url, f"body of {declared} bytes is over the "
                                                f"{self.max_bytes}-byte cap",
                                                "raise max_bytes if this is expected")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in r.iter_raw():
                        if time.monotonic() - started > self.deadline:  # an injected transport
                            raise self._late(method, url)
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise BodyTooLargeError(url, f"body over the {self.max_bytes}-byte cap",
                                                    "raise max_bytes if this is expected")
                        chunks.append(chunk)
                    raw = b"".join(chunks)
                    if declared and declared.isdigit() and len(raw) < int(declared) and \
                            not r.headers.get("content-encoding"):
                        raise _Retryable(f"truncated body ({len(raw)} of {declared} bytes)")
                    content = _decode(raw, r.headers.get("content-encoding"), url,
                                      self.max_bytes)
                    return Response(str(r.url), r.status_code, r.headers, content,
                                    time.monotonic() - started)
            except AddressRefused as e:
                raise RefusedAddressError(
                    url, f"refused: {e}", "a link to this machine or a private network is "
                    "never fetched; name the host in the config if it is a source") from None
            except httpx.TimeoutException as e:
                if deadline.passed():
                    raise self._late(method, url) from None
                text = f"{e} {e.__cause__ or ''} {e.__context__ or ''}"
                if isinstance(e, httpx.ConnectTimeout) and _OFFLINE_RE.search(text):
                    raise OfflineError(url, _short(e),
                                       "check the network or the source's base URL") from None
                if isinstance(e, httpx.ConnectTimeout):
                    raise _Retryable(f"connect timeout ({_short(e)})") from None
                raise _Retryable(f"timeout ({type(e).__name__})") from None
            except httpx.ConnectError as e:
                raise OfflineError(url, _short(e),
                                   "check the network or the source's base URL") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
                raise _Retryable(f"connection broken ({_short(e)})") from None
            except httpx.DecodingError as e:
                raise _Retryable(f"body could not be decoded ({_short(e)})") from None

    def _late(self, method: str, url: str) -> DeadlineError:
        return DeadlineError(url, f"no complete answer within the {self.deadline:g} s deadline "
                             "(the server sends too slowly)", "try again later",
                             method=method)


class _Retryable(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _decode(raw: bytes, encoding: str | None, url: str, max_bytes: int = 50_000_000) -> bytes:
    """Undo gzip/deflate ourselves (we read raw bytes to check them against Content-Length).

    The size cap holds for the decoded body too: a small gzip body must not inflate past it."""
    if not encoding or encoding.strip().lower() in ("identity", ""):
        return raw
    import zlib

    enc = encoding.strip().lower()

    def inflate(wbits: int) -> bytes:
        d = zlib.decompressobj(wbits)
        out = d.decompress(raw, max_bytes + 1)
        if len(out) > max_bytes or d.unconsumed_tail:
            raise BodyTooLargeError(url, f"{enc} body inflates past the {max_bytes}-byte cap",
                                    "raise max_bytes if this is expected")
        if not d.eof:
            raise zlib.error("incomplete or truncated stream")
        return out

    try:
        if enc in ("gzip", "x-gzip"):
            return inflate(16 + zlib.MAX_WBITS)
        if enc == "deflate":
            try:
                return inflate(zlib.MAX_WBITS)
            except zlib.error:
                return inflate(-zlib.MAX_WBITS)
    except zlib.error as e:
        raise _Retryable(f"truncated or corrupt {enc} body ({e})") from None
    raise FetchError(url, f"unsupported content-encoding {encoding!r}")


def _short(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return redact(text if len(text) < 160 else text[:157] + "...")


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    text = " ".join(text.split())
    return redact(text) or "(empty body)"


def _fix_for(status: int) -> str:
    if status in (401, 403):
        return "check the API key / credentials in the environment, or the source's limits"
    if status == 404:
        return "the resource does not exist (check the id or the base URL)"
    if status == 400:
        return "the query was rejected; check the configured terms, categories or filters"
    return ""
