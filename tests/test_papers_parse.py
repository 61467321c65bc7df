"""Pure parsers of the paper sources, on the real recorded responses in fixtures/papers."""


from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from spiders import arxiv_api, arxiv_rss, crossref, datacite, journal_feeds, openalex

PAPERS = Path(__file__).parent / "fixtures" / "papers"


def fixture(rel: str) -> bytes:
    path = PAPERS / rel
    if not path.exists():  # pragma: no cover - a clear message instead of FileNotFoundError
        pytest.fail(f"missing fixture {path}: copy it from /work/shared/fixtures/real/{rel}")
    return path.read_bytes()


# -- arXiv API ------------------------------------------------------------------------------
def test_arxiv_2016_format_doi_journal_ref_primary_category() -> None:
    page = arxiv_api.parse_page(
        fixture("arxiv_api/legacy2016_search_au_del_maestro_AND_ti_checkerboard.xml"))
    assert (page.total, page.start, page.per_page) == (1, 0, 10)
    (w,) = page.works
    assert w.ids == ["arxiv:cond-mat/0603029", "doi:10.1103/physrevb.74.024520"]
    assert w.arxiv_version == 1
    assert w.journal_ref == "Phys. Rev. B 74, 024520 (2006)"
    assert w.categories[0] == "cond-mat.str-el" and "cond-mat.supr-con" in w.categories
    assert w.title.startswith("From stripe to checkerboard order")
    assert w.published == date(2006, 3, 2)


def test_arxiv_2016_page_of_ten() -> None:
    page = arxiv_api.parse_page(fixture("arxiv_api/legacy2016_search_au_del_maestro.xml"))
    assert page.total == 31 and len(page.works) == 10
    assert sum(1 for w in page.works if w.key("doi")) >= 3
    assert all(w.kind == "preprint" and w.authors for w in page.works)


def test_arxiv_2026_format_affiliations_and_old_style_id() -> None:
    (w,) = arxiv_api.parse(fixture("arxiv_api/recorded2026_id_astro-ph_0601001_journal_ref.body.xml"))
    assert w.ids == ["arxiv:astro-ph/0601001"]
    assert w.journal_ref == "ActaAstron.56:1-50,2006"
    assert [a.affiliations for a in w.authors] == [["Ohio State"], ["Ohio State"], ["CfA"],
                                                   ["Warsaw University Observatory"]]
    assert w.abstract and w.abstract.startswith("We derive")  # leading spaces folded


def test_arxiv_2026_pages_follow_each_other_with_versions() -> None:
    first = arxiv_api.parse_page(fixture("arxiv_api/recorded2026_q_testing_start0_max10.body.xml"))
    second = arxiv_api.parse_page(fixture("arxiv_api/recorded2026_q_testing_start10_max10.body.xml"))
    assert first.total == second.total == 214881 and second.start == 10
    assert len({w.ids[0] for w in first.works + second.works}) == 20
    assert sum(1 for w in first.works if w.key("doi")) == 6
    assert sum(1 for w in first.works if w.journal_ref) == 6
    assert any((w.arxiv_version or 0) > 1 for w in second.works)
    names = " ".join(a.name for w in first.works + second.works for a in w.authors)
    assert "Aurora Ramírez" in names and "Ã" not in names  # UTF-8 bytes, decoded by the parser


def test_arxiv_error_feed_and_empty_result() -> None:
    page = arxiv_api.parse_page(fixture("arxiv_api/recorded2026_id_abc_error400.body.xml"))
    assert page.error == "incorrect id format for abc" and page.works == []
    with pytest.raises(arxiv_api.ArxivQueryError, match="incorrect id format"):
        arxiv_api.parse(fixture("arxiv_api/recorded2026_id_abc_error400.body.xml"))
    empty = arxiv_api.parse_page(fixture("arxiv_api/recorded2026_id_0000.0000_empty.body.xml"))
    assert empty.total == 0 and empty.works == [] and empty.error is None


@pytest.mark.parametrize("body", [b"", b"<html><body>Bad gateway</body></html>",
                                  b"<?xml version='1.0'?><feed><entry><title>cut"])
def test_arxiv_malformed_bodies_raise(body: bytes) -> None:
    with pytest.raises(arxiv_api.ArxivFeedError):
        arxiv_api.parse_page(body)


def test_topic_queries_are_extras_outside_the_harvested_categories() -> None:
    from seascout.core.config import Config

    queries = arxiv_api.topic_queries(Config())
    assert set(queries) == {"ocean_models", "rs_foundation_models", "ship_detection", "datasets"}
    q = queries["ship_detection"]
    assert q.endswith("ANDNOT (cat:physics.ao-ph OR cat:cs.CV OR cat:eess.IV OR cat:cs.LG OR cat:cs.CL)")
    assert "(all:SAR AND all:ship)" in q


def test_a_run_harvests_every_category_whole_and_topic_queries_only_on_request() -> None:
    from seascout.core.config import Config

    config = Config()
    assert arxiv_api.harvest_queries(config) == {
        "cat:physics.ao-ph": "cat:physics.ao-ph", "cat:cs.CV": "cat:cs.CV", "cat:eess.IV": "cat:eess.IV",
        "cat:cs.LG": "cat:cs.LG", "cat:cs.CL": "cat:cs.CL"}
    config.sources.arxiv.topic_queries = True
    assert len(arxiv_api.harvest_queries(config)) == 5 + 4


# -- arXiv RSS ------------------------------------------------------------------------------
def test_rss_items_keep_announce_type_doi_and_journal_ref() -> None:
    works = arxiv_rss.parse(fixture("arxiv_rss/rss_all_archives_2024-11-28.excerpt.xml"),
                            query="all")
    assert len(works) == 56
    types = [w.provenance[0].record_id.split("#")[1] for w in works]
    assert types.count("new") == 25 and types.count("cross") == 9
    assert types.count("replace") + types.count("replace-cross") == 22
    assert sum(1 for w in works if w.key("doi")) == 12
    assert sum(1 for w in works if w.journal_ref) == 10
    first = works[0]
    assert first.ids == ["arxiv:2411.17700"] and first.published == date(2024, 11, 28)
    assert first.abstract and first.abstract.startswith("This study investigates")
    assert "Announce Type" not in first.abstract
    replaced = next(w for w in works if w.provenance[0].record_id.endswith("#replace"))
    assert replaced.published is None and replaced.updated == date(2024, 11, 28)


def test_rss_empty_feed_is_normal_and_error_feed_is_config_error() -> None:
    assert arxiv_rss.parse(fixture("arxiv_rss/rss_empty_archive_test_2024-11-28.xml")) == []
    with pytest.raises(arxiv_rss.RssFeedError, match="Bad archive 'astroph'"):
        arxiv_rss.parse(fixture("arxiv_rss/rss_error_bad_archive_astroph_2024-11-28.xml"))


# -- Crossref -------------------------------------------------------------------------------
def test_crossref_single_work() -> None:
    (w,) = crossref.parse(fixture("crossref/works_single_doi_10.1371_journal.pone.0033693.body.json"))
    assert w.ids == ["doi:10.1371/journal.pone.0033693"]
    assert w.venue.journal == "PLoS ONE" and w.venue.volume == "7" and w.venue.issue == "3"
    assert w.venue.pages == "e33693" and w.published == date(2012, 3, 21)
    assert w.authors[0].name == "Shankar Sadasivan" and w.kind == "paper"


def test_crossref_cursor_page_and_jats_abstract() -> None:
    works, cursor, total = crossref.parse_list(
        fixture("crossref/works_query_widget_cursor_star.body.json"))
    assert total == 454 and cursor and len(works) <= 20
    with_abstract = [w for w in works if w.abstract]
    assert with_abstract and all("<jats" not in (w.abstract or "") for w in works)


def test_crossref_polite_pool_list_and_csl_json() -> None:
    works, _, total = crossref.parse_list(
        fixture("crossref/works_query_ecology_rows2_polite_pool.body.json"))
    assert total == 586628 and len(works) == 2
    csl = json.loads(fixture("crossref/transform_csl_json_10.1126_science.169.3946.635.body.json"))
    w = crossref.parse_work(csl)
    assert w is not None and w.ids == ["doi:10.1126/science.169.3946.635"]
    assert w.venue.journal == "Science"


def test_jats_to_text() -> None:
    raw = ("<jats:title>Abstract</jats:title><jats:p>Ocean <jats:italic>waves</jats:italic> "
           "&amp; eddies.</jats:p><jats:p>Second   paragraph.</jats:p>")
    assert crossref.jats_to_text(raw) == "Ocean waves & eddies.\n\nSecond paragraph."


def test_crossref_malformed_json() -> None:
    with pytest.raises(crossref.CrossrefFormatError):
        crossref.parse(b'{"status": "ok", "message": {"items": [{"DOI": ')


def test_crossref_has_preprint_relation_adds_arxiv_key() -> None:
    item = {"DOI": "10.1109/TGRS.2024.1", "title": ["A"], "type": "journal-article",
            "relation": {"has-preprint": [{"id-type": "doi", "id": "10.48550/arXiv.2308.03152",
                                           "asserted-by": "subject"}]}}
    w = crossref.parse_work(item)
    assert w is not None and w.ids == ["doi:10.1109/tgrs.2024.1", "arxiv:2308.03152"]


# -- OpenAlex -------------------------------------------------------------------------------
def test_openalex_cites_page_and_last_page() -> None:
    works, cursor = openalex.parse_page(
        fixture("openalex/works_filter_cites_cursor_star_per-page200.body.json"), query="cites:x")
    assert len(works) == 5 and cursor
    w = works[0]
    assert w.ids == ["doi:10.36312/esaintika.v6i3.897"] and w.published == date(2022, 11, 30)
    assert w.venue.pages == "202-220" and w.authors[0].affiliations == ["Universitas Negeri Surabaya"]
    assert w.provenance[0].record_id == "W4311043552"
    assert openalex.parse_page(fixture("openalex/works_cursor_last_page_empty.body.json")) == ([], None)


def test_openalex_single_work_abstract_rebuilt() -> None:
    (w,) = openalex.parse(fixture("openalex/W2741809807.json"))
    assert w.ids == ["doi:10.7717/peerj.4375"]
    assert w.abstract and w.abstract.split()[0][0].isupper() and len(w.abstract) > 200
    (w2,) = openalex.parse(fixture("openalex/single_work_W2162348455.body.json"))
    assert w2.title


def test_openalex_error_body_is_not_a_work() -> None:
    with pytest.raises(openalex.OpenalexFormatError,
                       match=r"^OpenAlex error: Invalid query parameters error\. "
                             r"\(DOESNTEXIST is not a valid field"):
        openalex.parse(fixture("openalex/works_filter_invalid_field_400.body.json"))


# -- DataCite / journal feeds (no recordings exist: small hand-written documents) ------------
def test_datacite_arxiv_doi_record() -> None:
    doc = {"data": {"id": "10.48550/arxiv.2308.03152", "type": "dois", "attributes": {
        "doi": "10.48550/arxiv.2308.03152",
        "titles": [{"title": "AI-GOMS: Large AI-Driven Global Ocean Modeling System"}],
        "creators": [{"name": "Xiong, Wei", "givenName": "Wei", "familyName": "Xiong",
                      "affiliation": []}],
        "descriptions": [{"description": "An ocean model.", "descriptionType": "Abstract"}],
        "dates": [{"date": "2023-08-06", "dateType": "Submitted"}],
        "publicationYear": 2023,
        "subjects": [{"subject": "physics.ao-ph"}, {"subject": "FOS: Earth and related sciences"}],
    }}}
    (w,) = datacite.parse(json.dumps(doc).encode())
    assert w.ids == ["arxiv:2308.03152"] and w.authors[0].name == "Wei Xiong"
    assert w.published == date(2023, 8, 6) and w.categories == ["physics.ao-ph"]


def test_journal_feed_items_keyed_by_doi() -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
    <channel><title>Remote Sensing</title>
    <item><title>Ship detection with SAR foundation models</title>
    <link>https://www.mdpi.com/2072-4292/16/1/1</link><prism:doi>10.3390/rs16010001</prism:doi>
    <pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate></item>
    <item><title>No DOI here</title><link>https://example.org/a?utm_source=x</link></item>
    </channel></rss>"""
    works = journal_feeds.parse(rss, query="mdpi")
    assert works[0].ids[0] == "doi:10.3390/rs16010001" and works[0].venue.journal == "Remote Sensing"
    assert works[1].ids == ["url:https://example.org/a"]


# -- faults found on real third-party documents (fixtures/external, issue 16) ----------------
EXTERNAL = Path(__file__).parent / "fixtures" / "external"


def external(rel: str) -> bytes:
    return (EXTERNAL / rel).read_bytes()


def test_openalex_keeps_works_without_doi_under_stable_keys() -> None:
    unusable: list[str] = []
    works, cursor = openalex.parse_page(
        external("openalex/openalexpro_works_search_200_per_page.body.json"), unusable=unusable)
    assert len(works) == 200 and cursor and unusable == []  # was 137: every DOI-less work lost
    by_id = {w.provenance[0].record_id: w for w in works}
    cab = by_id["W1698421338"]  # a book chapter known only by its landing page
    assert cab.ids == ["url:https://www.cabdirect.org/abstracts/20103325440.html",
                       "url:https://openalex.org/W1698421338"]
    assert cab.links[0].url == "https://www.cabdirect.org/abstracts/20103325440.html"
    assert sum(1 for w in works if w.key("doi")) == 137
    # markup and entities out of the rebuilt abstracts
    assert by_id["W2119164383"].abstract.endswith("John Wiley & Sons, Ltd.")  # type: ignore[union-attr]
    parks = by_id["W297480756"].abstract or ""
    assert "&#13;" not in parks and "\\n" not in parks
    assert "developing countries are home to the planet's most undervalued" in parks


def test_openalex_arxiv_location_gives_the_arxiv_key() -> None:
    works = openalex.parse(external("openalex/paperqa_works_filter_title_search.body.json"))
    chemcrow = next(w for w in works if w.provenance[0].record_id == "W4365597205")
    assert chemcrow.ids[0] == "arxiv:2304.05376" and chemcrow.kind == "preprint"


def test_openalex_keys_from_openreview_pdf_locations_and_never_a_home_page() -> None:
    # records shaped like OpenAlex's, with the locations conference papers come with
    openreview = {"id": "https://openalex.org/W2", "doi": None, "locations": [
        {"landing_page_url": "https://openreview.net/forum?id=AbC-1", "pdf_url":
         "https://openreview.net/pdf?id=AbC-1"}]}
    assert openalex.work_keys(openreview) == ["url:https://openreview.net/forum?id=AbC-1",
                                              "url:https://openalex.org/W2"]
    pdf_only = {"id": "https://openalex.org/W3", "locations": [
        {"landing_page_url": None, "pdf_url": "https://arxiv.org/pdf/2304.05376v2"}]}
    assert openalex.work_keys(pdf_only) == ["arxiv:2304.05376", "url:https://openalex.org/W3"]
    home = {"id": "https://openalex.org/W4",
            "primary_location": {"landing_page_url": "https://proceedings.example.org/"}}
    assert openalex.work_keys(home) == ["url:https://openalex.org/W4"]


def test_openalex_null_title_is_named_not_dropped() -> None:
    unusable: list[str] = []
    assert openalex.parse(external("openalex/openalexpro_work_W4234567890.body.json"),
                          unusable=unusable) == []
    assert unusable == ["W4234567890 (doi:10.4018/jnn.20180101): no title"]


def test_crossref_container_entities_earliest_date_and_precision() -> None:
    works = {w.ids[0]: w for w in crossref.parse(
        external("crossref/commonmeta_works_sample5.body.json"))}
    w = works["doi:10.1080/19420889.2017.1395120"]
    assert w.venue.journal == "Communicative & Integrative Biology"
    # online 2017-12-14, in the issue of 2018-01-02: published online first
    assert (w.published, w.published_precision) == (date(2017, 12, 14), "day")
    assert w.updated is None or w.updated >= w.published  # type: ignore[operator]
    old = {w.ids[0]: w for w in crossref.parse(
        external("crossref/habanero_works_sample10.body.json"))}["doi:10.1246/bcsj.36.278"]
    assert old.published == date(1963, 3, 1)  # printed 1963, put online in 2006


def test_crossref_error_body_gives_crossrefs_own_message() -> None:
    with pytest.raises(crossref.CrossrefRefusedError,
                       match=r"^Crossref: This route does not support field query parameters "
                             r"\(query\.\*\)$"):
        crossref.parse(external("crossref/habanero_error400_query_not_allowed.body.json"))


def test_crossref_null_strings_are_not_values() -> None:
    item = json.loads(external("crossref/commonmeta_works_sample5.body.json"))["message"]["items"][0]
    item.update(volume="null", issue="NULL", page="null")
    w = crossref.parse_work(item)
    assert (w.venue.volume, w.venue.issue, w.venue.pages) == (None, None, None)


def test_datacite_arxiv_subjects_and_supplement_relations() -> None:
    (arxiv,) = datacite.parse(external("datacite/commonmeta_doi_10.48550_arxiv.2311.16162.body.json"))
    assert arxiv.categories == ["cs.DL", "cs.AI", "cs.CL"]  # not the ACM class "I.2.7"
    (zenodo,) = datacite.parse(external("datacite/commonmeta_doi_10.5281_zenodo.1196821.body.json"))
    # the dataset IsSupplementTo two psyp articles: they are other works, not its keys
    assert zenodo.ids == ["doi:10.5281/zenodo.1196821", "doi:10.5281/zenodo.1039580"]
    assert zenodo.kind == "dataset"
    (software,) = datacite.parse(external("datacite/commonmeta_doi_10.5281_zenodo.48440.body.json"))
    assert "<br>" not in (software.abstract or "") and "\n- Visualisation functions" in (
        software.abstract or "")
    listed = datacite.parse(external("datacite/rdatacite_dois_list_page1_size5.body.json"))
    assert len(listed) == 5 and not any("&amp;" in (w.abstract or "") for w in listed)


def test_rss_cross_listing_of_an_old_paper_is_not_dated_by_the_announcement() -> None:
    works = {w.ids[0]: w for w in arxiv_rss.parse(external(
        "arxiv_rss/laya_reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24.excerpt.xml"))}
    old = works["arxiv:2205.06398"]
    assert old.provenance[0].record_id == "2205.06398v2#cross"
    assert old.published is None and old.updated == date(2026, 9, 24)
    assert works["arxiv:2609.26811"].published == date(2026, 9, 24)  # a new paper is


def test_ieee_toc_feed_front_matter_is_named_and_journal_named_properly() -> None:
    unusable: list[str] = []
    body = external("journal_feeds/ieee_toc36_tgrs_2013-05.excerpt.xml")
    assert journal_feeds.parse(body, journal="IEEE TGRS", unusable=unusable) == []
    assert [u.split(": ", 1)[1] for u in unusable] == [
        "issue front matter ('Front cover'), not an article",
        "issue front matter ('IEEE Transactions on Geoscience and Remote Sensing publication "
        "information'), not an article",
        "issue front matter ('Table of Contents'), not an article"]
    # the same feed's article items, as IEEE writes them (its channel and item fields)
    article = body.replace(b"<![CDATA[Front cover]]>",
                           b"<![CDATA[Ship detection in SAR images]]>")
    article = article.replace(b"<authors><![CDATA[]]></authors>",
                              b"<authors><![CDATA[A. Author;  B. Author]]></authors>", 1)
    article = article.replace(b"<volume>", b"<doi>10.1109/TGRS.2013.2245673</doi><volume>", 1)
    w = journal_feeds.parse(article)[0]
    assert w.ids == ["doi:10.1109/tgrs.2013.2245673",  # where an item carries its DOI
                     "url:https://ieeexplore.ieee.org/xpl/articleDetails.jsp?arnumber=6517014"]
    assert w.venue.journal == "IEEE Transactions on Geoscience and Remote Sensing"
    assert (w.published, w.published_precision) == (date(2013, 6, 1), "month")  # "June  2013"
    assert (w.venue.volume, w.venue.issue) == ("51", "6")
    assert [a.name for a in w.authors] == ["A. Author", "B. Author"] and w.abstract is None
    assert journal_feeds.parse(article, journal="IEEE TGRS")[0].venue.journal == "IEEE TGRS"
    tcad = journal_feeds.parse(external("journal_feeds/ieee_toc43_tcad_2026-09.excerpt.xml")
                               .replace(b"Table of Contents", b"A placement method"))
    assert tcad[0].abstract is None  # <description>null</description>
    assert tcad[0].venue.journal == ("IEEE Transactions on Computer-Aided Design of Integrated "
                                     "Circuits and Systems")
