"""The one text cleaner every source uses (seascout.core.text), on strings taken from real records."""

from __future__ import annotations

import pytest

from seascout.core.text import clean_text, has_markup


@pytest.mark.parametrize(("raw", "plain"), [
    # OpenAlex title markup, Crossref container title, a TOC feed's "null", C1 controls
    ("Tagging <i>b</i><sup>2</sup> jets", "Tagging b2 jets"),
    ("Communicative &amp; Integrative Biology", "Communicative & Integrative Biology"),
    ("null", ""), (None, ""), ("  NULL ", ""),
    ("\x98The \x9cJournal of social, political, and economic studies",
     "The Journal of social, political, and economic studies"),
    ("<![CDATA[ Front cover ]]>", "Front cover"),
    ("&amp;lt;i&amp;gt;double&amp;lt;/i&amp;gt; escaped", "double escaped"),
    # not markup: comparisons and formulae keep their angle brackets
    ("p<0.05 and $a<b c>d$ and x < y", "p<0.05 and $a<b c>d$ and x < y"),
])
def test_titles_become_one_plain_line(raw: str | None, plain: str) -> None:
    assert clean_text(raw) == plain
    assert not has_markup(clean_text(raw))


def test_abstracts_keep_paragraphs_and_lose_heading_entities_and_escaped_newlines() -> None:
    jats = ("<jats:title>Abstract</jats:title><jats:p>Ocean <jats:italic>waves</jats:italic> "
            "&amp; eddies.</jats:p><jats:p>Second   paragraph.</jats:p>")
    assert clean_text(jats, paragraphs=True) == "Ocean waves & eddies.\n\nSecond paragraph."
    # OpenAlex W297480756: every hard-wrapped line ends in "&#13;\n" (a literal backslash-n)
    openalex = "National parks in developing countries&#13;\\n are home to the planet's"
    assert clean_text(openalex, paragraphs=True) == \
        "National parks in developing countries are home to the planet's"
    # Zenodo 10.5281/zenodo.48440 (DataCite): <br> line breaks in a description
    zenodo = "data.<br> - Visualisation functions<br> - Analysis functions"
    assert clean_text(zenodo, paragraphs=True) == \
        "data.\n- Visualisation functions\n- Analysis functions"
    assert clean_text("<p>One.</p><p>Two &#13; three.</p>", paragraphs=True) == \
        "One.\n\nTwo three."
    assert clean_text("Abstract Acknowledged by world leaders", paragraphs=True) == \
        "Acknowledged by world leaders"


def test_has_markup_finds_what_the_cleaner_removes() -> None:
    assert has_markup("a &amp; b") and has_markup("<jats:p>x") and has_markup("x<br>y")
    assert not has_markup("p<0.05 & q") and not has_markup("AT&T")
