"""End-to-end news crawls with the real Scrapy engine (subprocess) against a loopback site
built from the real Chinese pages: listing + articles + robots.txt, a redirect to another
host, a huge page, a page without a date, a site that is down, and dedupe across runs."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seascout.core.config import Config, NewsConfig, NewsSiteConfig, Settings, SourcesConfig
from spiders.news_runner import run_news

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "news"
CMSE = "cmse_china_manned_space_press_conference_2012.html"
GSC = "gsc_geographical_society_of_china_news_2019.html"
PEOPLE = "people_com_cn_culture_2019.html"

NO_DATE_PAGE = (
    "<html><head><meta charset='utf-8'><title>无日期的新闻_某研究所</title></head><body>"
    "<h1>海洋大模型研讨会召开</h1><div class='TRS_Editor'><p>"
    + "会议讨论了海洋基础模型与遥感大模型的最新进展，代码见 "
    "<a href='https://github.com/example/ocean-fm'>GitHub</a>，论文 arXiv:2308.03152。" * 3
    + "</p></div></body></html>"
).encode()


class Site:
    """What the loopback server serves; `paths` records every path requested."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.port = 0
        self.listing_has_links = True
        self.inside = ""  # an article link on `/inside/` that points into this machine

    def listing(self) -> bytes:
        links = [
            "/202306/t20230630_1.shtml", "/202306/t20230629_2.shtml", "/202306/t20230628_3.shtml",
            "/private/202306/t20230627_4.shtml", "/202306/t20230626_5.shtml",
            "/202306/t20230625_6.shtml", "/202306/t20230624_7.shtml",
        ] if self.listing_has_links else []
        items = "".join(f"<li><a href='{u}'>文章 {i}</a></li>" for i, u in enumerate(links))
        return (f"<html><head><meta charset='utf-8'><title>要闻</title></head><body><ul>{items}"
                "<li><a href='/about.html'>关于我们</a></li></ul></body></html>").encode()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, ctype: str = "text/html; charset=utf-8",
                  status: int = 200, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the size cap hangs up on us
                self.wfile.write(body)

        def do_GET(self) -> None:
            site.paths.append(self.path)
            p = self.path
            if p == "/robots.txt":
                self._send(b"User-agent: *\nDisallow: /private/\n", "text/plain")
            elif p == "/news/":
                self._send(site.listing())
            elif p == "/empty/":
                self._send(b"<html><body><a href='/about.html'>about</a></body></html>")
            elif p == "/inside/":
                self._send(f"<html><body><a href='{site.inside}'>seminar</a></body></html>".encode())
            elif p == "/lab/":
                self._send(b"<html><body><a href='/a/7.html'>seminar</a></body></html>")
            elif p == "/a/7.html":
                self._send(NO_DATE_PAGE)
            elif p == "/202306/t20230630_1.shtml":
                self._send((FIXTURES / CMSE).read_bytes())
            elif p == "/202306/t20230629_2.shtml":
                self._send((FIXTURES / GSC).read_bytes())
            elif p == "/202306/t20230628_3.shtml":  # the header lies like the page does
                self._send((FIXTURES / PEOPLE).read_bytes(), "text/html; charset=GB2312")
            elif p.startswith("/private/"):
                self._send((FIXTURES / GSC).read_bytes())
            elif p == "/202306/t20230626_5.shtml":
                self._send(b"", status=302, extra={
                    "Location": f"http://localhost:{site.port}/202306/t20230626_5.shtml"})
            elif p == "/202306/t20230625_6.shtml":
                self._send(b"<html><body>" + b"x" * 1_200_000 + b"</body></html>")
            elif p == "/202306/t20230624_7.shtml":
                self._send(NO_DATE_PAGE)
            else:
                self._send(b"not found", status=404)

    return Handler


@pytest.fixture
def loopback() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def _settings(tmp_path: Path, **news: object) -> Settings:
    config = Config(sources=SourcesConfig(news=NewsConfig(
        download_delay=0, max_page_bytes=1_000_000, **news)))  # type: ignore[arg-type]
    return Settings(config=config, home=tmp_path, root=tmp_path, config_path=None)


def _rows(warehouse, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    with warehouse.read() as con:
        return con.execute(sql).fetchall()


def test_crawl_stores_articles_obeys_robots_and_reports(tmp_path, warehouse, loopback) -> None:
    settings = _settings(tmp_path)
    base = f"http://127.0.0.1:{loopback.port}"
    reports = run_news(settings, warehouse, since=date(2000, 1, 1), sites=["cas", "qdio"],
                       site_overrides={"cas": [f"{base}/news/"],
                                       "qdio": ["http://127.0.0.1:9/news/"]}, run_id="r1")
    by = {r.source: r for r in reports}
    cas, qdio = by["news:cas"], by["news:qdio"]

    # the site that is down is an error for that site only
    assert qdio.errors and qdio.stored == 0
    assert cas.ok, cas.errors
    # cmse + gsc + people + the page without a date
    assert cas.fetched == 4 and cas.new == 4
    assert cas.requests >= 6
    key = f"url:https://127.0.0.1:{loopback.port}"  # URL keys fold http into https
    rows = dict((r[0], r[1:]) for r in _rows(
        warehouse, "SELECT work_id, title, published, kind, language, abstract FROM works"))
    assert rows[f"{key}/202306/t20230630_1.shtml"][:2] == (
        "天宫一号与神舟九号载人交会对接任务第二场新闻发布会", date(2012, 6, 24))
    assert rows[f"{key}/202306/t20230629_2.shtml"][1] == date(2019, 5, 18)
    people = rows[f"{key}/202306/t20230628_3.shtml"]
    assert people[0] == "女儿出嫁，郑板桥画了几笔兰花当嫁妆"  # decoded despite the GB2312 lie
    assert "父亲节" in people[4] and people[2] == "news" and people[3] == "zh"
    # no date in the page: the TRS URL's date is the fallback
    assert rows[f"{key}/202306/t20230624_7.shtml"][1] == date(2023, 6, 24)

    # robots.txt: the disallowed path was never requested
    assert "/robots.txt" in loopback.paths
    assert not any(p.startswith("/private/") for p in loopback.paths)
    assert any("robots.txt" in w for w in cas.warnings)
    # the redirect to another host was not followed, the huge page was dropped with a warning
    assert f"url:https://localhost:{loopback.port}/202306/t20230626_5.shtml" not in rows
    assert f"{key}/202306/t20230625_6.shtml" not in rows
    assert any("size cap" in w for w in cas.warnings)

    # body links: code and paper links, never the paper's key on the news item
    links = _rows(warehouse, "SELECT url, kind FROM links WHERE work_id = "
                             f"'{key}/202306/t20230624_7.shtml'")
    assert ("https://github.com/example/ocean-fm", "code") in links
    assert ("https://arxiv.org/abs/2308.03152", "paper") in links
    ids = _rows(warehouse, "SELECT id FROM work_ids WHERE id LIKE 'arxiv:%'")
    assert ids == []

    # cursor and run errors
    cursor = _rows(warehouse, "SELECT value FROM cursors WHERE source = 'news:cas'")
    assert cursor == [("2023-06-24",)]  # the newest stored date
    logged = _rows(warehouse, "SELECT source, level FROM run_errors WHERE run_id = 'r1'")
    assert ("news:qdio", "error") in logged

    # second run: nothing new (dedupe by URL), cursor filters the old pages
    loopback.paths.clear()
    again = run_news(settings, warehouse, sites=["cas"],
                     site_overrides={"cas": [f"{base}/news/"]})
    assert again[0].new == 0 and again[0].ok
    assert _rows(warehouse, "SELECT count(*) FROM works") == [(4,)]


def test_generic_sites_undated_page_and_zero_articles(tmp_path, warehouse, loopback) -> None:
    lab = NewsSiteConfig(name="lab", start_urls=["https://lab.example.org/lab/"],
                         allowed_domains=["lab.example.org"], article_pattern=r"/a/\d+\.html$")
    empty = NewsSiteConfig(name="empty", start_urls=["https://empty.example.org/empty/"],
                           allowed_domains=["empty.example.org"],
                           article_pattern=r"/t\d{8}_\d+\.shtml$")
    settings = _settings(tmp_path, sites=[lab, empty])
    base = f"http://127.0.0.1:{loopback.port}"
    reports = run_news(settings, warehouse, sites=["lab", "empty"],
                       site_overrides={"lab": [f"{base}/lab/"], "empty": [f"{base}/empty/"]})
    by = {r.source: r for r in reports}
    # a page without any date is kept (dedupe by URL protects later runs) and reported
    assert by["news:lab"].ok and by["news:lab"].new == 1
    assert any("without a publication date" in w for w in by["news:lab"].warnings)
    stored = _rows(warehouse, "SELECT title, published FROM works")
    assert stored == [("海洋大模型研讨会召开", None)]
    # a listing with no article links is a warning, never a silent success
    assert by["news:empty"].ok and by["news:empty"].fetched == 0
    assert any("layout may have changed" in w for w in by["news:empty"].warnings)


def test_cli_add_fetches_extracts_and_stores(tmp_path, loopback, monkeypatch) -> None:
    from typer.testing import CliRunner

    from seascout.app.cli import app
    from warehouse.db import Warehouse

    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    base = f"http://127.0.0.1:{loopback.port}"
    runner = CliRunner()
    ok = runner.invoke(app, ["add", f"{base}/202306/t20230629_2.shtml"])
    assert ok.exit_code == 0, ok.output
    assert "2019年中国人文地理学术年会" in ok.output and "new" in ok.output
    again = runner.invoke(app, ["add", f"{base}/202306/t20230629_2.shtml"])
    assert again.exit_code == 0 and "already stored" in again.output
    refused = runner.invoke(app, ["add", f"{base}/private/202306/t20230627_4.shtml"])
    assert refused.exit_code == 1 and "robots.txt" in refused.output
    assert not any(p.startswith("/private/") for p in loopback.paths)
    wh = Warehouse(tmp_path / "seascout.duckdb")
    with wh.read() as con:
        rows = con.execute("SELECT w.published, p.source FROM works w "
                           "JOIN provenance p USING (work_id)").fetchall()
    assert rows == [(date(2019, 5, 18), "manual")]


def test_cli_add_and_sql_print_crawled_text_as_text(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rich markup in a crawled title (issue 23, finding 9): `[/b]` crashed `seascout add` and
    `seascout sql` with a MarkupError; `[link=…]` became a terminal hyperlink."""
    from typer.testing import CliRunner

    from seascout.app.cli import app
    from testing.replay import ReplayServer, Reply

    title = "海洋大模型[/b]研讨会 [link=file:///etc/passwd]点此[/link]"
    page = NO_DATE_PAGE.replace("<h1>海洋大模型研讨会召开</h1>".encode(), f"<h1>{title}</h1>".encode())
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    with ReplayServer() as srv:
        srv.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
        srv.add("/a/9.html", Reply.raw(page, "text/html; charset=utf-8"))
        added = runner.invoke(app, ["add", srv.url("/a/9.html")])
    assert added.exit_code == 0, added.output
    assert "[/b]研讨会 [link=file:///etc/passwd]点此[/link]" in added.output
    shown = runner.invoke(app, ["sql", "SELECT title FROM works"])
    assert shown.exit_code == 0, shown.output
    assert "[/b]研讨会" in shown.output and "[link=file:///etc/passwd]" in shown.output


def test_a_listing_link_into_this_machine_is_not_followed(tmp_path, warehouse, loopback) -> None:  # type: ignore[no-untyped-def]
    """A news listing (within allowed_domains) linking to another port of this machine
    (issue 23, finding 1): the article is never requested; the crawl says why."""
    from testing.replay import ReplayServer, Reply

    with ReplayServer() as internal:
        internal.add("/a/8.html", Reply.raw(NO_DATE_PAGE, "text/html; charset=utf-8"))
        loopback.inside = internal.url("/a/8.html")
        lab = NewsSiteConfig(name="lab", start_urls=["https://lab.example.org/inside/"],
                             allowed_domains=["lab.example.org"], article_pattern=r"/a/\d+\.html$")
        settings = _settings(tmp_path, sites=[lab])
        base = f"http://127.0.0.1:{loopback.port}"
        (report,) = run_news(settings, warehouse, sites=["lab"],
                             site_overrides={"lab": [f"{base}/inside/"]})
        assert not internal.hits()
    assert report.new == 0
