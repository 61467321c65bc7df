"""RSS/Atom news feeds (`sources.news.feeds`): pure parsing and a loopback run."""

from __future__ import annotations

import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seascout.core.config import Config, FeedConfig, NewsConfig, Settings, SourcesConfig
from seascout.core.model import Kind, LinkKind
from spiders.news.feeds import FeedError, parse_feed
from spiders.news_runner import run_news

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Ocean news</title><language>en</language>
<item><title>AI model forecasts El Niño a year ahead</title>
<link>https://news.example.org/2026/ai-enso?utm_source=rss</link>
<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Code: &lt;a href="https://github.com/lab/enso-fm"&gt;repo&lt;/a&gt;,
paper doi:10.1038/s41586-026-00001-1&lt;/p&gt;</description></item>
<item><title>Old story</title><link>https://news.example.org/2020/old</link>
<pubDate>Mon, 02 Mar 2020 10:00:00 GMT</pubDate></item>
<item><title>A paper entry</title><link>https://arxiv.org/abs/2401.00001</link></item>
</channel></rss>""".encode()


def test_parse_feed_builds_news_works() -> None:
    unusable: list[str] = []
    works = parse_feed(RSS, name="sci", url="https://news.example.org/rss",
                       fetched_at=datetime(2026, 11, 20), unusable=unusable)
    assert [w.title for w in works] == ["AI model forecasts El Niño a year ahead", "Old story"]
    assert unusable == ["https://arxiv.org/abs/2401.00001: a paper's own entry (arXiv/DOI link)"]
    w = works[0]
    assert w.ids == ["url:https://news.example.org/2026/ai-enso"] and w.kind is Kind.NEWS
    assert w.published == date(2026, 11, 16) and w.language == "en"
    assert {(ln.kind, ln.url) for ln in w.links} == {
        (LinkKind.CODE, "https://github.com/lab/enso-fm"),
        (LinkKind.PAPER, "https://doi.org/10.1038/s41586-026-00001-1")}
    assert w.provenance[0].source == "news:sci"
    with pytest.raises(FeedError):
        parse_feed(b"<html>not a feed", name="x", url="u", fetched_at=datetime(2026, 1, 1))


def test_feed_run_filters_by_since_and_reports_failures(tmp_path: Path, warehouse) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            ok = self.path == "/rss"
            self.send_response(200 if ok else 500)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(RSS if ok else b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        news = NewsConfig(disabled_sites=["cas", "qdio", "soed", "ccf", "science_china", "cnii"],
                          feeds=[FeedConfig(name="sci", url=f"{base}/rss", kind="news"),
                                 FeedConfig(name="broken", url=f"{base}/down", kind="news")])
        settings = Settings(config=Config(sources=SourcesConfig(news=news)), home=tmp_path,
                            root=tmp_path, config_path=None)
        reports = {r.source: r for r in run_news(settings, warehouse, since=date(2026, 1, 1))}
    finally:
        server.shutdown()
        server.server_close()
    assert reports["news:sci"].fetched == 2 and reports["news:sci"].new == 1
    assert reports["news:broken"].errors == [f"HTTP 500 for {base}/down"]
    with warehouse.read() as con:
        assert con.execute("SELECT value FROM cursors WHERE source = 'news:sci'").fetchall() == [
            ("2026-11-16",)]
