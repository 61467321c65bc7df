"""`seascout review`: the page escapes everything, refuses cross-site and tampered forms, needs
a token off loopback, and works in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from lab_world import NEAR, NOISE, OCEAN, ROOT, SEEN, SHIPS, WEEK, build
from PIL import Image

from digests.pdf import cjk_font_path
from seascout.app.review import ReviewApp, anchor, serve_in_thread
from seascout.core.model import Author, Classification, Kind, Label, Work
from seascout.core.period import parse_period
from seascout.core.survey import parse_seed_dir
from warehouse.db import Warehouse
from warehouse.decisions_store import decisions
from warehouse.figures_store import FigureRecord, save_figures
from warehouse.triage_store import save_results
from warehouse.works import upsert_works

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _app(wh: Warehouse, host: str = "127.0.0.1") -> ReviewApp:
    period = parse_period(WEEK, "Asia/Shanghai")
    return ReviewApp(wh, period.id, period.bounds(), "lin", host)


FIGURE = "ocean.png"


def furnish(wh: Warehouse, figures: Path) -> None:
    """The week's OceanNet with what a reviewer decides from: the survey's labelled links, a
    hostile one, triage's reason and a stored figure."""
    with wh.write() as con:
        con.executemany("INSERT INTO links (work_id, url, kind, label) VALUES (?, ?, ?, ?)", [
            (OCEAN, "https://arxiv.org/abs/2611.00001", "paper", "论文地址"),
            (OCEAN, "https://github.com/lab/oceannet", "code", "开源代码"),
            (OCEAN, "https://oceannet.example.org", "project", "项目主页"),
            (OCEAN, "javascript:alert(1)", "other", None)])
        con.execute("UPDATE classifications SET reason = ? WHERE work_id = ?",
                    ["rules: <ocean> forecasting terms", OCEAN])
        con.execute("UPDATE works SET abstract = ? WHERE work_id = ?", [
            "A global ocean foundation model for sea surface forecasts.\n\nIt beats the "
            "numerical baseline at 10-day leads.", OCEAN])
    figures.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (160, 90), (30, 110, 200)).save(figures / FIGURE)
    save_figures(wh, [FigureRecord(OCEAN, "stored", FIGURE)])


@pytest.fixture
def review(warehouse: Warehouse, tmp_path: Path) -> Iterator[ReviewApp]:
    build(warehouse)
    furnish(warehouse, tmp_path / "figures")
    app = _app(warehouse)
    app.figures = tmp_path / "figures"
    _, stop = serve_in_thread(app)
    try:
        yield app
    finally:
        stop()


def _form(app: ReviewApp, **fields: str) -> dict[str, str]:
    return {"csrf": app.csrf, "work_id": SHIPS, "action": "drop", **fields}


def _post(app: ReviewApp, data: dict[str, str], origin: str | None = "self") -> httpx.Response:
    headers = {} if origin is None else {"Origin": app.origin if origin == "self" else origin}
    return httpx.post(app.origin + "/decide", data=data, headers=headers, follow_redirects=False)


def test_the_page_lists_the_week_and_escapes_every_string(review: ReviewApp) -> None:
    page = httpx.get(review.url())
    assert page.status_code == 200
    html = page.text
    assert "OceanNet: a &lt;b&gt;foundation&lt;/b&gt; model" in html and "<b>foundation" not in html
    assert "海洋基础模型 OceanNet" in html and "ShipDet" in html
    assert "Sea ice concentration" in html  # the least certain rejection: a candidate
    assert "Quantum error correction" in html  # only four works: every rejection is listed
    assert html.index("OceanNet") < html.index("ShipDet") < html.index("Sea ice") < html.index("Quantum")
    assert f'name="csrf" value="{review.csrf}"' in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_good_form_is_stored_and_redirects(review: ReviewApp) -> None:
    r = _post(review, _form(review))
    assert r.status_code == 303 and r.headers["Location"].startswith("/?msg=")
    assert r.headers["Location"].endswith(f"#{anchor(SHIPS)}")  # back to the card acted on
    r = _post(review, _form(review, work_id=NEAR, action="move", section="1"))
    assert r.status_code == 303
    r = _post(review, _form(review, work_id=OCEAN, action="edit", title_zh="<script>x</script>",
                            summary="新的摘要"))
    assert r.status_code == 303
    got = {d.work_id: (d.action, d.section, d.title_zh) for d in decisions(review.wh)}
    assert got == {SHIPS: ("drop", None, None), NEAR: ("move", 1, None),
                   OCEAN: ("keep", 1, "<script>x</script>")}
    html = httpx.get(review.url()).text
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "已剔除（lin）" in html


@pytest.mark.parametrize(("change", "origin", "status"), [
    ({"csrf": ""}, "self", 403),                      # missing CSRF token
    ({"csrf": "forged"}, "self", 403),                # wrong CSRF token
    ({}, "http://evil.example", 403),                 # a cross-site POST
    ({}, None, 403),                                  # neither Origin nor Referer
    ({"work_id": "arxiv:0000.00000"}, "self", 400),   # unknown work
    ({"action": "move", "section": "9"}, "self", 400),  # a section that does not exist
    ({"action": "move", "section": "one"}, "self", 400),
    ({"action": "delete-all"}, "self", 400),          # tampered action
])
def test_a_tampered_or_cross_site_form_changes_nothing(review: ReviewApp, change: dict[str, str],
                                                        origin: str | None, status: int) -> None:
    r = _post(review, _form(review, **change), origin=origin)
    assert r.status_code == status, r.text
    assert decisions(review.wh) == []


def test_a_wrong_host_header_is_refused(review: ReviewApp) -> None:
    r = httpx.post(review.origin + "/decide", data=_form(review),
                   headers={"Host": "rebound.example:80", "Origin": "http://rebound.example:80"})
    assert r.status_code == 421 and decisions(review.wh) == []


def test_off_loopback_every_request_needs_the_token(warehouse: Warehouse) -> None:
    build(warehouse)
    app = _app(warehouse, host="127.0.0.2")  # not the default loopback address: treated as exposed
    _, stop = serve_in_thread(app)
    try:
        assert app.token and len(app.token) >= 24
        assert httpx.get(app.origin + "/").status_code == 403
        assert httpx.get(app.origin + "/?token=guess").status_code == 403
        page = httpx.get(app.url())
        assert page.status_code == 200 and f'name="token" value="{app.token}"' in page.text
        assert _post(app, _form(app)).status_code == 403  # the form without its token
        assert decisions(warehouse) == []
        assert _post(app, _form(app, token=app.token)).status_code == 303
        assert [d.work_id for d in decisions(warehouse)] == [SHIPS]
    finally:
        stop()


@contextmanager
def review_page(review: ReviewApp) -> Iterator[Any]:
    """The review page open in Debian's Chromium (Playwright drives it; no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 600})
            page.goto(review.url())
            yield page
        finally:
            browser.close()


def _order(page: Any) -> list[str]:
    return [str(a.get_attribute("data-work")) for a in page.locator("article").all()]


def _in_view(page: Any, work_id: str) -> bool:
    """The page is scrolled to the card: its top is inside the window, and not at the top."""
    return bool(page.evaluate(
        """w => { const r = document.querySelector(`article[data-work="${w}"]`)
                                    .getBoundingClientRect();
                  return window.scrollY > 0 && r.top >= 0 && r.top < window.innerHeight; }""",
        work_id))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_review_in_a_real_browser(review: ReviewApp, tmp_path: Path) -> None:
    with review_page(review) as page:
        before = _order(page)
        assert before == [OCEAN, SHIPS, NEAR, NOISE]
        ships = page.locator(f'article[data-work="{SHIPS}"]')
        ships.get_by_role("button", name="剔除").click()
        page.wait_for_load_state()
        assert f"{SHIPS}：已剔除" in ships.locator("[role=status]").inner_text()
        near = page.locator(f'article[data-work="{NEAR}"]')
        near.get_by_label("章节").select_option("4")
        near.get_by_role("button", name="移至该章").click()
        page.wait_for_load_state()
        assert _order(page) == before  # a decision never reorders the cards
        assert _in_view(page, NEAR)  # and the page stays at the card acted on
        assert "已移至第 4 章" in near.locator("[role=status]").inner_text()
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        ocean.locator("input[name=title_zh]").fill("海洋基础模型（改）")
        ocean.locator("textarea[name=summary]").fill("实验室改写的摘要。")
        ocean.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        noise = page.locator(f'article[data-work="{NOISE}"]')
        assert "不在综述中" in noise.inner_text()
        assert "第 4 章" in page.locator(f'article[data-work="{NEAR}"]').inner_text()
        assert _order(page) == before
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("SEASCOUT_SCREENSHOT"):
            shutil.copy(shot, os.environ["SEASCOUT_SCREENSHOT"])
    got = {d.work_id: (d.action, d.section, d.title_zh, d.summary, d.decided_by)
           for d in decisions(review.wh)}
    assert got == {SHIPS: ("drop", None, None, None, "lin"), NEAR: ("move", 4, None, None, "lin"),
                   OCEAN: ("keep", 1, "海洋基础模型（改）", "实验室改写的摘要。", "lin")}


def _next_number(section: int) -> str:
    """The number a new entry of `section` gets: after the survey's last one."""
    last = max(int(e.number.split(".")[1]) for e in parse_seed_dir(ROOT / "seeds")[-1].entries
               if e.section == section)
    return f"{section}.{last + 1}"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_card_shows_what_the_lab_decides_from_in_chinese(review: ReviewApp) -> None:
    """Issue 24 #11: Chinese labels, the packaged CJK font, the entry number, the whole
    abstract (folded), the figure, the labelled links and triage's reason on each card."""
    with review_page(review) as page:
        text = page.locator("body").inner_text()
        for english in ("keep", "drop", "move", "save", "work(s) first seen", "not in the survey"):
            assert english not in text
        assert "本周首次收录 4 篇" in text
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        assert ocean.locator(".num").inner_text() == _next_number(1)
        assert page.locator(f'article[data-work="{SHIPS}"] .num').inner_text() == _next_number(3)
        assert page.locator(f'article[data-work="{NOISE}"] .num').count() == 0  # not an entry
        assert "理由：rules: <ocean> forecasting terms" in ocean.inner_text()
        abstract = ocean.locator("details")
        assert abstract.locator("summary").inner_text() == "论文摘要（原文）"
        assert not abstract.get_by_text("10-day leads").is_visible()  # folded
        abstract.locator("summary").click()
        assert abstract.get_by_text("It beats the numerical baseline at 10-day leads.").is_visible()
        links = {a.inner_text(): a.get_attribute("href") for a in ocean.locator("ul.links a").all()}
        assert links["https://github.com/lab/oceannet"] == "https://github.com/lab/oceannet"
        labels = ocean.locator("ul.links").inner_text()
        assert all(f"{label}：" in labels for label in ("论文地址", "开源代码", "项目主页"))
        assert "javascript:" not in ocean.inner_html()
        img = ocean.locator("figure img")
        assert img.evaluate("i => i.complete && i.naturalWidth") == 160  # served and decoded
        faces = page.evaluate("""async () => { await document.fonts.ready;
            await document.fonts.load("16px 'Seascout CJK'", "海洋");
            return [...document.fonts].map(f => [f.family, f.status]); }""")
        assert ["'Seascout CJK'", "loaded"] in faces or ["Seascout CJK", "loaded"] in faces


def test_the_font_and_the_figure_are_served_token_gated(review: ReviewApp,
                                                       warehouse: Warehouse) -> None:
    html = httpx.get(review.url()).text
    assert "url('/font/NotoSansSC-Variable.ttf')" in html and "'Seascout CJK'" in html
    font = httpx.get(review.origin + "/font/NotoSansSC-Variable.ttf")
    assert font.status_code == 200 and font.headers["Content-Type"] == "font/ttf"
    assert len(font.content) == cjk_font_path().stat().st_size
    figure = httpx.get(review.origin + "/figure", params={"work": OCEAN})
    assert figure.status_code == 200 and figure.headers["Content-Type"] == "image/png"
    assert figure.content.startswith(b"\x89PNG")
    assert httpx.get(review.origin + "/figure", params={"work": SHIPS}).status_code == 404
    with warehouse.write() as con:  # a record pointing outside the figures folder
        con.execute("UPDATE figures SET file = '../seascout.duckdb' WHERE work_id = ?", [OCEAN])
    assert httpx.get(review.origin + "/figure", params={"work": OCEAN}).status_code == 404


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_title_only_edit_in_the_browser_never_stores_the_summary(review: ReviewApp) -> None:
    """Issue 24 #1: the edit box is pre-filled with the machine summary; saving a new 中文标题
    alone must not store that summary as the lab's 中文摘要 (nor a summary-only edit the title)."""
    with review_page(review) as page:
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        assert ocean.locator("textarea[name=summary]").input_value() == "一个海洋基础模型。"
        ocean.locator("input[name=title_zh]").fill("海洋基础模型（实验室）")
        ocean.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
        [d] = decisions(review.wh)
        assert (d.title_zh, d.summary) == ("海洋基础模型（实验室）", None)
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        ocean.locator("textarea[name=summary]").fill("实验室的摘要。")
        ocean.get_by_role("button", name="保存").click()
        page.wait_for_load_state()
    [d] = decisions(review.wh)
    assert (d.title_zh, d.summary) == ("海洋基础模型（实验室）", "实验室的摘要。")


# -- the server's robustness (issue 23 item 15) ----------------------------------------------

def _raw(app: ReviewApp, data: bytes, address: str = "127.0.0.1") -> bytes:
    """What the server sends back on a connection that sends `data` and nothing more, until
    the server closes it (the client gives up after 20 s: a server without a socket timeout
    never closes, and the test fails on the `socket.timeout`)."""
    with socket.create_connection((address, app.port), timeout=20) as s:
        s.sendall(data)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
        return got


def test_bound_to_every_address_the_machines_own_addresses_are_accepted_with_the_token(
        warehouse: Warehouse) -> None:
    build(warehouse)
    app = _app(warehouse, host="0.0.0.0")  # noqa: S104 (the test talks to loopback only)
    _, stop = serve_in_thread(app)
    try:
        assert app.token and f":{app.port}/?token=" in app.url()
        for address in ("127.0.0.1", "127.0.0.2"):  # whichever address the browser used
            host = f"{address}:{app.port}"
            got = httpx.get(f"http://{host}/", params={"token": app.token})
            assert got.status_code == 200 and "OceanNet" in got.text
            assert httpx.get(f"http://{host}/").status_code == 403  # still token-gated
            r = httpx.post(f"http://{host}/decide", data=_form(app, token=app.token),
                           headers={"Origin": f"http://{host}"})
            assert r.status_code == 303
        named = httpx.get(f"http://127.0.0.1:{app.port}/", params={"token": app.token},
                          headers={"Host": f"{socket.gethostname()}:{app.port}"})
        assert named.status_code == 200  # the machine's own name
        rebound = httpx.get(f"http://127.0.0.1:{app.port}/", params={"token": app.token},
                            headers={"Host": f"rebound.example:{app.port}"})
        assert rebound.status_code == 421
        other = httpx.get(f"http://127.0.0.1:{app.port}/", params={"token": app.token},
                          headers={"Host": f"127.0.0.2:{app.port}"})  # not where it came in
        assert other.status_code == 421
    finally:
        stop()


def test_a_half_open_request_and_a_short_body_are_closed_by_the_server(
        warehouse: Warehouse) -> None:
    build(warehouse)
    app = _app(warehouse)
    app.timeout = 0.2
    _, stop = serve_in_thread(app)
    try:
        assert _raw(app, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n") == b""  # headers never end
        head = (f"POST /decide HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n"
                f"Origin: {app.origin}\r\nContent-Length: 60000\r\n\r\n").encode()
        assert _raw(app, head + b"csrf=x&work_id=") == b""  # a body that never comes
        assert decisions(warehouse) == []
        assert httpx.get(app.url()).status_code == 200  # and the server still answers
    finally:
        stop()


def test_more_connections_than_threads_get_a_503_not_a_thread(warehouse: Warehouse) -> None:
    build(warehouse)
    app = _app(warehouse)
    app.max_threads = 2
    _, stop = serve_in_thread(app)
    held = [socket.create_connection(("127.0.0.1", app.port), timeout=20) for _ in range(2)]
    try:
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")  # half-open: each holds a handler thread
        refused = _raw(app, b"")
        assert refused.startswith(b"HTTP/1.0 503 ") and b"too many requests" in refused
        held.pop().close()  # a slot frees when its connection ends
        assert httpx.get(app.url()).status_code == 200
    finally:
        for s in held:
            s.close()
        stop()


HOLD = """import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_page_waiting_on_a_writer_lock_says_so_in_one_line(
        warehouse: Warehouse, capfd: pytest.CaptureFixture[str]) -> None:
    build(warehouse)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse.path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    app = _app(Warehouse(warehouse.path, lock_wait=0))  # a running flow holds the file
    _, stop = serve_in_thread(app)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        page = httpx.get(app.url())
        assert page.status_code == 503
        assert "the warehouse is busy" in page.text and "Reload the page" in page.text
        assert len(page.text.splitlines()) == 1
        r = _post(app, _form(app))
        assert r.status_code == 503 and "nothing was changed" in r.text
    finally:
        stop()
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    assert "Traceback" not in capfd.readouterr().err
    assert decisions(warehouse) == []
    app2 = _app(warehouse)
    _, stop2 = serve_in_thread(app2)
    try:
        assert httpx.get(app2.url()).status_code == 200
    finally:
        stop2()


def test_a_form_from_before_a_restart_says_to_reload_in_both_languages(review: ReviewApp) -> None:
    r = _post(review, _form(review, csrf="from-the-server-before"))
    assert r.status_code == 403 and "请刷新" in r.text and "reload the page" in r.text
    assert decisions(review.wh) == []


def test_inside_a_section_the_cards_come_in_the_digests_number_order(review: ReviewApp) -> None:
    older = Work(ids=["arxiv:2611.00005"], title="AAA: an older ocean model", kind=Kind.PREPRINT,
                 abstract="An ocean model.", authors=[Author("Ada Lovelace")],
                 published=date(2026, 11, 2))
    upsert_works(review.wh, [older], now=SEEN)
    save_results(review.wh, [Classification("arxiv:2611.00005", Label.OCEAN_MODELS, 0.95, "offline")], [])
    html = httpx.get(review.url()).text
    first, second = _next_number(1), f"1.{int(_next_number(1).split('.')[1]) + 1}"
    # OceanNet (published 2026-11-24) is the digest's first new entry of section 1, AAA the
    # next, although triage is surer of AAA
    assert html.index(f'class="num">{first}') < html.index(f'class="num">{second}')
    assert html.index("OceanNet") < html.index("AAA: an older")


def test_saving_an_untouched_edit_form_stores_no_decision(review: ReviewApp) -> None:
    """保存 on a card nobody edited must not record a keep the lab never made."""
    shown = {"title_zh": "海洋基础模型 OceanNet", "title_zh_shown": "海洋基础模型 OceanNet",
             "summary": "一个海洋基础模型。\r\n", "summary_shown": "一个海洋基础模型。"}
    r = _post(review, _form(review, work_id=OCEAN, action="edit", **shown))
    assert r.status_code == 303 and decisions(review.wh) == []
    assert "没有改动" in httpx.get(review.origin + r.headers["Location"]).text
    r = _post(review, _form(review, work_id=OCEAN, action="edit",
                            **{**shown, "summary": "实验室的摘要。"}))
    assert "已保存中文摘要" in httpx.get(review.origin + r.headers["Location"]).text
    [d] = decisions(review.wh)
    assert (d.action, d.title_zh, d.summary) == ("keep", None, "实验室的摘要。")


def test_bound_to_every_ipv6_address_both_families_are_served(warehouse: Warehouse) -> None:
    build(warehouse)
    app = _app(warehouse, host="::")
    _, stop = serve_in_thread(app)
    try:
        for host in (f"127.0.0.1:{app.port}", f"[::1]:{app.port}"):  # IPv4-mapped, then IPv6
            got = httpx.get(f"http://{host}/", params={"token": app.token})
            assert got.status_code == 200, host
            assert httpx.get(f"http://{host}/").status_code == 403
    finally:
        stop()
