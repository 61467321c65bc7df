"""Crawl boundaries the other suites leave open: the paper client's size cap.

Already covered elsewhere (not repeated): robots.txt disallow, off-domain redirects and the
news page size cap (tests/test_news_crawl.py), the paper client's cap on a plain body and on
a declared Content-Length (tests/test_papers_http.py::test_size_cap).
"""

from __future__ import annotations

import gzip
import zlib
from datetime import date
from pathlib import Path

import pytest

from spiders.http import BodyTooLargeError, HttpClient, RetryPolicy
from testing.replay import AnyLoopbackPort, ReplayServer, Reply

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


def client(**kw: object) -> HttpClient:
    return HttpClient(user_agent="seascout-test", retry=FAST, timeout=2.0,
                      trusted=AnyLoopbackPort(), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_small_compressed_body_cannot_inflate_past_the_cap(encoding: str) -> None:
    inflated = b"<feed>" + b" " * 2_000_000 + b"</feed>"
    body = gzip.compress(inflated) if encoding == "gzip" else zlib.compress(inflated)
    assert len(body) < 10_000  # a few kB on the wire, 2 MB once decoded
    with ReplayServer() as srv:
        srv.add("/bomb", Reply.raw(body, "application/xml", **{"Content-Encoding": encoding}))
        srv.add("/ok", Reply.raw(gzip.compress(b"<feed/>"), "application/xml",
                                 **{"Content-Encoding": "gzip"}))
        with client(max_bytes=100_000) as c:
            with pytest.raises(BodyTooLargeError, match="cap"):
                c.get(srv.url("/bomb"))
            assert c.get(srv.url("/ok")).content == b"<feed/>"  # small bodies still decode
        assert len(srv.hits("/bomb")) == 1  # over the cap is final, not retried


def test_a_truncated_gzip_body_is_retried() -> None:
    good = gzip.compress(b"<feed>" + b"x" * 1000 + b"</feed>")
    with ReplayServer() as srv:
        srv.add("/feed", [Reply.raw(good[: len(good) // 2], "application/xml",
                                    **{"Content-Encoding": "gzip"}),
                          Reply.raw(good, "application/xml", **{"Content-Encoding": "gzip"})])
        with client() as c:
            assert c.get(srv.url("/feed")).content.endswith(b"</feed>")
        assert len(srv.hits("/feed")) == 2


def test_an_oversized_source_answer_is_that_sources_error_and_the_others_go_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spiders.crawl import make_http_client, run_crawl
    from testing import fault_matrix as fm
    from warehouse.state import get_cursor

    with ReplayServer() as srv, fm.environment():
        fm.install(srv)
        srv.add("/rss/physics.ao-ph", Reply.raw(gzip.compress(b" " * 3_000_000),
                                                "application/rss+xml",
                                                **{"Content-Encoding": "gzip"}))
        settings = fm.make_settings(tmp_path, srv.base_url)
        wh = fm.fresh_warehouse(tmp_path)
        http = make_http_client(settings, retry=FAST, max_bytes=1_000_000)
        with http:
            reports = {r.source: r for r in run_crawl(settings, wh, http=http,
                                                      until=date(2026, 1, 8))}
    assert "cap" in reports["arxiv_rss"].errors[0]
    assert get_cursor(wh, "arxiv_rss", "physics.ao-ph") is None
    assert all(not r.errors for name, r in reports.items() if name != "arxiv_rss"), reports
