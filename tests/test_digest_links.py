"""Link schemes and URLs in every export (issue 23, finding 12): only http(s), mailto and
relative links, whatever text carries them (a news link, a title, a summary); a URL never
brings raw HTML into the Markdown; pandoc's DOCX gets no `javascript:`/`file:`/`smb:` link."""

from __future__ import annotations

import re
from datetime import datetime

from digests.document import Digest, DigestEntry, DigestSection
from digests.render import make_environment, render_html, render_markdown
from seascout.core.model import Kind, Link, LinkKind, Work

BAD = ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd",
       "smb://evil.example/share", "ms-msdt:/id PCWDiagnostic", "JaVaScRiPt:alert(2)"]


def hostile_digest() -> Digest:
    links = [Link(LinkKind.NEWS, "https://example.org/repo<script>alert(1)</script>", "原文")]
    links += [Link(LinkKind.NEWS, url, f"链接{i}") for i, url in enumerate(BAD)]
    news = Work(ids=["url:https://example.org/n"], title="新闻 [点我](javascript:alert(3))",
                kind=Kind.NEWS, language="zh", links=links)
    paper = Work(ids=["arxiv:2612.00001"], title="Paper [x](smb://evil/s)", kind=Kind.PREPRINT)
    summary = " ".join(f"[l{i}]({u})" for i, u in enumerate(BAD)) + " [ok](https://example.org/ok)"
    sections = [DigestSection(1, "海洋大模型"), DigestSection(5, "相关论坛/资讯")]
    sections[0].entries.append(DigestEntry("1.1", paper.title, paper, summary))
    sections[1].entries.append(DigestEntry("5.1", news.title, news, summary))
    return Digest("2026-W50", "周报", "2026-W50", sections, datetime(2026, 12, 7, 8))


def test_markdown_has_only_safe_link_targets_and_no_raw_html_from_urls() -> None:
    md = render_markdown(hostile_digest(), make_environment())
    assert "<script" not in md
    targets = re.findall(r"\]\(\s*<?([^)\s>]*)", md)
    assert targets and all(not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", t) or
                           t.lower().startswith(("http://", "https://", "mailto:")) for t in targets), targets
    assert "](https://example.org/ok)" in md
    for bad in BAD:
        assert f"]({bad}" not in md and f"：{bad}" not in md, bad


def test_html_has_only_safe_hrefs() -> None:
    html = render_html(hostile_digest(), make_environment())
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h == "#" or h.startswith(("http://", "https://", "mailto:", "./", "../", "#"))
                         for h in hrefs), hrefs


def test_docx_has_no_unsafe_hyperlinks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    from digests.word import write_docx

    md = render_markdown(hostile_digest(), make_environment())
    out = tmp_path / "d.docx"
    write_docx(md, out, title="周报")
    rels = zipfile.ZipFile(out).read("word/_rels/document.xml.rels").decode()
    targets = re.findall(r'Target="([^"]*)"[^>]*TargetMode="External"', rels)
    assert targets and all(t.startswith(("http://", "https://", "mailto:")) for t in targets), targets


def test_a_url_ending_a_sentence_links_without_the_full_stop() -> None:
    paper = Work(ids=["arxiv:2601.16994"], title="SOMA-1M", kind=Kind.PREPRINT)
    summary = ("The dataset is at https://github.com/PeihaoWu/SOMA-1M. Models: "
               "https://example.org/a/b, and https://example.org/c; see https://example.org/d!")
    section = DigestSection(4, "数据集")
    section.entries.append(DigestEntry("4.3", paper.title, paper, summary))
    html = render_html(Digest("2026-W50", "周报", "2026-W50", [section], datetime(2026, 12, 7, 8)),
                       make_environment())
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert {"https://github.com/PeihaoWu/SOMA-1M", "https://example.org/a/b",
            "https://example.org/c", "https://example.org/d"} <= set(hrefs), hrefs
    assert not [h for h in hrefs if h.endswith((".", ",", ";", "!"))]
    assert "SOMA-1M</a>. Models" in html  # the full stop stays in the sentence
