"""run_digest end to end on a small warehouse: outputs, e-mail over a loopback SMTP server,
webhooks to a loopback HTTP receiver, escaping, and delivery exactly once per channel."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from digests import run_digest
from seascout.core.config import (
    Config,
    DeliveryConfig,
    DigestConfig,
    EmailConfig,
    FilesConfig,
    Settings,
    WebhookConfig,
)
from seascout.core.model import Author, Kind, Link, LinkKind, Venue, Work
from seascout.core.period import parse_period
from warehouse.db import Warehouse
from warehouse.works import upsert_works

PERIOD = "2026-W48"
AFTER = datetime(2027, 1, 4, 9)  # every week these tests deliver has ended
HOSTILE = 'Evil <script>alert("x")</script>\r\nBcc: victim@example.com'
SECTIONS = [(1, "海洋大模型", "ocean_models"), (2, "舰船检测大模型", "rs_foundation_models"),
            (3, "相关技术", "ship_detection"), (4, "数据集", "datasets"),
            (5, "相关论坛/资讯", "news")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, port
    finally:
        ctl.stop()


class _Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []  # type: ignore[type-arg]
        self.fail_paths: set[str] = set()


@pytest.fixture
def hooks() -> Iterator[tuple[_Receiver, str]]:
    rec = _Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path in rec.fail_paths:
                self.send_response(500)
                self.end_headers()
                return
            rec.posts.append((self.path, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0, "code": 0}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def make_settings(tmp_path: Path, *, smtp_port: int | None = None, hook_base: str | None = None,
                  formats: list[str] | None = None, monkeypatch=None) -> Settings:  # type: ignore[no-untyped-def]
    webhooks = []
    if hook_base and monkeypatch is not None:
        for kind in ("feishu", "wecom", "dingtalk", "slack"):
            monkeypatch.setenv(f"HOOK_{kind.upper()}", f"{hook_base}/{kind}")
            webhooks.append(WebhookConfig(kind=kind, url_env=f"HOOK_{kind.upper()}"))
    cfg = Config(
        digest=DigestConfig(formats=formats or ["md", "html"], site_url="https://example.org/d"),
        delivery=DeliveryConfig(
            email=EmailConfig(enabled=smtp_port is not None, host="127.0.0.1", port=smtp_port or 25,
                              security="none", sender="seascout@example.org",
                              recipients=["lab@example.org"]),
            webhooks=webhooks,
            files=FilesConfig(enabled=True, dir=str(tmp_path / "survey-repo"))))
    return Settings(config=cfg, home=tmp_path, root=tmp_path, config_path=None)


def seed_warehouse(wh: Warehouse, *, title: str = "OceanNet: a foundation model") -> None:
    lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
    works = [
        Work(ids=["arxiv:2611.00001"], title=title, kind=Kind.PREPRINT,
             authors=[Author("Ada Lovelace"), Author("Rong-Hua Zhang")],
             published=date(2026, 11, 24), arxiv_version=1,
             links=[Link(LinkKind.CODE, "https://github.com/x/oceannet")]),
        Work(ids=["doi:10.3390/rs99999999"], title="ShipDet: SAR ship detection",
             kind=Kind.PAPER, authors=[Author(f"A{i} B{i}") for i in range(8)],
             published=date(2026, 11, 1),
             venue=Venue(journal="Remote Sensing", volume="18", issue="2", article_number="123")),
        Work(ids=["url:https://www.cas.cn/news/1.shtml"], title="海洋大模型研讨会召开",
             kind=Kind.NEWS, language="zh"),
    ]
    upsert_works(wh, works, now=lo + timedelta(days=2))
    with wh.write() as con:
        con.executemany("INSERT INTO sections VALUES (?, ?, ?, '') ON CONFLICT DO NOTHING",
                        SECTIONS)
        for wid, label in (("arxiv:2611.00001", "ocean_models"),
                           ("doi:10.3390/rs99999999", "ship_detection"),
                           ("url:https://www.cas.cn/news/1.shtml", "news")):
            con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now()) "
                        "ON CONFLICT DO NOTHING", [wid, label])
        con.execute("INSERT INTO summaries VALUES (?, ?, ?, 'zh', 'llm', NULL, now()) "
                    "ON CONFLICT DO NOTHING",
                    ["arxiv:2611.00001", "海洋基础模型 OceanNet", "论文摘要：一个海洋基础模型。"])


def test_outputs_all_formats_and_every_entry(tmp_path: Path, warehouse: Warehouse) -> None:
    from docx import Document
    from pypdf import PdfReader

    seed_warehouse(warehouse)
    settings = make_settings(tmp_path, formats=["md", "html", "pdf", "docx", "atom"])
    report = run_digest(settings, warehouse, period=PERIOD, deliver=False)
    assert report.items == 3 and report.new == 3
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert md.startswith("[TOC]\n\n# 0. 导出")
    assert "## 1.1 海洋基础模型 OceanNet" in md
    assert ("> - **论文引用**：A. Lovelace and R.-H. Zhang, “OceanNet: a foundation model.” "
            "arXiv, Nov. 24, 2026. doi:") in md
    assert "> - **论文直看：**https://ar5iv.labs.arxiv.org/html/2611.00001" in md
    assert "> - **开源代码：**https://github.com/x/oceannet" in md
    assert "A. B0 *et al.*, “ShipDet: SAR ship detection,” *Remote Sensing*, vol. 18, no. 2, " \
           "Art. no. 123, Nov. 2026" in md
    assert "# 2. 舰船检测大模型\n\n本期无新增。" in md
    assert "## 5.1 海洋大模型研讨会召开" in md and "- 原文：https://www.cas.cn/news/1.shtml" in md
    assert "[seascout-2026-W48.pdf](https://example.org/d/2026-W48/seascout-2026-W48.pdf)" in md
    pdf_text = "".join(p.extract_text() for p in PdfReader(report.files["pdf"]).pages)
    docx_text = "\n".join(p.text for p in Document(report.files["docx"]).paragraphs)
    # the chart, legend drawn in, sits in the DOCX as in the HTML and the PDF
    assert len(Document(report.files["docx"]).inline_shapes) == 1
    assert (Path(report.files["docx"]).parent / "seascout-2026-W48-chart.png").is_file()
    for text in (pdf_text, docx_text):
        for needle in ("海洋基础模型 OceanNet", "ShipDet", "海洋大模型研讨会召开"):
            assert needle in text.replace("\n", "")
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert "<svg" in html and "海洋基础模型 OceanNet" in html
    atom = Path(report.files["atom"]).read_text(encoding="utf-8")
    assert "2026-W48" in atom and "<feed" in atom
    index = Path(report.files["archive"]).read_text(encoding="utf-8")
    assert 'href="2026-W48/index.html"' in index


def test_hostile_title_is_escaped_everywhere(tmp_path: Path, warehouse: Warehouse, smtp,  # type: ignore[no-untyped-def]
                                             hooks, monkeypatch) -> None:
    inbox, port = smtp
    rec, base = hooks
    seed_warehouse(warehouse, title=HOSTILE)
    with warehouse.write() as con:
        con.execute("UPDATE summaries SET title_zh = ?", [HOSTILE])
    settings = make_settings(tmp_path, smtp_port=port, hook_base=base, monkeypatch=monkeypatch)
    report = run_digest(settings, warehouse, period=PERIOD)
    assert report.ok, report.errors
    html = Path(report.files["html"]).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "<script>" not in md and "\nBcc:" not in md
    (msg,) = inbox.messages
    assert msg["Bcc"] is None and "victim" not in str(msg.get_all("To"))
    body_html = msg.get_body(("html",)).get_content()
    assert "<script>" not in body_html
    for path, payload in rec.posts:
        text = json.dumps(payload, ensure_ascii=False)
        assert "<script>" not in text, path
        assert "\\nBcc:" not in text, path


def test_email_round_trip(tmp_path: Path, warehouse: Warehouse, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    seed_warehouse(warehouse)
    report = run_digest(make_settings(tmp_path, smtp_port=port), warehouse, period=PERIOD)
    assert report.deliveries["email"] == "sent"
    (msg,) = inbox.messages
    assert msg["Subject"] == "海洋与遥感大模型文献周报 2026-W48：新增 3 条，更新 0 条"
    assert msg.get_content_type() == "multipart/mixed"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "1.1 海洋基础模型 OceanNet" in text and "海洋基础模型 OceanNet" in html
    assert "style=" in html  # inline CSS
    # The files ride along; the chart is a PNG the HTML shows by content id, never inline SVG.
    attached = {p.get_filename(): p.get_content_type() for p in msg.iter_attachments()}
    assert attached == {"seascout-2026-W48.md": "text/markdown"}
    assert "<svg" not in html and 'src="cid:chart"' in html
    (png,) = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == "<chart>" and png.get_content().startswith(b"\x89PNG")
    assert "1. 海洋大模型" in html.split('src="cid:chart"', 1)[1]  # the legend, as text


def test_email_attaches_pdf_and_docx_and_names_local_exports_as_attachments(  # type: ignore[no-untyped-def]
        tmp_path: Path, warehouse: Warehouse, smtp) -> None:
    inbox, port = smtp
    seed_warehouse(warehouse)
    settings = make_settings(tmp_path, smtp_port=port, formats=["md", "html", "pdf", "docx"])
    settings.config.digest.site_url = ""
    run_digest(settings, warehouse, period=PERIOD)
    (msg,) = inbox.messages
    attached = {p.get_filename(): p.get_content_type() for p in msg.iter_attachments()}
    assert attached == {
        "seascout-2026-W48.pdf": "application/pdf",
        "seascout-2026-W48.docx":
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "seascout-2026-W48.md": "text/markdown"}
    html = msg.get_body(("html",)).get_content()
    assert "seascout-2026-W48.pdf（见附件）" in html and 'href="./seascout' not in html


def test_webhook_payloads(tmp_path: Path, warehouse: Warehouse, hooks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rec, base = hooks
    seed_warehouse(warehouse)
    report = run_digest(make_settings(tmp_path, hook_base=base, monkeypatch=monkeypatch),
                        warehouse, period=PERIOD)
    assert report.ok, report.errors
    posts = dict(rec.posts)
    assert set(posts) == {"/feishu", "/wecom", "/dingtalk", "/slack"}
    assert posts["/feishu"]["msg_type"] == "text"
    assert "海洋基础模型 OceanNet" in posts["/feishu"]["content"]["text"]
    assert posts["/wecom"]["msgtype"] == "markdown"
    assert len(posts["/wecom"]["markdown"]["content"].encode()) <= 4096
    assert posts["/dingtalk"]["markdown"]["title"].endswith("2026-W48")
    assert "<https://doi.org/" in posts["/slack"]["text"]


def test_long_digest_posts_summary_with_link(tmp_path: Path, warehouse: Warehouse, hooks,  # type: ignore[no-untyped-def]
                                             monkeypatch) -> None:
    rec, base = hooks
    seed_warehouse(warehouse)
    lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
    many = [Work(ids=[f"arxiv:2611.{10000 + i}"], title=f"Paper number {i} " + "x" * 80,
                 kind=Kind.PREPRINT, authors=[Author("A B")]) for i in range(80)]
    upsert_works(warehouse, many, now=lo + timedelta(days=1))
    with warehouse.write() as con:
        con.executemany("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, 'ocean_models', 0.9, 'offline', now())",
                        [[w.ids[0]] for w in many])
    run_digest(make_settings(tmp_path, hook_base=base, monkeypatch=monkeypatch), warehouse,
               period=PERIOD)
    posts = dict(rec.posts)
    wecom = posts["/wecom"]["markdown"]["content"]
    assert len(wecom.encode()) <= 4096 and "另有" in wecom
    assert "https://example.org/d/2026-W48/index.html" in wecom
    assert len(posts["/slack"]["text"]) <= 3000


def test_delivered_exactly_once_across_reruns_and_failures(tmp_path: Path, warehouse: Warehouse,  # type: ignore[no-untyped-def]
                                                          smtp, hooks, monkeypatch) -> None:
    inbox, port = smtp
    rec, base = hooks
    seed_warehouse(warehouse)
    settings = make_settings(tmp_path, smtp_port=port, hook_base=base, monkeypatch=monkeypatch)
    rec.fail_paths = {"/wecom"}
    first = run_digest(settings, warehouse, period=PERIOD)
    assert first.deliveries["webhook:wecom:2"] == "failed"
    assert first.deliveries["email"] == "sent" and first.deliveries["files"] == "sent"
    assert len(inbox.messages) == 1 and len(rec.posts) == 3
    assert (tmp_path / "survey-repo" / PERIOD / "seascout-2026-W48.md").exists()

    rec.fail_paths = set()
    second = run_digest(settings, warehouse, period=PERIOD)  # rerun: only the failed channel
    assert second.deliveries["webhook:wecom:2"] == "sent"
    assert second.deliveries["email"] == "already sent"
    assert len(inbox.messages) == 1
    assert sorted(p for p, _ in rec.posts) == ["/dingtalk", "/feishu", "/slack", "/wecom"]
    assert Path(second.files["md"]).exists()

    third = run_digest(settings, warehouse, period=PERIOD)
    assert set(third.deliveries.values()) == {"already sent"}
    assert len(inbox.messages) == 1 and len(rec.posts) == 4
    with warehouse.read() as con:
        rows = con.execute("SELECT channel, count(*) FROM delivered_items GROUP BY 1").fetchall()
    assert dict(rows) == {c: 3 for c in ("email", "files", "webhook:feishu:1",
                                          "webhook:wecom:2", "webhook:dingtalk:3",
                                          "webhook:slack:4")}


def test_failed_channel_is_retried_by_next_weeks_run(tmp_path: Path, warehouse: Warehouse,  # type: ignore[no-untyped-def]
                                                    smtp, hooks, monkeypatch) -> None:
    inbox, port = smtp
    rec, base = hooks
    seed_warehouse(warehouse)
    settings = make_settings(tmp_path, smtp_port=port, hook_base=base, monkeypatch=monkeypatch)
    rec.fail_paths = {"/slack"}
    run_digest(settings, warehouse, period=PERIOD)
    rec.fail_paths = set()
    nxt = run_digest(settings, warehouse, period="2026-W49", now=AFTER)
    assert nxt.items == 0  # nothing new: last week's works are not reported again
    assert nxt.deliveries["webhook:slack:4 (2026-W48)"] == "sent"
    slack = [p for p, _ in rec.posts if p == "/slack"]
    assert len(slack) == 2  # W48 retried once, W49 once
    assert len(inbox.messages) == 2  # W48 and W49, each once


def test_updates_are_marked_and_reported_once(tmp_path: Path, warehouse: Warehouse) -> None:
    seed_warehouse(warehouse)
    settings = make_settings(tmp_path)
    run_digest(settings, warehouse, period=PERIOD, deliver=False)
    lo, _ = parse_period("2026-W49", "Asia/Shanghai").bounds()
    published = Work(ids=["arxiv:2611.00001", "doi:10.1000/ocean.2026.1"],
                     title="OceanNet: a foundation model", kind=Kind.PAPER,
                     authors=[Author("Ada Lovelace"), Author("Rong-Hua Zhang")],
                     published=date(2026, 12, 1),
                     venue=Venue(journal="Ocean Modelling", volume="1"))
    upsert_works(warehouse, [published], now=lo + timedelta(days=1))
    report = run_digest(settings, warehouse, period="2026-W49", deliver=False)
    assert report.items == 1 and report.updated == 1
    md = Path(report.files["md"]).read_text(encoding="utf-8")
    assert "## 1.1 海洋基础模型 OceanNet（更新）" in md
    assert "> - **更新：**已正式发表于 Ocean Modelling" in md
    assert "本期无新增" in md
    again = run_digest(settings, warehouse, period="2026-W50", deliver=False)
    assert again.items == 0


def test_a_week_still_running_is_rendered_not_delivered(tmp_path: Path, warehouse: Warehouse,  # type: ignore[no-untyped-def]
                                                        smtp) -> None:
    inbox, port = smtp
    seed_warehouse(warehouse)
    settings = make_settings(tmp_path, smtp_port=port, formats=["md", "html", "atom"])
    wednesday = datetime(2026, 11, 25, 12)  # W48 runs until Sunday 29 November
    early = run_digest(settings, warehouse, period=PERIOD, now=wednesday)
    assert Path(early.files["md"]).exists() and early.items == 3
    held = "held until 2026-11-30 00:00 Asia/Shanghai"
    assert early.deliveries == {"email": held, "files": held} and not inbox.messages
    assert "not delivered" in early.describe()
    assert "2026-W48" not in Path(early.files["atom"]).read_text(encoding="utf-8")
    assert "2026-W48/index.html" not in Path(early.files["archive"]).read_text(encoding="utf-8")
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    monday = datetime(2026, 11, 30, 9)
    closed = run_digest(settings, warehouse, period=PERIOD, now=monday)  # the real delivery
    assert closed.deliveries["email"] == "sent" and len(inbox.messages) == 1
    assert "2026-W48" in Path(closed.files["atom"]).read_text(encoding="utf-8")
    assert run_digest(settings, warehouse, period=PERIOD, now=monday).deliveries["email"] == \
        "already sent"
    resent = run_digest(settings, warehouse, period=PERIOD, now=monday, resend=True)
    assert resent.deliveries["email"] == "sent" and len(inbox.messages) == 2
