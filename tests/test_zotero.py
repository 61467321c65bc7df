"""`seascout zotero push` against a loopback stand-in of the Zotero web API (v3): what the
real API does for these calls — key check, tag filter with paging, 50-item batches, write
tokens (412 on reuse), 429 with Retry-After and 5xx."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lab_world import NEAR, OCEAN, SHIPS, build
from typer.testing import CliRunner

from seascout.app.cli import app
from seascout.app.zotero import ZoteroClient, ZoteroError, push, zotero_item
from warehouse.db import Warehouse
from warehouse.decisions_store import decide
from warehouse.query import survey_works

KEY = "test-key-not-secret"
LIB = "users/4242"


class StandIn:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.faults: list[int] = []  # status codes to answer POSTs with first
        self.posts = 0
        self.lose_next_reply = False
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stand = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                return

            def _reply(self, code: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _ok(self) -> bool:
                if self.headers.get("Zotero-API-Key") != KEY:
                    self._reply(403, "Invalid key")
                    return False
                if not urlsplit(self.path).path.startswith(f"/{LIB}/"):
                    self._reply(404, "Not found")
                    return False
                return True

            def do_GET(self) -> None:
                if not self._ok():
                    return
                q = parse_qs(urlsplit(self.path).query)
                tag = q["tag"][0]
                start, limit = int(q.get("start", ["0"])[0]), int(q.get("limit", ["25"])[0])
                hits = [it for it in stand.items if any(t["tag"] == tag for t in it["data"]["tags"])]
                self._reply(200, hits[start:start + limit], {"Total-Results": str(len(hits))})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stand.lock:
                    stand.posts += 1
                    if stand.faults:
                        code = stand.faults.pop(0)
                        return self._reply(code, "slow down", {"Retry-After": "0"} if code == 429 else {})
                if not self._ok():
                    return
                token = self.headers.get("Zotero-Write-Token", "")
                if token in stand.tokens:
                    return self._reply(412, "Write token already used")
                assert len(body) <= 50
                stand.tokens.add(token)
                ok = {}
                for i, data in enumerate(body):
                    stand.items.append({"key": f"K{len(stand.items)}", "data": data})
                    ok[str(i)] = f"K{len(stand.items) - 1}"
                if stand.lose_next_reply:
                    stand.lose_next_reply = False
                    return self._reply(502, "Bad gateway")
                self._reply(200, {"successful": ok, "success": ok, "unchanged": {}, "failed": {}})
        return H


@pytest.fixture
def zotero() -> Iterator[tuple[StandIn, str]]:
    stand = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), stand.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client(base: str, key: str = KEY) -> ZoteroClient:
    return ZoteroClient(LIB, key, base=base, backoff=0, sleep=lambda s: None)


def test_push_is_idempotent_and_sends_only_what_is_missing(warehouse: Warehouse, zotero) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    build(warehouse)
    works = [w for _, w in survey_works(warehouse)]
    assert len(works) == 18  # the survey as it stands: its 18 entries (triage's 2 picks undecided)
    r = push(works, _client(base), collection="COLL1")
    assert (r.pushed, r.already) == (18, 0) and len(stand.items) == 18
    assert push(works, _client(base)).pushed == 0 and len(stand.items) == 18  # a rerun: nothing twice
    decide(warehouse, NEAR, action="move", section=1, by="lin")  # newly kept works
    decide(warehouse, SHIPS, action="keep", by="lin")
    r = push([w for _, w in survey_works(warehouse)], _client(base), collection="COLL1")
    assert (r.pushed, r.already) == (2, 18) and len(stand.items) == 20
    ships = next(it["data"] for it in stand.items if {"tag": f"seascout:{SHIPS}"} in it["data"]["tags"])
    assert ships["itemType"] == "journalArticle" and ships["DOI"] == "10.3390/rs99999999"
    assert ships["publicationTitle"] == "Remote Sensing" and ships["extra"] == "arXiv: 2611.00002"
    assert ships["collections"] == ["COLL1"]


def test_more_than_one_page_and_batch(warehouse: Warehouse, zotero) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    build(warehouse)
    decide(warehouse, OCEAN, action="keep", by="lin")
    work = next(w for _, w in survey_works(warehouse) if w.work_id == OCEAN)
    many = []
    for i in range(120):
        w = zotero_item(work)
        many.append(type(work)(ids=[f"arxiv:2699.{i:05d}"], title=f"{w['title']} {i}", work_id=f"x{i}"))
    assert push(many, _client(base)).pushed == 120 and stand.posts == 3  # 50 + 50 + 20
    assert push(many, _client(base)).already == 120  # the listing pages through all 120


def test_429_and_5xx_are_retried(warehouse: Warehouse, zotero) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    build(warehouse)
    stand.faults = [429, 503, 500]
    r = push([w for _, w in survey_works(warehouse)], _client(base))
    assert r.pushed == 18 and r.retries == 3 and len(stand.items) == 18


def test_a_batch_written_before_its_reply_was_lost_is_not_written_twice(warehouse: Warehouse,
                                                                        zotero) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    build(warehouse)
    stand.lose_next_reply = True  # the batch is stored, then the reply is a 502
    r = push([w for _, w in survey_works(warehouse)], _client(base))
    assert r.retries == 1 and r.pushed == 18
    assert len(stand.items) == 18  # the retry reused its write token: the API answered 412


def test_bad_key_and_endless_errors_are_reported(warehouse: Warehouse, zotero) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    build(warehouse)
    works = [w for _, w in survey_works(warehouse)]
    with pytest.raises(ZoteroError, match="refused the key"):
        push(works, _client(base, key="wrong"))
    stand.faults = [503] * 10
    with pytest.raises(ZoteroError, match="kept answering 503 after 5 attempts"):
        push(works, _client(base))
    assert stand.items == []


def test_the_command(tmp_path: Path, zotero, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    stand, base = zotero
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("ZOTERO_API_BASE", base)
    monkeypatch.delenv("ZOTERO_API_KEY", raising=False)
    cfg = tmp_path / "seascout.toml"
    cfg.write_text("", encoding="utf-8")
    build(Warehouse(tmp_path / "state" / "seascout.duckdb"))
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["zotero", *args, "--config", str(cfg)])
    r = run("push", "--library", LIB)
    assert r.exit_code == 2 and "ZOTERO_API_KEY is not set" in r.output
    monkeypatch.setenv("ZOTERO_API_KEY", "wrong")
    r = run("push", "--library", LIB)
    assert r.exit_code == 1 and "refused the key" in r.output and len(r.output.strip().splitlines()) == 1
    monkeypatch.setenv("ZOTERO_API_KEY", KEY)
    r = run("push", "--library", "me")
    assert r.exit_code == 2 and "users/<numeric id>" in r.output
    decide(Warehouse(tmp_path / "state" / "seascout.duckdb"), OCEAN, action="keep", by="lin")
    r = run("push", "--library", LIB, "--period", "2026-W48")
    assert r.exit_code == 0, r.output  # the survey's entries of that week: kept, not triage's picks
    assert "zotero users/4242: 1 pushed, 0 already there (of 1)" in r.output
    r = run("push", "--library", LIB)
    assert r.exit_code == 0 and "18 pushed, 1 already there (of 19)" in r.output
    assert len(stand.items) == 19
