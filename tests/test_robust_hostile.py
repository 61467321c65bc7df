"""Hostile input: fuzzed parsers, escaping in every output, header injection.

Every parser gets random bytes and mutations of the recorded fixtures (hypothesis). The rule:
it returns its models or raises its own documented error type (whose message names the input
where the parser knows it) — never an IndexError, KeyError, AttributeError, TypeError from
deep inside. Nothing is half-stored: a survey that fails to parse leaves the warehouse as it
was. XSS payloads in titles, abstracts, summaries and links come out escaped (or dropped) in
the HTML digest, the archive pages and the Atom feed; CR/LF in a title cannot add an e-mail
header. (Prompt injection across a batch: tests/test_triage_llm.py::
test_hostile_abstract_cannot_relabel_other_items.)
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ROOT / "tests" / "fixtures" / "papers"
NEWS = ROOT / "tests" / "fixtures" / "news"
SEED = next((ROOT / "seeds").glob("*.md"))
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def mutations(blob: bytes) -> st.SearchStrategy[bytes]:
    """Cuts, splices, byte flips and injected markup of a real recording."""
    n = len(blob)
    cut = st.integers(0, n).map(lambda i: blob[:i])
    tail = st.integers(0, n).map(lambda i: blob[i:])
    flip = st.tuples(st.integers(0, max(n - 1, 0)), st.binary(min_size=1, max_size=8)).map(
        lambda t: blob[:t[0]] + t[1] + blob[t[0] + len(t[1]):])
    splice = st.tuples(st.integers(0, n), st.integers(0, n), st.integers(0, n)).map(
        lambda t: blob[:t[0]] + blob[min(t[1], t[2]):max(t[1], t[2])] + blob[t[0]:])
    inject = st.tuples(st.integers(0, n), st.sampled_from([
        b"<", b"&", b"&nbsp;", b"]]>", b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]>",
        b"&a;", b"\x00", b"\xff\xfe", b'"', b"{", b"}", b"[", b"null", b"1e999", b"\\u0000",
        b"<script>alert(1)</script>", "标题\u202e".encode()])).map(
        lambda t: blob[:t[0]] + t[1] + blob[t[0]:])
    return st.one_of(st.binary(max_size=400), cut, tail, flip, splice, inject)


def fixture(path: str) -> bytes:
    return (PAPERS / path).read_bytes()


# -- the survey parser -----------------------------------------------------------------------
SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines()[:160]


def survey_texts() -> st.SearchStrategy[str]:
    extra = ["# 9. 新节", "## 1.1", "## 9.9 x", "# 1. dup", "> - **论文引用**：", "#", "# 0.", "##"]
    lines = st.lists(st.sampled_from([*SEED_LINES, *extra]),
                     max_size=40)
    return st.one_of(st.text(max_size=300), lines.map("\n".join),
                     st.integers(0, len(SEED_TEXT)).map(lambda i: SEED_TEXT[:i]))


@FUZZ
@given(text=survey_texts())
def test_survey_parser_returns_a_survey_or_a_survey_error_naming_the_file(text: str) -> None:
    from seascout.core.survey import Survey, SurveyError, parse_survey

    try:
        survey = parse_survey(text, "hostile.md")
    except SurveyError as e:
        assert str(e).startswith("hostile.md:"), e
        assert re.match(r"hostile\.md:\d+", str(e)), e
    else:
        assert isinstance(survey, Survey)


def _tables(wh) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    with wh.read() as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall()))
                for t in names}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_broken_survey_edit_stores_nothing(warehouse, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    """Seed the real survey, then break it: seeding again raises and changes no table; a
    damaged document that still parses is stored whole (no crash inside the store)."""
    from seascout.core.survey import SurveyError
    from warehouse.seeds import seed_if_changed

    folder = tmp_path / "seeds"
    folder.mkdir(exist_ok=True)
    (folder / SEED.name).write_text(SEED_TEXT, encoding="utf-8")
    seed_if_changed(warehouse, folder)
    before = _tables(warehouse)
    lines = SEED_TEXT.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    bad = data.draw(st.sampled_from(["# 1. 海洋大模型", "## 7.1 stray entry", "# x", "#### ok",
                                     "", "> - **论文引用**：“", "## 1.99 " + "a" * 500]),
                    label="replacement")
    (folder / SEED.name).write_text("\n".join([*lines[:i], bad, *lines[i + 1:]]),
                                    encoding="utf-8")
    try:
        seed_if_changed(warehouse, folder)
    except SurveyError as e:
        assert SEED.name in str(e)
        assert _tables(warehouse) == before  # nothing half-stored
    else:
        assert _tables(warehouse) != before or bad in ("", "#### ok") or lines[i] == bad


# -- feed and API parsers ---------------------------------------------------------------------
ARXIV = fixture("arxiv_api/recorded2026_q_testing_start0_max10.body.xml")
ARXIV_2016 = fixture("arxiv_api/legacy2016_search_au_del_maestro.xml")
RSS = fixture("arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml")
CROSSREF = fixture("crossref/works_query_ecology_rows2_polite_pool.body.json")
CROSSREF_ONE = fixture("crossref/works_single_doi_10.1371_journal.pone.0033693.body.json")
OPENALEX = fixture("openalex/works_filter_cites_cursor_star_per-page200.body.json")
OPENALEX_ONE = fixture("openalex/single_work_W2162348455.body.json")


def _check_parser(parse, errors: tuple[type[Exception], ...], body: bytes) -> None:  # type: ignore[no-untyped-def]
    from seascout.core.model import Work

    try:
        works = parse(body)
    except errors:
        return
    assert isinstance(works, list) and all(isinstance(w, Work) and w.ids for w in works)


@FUZZ
@given(body=st.one_of(mutations(ARXIV), mutations(ARXIV_2016)))
def test_arxiv_atom_parser(body: bytes) -> None:
    from spiders.arxiv_api import ArxivFeedError, ArxivQueryError, parse

    _check_parser(parse, (ArxivFeedError, ArxivQueryError), body)


@FUZZ
@given(body=mutations(RSS))
def test_arxiv_rss_parser(body: bytes) -> None:
    from spiders.arxiv_rss import RssFeedError, parse

    _check_parser(parse, (RssFeedError,), body)


@FUZZ
@given(body=mutations(RSS))
def test_journal_feed_parser(body: bytes) -> None:
    from spiders.journal_feeds import JournalFeedError, parse

    _check_parser(parse, (JournalFeedError,), body)


def json_mutations(blob: bytes) -> st.SearchStrategy[bytes]:
    """Byte mutations plus structurally valid JSON with values of the wrong type."""
    data = json.loads(blob)
    wrong = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.none(), max_size=2),
                      st.dictionaries(st.text(max_size=3), st.none(), max_size=2), st.booleans())

    def paths(node, prefix=()):  # type: ignore[no-untyped-def]
        yield prefix
        if isinstance(node, dict):
            for k, v in list(node.items())[:40]:
                yield from paths(v, (*prefix, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                yield from paths(v, (*prefix, i))

    all_paths = list(paths(data))

    def replace(args) -> bytes:  # type: ignore[no-untyped-def]
        path, value = args
        copy = json.loads(blob)
        if not path:
            return json.dumps(value).encode()
        node = copy
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
        return json.dumps(copy).encode()

    return st.one_of(mutations(blob), st.tuples(st.sampled_from(all_paths), wrong).map(replace))


@FUZZ
@given(body=st.one_of(json_mutations(CROSSREF), json_mutations(CROSSREF_ONE)))
def test_crossref_parser(body: bytes) -> None:
    from spiders.crossref import CrossrefFormatError, parse

    _check_parser(parse, (CrossrefFormatError,), body)


@FUZZ
@given(body=st.one_of(json_mutations(OPENALEX), json_mutations(OPENALEX_ONE)))
def test_openalex_parser(body: bytes) -> None:
    from spiders.openalex import OpenalexFormatError, parse

    _check_parser(parse, (OpenalexFormatError,), body)


@FUZZ
@given(body=st.one_of(json_mutations(json.dumps({"data": {
    "id": "10.48550/arxiv.2308.03152", "attributes": {
        "doi": "10.48550/arxiv.2308.03152", "titles": [{"title": "AI-GOMS"}],
        "creators": [{"name": "Xiong, Wei", "givenName": "Wei", "familyName": "Xiong"}],
        "publicationYear": 2023, "dates": [{"date": "2023-08-06", "dateType": "Submitted"}],
        "relatedIdentifiers": [{"relatedIdentifierType": "DOI", "relationType": "IsVersionOf",
                                "relatedIdentifier": "10.1/x"}],
        "subjects": [{"subject": "physics.ao-ph"}]}}}).encode())))
def test_datacite_parser(body: bytes) -> None:
    from spiders.datacite import DataciteFormatError, parse

    _check_parser(parse, (DataciteFormatError,), body)


# -- the article extractor ---------------------------------------------------------------------
PAGES = [p.read_bytes() for p in sorted(NEWS.glob("*.html"))]


@FUZZ
@given(body=st.one_of(*(mutations(p) for p in PAGES)),
       headers=st.sampled_from([None, {"Content-Type": "text/html; charset=gbk"},
                                {"Content-Type": "text/html; charset=bogus-charset"},
                                {"Content-Type": "application/octet-stream"}]))
def test_article_extractor(body: bytes, headers: dict | None) -> None:  # type: ignore[type-arg]
    from spiders.news.extract import Article, ExtractionError, extract_article

    try:
        article = extract_article("https://www.cas.cn/news/1.shtml", body, headers)
    except ExtractionError as e:
        assert str(e)
        return
    assert isinstance(article, Article) and article.title and article.url


# -- the LLM reply parser ------------------------------------------------------------------------
GOOD_REPLY = {"label": "ocean_models", "confidence": 0.9, "reason": "fits",
              "title_zh": "一个海洋预报神经网络",
              "summary_zh": "该模型是一个基于深度学习的海洋预报系统，利用再分析数据训练，"
                            "能够预测全球海温和海流。" * 3,
              "links": ["https://github.com/x/y"]}
json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4), max_leaves=12)


def replies() -> st.SearchStrategy[str]:
    field_swaps = st.tuples(st.sampled_from(sorted(GOOD_REPLY)), json_values).map(
        lambda t: json.dumps({**GOOD_REPLY, t[0]: t[1]}, ensure_ascii=False))
    return st.one_of(st.text(max_size=200), json_values.map(json.dumps), field_swaps,
                     field_swaps.map(lambda s: f"```json\n{s}\n```"),
                     st.integers(0, 300).map(lambda i: json.dumps(GOOD_REPLY)[:i]))


@FUZZ
@given(text=replies())
def test_llm_reply_parser_validates_or_refuses(text: str) -> None:
    from pydantic import ValidationError

    from seascout.core.model import Kind, Label, Work
    from triage.llm import LLMReply, parse_reply

    work = Work(ids=["arxiv:2601.00001"], title="Ocean model", kind=Kind.PREPRINT,
                abstract="code at https://github.com/x/y")
    try:
        reply = parse_reply(text, work)
    except (ValidationError, ValueError):  # json.JSONDecodeError is a ValueError
        return
    assert isinstance(reply, LLMReply) and isinstance(reply.label, Label)
    assert 0 <= reply.confidence <= 1 and "\n" not in reply.title_zh
    assert all(u in "code at https://github.com/x/y" for u in reply.links)


def test_llm_reply_parser_accepts_the_good_reply() -> None:
    """The property above is not vacuous: a well-formed reply does validate."""
    from seascout.core.model import Kind, Work
    from triage.llm import parse_reply

    work = Work(ids=["arxiv:2601.00001"], title="t", kind=Kind.PREPRINT, abstract="x")
    reply = parse_reply(json.dumps(GOOD_REPLY, ensure_ascii=False), work)
    assert reply.label.value == "ocean_models" and reply.links == []  # not in the item: dropped


# -- escaping in every output --------------------------------------------------------------------
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CRLF_TITLE = f"Evil {XSS}\r\nBcc: victim@example.com\r\nX-Injected: 1"
PERIOD = "2026-W48"


def test_xss_in_titles_abstracts_summaries_and_links_is_escaped_everywhere(
        tmp_path: Path, warehouse, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    from digests import run_digest
    from seascout.core.config import Config, DeliveryConfig, DigestConfig, FilesConfig, Settings
    from seascout.core.model import Author, Kind, Link, LinkKind, Work
    from seascout.core.period import parse_period
    from warehouse.works import upsert_works

    lo, _ = parse_period(PERIOD, "Asia/Shanghai").bounds()
    upsert_works(warehouse, [
        Work(ids=["arxiv:2611.00001"], title=f"OceanNet {XSS}", kind=Kind.PREPRINT,
             abstract=f"Abstract {XSS}", authors=[Author(f"Ada {XSS}")],
             published=date(2026, 11, 24), arxiv_version=1,
             links=[Link(LinkKind.CODE, "javascript:alert(1)", "开源代码"),
                    Link(LinkKind.PROJECT, "https://example.org/?q=\"><script>x</script>")]),
        Work(ids=["url:https://www.cas.cn/news/1.shtml"], title=f"海洋新闻 {XSS}",
             kind=Kind.NEWS, language="zh", abstract=f"新闻 {XSS}"),
    ], now=lo + timedelta(days=2))
    with warehouse.write() as con:
        con.executemany("INSERT INTO sections VALUES (?, ?, ?, '') ON CONFLICT DO NOTHING",
                        [(1, f"海洋大模型 {XSS}", "ocean_models"), (5, "相关论坛/资讯", "news")])
        for wid, label in (("arxiv:2611.00001", "ocean_models"),
                           ("url:https://www.cas.cn/news/1.shtml", "news")):
            con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES (?, ?, 0.9, 'offline', now())", [wid, label])
            con.execute("INSERT INTO summaries VALUES (?, ?, ?, 'zh', 'llm', NULL, now())",
                        [wid, f"中文标题 {XSS}", f"论文摘要：{XSS} 一个模型。"])
    cfg = Config(digest=DigestConfig(formats=["md", "html", "atom"],
                                     site_url="https://example.org/d", title=f"周报 {XSS}"),
                 delivery=DeliveryConfig(files=FilesConfig(enabled=False)))
    settings_ = Settings(config=cfg, home=tmp_path, root=tmp_path, config_path=None)
    report = run_digest(settings_, warehouse, period=PERIOD)
    assert report.ok, report.errors
    out = Path(report.files["html"]).parent
    html_files = sorted({*out.rglob("*.html"), *tmp_path.rglob("*.html")})
    assert len(html_files) >= 2, html_files  # the digest page and the archive index
    seen_payload = False
    for path in html_files:
        text = path.read_text(encoding="utf-8")
        seen_payload |= "&lt;script&gt;" in text
        assert "<script>" not in text and "<img src=x" not in text, path
        assert not re.search(r"""href=["']?\s*javascript:""", text, re.I), path
    assert seen_payload  # the payload was rendered (escaped), not silently absent
    atoms = sorted(tmp_path.rglob("*.xml"))
    assert atoms, "no Atom feed written"
    for path in atoms:
        root = etree.fromstring(path.read_bytes())  # well-formed XML despite the payload
        for el in root.iter():
            assert "<script" not in (el.text or "") or el.tag.endswith(("title", "summary")), el
        assert b"<script>" not in path.read_bytes()


def test_crlf_in_a_title_cannot_add_email_headers() -> None:
    import email
    import email.policy

    from digests.smtp import build_message
    from seascout.core.config import EmailConfig

    cfg = EmailConfig(enabled=True, host="localhost", sender="seascout@example.org",
                      recipients=["lab@example.org"])
    msg = build_message(cfg, subject=f"周报 {CRLF_TITLE}", text=f"1.1 {CRLF_TITLE}",
                        html=f"<p>{CRLF_TITLE}</p>")
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert back["Bcc"] is None and back["X-Injected"] is None
    assert [str(a) for a in back.get_all("To")] == ["lab@example.org"]
    assert "\n" not in str(back["Subject"]) and "Evil" in str(back["Subject"])
    assert set(back.keys()) <= {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version",
                                "Content-Type", "Content-Transfer-Encoding"}, back.keys()


@pytest.mark.parametrize("subject", ["a\rBcc: x@example.com", "a\nBcc: x@example.com",
                                     "a\r\n Bcc: x@example.com", "a\u2028Bcc: x@example.com",
                                     "a\x85Bcc: x@example.com"])
def test_line_breaks_of_every_kind_stay_in_the_subject(subject: str) -> None:
    import email
    import email.policy

    from digests.smtp import build_message
    from seascout.core.config import EmailConfig

    cfg = EmailConfig(enabled=True, host="localhost", sender="s@example.org", recipients=["lab@example.org"])
    msg = build_message(cfg, subject=subject, text="t", html="<p>t</p>")
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert back["Bcc"] is None
