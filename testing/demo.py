"""`seascout demo`: the whole weekly pipeline on this machine, without internet.

A loopback replay server answers for arXiv (API and RSS), Crossref, OpenAlex and a news site
with the real recorded responses in `tests/fixtures/` (see their PROVENANCE files); a local
SMTP sink receives the digest e-mail. The demo writes its own config pointing every source
at the replay server, runs the weekly flow against a warehouse of its own, and says where
everything is. It needs a source checkout (the recordings live in `tests/fixtures/`).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

from seascout.core import clock
from testing.replay import ANY, ArxivSimulator, ReplayServer, Reply, SimRecord

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = PROJECT_ROOT / "tests" / "fixtures"
DEMO_SECRET_ENV = "SEASCOUT_DEMO_OPENALEX_KEY"  # noqa: S105 - env name; the replay takes any key
# The demo runs at its recordings' own week, whatever the machine's clock says: the clock
# reads this instant when the demo starts (a Wednesday, after the last record's listing day).
DEMO_NOW = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
DEMO_MARKER = ".seascout-demo"  # written into every folder the demo makes: only those it empties

_NEWS_PAGES = {
    "2012-06-24-cmse.html": "news/cmse_china_manned_space_press_conference_2012.html",
    "2019-05-18-gsc.html": "news/gsc_geographical_society_of_china_news_2019.html",
    "2019-06-15-people.html": "news/people_com_cn_culture_2019.html",
}

_HTML_PAPERS = ("2601.07392", "2508.02384")  # demo entries served with an arXiv HTML figure


class DemoError(RuntimeError):
    """The demo cannot run here (no recordings, no free port)."""


@dataclass
class Mailbox:
    """Messages the SMTP sink received, also saved as .eml files."""

    folder: Path
    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"message-{len(self.messages):03d}.eml").write_bytes(envelope.content)
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(message_from_bytes(m)["Subject"] or "")))
                for m in self.messages]


KEPT = "cache"  # derived files only (the fitted triage model, keyed by what it was fit on)


def claim_home(home: Path) -> None:
    """Make `home` the demo's own empty folder: created now, or emptied when an earlier demo
    made it (it holds `DEMO_MARKER`). Any other non-empty folder is the user's: refused, untouched.
    An earlier demo's `cache/` stays: it holds only derived files named by what they derive
    from, so the next demo starts from nothing all the same, without fitting the model again."""
    if home.exists() and not home.is_dir():
        raise DemoError(f"{home}: exists and is not a folder — pass --home a new or empty folder")
    if home.is_dir() and any(home.iterdir()):
        if not (home / DEMO_MARKER).is_file():
            raise DemoError(f"{home}: folder not empty and not made by `seascout demo` — refusing to "
                            "delete what is in it; pass --home a new or empty folder")
        for path in home.iterdir():  # an earlier demo's state: a demo always starts from nothing
            if path.name == KEPT and path.is_dir() and not path.is_symlink():
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text(
        "Made by `seascout demo`: the next demo with this --home deletes this folder.\n",
        encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replay_site(srv: ReplayServer) -> None:
    """Routes for every source the demo crawls, answered with recorded real responses."""
    if not RECORDINGS.is_dir():
        raise DemoError(f"{RECORDINGS}: recorded responses not found — run the demo from a "
                        "source checkout of seascout")
    papers = RECORDINGS / "papers"
    # arXiv API: a week of real arXiv items (in the field and near misses), served by category
    # and submission window like arXiv does.
    srv.add("/api/query", handler=ArxivSimulator(records=demo_week()))
    srv.add("/rss/*", Reply.file(papers / "arxiv_rss" / "rss_all_archives_2024-11-28.excerpt.xml",
                                       "application/rss+xml"))
    # Crossref: a real cursor page for every ISSN watch; DOI look-ups answer with the real 404.
    srv.add("/works", Reply.file(papers / "crossref" / "works_query_widget_cursor_star.body.json",
                                 "application/json"), query={"filter": ANY})
    srv.add("/works/10.*", Reply.file(
        papers / "crossref" / "works_single_doi_not_found_404.body.txt", "text/plain", status=404))
    # OpenAlex: a seed's W id, then the real page of works citing it, then the real last page.
    srv.add("/works/doi:*", Reply.file(papers / "openalex" / "single_work_W2162348455.body.json",
                                             "application/json"))
    srv.add("/works", handler=lambda req: Reply.file(
        papers / "openalex" / ("works_filter_cites_cursor_star_per-page200.body.json"
                               if req.query.get("cursor") in (None, "*")
                               else "works_cursor_last_page_empty.body.json"), "application/json"),
        query={"filter": ANY, "api_key": ANY})
    # A news site: robots.txt, a listing page linking the real article pages.
    srv.add("/robots.txt", Reply.text("User-agent: *\nDisallow: /private/\n"))
    links = "".join(f'<li><a href="/news/{name}">{name}</a></li>' for name in _NEWS_PAGES)
    srv.add("/news/", Reply.raw(f"<html><body><h1>新闻</h1><ul>{links}</ul></body></html>".encode(),
                                "text/html; charset=utf-8"))
    for name, path in _NEWS_PAGES.items():
        srv.add(f"/news/{name}", Reply.file(RECORDINGS / path, "text/html; charset=utf-8"))
    # arXiv's HTML papers: a LaTeXML-shaped page with a figure for some entries (the shape
    # of arxiv.org/html pages, written by us: tests/fixtures/figures/PROVENANCE.md); every
    # other paper has no HTML version (404), as many have not.
    page = (RECORDINGS / "figures" / "arxiv_html_latexml_shape.html").read_bytes()
    srv.add("/html/*", Reply.text("No HTML for this paper", status=404))
    for arxiv_id in _HTML_PAPERS:
        srv.add(f"/html/{arxiv_id}", Reply.raw(page.replace(b"2611.00001", arxiv_id.encode()),
                                               "text/html; charset=utf-8"))
        srv.add(f"/html/{arxiv_id}v1/x1.png", Reply.raw(demo_figure(arxiv_id), "image/png"))


def demo_figure(arxiv_id: str) -> bytes:
    """A PNG the demo serves as a paper's first figure: a drawn stand-in that says so (no
    real figure of these papers is recorded)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    im = Image.new("RGB", (900, 300), "white")
    draw = ImageDraw.Draw(im)
    font, small = ImageFont.load_default(size=26), ImageFont.load_default(size=18)
    for i, (label, colour) in enumerate((("input", "#1f6feb"), ("encoder", "#2da44e"),
                                         ("heads", "#d29922"))):
        x = 40 + i * 300
        draw.rounded_rectangle((x, 80, x + 200, 180), radius=12, outline=colour, width=4)
        draw.text((x + 100, 130), label, fill=colour, font=font, anchor="mm")
        if i < 2:
            draw.line((x + 205, 130, x + 295, 130), fill="#57606a", width=3)
            draw.polygon([(x + 295, 122), (x + 295, 138), (x + 300, 130)], fill="#57606a")
    draw.text((40, 240), f"seascout demo: a drawn stand-in for the first figure of arXiv:{arxiv_id}",
              fill="#57606a", font=small)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def demo_week() -> list[SimRecord]:
    """The demo's arXiv records (tests/fixtures/demo/arxiv_week.jsonl, see its PROVENANCE.md),
    each served as submitted on its real arXiv listing day."""
    path = RECORDINGS / "demo" / "arxiv_week.jsonl"
    if not path.is_file():
        raise DemoError(f"{path}: the demo's arXiv week is missing — run the demo from a "
                        "source checkout of seascout")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [SimRecord(r["arxiv_id"], datetime.fromisoformat(r["listed"]).replace(hour=12),
                      r["title"], r["abstract"], tuple(r["categories"]), tuple(r["authors"]))
            for r in rows]


def demo_config(base: str, smtp_port: int) -> str:
    """A config that points every source at the replay server and mail at the sink."""
    return f"""# Written by `seascout demo`: every source points at a loopback replay server.
contact_email = "demo@seascout.invalid"
seeds_dir = "{PROJECT_ROOT / 'seeds'}"

[sources.arxiv]
api_url = "{base}/api/query"
first_run_days = 500   # the recordings were listed over the fifteen months before DEMO_NOW
rss_url = "{base}/rss/"
min_interval_seconds = 0.2

[sources.crossref]
base_url = "{base}"
lookup_limit = 5

[sources.datacite]
enabled = false   # no recorded DataCite response is available

[sources.openalex]
base_url = "{base}"
api_key_env = "{DEMO_SECRET_ENV}"

[digest]
arxiv_html_url = "{base}/html/"

[sources.news]
disabled_sites = ["cas", "qdio", "soed", "ccf", "science_china", "cnii"]
first_run_days = 10000
download_delay = 0.1

[[sources.news.sites]]
name = "demo_news"
start_urls = ["{base}/news/"]
allowed_domains = ["127.0.0.1"]
article_pattern = "/news/.+\\\\.html$"
max_pages = 1

[delivery.email]
enabled = true
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "seascout-demo@localhost"
recipients = ["lab@localhost"]
"""


@dataclass
class DemoEnvironment:
    home: Path
    config_path: Path
    replay: ReplayServer
    mailbox: Mailbox


@contextmanager
def demo_environment(home: Path) -> Iterator[DemoEnvironment]:
    """Replay server + SMTP sink + config under `home`, torn down on exit; inside, the clock
    runs from `DEMO_NOW` (the recordings' week)."""
    with clock.starting_at(DEMO_NOW), _environment(home) as env:
        yield env


def demo_period(env: DemoEnvironment) -> str:
    """The week the demo crawls, in the digest's timezone (inside `demo_environment`)."""
    from seascout.core.config import load_settings
    from seascout.core.period import this_week

    return this_week(load_settings(env.config_path).config.digest.timezone).id


@contextmanager
def _environment(home: Path) -> Iterator[DemoEnvironment]:
    home.mkdir(parents=True, exist_ok=True)
    mailbox = Mailbox(home / "outbox")
    port = _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with ReplayServer() as srv:
            replay_site(srv)
            config = home / "seascout.toml"
            config.write_text(demo_config(srv.base_url, port), encoding="utf-8")
            yield DemoEnvironment(home, config, srv, mailbox)
    finally:
        smtp.stop()


def deliver_as_ended(env: DemoEnvironment, period: str) -> str:
    """Deliver the demo's week as if it had ended: a real run delivers a week only once it is
    over, and the demo's week is the current one. Returns the delivery line to print."""
    from digests.run import run_digest
    from seascout.core.config import load_settings
    from seascout.core.period import parse_period
    from warehouse.db import Warehouse

    settings = load_settings(env.config_path)
    p = parse_period(period, settings.config.digest.timezone)
    after = datetime.combine(p.end, datetime.min.time(), ZoneInfo(p.timezone)) + timedelta(hours=9)
    report = run_digest(settings, Warehouse(settings.db_path), period=period, now=after)
    sent = ", ".join(f"{ch}: {st}" for ch, st in report.deliveries.items()) or "no channel"
    return f"  delivered   {period} as if the week had ended ({sent})"


def entries_by_section(markdown: str) -> list[tuple[str, list[str]]]:
    """(section heading, entry headings) of a digest in the survey's Markdown."""
    out: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if m := re.match(r"^# (\d+\. .+)$", line):
            if not line.startswith("# 0. "):
                out.append((m.group(1), []))
        elif line.startswith("## ") and out:
            out[-1][1].append(line[3:].strip())
    return out


def describe(env: DemoEnvironment, result: dict[str, Any], seconds: float,
             period: str | None = None) -> list[str]:
    """Where everything is (one `label  value` line each, the values in one column), the
    digest entry by entry, and commands to try next — on the demo's `period` (the recordings'
    week: without it they would show the machine's last week, where the demo stored nothing)."""
    digest_files = result.get("digest") or {}
    rows: list[tuple[str, str]] = [("warehouse", str(env.home / "seascout.duckdb")),
                                   ("config", str(env.config_path))]
    rows += [(f"digest {fmt}", str(path)) for fmt, path in digest_files.items()]
    survey = (result.get("counts") or {}).get("survey") or {}
    rows += [(f"survey {fmt}", str(path)) for fmt, path in (survey.get("files") or {}).items()]
    rows += [("e-mail", f"{len(env.mailbox.messages)} message(s) in {env.mailbox.folder}")]
    rows += [("", f"“{s}”") for s in env.mailbox.subjects()]
    rows += [("try", f"SEASCOUT_HOME={env.home} seascout sql "
                     "\"SELECT section, title FROM relevant_works ORDER BY section\"")]
    if period:
        rows += [("", f"SEASCOUT_HOME={env.home} seascout {command} --config {env.config_path} "
                      f"--period {period}")
                 for command in ("review", "export --format bibtex", "digest --no-deliver")]
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"demo finished in {seconds:.1f} s — run {result.get('run_id')} ({result.get('status')})"]
    md = digest_files.get("md")
    if md and Path(md).is_file():
        lines.append("  the digest, entry by entry:")
        for section, entries in entries_by_section(Path(md).read_text(encoding="utf-8")):
            lines.append(f"    {section}（{len(entries)}）")
            lines += [f"      {e}" for e in entries] or ["      本期无新增"]
    return [*lines, *(f"  {label:<{width}}{value}" for label, value in rows)]
