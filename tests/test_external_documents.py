"""Every real third-party document in fixtures/external (and ../shared/fixtures/external when
it is there) through the parser of its kind (issue 16): per document, the records kept and
named unusable against the records present, no markup left, no DOI cut short, and no
exception except for the documents that are error answers by design.

The per-kind table of the same run: `uv run python -m tests.external_documents`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.external_documents import COPY, SHARED, documents, is_error_document, run_document

# (records present, records kept, records named unusable) per document; "error" for the
# error answers. News listings: (links on the page, links a built-in site would follow, 0).
EXPECTED: dict[str, tuple[int, int, int] | str] = {
    # arxiv_api
    "arxivpy2016_au_del_maestro_ANDNOT.xml": (10, 10, 0),
    "arxivpy2016_au_del_maestro_AND_ti_quantum_criticality.xml": (2, 2, 0),
    "arxivpy2026_id_0808.05394_and_1707.08567.body.xml": (1, 1, 0),
    "arxivpy2026_id_0808.05394_missing.body.xml": (0, 0, 0),
    "arxivpy2026_id_1707.08567.body.xml": (1, 1, 0),
    "arxivpy2026_id_2104.12255v1.body.xml": (1, 1, 0),
    "arxivpy2026_id_quant-ph_0201082v1.body.xml": (1, 1, 0),
    "arxivpy2026_q_testing_start0_max100.body.xml": (100, 100, 0),
    "arxivpy2026_q_testing_start50_max10.body.xml": (10, 10, 0),
    "laya_reader_2026_cat_cs.CL_max3.xml": (3, 3, 0),
    # arxiv_rss
    "laya_reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24.excerpt.xml": (4, 4, 0),
    # crossref
    "commonmeta_work_10.1017_9781108348843.body.json": (1, 1, 0),
    "commonmeta_work_10.1101_2020.12.01.406702.body.json": (1, 1, 0),
    "commonmeta_work_10.2210_pdb4hhb_pdb.body.json": (1, 1, 0),
    "commonmeta_work_10.53731_ybhah-9jy85.body.json": (1, 1, 0),
    "commonmeta_work_10.7554_elife.01567.body.json": (1, 1, 0),
    "commonmeta_work_10.7554_elife.55167.sa2.body.json": (1, 1, 0),
    "commonmeta_works_sample5.body.json": (5, 5, 0),
    "habanero_error400_query_not_allowed.body.json": "error",
    "habanero_journal_2167-8359_works_ecology.body.json": (20, 20, 0),
    "habanero_member98_works_cursor_page2.body.json": (5, 5, 0),
    "habanero_prefix_10.1016_works_rows2.body.json": (2, 2, 0),
    "habanero_work_10.1002_jor.1100150407.body.json": (1, 1, 0),
    "habanero_work_10.1016_j.neurobiolaging.2010.03.024.body.json": (1, 1, 0),
    "habanero_work_10.1109_icdcsw.2003.1203662.body.json": (1, 1, 0),
    "habanero_work_10.1136_jclinpath-2020-206745.body.json": (1, 1, 0),
    "habanero_work_10.3892_ijo_00000353.body.json": (1, 1, 0),
    "habanero_works_sample10.body.json": (10, 10, 0),
    "habanero_works_widget_cursor_page2.body.json": (20, 20, 0),
    "paperqa_work_10.1016_j.bbcan.2023.188947.body.json": (1, 1, 0),
    "paperqa_work_10.1101_2024.04.01.587366.body.json": (1, 1, 0),
    "paperqa_works_query_no_match.body.json": (0, 0, 0),
    # datacite
    "commonmeta_doi_10.2312_geowissenschaften.1989.7.181.body.json": (1, 1, 0),
    "commonmeta_doi_10.4230_lipics.tqc.2013.93.body.json": (1, 1, 0),
    "commonmeta_doi_10.48550_arxiv.2311.16162.body.json": (1, 1, 0),
    "commonmeta_doi_10.5061_dryad.8515.body.json": (1, 1, 0),
    "commonmeta_doi_10.5281_zenodo.1196821.body.json": (1, 1, 0),
    "commonmeta_doi_10.5281_zenodo.48440.body.json": (1, 1, 0),
    "commonmeta_doi_10.7910_dvn_nj7xso.body.json": (1, 1, 0),
    "rdatacite_dois_list_page1_size5.body.json": (5, 5, 0),
    # openalex
    "commonmeta_work_doi_10.1016_j.ejphar.2015.03.018.body.json": (1, 1, 0),
    "commonmeta_work_doi_10.1038_hdy.2013.26.body.json": (1, 1, 0),
    "commonmeta_work_doi_10.1145_3448016.3452841.body.json": (1, 1, 0),
    "commonmeta_work_doi_10.14264_3e10f66.body.json": (1, 1, 0),
    "commonmeta_work_doi_10.3389_fpls.2019.00816.body.json": (1, 1, 0),
    "commonmeta_work_doi_10.3390_publications6020015.body.json": (1, 1, 0),
    "openalexpro_work_W4234567890.body.json": (1, 0, 1),
    "openalexpro_works_group_by_type.body.json": (0, 0, 0),
    "openalexpro_works_search_200_per_page.body.json": (200, 200, 0),
    "paperqa_error404_not_in_openalex.body.json": "error",
    "paperqa_work_doi_10.1016_j.xgen.2025.100814.body.json": (1, 1, 0),
    "paperqa_works_filter_title_search.body.json": (2, 2, 0),
    # journal_feeds
    "ieee_toc36_tgrs_2013-05.excerpt.xml": (3, 0, 3),
    "ieee_toc43_tcad_2026-09.excerpt.xml": (1, 0, 1),
    # news_html
    "gerapy_detail_china_news1.html": (1, 1, 0),
    "gerapy_detail_ifeng_news1_20220630.html": (1, 1, 0),
    "gne_163_9_gb2312_meta.html": (1, 1, 0),
    "gne_cjddsb_1.html": (1, 1, 0),
    "gne_gzggw_1.html": (1, 1, 0),
    "gne_hexun_1.html": (1, 1, 0),
    "gne_ifeng_3.html": (1, 1, 0),
    "gne_other_npc_resolution_1.html": (1, 1, 0),
    "gne_shanxi_gov_1.html": (1, 1, 0),
    "gne_sina_4.html": (1, 1, 0),
    "gne_thepaper_2.html": (1, 1, 0),
    "gne_xinhuanet_1.html": (1, 1, 0),
    "gne_zyyfy_hospital_1.html": (1, 1, 0),
    # news_listing
    "gerapy_list_dfa66_announcement.html": (40, 0, 0),
    "gerapy_list_hrfund_announcement.html": (96, 0, 0),
    "gerapy_list_netease_rolling_news.html": (193, 0, 0),
    "gerapy_list_rtfund_xxpl.html": (81, 0, 0),
}
ALL = documents(COPY, *([SHARED] if SHARED.is_dir() else []))


def test_every_copied_document_has_its_expectation() -> None:
    copied = {path.name for _, path in documents(COPY)}
    assert copied == set(EXPECTED)


@pytest.mark.parametrize(("kind", "path"), ALL, ids=[p.name for _, p in ALL])
def test_document_parses_with_nothing_lost_no_markup_and_whole_dois(kind: str,
                                                                    path: Path) -> None:
    out = run_document(kind, path)
    if is_error_document(path):
        # an error answer: the source's own error, in one line, not a shape complaint
        assert out.error and "\n" not in out.error, out.error
        assert "unexpected shape" not in out.error, out.error
        return
    assert out.error is None, out.error
    if kind == "news_listing":
        # none of these sites is ours; the soed pattern in particular must not take their links
        assert not [t for t in out.taken if t.startswith("soed:")], out.taken
    else:
        assert out.kept + len(out.unusable) == out.present, out.unusable  # nothing silent
    assert out.markup == [], out.markup
    assert out.cut_dois == [], out.cut_dois
    expected = EXPECTED.get(path.name)
    if expected is not None:
        assert (out.present, out.kept, len(out.unusable)) == expected, out.unusable
