"""A figure per digest entry: the pure parses on pages of the real shapes, image validation,
and the digest end to end against the loopback replay server — stored once, shown in every
format, faults reported once and never failing the digest."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from digests.figure_fetch import digest_with_figures
from seascout.core.config import (
    Config,
    DeliveryConfig,
    DigestConfig,
    EmailConfig,
    FilesConfig,
    Settings,
    SourcesConfig,
)
from seascout.core.ids import url_key
from seascout.core.model import Kind, Link, LinkKind, Work
from seascout.core.period import parse_period
from spiders.figures import MAX_WIDTH, FigureError, first_figure, lead_image, validate_image
from testing.replay import AnyLoopbackPort, ReplayServer, Reply
from warehouse.db import Warehouse
from warehouse.works import upsert_works

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LATEXML = FIXTURES / "figures" / "arxiv_html_latexml_shape.html"
CMSE = FIXTURES / "news" / "cmse_china_manned_space_press_conference_2012.html"
SINA = FIXTURES / "external" / "news_html" / "gne_sina_4.html"
GSC = FIXTURES / "news" / "gsc_geographical_society_of_china_news_2019.html"
PERIOD = "2026-W48"


def png(width: int = 640, height: int = 360, colour: str = "#1f6feb") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#2da44e").save(out, "JPEG")
    return out.getvalue()


# -- pure parses ---------------------------------------------------------------------------
def test_first_figure_of_a_latexml_page_skips_tables_icons_and_logos() -> None:
    html = LATEXML.read_bytes()
    # <base href="/html/2611.00001v1/"> decides, whatever URL the page came from
    assert first_figure(html, "https://arxiv.org/html/2611.00001") == \
        "https://arxiv.org/html/2611.00001v1/x1.png"
    without_base = html.replace(b'<base href="/html/2611.00001v1/"/>', b"")
    assert first_figure(without_base, "https://arxiv.org/html/2611.00001v2/") == \
        "https://arxiv.org/html/2611.00001v2/x1.png"
    assert first_figure(b"<html><body><img src='a.png'></body></html>", "https://x.org/") is None
    assert first_figure(b"", "https://x.org/") is None


def test_lead_image_of_real_news_pages() -> None:
    # og:image, protocol-relative (sina)
    assert lead_image(SINA.read_bytes(), "https://tech.sina.com.cn/a.shtml") == \
        "https://n.sinaimg.cn/tech/transform/667/w400h267/20190911/d507-iekuaqt6896952.png"
    # no og:image: the article body's first image, relative to the page (TRS CMS page)
    assert lead_image(CMSE.read_bytes(), "http://www.cmse.gov.cn/news/201206/t1.html") == \
        "http://www.cmse.gov.cn/news/201206/W020200310838318651557.jpg"
    # an absolute image URL in the body stays as written
    assert lead_image(GSC.read_bytes(), "http://www.gsc.org.cn/n/1.html") == \
        "http://39.106.100.202/upload/image/day_20190518636938021483236165.jpg"
    assert lead_image(b"<html><body><p>no image here at all, only text.</p></body></html>",
                      "https://x.org/") is None


def test_validate_image_accepts_figures_and_refuses_the_rest() -> None:
    small = validate_image(jpeg())
    assert (small.ext, small.width, small.height) == ("jpg", 400, 300)
    wide = validate_image(png(2400, 1200))
    assert (wide.ext, wide.width, wide.height) == ("png", MAX_WIDTH, 600)
    assert Image.open(io.BytesIO(wide.data)).size == (MAX_WIDTH, 600)
    gif = io.BytesIO()
    Image.new("P", (100, 80)).save(gif, "GIF")
    assert validate_image(gif.getvalue()).ext == "png"  # stored as what every format shows
    for bad, why in ((b"<html>not found</html>", "not a PNG"),
                     (png()[:60], "cannot be decoded"),  # a truncated PNG
                     (png(16, 16), "icon"),
                     (b"", "empty"),
                     (png(), "limit")):
        with pytest.raises(FigureError, match=why):
            validate_image(bad, **({"max_bytes": 100} if why == "limit" else {}))


def test_a_public_page_cannot_point_the_fetcher_at_this_machine() -> None:
    from spiders.figures import FigureFetcher
    from spiders.http import HttpClient

    class NoNetwork(HttpClient):
        def get(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def, override]
            raise AssertionError("nothing may be fetched")

    fetcher = FigureFetcher(NoNetwork(user_agent="t"), "t")
    for target in ("http://127.0.0.1:8080/admin.png", "http://169.254.169.254/latest/x.png",
                   "http://10.0.0.7/a.png", "http://localhost/a.png"):
        with pytest.raises(FigureError, match="private address"):
            fetcher.image(target)


def test_robots_crawl_delay_spaces_the_requests() -> None:
    from spiders.figures import FigureFetcher
    from spiders.http import HttpClient

    with ReplayServer() as srv:
        srv.add("/robots.txt", Reply.text("User-agent: *\nCrawl-delay: 1\nAllow: /html\n"))
        srv.add("/html/2611.00001", Reply.file(LATEXML, "text/html; charset=utf-8"))
        srv.add("/html/2611.00001v1/x1.png", Reply.raw(png(), "image/png"))
        with HttpClient(user_agent="seascout-test", trusted=AnyLoopbackPort()) as http:
            figure = FigureFetcher(http, "seascout-test").arxiv_figure(
                srv.url("/html/2611.00001"))
    assert figure is not None and figure.image.width == 640
    assert [h.path for h in srv.hits()] == ["/robots.txt", "/html/2611.00001",
                                            "/html/2611.00001v1/x1.png"]
    assert min(srv.gaps()) >= 0.9  # robots.txt, page, image: a second apart


# -- end to end ----------------------------------------------------------------------------
def make_settings(tmp_path: Path, base: str, *, email_port: int | None = None,
                  formats: list[str] | None = None) -> Settings:
    cfg = Config(
        sources=SourcesConfig.model_validate({"arxiv": {"min_interval_seconds": 0.0}}),
        digest=DigestConfig(formats=formats or ["md", "html"], arxiv_html_url=f"{base}/html/"),
        delivery=DeliveryConfig(
            email=EmailConfig(enabled=email_port is not None, host="127.0.0.1",
                              port=email_port or 25, security="none",
                              sender="seascout@example.org", recipients=["lab@example.org"]),
            files=FilesConfig(enabled=False)))
    return Settings(config=cfg, home=tmp_path / "home", root=tmp_path, config_path=None)


def seed(wh: Warehouse, base: str) -> None:
    lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
    works = [
        Work(ids=["arxiv:2611.00001"], title="SeaWave-FM: A Wave-Aware Foundation Model",
             kind=Kind.PREPRINT, abstract="We forecast waves.\n\nWith a foundation model."),
        Work(ids=["arxiv:2611.00002"], title="NoHtml-Net: ocean model without an HTML version",
             kind=Kind.PREPRINT, abstract="No HTML version exists.",
             links=[Link(LinkKind.PROJECT, f"{base}/project/")]),
        Work(ids=["doi:10.3390/rs99999999"], title="ShipNet: a journal paper, no preprint",
             kind=Kind.PAPER, abstract="Published in a journal only."),  # nothing to ask
        Work(ids=[f"url:{base}/news/t1.html"], title="海洋大模型研讨会召开", kind=Kind.NEWS,
             language="zh", abstract="第一段：海洋大模型研讨会召开。\n\n第二段：会议讨论了遥感大模型。",
             links=[Link(LinkKind.NEWS, f"{base}/news/t1.html")]),
    ]
    upsert_works(wh, works, now=lo + timedelta(days=2))
    with wh.write() as con:
        con.executemany("INSERT INTO sections VALUES (?, ?, ?, '') ON CONFLICT DO NOTHING",
                        [(1, "海洋大模型", "ocean_models"), (5, "相关论坛/资讯", "news")])
        for w in works:
            con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now())",
                        [w.ids[0], "news" if w.kind is Kind.NEWS else "ocean_models"])


def serve(srv: ReplayServer, *, project_image: Reply | None = None) -> None:
    srv.add("/robots.txt", Reply.text("User-agent: *\nDisallow: /private/\n"))
    srv.add("/html/2611.00001", Reply.file(LATEXML, "text/html; charset=utf-8"))
    srv.add("/html/2611.00001v1/x1.png", Reply.raw(png(1100, 500), "image/png"))
    srv.add("/html/2611.00002", Reply.text("No HTML for this paper", status=404))
    srv.add("/project/", Reply.raw(
        b'<html><head><meta property="og:image" content="/private/lead.png"></head>'
        b"<body><p>Project page of NoHtml-Net, with its lead image.</p></body></html>",
        "text/html"))
    srv.add("/private/lead.png", project_image or Reply.raw(png(), "image/png"))
    srv.add("/news/t1.html", Reply.file(CMSE, "text/html; charset=utf-8"))
    srv.add("/news/W020200310838318651557.jpg", Reply.raw(jpeg(), "image/jpeg"))


def test_figures_are_fetched_once_stored_and_shown_in_every_format(tmp_path: Path,
                                                                   warehouse: Warehouse) -> None:
    from docx import Document
    from pypdf import PdfReader

    with ReplayServer() as srv:
        base = srv.base_url
        serve(srv)
        seed(warehouse, base)
        settings = make_settings(tmp_path, base, formats=["md", "html", "pdf", "docx"])
        report = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
        first_hits = len(srv.hits())
        again = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
        assert len(srv.hits()) == first_hits  # stored: nothing is fetched a second time
    # the project page's image is disallowed by robots.txt: said once, never fetched
    assert not [h for h in srv.hits() if h.path.startswith("/private/")]
    (note,) = [n for n in report.notes if n.startswith("figures:")]
    assert "2 new" in note and "2611.00002: robots.txt" in note, note
    assert not [n for n in again.notes if n.startswith("figures:")]
    stored = sorted(p.name for p in settings.figures_dir.iterdir())
    assert len(stored) == 2 and stored[0].startswith("arxiv_2611.00001-")
    with warehouse.read() as con:
        rows = dict(con.execute("SELECT work_id, status FROM figures").fetchall())
    assert rows == {"arxiv:2611.00001": "stored", "arxiv:2611.00002": "failed",
                    url_key(f"{base}/news/t1.html"): "stored"}

    folder = Path(report.files["md"]).parent
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    paper = md.split(" SeaWave-FM\n")[1].split("## ")[0]
    # as the survey places it: after the abstract's first paragraph
    assert "论文摘要（原文）：We forecast waves.\n\n![](./figures/arxiv_2611.00001-" in paper
    assert paper.index("![](") < paper.index("With a foundation model.")
    news = md.split("## 5.1 ")[1]
    assert "第一段：海洋大模型研讨会召开。\n\n![](./figures/url_" in news
    assert "![](" not in md.split(" NoHtml-Net\n")[1].split("## ")[0]  # no figure: none shown
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    srcs = [s.split('"')[0] for s in html.split('<img src="')[1:]]
    assert len(srcs) == 2 and all(s.startswith("./figures/") for s in srcs)
    assert all((folder / s).is_file() for s in srcs)  # copied beside the page: self-contained
    pdf = PdfReader(report.files["pdf"])
    sizes = {im.image.size for page in pdf.pages for im in page.images}
    assert sizes == {(400, 300), (1100, 500)}  # both figures printed (each once per use)
    docx = Document(report.files["docx"])
    assert len(docx.inline_shapes) >= 2


def test_faults_leave_the_entry_without_a_figure_and_say_so_once(tmp_path: Path,
                                                                 warehouse: Warehouse) -> None:
    with ReplayServer() as srv:
        serve(srv)
        srv.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
        srv.add("/private/lead.png", Reply.raw(b"\x89PNG\r\n\x1a\ngarbage bytes", "image/png"))
        srv.add("/news/W020200310838318651557.jpg", Reply.text("gone", status=404))
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        report = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
    assert report.ok
    (note,) = [n for n in report.notes if n.startswith("figures:")]
    assert "1 new" in note and "2 skipped" in note
    assert "2611.00002: png image cannot be decoded" in note and "HTTP 404" in note
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert md.count("![](./figures/") == 1


def test_offline_costs_no_waits_and_stores_nothing(tmp_path: Path, warehouse: Warehouse) -> None:
    import time

    with ReplayServer() as srv:
        base = srv.base_url
    # the server is gone: its port refuses connections, as an offline machine does
    seed(warehouse, base)
    settings = make_settings(tmp_path, base)
    started = time.monotonic()
    report = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
    assert time.monotonic() - started < 10
    (note,) = [n for n in report.notes if n.startswith("figures:")]
    assert "3 not fetched" in note and "offline" in note and "tried again next run" in note
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM figures").fetchone() == (0,)


def test_figures_can_be_turned_off(tmp_path: Path, warehouse: Warehouse) -> None:
    with ReplayServer() as srv:
        serve(srv)
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        settings.config.digest.figures = False
        report = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
        assert not srv.hits()
    assert "![](" not in Path(report.files["md"]).read_text(encoding="utf-8")


def test_email_carries_the_figures_inline(tmp_path: Path, warehouse: Warehouse) -> None:
    from aiosmtpd.controller import Controller

    from tests.test_digest_delivery import _Inbox, free_port

    inbox, port = _Inbox(), free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        with ReplayServer() as srv:
            serve(srv)
            seed(warehouse, srv.base_url)
            report = digest_with_figures(make_settings(tmp_path, srv.base_url, email_port=port),
                                warehouse, period=PERIOD, now=parse_period(
                                    PERIOD, "Asia/Shanghai").bounds()[1] + timedelta(days=1))
    finally:
        ctl.stop()
    assert report.deliveries["email"] == "sent", report.errors
    (msg,) = inbox.messages
    html = msg.get_body(("html",)).get_content()
    assert 'src="cid:fig-1-2"' in html and 'src="cid:fig-5-1"' in html  # 1.2: SeaWave-FM
    assert "./figures/" not in html
    related = {p["Content-ID"]: p for p in msg.walk() if p["Content-ID"]}
    assert related["<fig-1-2>"].get_content_type() == "image/png"
    assert related["<fig-5-1>"].get_content_type() == "image/jpeg"
    # sized for the mail's column (the digest folder keeps the stored 1100 px figure)
    assert Image.open(io.BytesIO(related["<fig-1-2>"].get_content())).size == (640, 291)


def test_a_crawled_link_to_this_machine_is_never_fetched_and_the_final_url_is_kept(
        tmp_path: Path, warehouse: Warehouse) -> None:
    """An abstract's "Project page: http://127.0.0.1:PORT/internal-admin" (issue 23, finding 1):
    not the page, not its robots.txt, not its image; a redirect hop there is refused too; the
    figures row keeps the image's final URL, after redirects."""
    with ReplayServer() as srv, ReplayServer() as internal:
        serve(srv)
        srv.add("/html/2611.00001v1/x1.png", Reply.raw(b"", "text/plain", status=302,
                                                      Location=srv.url("/img/final.png")))
        srv.add("/img/final.png", Reply.raw(png(1100, 500), "image/png"))
        srv.add("/html/2611.00003", Reply.text("No HTML for this paper", status=404))
        srv.add("/project3/", Reply.raw(
            f'<html><head><meta property="og:image" content="{internal.url("/x.png")}">'
            "</head><body><p>A public page pointing inside.</p></body></html>".encode(),
            "text/html"))
        srv.add("/html/2611.00004", Reply.text("No HTML for this paper", status=404))
        internal.add("/internal-admin", Reply.text("<html>admin</html>", content_type="text/html"))
        internal.add("/x.png", Reply.raw(png(), "image/png"))
        seed(warehouse, srv.base_url)
        lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
        hostile = [
            Work(ids=["arxiv:2611.00003"], title="Ocean model whose project page is inside",
                 kind=Kind.PREPRINT, abstract="Project page: " + internal.url("/internal-admin"),
                 links=[Link(LinkKind.PROJECT, internal.url("/internal-admin"))]),
            Work(ids=["arxiv:2611.00004"], title="Ocean model whose page points inside",
                 kind=Kind.PREPRINT, abstract="A page with an og:image inside.",
                 links=[Link(LinkKind.PROJECT, srv.url("/project3/"))]),
        ]
        upsert_works(warehouse, hostile, now=lo + timedelta(days=2))
        with warehouse.write() as con:
            con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                            "classified_at) VALUES (?, 'ocean_models', 0.9, 'offline', now())",
                            [[w.ids[0]] for w in hostile])
        report = digest_with_figures(settings := make_settings(tmp_path, srv.base_url), warehouse,
                            period=PERIOD, deliver=False)
        assert not internal.hits()
        final = srv.url("/img/final.png")
    assert settings.figures_dir.is_dir()
    with warehouse.read() as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT work_id, status, image_url, note FROM figures").fetchall()}
    assert rows["arxiv:2611.00001"][:2] == ("stored", final)
    for wid in ("arxiv:2611.00003", "arxiv:2611.00004"):
        status, _, note = rows[wid]
        assert status == "failed" and "private address refused" in note, (wid, note)
    (note,) = [n for n in report.notes if n.startswith("figures:")]
    assert "not fetched" not in note  # final, per entry: the host's other figures unaffected


def test_an_oversize_image_fails_its_entry_only_and_is_not_downloaded_again(
        tmp_path: Path, warehouse: Warehouse) -> None:
    """A 31 MB "PNG" on the arXiv HTML host (issue 23, finding 5) is a final failure of that
    entry, recorded; the host's other figures are fetched; the next digest asks nothing."""
    with ReplayServer() as srv:
        serve(srv)
        srv.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
        srv.add("/html/2611.00001v1/x1.png",
                Reply.raw(b"\x89PNG\r\n\x1a\n" + bytes(31_000_000), "image/png"))
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        report = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
        hits = len(srv.hits())
        again = digest_with_figures(settings, warehouse, period=PERIOD, deliver=False)
        assert len(srv.hits()) == hits  # the big image is not downloaded again
        base = srv.base_url
    (note,) = [n for n in report.notes if n.startswith("figures:")]
    assert "2 new" in note and "not fetched" not in note, note
    assert "2611.00001: too large" in note, note
    assert not [n for n in again.notes if n.startswith("figures:")]
    with warehouse.read() as con:
        rows = dict(con.execute("SELECT work_id, status FROM figures").fetchall())
    assert rows == {"arxiv:2611.00001": "failed", "arxiv:2611.00002": "stored",
                    url_key(f"{base}/news/t1.html"): "stored"}
