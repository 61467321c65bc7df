"""`seascout export --format bibtex|ris|csljson`: each file read back by a parser of its format,
with DOI, venue and arXiv id; a week or the whole survey; the lab's drops left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rispy
from lab_world import NEAR, OCEAN, SHIPS, build
from pybtex.database import parse_string
from typer.testing import CliRunner

from seascout.app.cli import app
from seascout.app.references import cite_keys, to_bibtex
from seascout.core.model import Author, Work
from warehouse.db import Warehouse
from warehouse.decisions_store import decide


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    cfg = tmp_path / "seascout.toml"
    cfg.write_text("", encoding="utf-8")
    wh = Warehouse(tmp_path / "state" / "seascout.duckdb")
    build(wh)

    def run(*args: str, code: int = 0) -> str:
        r = CliRunner().invoke(app, [*args, "--config", str(cfg)])
        assert r.exit_code == code, r.output
        return r.output
    run.wh = wh  # type: ignore[attr-defined]
    return run


def test_bibtex_week_reads_back_with_doi_venue_and_arxiv(cli) -> None:  # type: ignore[no-untyped-def]
    bib = parse_string(cli("export", "--format", "bibtex", "--period", "2026-W48"), "bibtex")
    assert list(bib.entries) == ["lovelace2026oceannet", "hopper2026shipdet"]
    ships = bib.entries["hopper2026shipdet"]
    assert ships.type == "article"
    assert ships.fields["doi"] == "10.3390/rs99999999"  # the published DOI, not the arXiv one
    assert (ships.fields["journal"], ships.fields["volume"], ships.fields["number"],
            ships.fields["pages"]) == ("Remote Sensing", "18", "2", "123")
    assert (ships.fields["eprint"], ships.fields["archiveprefix"]) == ("2611.00002", "arXiv")
    ocean = bib.entries["lovelace2026oceannet"]
    assert ocean.type == "misc" and ocean.fields["doi"] == "10.48550/arXiv.2611.00001"
    assert [str(p) for p in ocean.persons["author"]] == ["Lovelace, Ada", "Zhang, Rong-Hua"]


def test_ris_and_csljson_read_back(cli) -> None:  # type: ignore[no-untyped-def]
    ris = rispy.loads(cli("export", "--format", "ris", "--period", "2026-W48"))
    assert [r["type_of_reference"] for r in ris] == ["UNPB", "JOUR"]
    assert ris[1]["doi"] == "10.3390/rs99999999" and ris[1]["journal_name"] == "Remote Sensing"
    assert ris[1]["notes"] == ["arXiv:2611.00002"] and ris[1]["authors"] == ["Hopper, Grace"]
    csl = json.loads(cli("export", "--format", "csljson", "--period", "2026-W48"))
    assert csl[1]["type"] == "article-journal" and csl[1]["DOI"] == "10.3390/rs99999999"
    assert csl[1]["container-title"] == "Remote Sensing" and csl[1]["note"] == "arXiv: 2611.00002"
    assert csl[0]["author"][1] == {"family": "Zhang", "given": "Rong-Hua"}
    assert csl[0]["issued"] == {"date-parts": [[2026, 11, 24]]}


def test_the_survey_export_follows_the_decisions(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    decide(cli.wh, SHIPS, action="drop", by="lin")
    decide(cli.wh, NEAR, action="move", section=1, by="lin")
    out = tmp_path / "survey.bib"
    assert "19 entries" in cli("export", "--format", "bibtex", "--survey", "--out", str(out))
    bib = parse_string(out.read_text(encoding="utf-8"), "bibtex")
    eprints = {e.fields.get("eprint") for e in bib.entries.values()}
    dois = {e.fields.get("doi") for e in bib.entries.values()}
    assert "10.1126/sciadv.aba1482" in dois  # a seed entry
    assert "2611.00004" in eprints  # the lab kept it (triage had called it irrelevant)
    assert "10.3390/rs99999999" not in dois  # dropped
    # triage's undecided pick is a candidate of the week, not in the survey (the regenerated
    # survey leaves it out too)
    assert OCEAN.removeprefix("arxiv:") not in eprints
    week = parse_string(cli("export", "--format", "bibtex", "--period", "2026-W48"), "bibtex")
    assert [e.fields["eprint"] for e in week.entries.values()] == [  # the week: kept and picks
        NEAR.removeprefix("arxiv:"), OCEAN.removeprefix("arxiv:")]


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "endnote"], "unknown --format 'endnote'"),
    (["--format", "ris", "--period", "2026-W99"], "no ISO week 99"),
    (["--format", "ris", "--period", "2026-W48", "--survey"], "not both"),
    ([], "--parquet DIR, or --format"),
])
def test_bad_export_options_get_one_line(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("export", *args, code=2)
    assert message in out and len(out.strip().splitlines()) == 1


def test_cite_keys_are_unique_and_survive_odd_names() -> None:
    works = [Work(ids=["arxiv:1"], title="Ocean models", authors=[Author("张三")]),
             Work(ids=["arxiv:2"], title="Ocean models", authors=[Author("张三")]),
             Work(ids=["arxiv:3"], title="{Unbalanced} braces} 50% & more", authors=[Author("A {B")])]
    keys = cite_keys(works)
    assert len(set(keys)) == 3
    bib = parse_string(to_bibtex(works), "bibtex")
    assert len(bib.entries) == 3
    assert bib.entries[keys[2]].fields["title"] == (
        r"\textbraceleft{}Unbalanced\textbraceright{} braces\textbraceright{} 50\% \& more")


def test_a_chinese_news_page_gets_a_named_key_not_anon() -> None:
    """A news page has no author and no ASCII title word: its key names the site (RIS ID)."""
    from datetime import date

    from seascout.app.references import to_ris
    from seascout.core.model import Kind

    news = Work(ids=["url:https://www.cas.cn/syky/202611/t20261120_5083321.shtml"],
                title="海洋大模型发布", kind=Kind.NEWS, published=date(2026, 11, 20))
    bare = Work(ids=["seed:5.1"], title="海洋论坛", kind=Kind.NEWS)
    assert cite_keys([news, bare]) == ["cas2026", "news"]
    assert "ID  - cas2026" in to_ris([news]) and "anon" not in to_ris([news, bare])


def test_bibtex_escapes_tex_in_every_field_but_keeps_urls_verbatim() -> None:
    """A title's `\\input/etc/passwd` (issue 23, finding 13) is text, not a TeX command; every
    special character is escaped; the url field stays a working URL; pybtex reads it back."""
    from pybtex.database import parse_string

    from seascout.app.references import to_bibtex
    from seascout.core.model import Author, Kind, Venue, Work

    hostile = r"\input/etc/passwd {unbalanced 50% & $x$ #1 a_b ^ ~"
    w = Work(ids=["doi:10.5555/a_b", "url:https://example.org/p_q?x=1&y=2"], title=hostile,
             kind=Kind.PAPER, authors=[Author(r"Eve \relax Vil")],
             venue=Venue(journal=r"J. of $\mathbb{Evil}$ & Co", publisher="A_B #1"))
    text = to_bibtex([w])
    assert r"\input" not in text and r"\relax" not in text and r"\mathbb" not in text
    entry = next(iter(parse_string(text, "bibtex").entries.values()))
    assert entry.fields["title"] == (r"\textbackslash{}input/etc/passwd \textbraceleft{}unbalanced "
                                     r"50\% \& \$x\$ \#1 a\_b \^{} \~{}")
    assert entry.fields["journal"].startswith(r"J. of \$\textbackslash{}mathbb")
    assert entry.fields["publisher"] == r"A\_B \#1"
    assert entry.fields["doi"] == "10.5555/a_b"
    assert entry.fields["url"] == "https://doi.org/10.5555/a_b"
