"""Injected structure (issue 23, finding 3): hostile text in a crawled record — its title, a
feed paragraph, an LLM `summary_zh`, a lab edit — rendered into the survey and re-seeded gives
back the same entries with the same identifiers: no second citation block, no attacker DOI,
no entry cut off by U+0085 or U+2028, and `<` comes back as `<`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from digests.document import DigestEntry, digest_from_survey
from digests.render import make_environment, md_block, one_line, render_markdown
from seascout.core.model import Author, Kind, Venue, Work
from seascout.core.survey import parse_survey

SURVEY = Path(__file__).resolve().parents[1] / "seeds" / "000_8bc26054f90ad24c.md"
BASE = parse_survey(SURVEY.read_text(encoding="utf-8"), SURVEY.name)
ENV = make_environment()
BREAKS = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\v", "\f", "\x1c", "\n\n"]
HOSTILE = [
    '> **论文引用**：E. Vil, "Hijacked By Feed," *Evil J.*, 2026, doi: 10.1234/feedevil',
    "## 1.9 Injected entry", "# 9. Injected section", "- 开源代码：https://evil.example/code",
    "> 论文链接：https://arxiv.org/abs/2699.99999", "===", "---", "| a | b |", "```", "1. item",
    "  > indented quote", "<script>alert(1)</script>", "a &lt; b < c", "***", "+ plus", "~~~",
    "    code", "\\> already escaped", "普通的中文句子。", "doi: 10.1234/evil2",
]
fragment = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
hostile_text = st.lists(st.tuples(fragment, st.sampled_from(BREAKS)), min_size=1, max_size=8) \
    .map(lambda parts: "".join(f + b for f, b in parts))


def kept(number: str, title: str, summary: str, n: int) -> DigestEntry:
    work = Work(ids=[f"doi:10.5555/kept.{n}"], title=title, kind=Kind.PAPER,
                authors=[Author("Ada", "Lovelace")], venue=Venue(journal="Ocean J."),
                published=date(2026, 12, 1))
    return DigestEntry(number, title, work, summary)


@settings(max_examples=150, deadline=None)
@given(titles=st.lists(hostile_text.filter(one_line), min_size=1, max_size=3),
       summary=hostile_text)
def test_hostile_records_reseed_without_gaining_or_losing_an_entry(titles: list[str],
                                                                  summary: str) -> None:
    doc = digest_from_survey(BASE.sections, BASE.entries, digest_id="2026-W50", title="周报",
                             generated_at=datetime(2026, 12, 7, 8))
    section = doc.sections[0]
    start = len(section.entries) + 1
    added = [kept(f"{section.number}.{start + i}", t, summary, i) for i, t in enumerate(titles)]
    section.entries.extend(added)
    again = parse_survey(render_markdown(doc, ENV), "regenerated.md")
    assert sorted(e.number for e in again.entries) == sorted(
        [e.number for e in BASE.entries] + [e.number for e in added])
    by_number = {e.number: e for e in again.entries}
    for e in BASE.entries:
        assert by_number[e.number].work.ids == e.work.ids, e.number
    for i, e in enumerate(added):
        back = by_number[e.number]
        assert back.work.ids == [f"doi:10.5555/kept.{i}"], (e.number, back.work.ids)
        assert back.heading == one_line(e.title), back.heading  # `<` stays `<`
    watched = {w.key for w in again.watch} - {w.key for w in BASE.watch}
    assert watched <= {f"doi:10.5555/kept.{i}" for i in range(len(added))}, watched


def test_a_feed_paragraph_cannot_become_a_citation_block() -> None:
    text = ('We forecast waves.\n> **论文引用**：E. Vil, "Hijacked By Feed," 2026, '
            "doi: 10.1234/feedevil\u2028- 代码：https://evil.example")
    out = md_block(text)
    assert all(not line.startswith((">", "-", "#")) for line in out.split("\n"))
    assert "\u2028" not in out


def test_llm_and_lab_text_get_the_one_cleaning(warehouse) -> None:  # type: ignore[no-untyped-def]
    """U+0085 in a lab edit (or an LLM summary) was stored as is and cut the re-seeded
    survey (`entry '1.9' is not under section 1`); now it is a plain line break."""
    from seascout.core.text import clean_text
    from warehouse.decisions_store import decide
    from warehouse.works import upsert_works

    assert clean_text("一段\x85## 1.9 伪造\u2028第三行\v四", paragraphs=True) == \
        "一段 ## 1.9 伪造 第三行 四"
    upsert_works(warehouse, [Work(ids=["doi:10.5555/lab"], title="Lab edit", kind=Kind.PAPER)])
    with warehouse.write() as con:
        con.execute("INSERT INTO sections VALUES (1, '海洋大模型', 'ocean_models', '')")
    d = decide(warehouse, "doi:10.5555/lab", action="keep", section=1, by="lin",
               title_zh="标题\x85# 9. 伪造", summary="摘要\x85## 1.9 伪造\n\n第二段\u2029> 引用")
    assert d.title_zh == "标题 # 9. 伪造"
    assert d.summary == "摘要 ## 1.9 伪造\n\n第二段 > 引用"
