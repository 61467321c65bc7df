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
from pathlib import Path
from typing import Any

import httpx
import pytest
from lab_world import NEAR, NOISE, OCEAN, SHIPS, WEEK, build

from seascout.app.review import ReviewApp, serve_in_thread
from seascout.core.period import parse_period
from warehouse.db import Warehouse
from warehouse.decisions_store import decisions

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _app(wh: Warehouse, host: str = "127.0.0.1") -> ReviewApp:
    period = parse_period(WEEK, "Asia/Shanghai")
    return ReviewApp(wh, period.id, period.bounds(), "lin", host)


@pytest.fixture
def review(warehouse: Warehouse) -> Iterator[ReviewApp]:
    build(warehouse)
    app = _app(warehouse)
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
    assert "decided (drop) by lin" in html


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
            page = browser.new_page()
            page.goto(review.url())
            yield page
        finally:
            browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_review_in_a_real_browser(review: ReviewApp, tmp_path: Path) -> None:
    with review_page(review) as page:
        ships = page.locator(f'article[data-work="{SHIPS}"]')
        ships.get_by_role("button", name="drop").click()
        page.wait_for_load_state()
        assert f"{SHIPS}: dropped" in page.locator("[role=status]").inner_text()
        near = page.locator(f'article[data-work="{NEAR}"]')
        near.get_by_label("section").select_option("4")
        near.get_by_role("button", name="move").click()
        page.wait_for_load_state()
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        ocean.locator("input[name=title_zh]").fill("海洋基础模型（改）")
        ocean.locator("textarea[name=summary]").fill("实验室改写的摘要。")
        ocean.get_by_role("button", name="save").click()
        page.wait_for_load_state()
        noise = page.locator(f'article[data-work="{NOISE}"]')
        assert "not in the survey" in noise.inner_text()
        assert "section 4" in page.locator(f'article[data-work="{NEAR}"]').inner_text()
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("SEASCOUT_SCREENSHOT"):
            shutil.copy(shot, os.environ["SEASCOUT_SCREENSHOT"])
    got = {d.work_id: (d.action, d.section, d.title_zh, d.summary, d.decided_by)
           for d in decisions(review.wh)}
    assert got == {SHIPS: ("drop", None, None, None, "lin"), NEAR: ("move", 4, None, None, "lin"),
                   OCEAN: ("keep", 1, "海洋基础模型（改）", "实验室改写的摘要。", "lin")}


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_title_only_edit_in_the_browser_never_stores_the_summary(review: ReviewApp) -> None:
    """Issue 24 #1: the edit box is pre-filled with the machine summary; saving a new 中文标题
    alone must not store that summary as the lab's 中文摘要 (nor a summary-only edit the title)."""
    with review_page(review) as page:
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        assert ocean.locator("textarea[name=summary]").input_value() == "一个海洋基础模型。"
        ocean.locator("input[name=title_zh]").fill("海洋基础模型（实验室）")
        ocean.get_by_role("button", name="save").click()
        page.wait_for_load_state()
        [d] = decisions(review.wh)
        assert (d.title_zh, d.summary) == ("海洋基础模型（实验室）", None)
        ocean = page.locator(f'article[data-work="{OCEAN}"]')
        ocean.locator("textarea[name=summary]").fill("实验室的摘要。")
        ocean.get_by_role("button", name="save").click()
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
