"""The figures stage (issue 22 item 3, issue 23 item 5): it fetches the figures of the works
the digest will show, before the digest; rendering reads the warehouse only and opens no
connection; an oversize image on a host fails its own work, for good, and nobody else's."""

from __future__ import annotations

import gzip
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from digests import DigestReport, run_digest
from digests.figure_fetch import fetch_figures
from seascout.core.config import Settings
from seascout.core.model import Kind, Work
from seascout.core.period import parse_period
from testing.replay import AnyLoopbackPort, Recorded, ReplayServer, Reply
from tests.test_digest_figures import LATEXML, PERIOD, make_settings, png, seed, serve
from warehouse.db import Warehouse
from warehouse.works import upsert_works


def render_without_sockets(monkeypatch: pytest.MonkeyPatch, settings: Settings,
                           wh: Warehouse) -> tuple[DigestReport, list[object]]:
    """The digest rendered while every connection and name lookup is refused (and kept)."""
    tried: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        tried.append(args)
        raise OSError("rendering may not open a connection")

    with monkeypatch.context() as m:
        for name in ("connect", "connect_ex"):
            m.setattr(socket.socket, name, refuse)
        m.setattr(socket, "getaddrinfo", refuse)
        report = run_digest(settings, wh, period=PERIOD, deliver=False)
    return report, tried


def figures_in(markdown_path: str) -> int:
    return Path(markdown_path).read_text(encoding="utf-8").count("![](./figures/")


def test_rendering_reads_only_the_warehouse(tmp_path: Path, warehouse: Warehouse,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with ReplayServer() as srv:
        serve(srv)
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        # before the stage: nothing stored, and nothing asked
        before, tried = render_without_sockets(monkeypatch, settings, warehouse)
        assert tried == [] and not srv.hits()
        assert figures_in(before.files["md"]) == 0
        assert not [n for n in before.notes if n.startswith("figures")]
        stage = fetch_figures(settings, warehouse, period=PERIOD)
        assert stage.fetched == 2 and srv.hits()
    # the server is gone and every socket refused: the stored figures are still shown
    after, tried = render_without_sockets(monkeypatch, settings, warehouse)
    assert tried == []
    assert figures_in(after.files["md"]) == 2
    html = Path(after.files["html"]).read_text(encoding="utf-8")
    srcs = [s.split('"')[0] for s in html.split('<img src="')[1:]]
    folder = Path(after.files["html"]).parent
    assert len(srcs) == 2 and all((folder / s).is_file() for s in srcs)


def test_the_stage_fetches_the_digests_own_selection(tmp_path: Path, warehouse: Warehouse) -> None:
    """A work triage did not place in a section is not in the digest: its figure is not asked;
    the same works as the digest, and a rerun asks nothing."""
    with ReplayServer() as srv:
        serve(srv)
        seed(warehouse, srv.base_url)
        lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
        upsert_works(warehouse, [Work(ids=["arxiv:2611.00099"], title="A cooking paper",
                                      kind=Kind.PREPRINT, abstract="Soup.")],
                     now=lo + timedelta(days=2))  # never classified: not in the digest
        srv.add("/html/2611.00099", Reply.file(LATEXML, "text/html; charset=utf-8"))
        settings = make_settings(tmp_path, srv.base_url)
        first = fetch_figures(settings, warehouse, period=PERIOD)
        hits = len(srv.hits())
        again = fetch_figures(settings, warehouse, period=PERIOD)
        assert len(srv.hits()) == hits
    assert not [h for h in srv.hits() if "2611.00099" in h.path]
    assert (first.fetched, len(first.failed)) == (2, 1)  # 2611.00002: robots.txt
    assert again.counts() == {"fetched": 0, "known": 3, "none": 0, "failed": 0, "later": 0}
    assert again.describe(settings.figures_dir) == "figures: nothing new to fetch (3 known)"


OVERSIZE = "2611.00013"  # a 40 MB PNG: past the client's 30 MB cap, refused on its header
BIG = "2611.00014"  # a 10 MB PNG: under the client's cap, over the 8 MB figure limit
BOMB = "2611.00015"  # 40 KB of gzip that inflates past the cap: cut off while inflating
PAPERS = ("2611.00011", "2611.00012", OVERSIZE, BIG, BOMB, "2611.00016", "2611.00017")
LARGE = (OVERSIZE, BIG, BOMB)


def papers_host(srv: ReplayServer) -> None:
    page = LATEXML.read_bytes()
    good = png(800, 400)
    huge = b"\x89PNG\r\n\x1a\n" + bytes(40_000_000)
    big = b"\x89PNG\r\n\x1a\n" + bytes(10_000_000)
    bomb = gzip.compress(huge)

    def html(req: Recorded) -> Reply:
        arxiv_id = req.path.split("/")[2].removesuffix("v1")
        if req.path.endswith(".png"):
            if arxiv_id == BOMB:
                return Reply.raw(bomb, "image/png", **{"Content-Encoding": "gzip"})
            return Reply.raw(huge if arxiv_id == OVERSIZE else big if arxiv_id == BIG else good,
                             "image/png")
        return Reply.raw(page.replace(b"2611.00001", arxiv_id.encode()), "text/html")

    srv.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
    srv.add("/html/*", handler=html)


def test_an_oversize_image_fails_its_work_only_and_is_never_downloaded_again(
        tmp_path: Path, warehouse: Warehouse) -> None:
    lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
    works = [Work(ids=[f"arxiv:{a}"], title=f"Ocean foundation model {a}", kind=Kind.PREPRINT,
                  abstract="We model the ocean.") for a in PAPERS]
    upsert_works(warehouse, works, now=lo + timedelta(days=2))
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (1, '海洋大模型', 'ocean_models', '') "
                    "ON CONFLICT DO NOTHING")
        con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, 'ocean_models', 0.9, 'offline', now())",
                        [[w.ids[0]] for w in works])
    with ReplayServer() as srv:
        papers_host(srv)
        settings = make_settings(tmp_path, srv.base_url)
        first = fetch_figures(settings, warehouse, period=PERIOD)
        asked = [h.path for h in srv.hits()]
        again = fetch_figures(settings, warehouse, period=PERIOD)
        assert len(srv.hits()) == len(asked)  # nothing at all asked again, the big ones neither
    assert all(asked.count(f"/html/{a}v1/x1.png") == 1 for a in LARGE)
    assert first.fetched == len(PAPERS) - len(LARGE) and first.later == [], first
    (note,) = first.notes(settings.figures_dir)
    assert f"{OVERSIZE}: too large: body of 40000008 bytes is over the 30000000-byte cap" in note
    assert f"{BIG}: image of 10000008 bytes is over the 8000000-byte limit" in note
    assert f"{BOMB}: too large: gzip body inflates past the 30000000-byte cap" in note
    assert "not fetched" not in note  # the host stays reachable for the works after them
    assert again.counts()["known"] == len(PAPERS) and again.notes(settings.figures_dir) == []
    with warehouse.read() as con:
        rows = dict(con.execute("SELECT work_id, status FROM figures").fetchall())
    assert rows == {f"arxiv:{a}": "failed" if a in LARGE else "stored" for a in PAPERS}
    report = run_digest(settings, warehouse, period=PERIOD, deliver=False)
    assert figures_in(report.files["md"]) == len(PAPERS) - len(LARGE)


def test_every_figure_request_and_redirect_hop_is_guarded_and_the_final_url_kept(
        tmp_path: Path, warehouse: Warehouse) -> None:
    """Issue 23 finding 1, in the stage: a public image that redirects to this machine is
    refused at that hop (nothing reaches the inside host) and fails its own work; a figure
    reached after two public hops keeps its final URL."""
    with ReplayServer() as srv, ReplayServer() as internal:
        serve(srv)
        srv.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
        srv.add("/html/2611.00001v1/x1.png", Reply.raw(b"", status=302, Location=srv.url("/hop")))
        srv.add("/hop", Reply.raw(b"", status=301, Location=srv.url("/img/final.png")))
        srv.add("/img/final.png", Reply.raw(png(1100, 500), "image/png"))
        srv.add("/private/lead.png", Reply.raw(b"", status=302, Location=internal.url("/x.png")))
        internal.add("/x.png", Reply.raw(png(), "image/png"))
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        outcome = fetch_figures(settings, warehouse, period=PERIOD)
        assert not internal.hits()
        final = srv.url("/img/final.png")
    with warehouse.read() as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT work_id, status, image_url, note FROM figures").fetchall()}
    assert rows["arxiv:2611.00001"][:2] == ("stored", final)
    status, _, note = rows["arxiv:2611.00002"]
    assert status == "failed" and note.startswith("private address refused"), note
    assert outcome.fetched == 2 and outcome.later == []  # the host's other works unaffected


def test_a_stage_cut_off_halfway_keeps_what_it_fetched(tmp_path: Path, warehouse: Warehouse) -> None:
    """Each answer is stored as soon as it is known: a run killed on the third work (Ctrl-C
    here) keeps the first two, and the next run asks only for the rest."""
    from spiders.http import HttpClient, Response

    class CutOff(HttpClient):
        def get(self, url: str, *args: object, **kwargs: object) -> Response:  # type: ignore[override]
            if "/news/" in url:
                raise KeyboardInterrupt
            return super().get(url, *args, **kwargs)  # type: ignore[arg-type]

    with ReplayServer() as srv:
        serve(srv)
        seed(warehouse, srv.base_url)
        settings = make_settings(tmp_path, srv.base_url)
        with CutOff(user_agent="t", trusted=AnyLoopbackPort()) as http, \
                pytest.raises(KeyboardInterrupt):
            fetch_figures(settings, warehouse, period=PERIOD, http=http)
        with warehouse.read() as con:
            kept = dict(con.execute("SELECT work_id, status FROM figures").fetchall())
        assert kept == {"arxiv:2611.00001": "stored", "arxiv:2611.00002": "failed"}
        srv.requests.clear()
        rest = fetch_figures(settings, warehouse, period=PERIOD)
    assert rest.known == 2 and rest.fetched == 1
    assert all("/html/" not in h.path for h in srv.hits())
