"""A loopback replay server: recorded responses by request, with faults on demand.

Every paper source takes a configurable base URL, so tests, the bench and the offline demo
point the real clients at this server instead of the internet.

    from testing.replay import Reply, ReplayServer

    with ReplayServer() as srv:                      # 127.0.0.1, a free port, own thread
        srv.add("/api/query", Reply.file("tests/fixtures/papers/arxiv_api/x.xml"))
        srv.add("/works", [Reply.error(429, retry_after=1), Reply.json({...})],
                query={"cursor": "*"})               # fault once, then the good answer
        srv.add("/dyn", handler=lambda req: Reply.text(req.query["q"]))
        url = srv.url("/api/query")                  # http://127.0.0.1:PORT/api/query
        ...
        srv.requests                                 # [Recorded(method, path, query, headers, at)]
        srv.gaps("/api/query")                       # seconds between consecutive requests

Matching: a route matches on method and exact path; `query` (optional) lists parameters that
must be present with those values (a value of `ANY` only needs the parameter present). The
route with the most matching query parameters wins; ties go to the one added last. A route
serves its replies in order and keeps repeating the last one. No match → 404 with a body
naming the request, so a missing fixture fails loudly.

Faults (`Reply` constructors): `error(429|500|503, retry_after=…)`, `reset()` (the connection
is closed with RST before any answer), `slow(seconds, reply)` (answer after a delay, for
client timeouts), `truncated(body)` (Content-Length promises more than is sent),
`malformed(content_type)` (a broken XML/JSON body), and for arXiv `arxiv_empty_page(total)`
(the spurious empty Atom page with totalResults > 0). Duplicates across pages are simply
pages whose bodies share entries.

`ArxivSimulator` is a handler that answers date-window arXiv searches over N synthetic
records, with arXiv's 30000 cap and optional spurious empty pages (used by the bench).
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as xml_escape

ANY = object()  # a query value that matches any value of a present parameter


@dataclass
class Reply:
    """One response (or fault) the server sends."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # None, "reset", "truncate"
    delay: float = 0.0  # seconds to wait before answering

    # -- constructors --------------------------------------------------------------------
    @classmethod
    def raw(cls, body: bytes, content_type: str = "application/octet-stream",
              status: int = 200, **headers: str) -> Reply:
        return cls(status, body, {"Content-Type": content_type, **headers})

    @classmethod
    def file(cls, path: str | Path, content_type: str | None = None, status: int = 200) -> Reply:
        p = Path(path)
        ctype = content_type or _guess_type(p.name)
        return cls(status, p.read_bytes(), {"Content-Type": ctype})

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                        **headers})

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode(), {"Content-Type": content_type})

    @classmethod
    def status_only(cls, status: int, retry_after: str | float | None = None,
                    body: bytes = b"") -> Reply:
        headers = {"Content-Type": "text/plain"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return cls(status, body or f"status {status}".encode(), headers)

    @classmethod
    def error(cls, status: int, retry_after: str | float | None = None) -> Reply:
        return cls.status_only(status, retry_after)

    @classmethod
    def reset(cls) -> Reply:
        return cls(fault="reset")

    @classmethod
    def slow(cls, seconds: float, reply: Reply | None = None) -> Reply:
        r = reply or cls.text("late")
        return cls(r.status, r.body, dict(r.headers), r.fault, seconds)

    @classmethod
    def truncated(cls, body: bytes, content_type: str = "application/octet-stream") -> Reply:
        return cls(200, body, {"Content-Type": content_type}, fault="truncate")

    @classmethod
    def malformed(cls, content_type: str = "application/xml") -> Reply:
        body = b"<?xml version='1.0'?><feed><entry><title>cut" if "xml" in content_type \
            else b'{"status": "ok", "message": {"items": [{"DOI": '
        return cls(200, body, {"Content-Type": content_type})

    @classmethod
    def arxiv_empty_page(cls, total: int = 1000, start: int = 0, per_page: int = 1000) -> Reply:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
            '  <id>https://arxiv.org/api/spurious</id>\n  <title>arXiv Query</title>\n'
            '  <updated>2026-01-01T00:00:00Z</updated>\n'
            f'  <opensearch:totalResults>{total}</opensearch:totalResults>\n'
            f'  <opensearch:startIndex>{start}</opensearch:startIndex>\n'
            f'  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n</feed>\n'
        )
        return cls(200, body.encode(), {"Content-Type": "application/atom+xml"})


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic() when the request line was read


@dataclass
class Route:
    method: str
    path: str
    query: Mapping[str, Any] | None
    replies: list[Reply]
    handler: Callable[[Recorded], Reply] | None = None
    hits: int = 0

    def matches(self, req: Recorded) -> int | None:
        """A score (higher wins) or None. A path ending in `*` matches as a prefix and loses
        to an exact path with the same query constraints."""
        prefix = self.path.endswith("*")
        if req.method != self.method or not (
                req.path.startswith(self.path[:-1]) if prefix else req.path == self.path):
            return None
        for k, v in (self.query or {}).items():
            if k not in req.query or (v is not ANY and req.query[k] != str(v)):
                return None
        return 2 * len(self.query or {}) + (0 if prefix else 1)

    def next_reply(self, req: Recorded) -> Reply:
        self.hits += 1
        if self.handler is not None:
            return self.handler(req)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class AnyLoopbackPort:
    """`HttpClient(trusted=AnyLoopbackPort())`: every port of 127.0.0.1 counts as a configured
    source, for a client a test builds by hand to talk to its own replay servers. (The
    product's client trusts only the hosts its config names; see spiders/address_guard.py.)"""

    def __contains__(self, origin: object) -> bool:
        return isinstance(origin, tuple) and bool(origin) and origin[0] == "127.0.0.1"


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 that replays `Reply`s and records requests."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[Recorded] = []
        self.unmatched: list[Recorded] = []  # requests no route answered (a missing recording)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> ReplayServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="replay",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    # -- routes -------------------------------------------------------------------------
    def add(self, path: str, replies: Reply | Sequence[Reply] | None = None, *,
            method: str = "GET", query: Mapping[str, Any] | None = None,
            handler: Callable[[Recorded], Reply] | None = None) -> Route:
        """Serve `replies` (in order, the last repeating) or `handler(request)` at `path`
        (`/prefix/*` matches every path under the prefix)."""
        if handler is None and not replies:
            raise ValueError("give replies or a handler")
        items = [replies] if isinstance(replies, Reply) else list(replies or [])
        route = Route(method.upper(), path, query, items, handler)
        with self._lock:
            self.routes.append(route)
        return route

    def clear(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def _dispatch(self, req: Recorded) -> Reply:
        with self._lock:
            self.requests.append(req)
            best: tuple[int, int, Route] | None = None
            for i, route in enumerate(self.routes):
                score = route.matches(req)
                if score is not None and (best is None or (score, i) >= best[:2]):
                    best = (score, i, route)
            if best is None:
                self.unmatched.append(req)
                return Reply.text(f"replay: no route for {req.method} {req.path} {req.query}",
                                  status=404)
            route = best[2]
        return route.next_reply(req)

    # -- inspection ---------------------------------------------------------------------
    def hits(self, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if path is None or r.path == path]

    def gaps(self, path: str | None = None, paths: Sequence[str] | None = None) -> list[float]:
        """Seconds between consecutive requests (to `path`, to any of `paths`, or to all)."""
        wanted = set(paths) if paths else ({path} if path else None)
        times = [r.at for r in self.requests if wanted is None or r.path in wanted]
        return [b - a for a, b in itertools.pairwise(times)]


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _serve(self) -> None:
            at = time.monotonic()
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            req = Recorded(self.command, parts.path, dict(parse_qsl(parts.query, True)),
                           {k.lower(): v for k, v in self.headers.items()}, at)
            reply = server._dispatch(req)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.fault == "reset":
                # SO_LINGER 0 → close() sends RST: the client sees "connection reset".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            body = reply.body
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            declared = len(body) * 2 + 100 if reply.fault == "truncate" else len(body)
            self.send_header("Content-Length", str(declared))
            if reply.fault == "truncate":
                self.send_header("Connection", "close")
            self.end_headers()
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except OSError:
                pass
            if reply.fault == "truncate":
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve
        do_HEAD = _serve

    return Handler


def _guess_type(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".xml"):
        return "application/xml"
    if name.endswith(".txt"):
        return "text/plain"
    return "application/octet-stream"


@dataclass(frozen=True)
class SimRecord:
    """One arXiv record the simulator serves (real metadata for the bench and the demo)."""

    arxiv_id: str
    submitted: datetime
    title: str = ""
    abstract: str = ""
    categories: tuple[str, ...] = ("physics.ao-ph",)
    authors: tuple[str, ...] = ("A. Author",)
    version: int = 1


class ArxivSimulator:
    """A route handler that behaves like export.arxiv.org/api/query for date-window searches.

    It holds `n` synthetic records submitted every `step` from `first` (or the given
    `records`), answers ``[cat:A OR cat:B …] AND submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]``
    sorted by submission date ascending — a `cat:` term matches a record listing that
    category anywhere, as arXiv's does — pages with `start`/`max_results`, and refuses
    `start + max_results > cap` with arXiv's HTTP 400 Atom error feed. `spurious` lists
    request numbers (1-based) answered with the spurious empty page instead.

        srv.add("/api/query", handler=ArxivSimulator(5000))
    """

    def __init__(self, n: int = 0, *, first: datetime | None = None,
                 step: timedelta = timedelta(minutes=7), cap: int = 30000,
                 spurious: Sequence[int] = (), records: Sequence[SimRecord] | None = None) -> None:
        if records is None:
            start = first or datetime(2024, 1, 1, 0, 5)
            records = [SimRecord(f"{(start + i * step):%y%m}.{i + 1:05d}", start + i * step)
                       for i in range(n)]
        self.records = sorted(records, key=lambda r: (r.submitted, r.arxiv_id))
        self._minutes = [f"{r.submitted:%Y%m%d%H%M}" for r in self.records]  # sorted
        self.cap = cap
        self.spurious = set(spurious)
        self.calls = 0

    def __call__(self, req: Recorded) -> Reply:
        self.calls += 1
        query = req.query.get("search_query", "")
        start = int(req.query.get("start", "0"))
        size = int(req.query.get("max_results", "10"))
        if start + size > self.cap:
            return Reply.raw(_arxiv_error_feed("start + max_results exceeds the 30000 limit"),
                             "application/atom+xml", status=400)
        m = re.search(r"submittedDate:\[(\d{12}) TO (\d{12})\]", query)
        lo, hi = (m.group(1), m.group(2)) if m else ("000000000000", "999999999999")
        a, b = bisect.bisect_left(self._minutes, lo), bisect.bisect_right(self._minutes, hi)
        hits = self.records[a:b]
        cats = set(re.findall(r"\bcat:([\w.-]+)", query.split("ANDNOT")[0]))
        if cats:
            hits = [r for r in hits if cats.intersection(r.categories)]
        if self.calls in self.spurious:
            return Reply.arxiv_empty_page(len(hits), start, size)
        return Reply.raw(arxiv_feed(hits[start:start + size], len(hits), start, size),
                         "application/atom+xml")


def arxiv_feed(records: Sequence[SimRecord | tuple[str, datetime] | tuple[str, datetime, str]],
               total: int, start: int = 0, per_page: int = 10) -> bytes:
    """A current-format arXiv Atom page for records ((id, submitted[, title]) or SimRecord)."""
    entries = []
    for rec in records:
        if not isinstance(rec, SimRecord):
            arxiv_id, when, *title = rec
            rec = SimRecord(arxiv_id, when, title[0] if title else "")
        stamp = f"{rec.submitted:%Y-%m-%dT%H:%M:%SZ}"
        text = rec.title or f"Synthetic ocean foundation model study {rec.arxiv_id}"
        summary = rec.abstract or f"A synthetic abstract about ocean forecasting ({rec.arxiv_id})."
        authors = "".join(f"<author><name>{xml_escape(a)}</name></author>" for a in rec.authors)
        cats = "".join(f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>'
                       for c in rec.categories)
        entries.append(
            f"<entry><id>http://arxiv.org/abs/{rec.arxiv_id}v{rec.version}</id>"
            f"<title>{xml_escape(text)}</title>"
            f"<updated>{stamp}</updated><published>{stamp}</published>"
            f"<summary>{xml_escape(summary)}</summary>{authors}{cats}"
            f'<arxiv:primary_category term="{rec.categories[0]}"/></entry>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom"><id>https://arxiv.org/api/sim</id>'
        '<title>arXiv Query</title><updated>2026-01-01T00:00:00Z</updated>'
        f'<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>'
        f'<opensearch:totalResults>{total}</opensearch:totalResults>'
        f'<opensearch:startIndex>{start}</opensearch:startIndex>'
        + "".join(entries) + "</feed>"
    ).encode()


def _arxiv_error_feed(message: str) -> bytes:
    slug = re.sub(r"\W+", "_", message)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><id>https://arxiv.org/</id>'
        '<title>arXiv Search Results</title><updated>2026-01-01T00:00:00Z</updated>'
        '<opensearch:itemsPerPage>1</opensearch:itemsPerPage>'
        '<opensearch:totalResults>1</opensearch:totalResults>'
        '<opensearch:startIndex>0</opensearch:startIndex>'
        f'<entry><id>https://arxiv.org/api/errors#{slug}</id><title>Error</title>'
        f'<updated>2026-01-01T00:00:00Z</updated><summary>{message}</summary>'
        '<author><name>arXiv api core</name></author></entry></feed>'
    ).encode()
