import pytest

from seascout.core.ids import (
    InvalidIdError,
    arxiv_key,
    doi_key,
    find_arxiv_ids,
    find_dois,
    key_of,
    normalise_url,
    split_arxiv_version,
    url_key,
)


@pytest.mark.parametrize(("raw", "key"), [
    ("10.1126/SciAdv.ABA1482", "doi:10.1126/sciadv.aba1482"),
    ("https://doi.org/10.1109/TGRS.2022.3176603", "doi:10.1109/tgrs.2022.3176603"),
    ("doi: 10.3390/rs14061488.", "doi:10.3390/rs14061488"),
    ("10.48550/arXiv.2308.03152", "arxiv:2308.03152"),  # an arXiv DOI is the arXiv id
])
def test_doi_keys(raw: str, key: str) -> None:
    assert doi_key(raw) == key


@pytest.mark.parametrize(("raw", "ident", "version"), [
    ("2308.03152v2", "2308.03152", 2),
    ("arXiv:2306.11029", "2306.11029", None),
    ("https://ar5iv.labs.arxiv.org/html/2308.03152", "2308.03152", None),
    ("http://arxiv.org/abs/cond-mat/0603029v1", "cond-mat/0603029", 1),
    ("oai:arXiv.org:2411.17700v1", "2411.17700", 1),
])
def test_arxiv_ids_drop_the_version(raw: str, ident: str, version: int | None) -> None:
    assert split_arxiv_version(raw) == (ident, version)
    assert arxiv_key(raw) == f"arxiv:{ident}"


def test_bad_ids_are_rejected_with_a_hint() -> None:
    with pytest.raises(InvalidIdError, match=r"10\.1234"):
        doi_key("11.1234/x")
    with pytest.raises(InvalidIdError, match="arXiv id"):
        arxiv_key("abc")
    with pytest.raises(InvalidIdError):
        normalise_url("ftp://example.org/x")


def test_urls_are_normalised_and_tracking_dropped() -> None:
    assert normalise_url("HTTP://WWW.Cas.cn/syky/202007/t20200717_4753412.shtml?utm_source=x#top") == \
        "https://www.cas.cn/syky/202007/t20200717_4753412.shtml"
    assert url_key("https://arxiv.org/abs/2310.02031v3") == "arxiv:2310.02031"
    assert url_key("https://doi.org/10.3390/JMSE11040696") == "doi:10.3390/jmse11040696"


def test_ids_are_found_in_free_text() -> None:
    text = "see doi: [10.1126/sciadv.adf2827](https://doi.org/10.1126/sciadv.adf2827) and https://arxiv.org/pdf/2304.05215v1"
    assert find_dois(text) == ["10.1126/sciadv.adf2827"]
    assert find_arxiv_ids(text) == ["2304.05215"]


@pytest.mark.parametrize(("raw", "key"), [
    # Remote Sensing of Environment / Ocean Modelling's older Elsevier DOIs (PII in brackets)
    ("10.1016/S0034-4257(02)00096-2", "doi:10.1016/s0034-4257(02)00096-2"),
    ("https://doi.org/10.1016/S1463-5003(01)00012-9", "doi:10.1016/s1463-5003(01)00012-9"),
    # SICI DOI, as OpenAlex writes it and percent-encoded as in its request URL
    ("https://doi.org/10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2",
     "doi:10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2"),
    ("https://doi.org/10.1890/0012-9658(2006)87%5B2832:tiopma%5D2.0.co;2",
     "doi:10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2"),
    # Wiley SICI with angle brackets
    ("10.1002/(SICI)1097-4636(199706)35:4<433::AID-JBM4>3.0.CO;2-K",
     "doi:10.1002/(sici)1097-4636(199706)35:4<433::aid-jbm4>3.0.co;2-k"),
])
def test_dois_with_brackets_stay_whole(raw: str, key: str) -> None:
    assert doi_key(raw) == key


def test_dois_in_text_end_at_unbalanced_brackets_markup_and_punctuation() -> None:
    text = ("(see 10.1016/S0034-4257(02)00096-2). [10.1126/sciadv.adf2827](https://doi.org/x) "
            "<a href='https://doi.org/10.3390/rs1'>10.3390/rs1</a><br>10.1234/a; 10.2345/b, "
            "summary?doi=10.1046/j.1526-100x.2001.009002230.x&link_type=DOI")
    assert find_dois(text) == ["10.1016/s0034-4257(02)00096-2", "10.1126/sciadv.adf2827",
                               "10.3390/rs1", "10.1234/a", "10.2345/b",
                               "10.1046/j.1526-100x.2001.009002230.x"]
    # two different bracketed DOIs no longer share one truncated key
    assert doi_key("10.1016/S0034-4257(02)00096-2") != doi_key("10.1016/S0034-4257(02)00097-4")


@pytest.mark.parametrize(("raw", "key"), [
    ("doi:10.48550/arXiv.2602.05480", "arxiv:2602.05480"),  # the digest's DOI of an arXiv work
    ("DOI:10.48550/ARXIV.2602.05480", "arxiv:2602.05480"),
    ("arXiv:2605.28174", "arxiv:2605.28174"),
    ("ARXIV:2605.28174v3", "arxiv:2605.28174"),
    ("https://arxiv.org/abs/2605.28174", "arxiv:2605.28174"),
    ("https://arxiv.org/abs/2605.28174v2", "arxiv:2605.28174"),
    ("HTTPS://ARXIV.ORG/PDF/2605.28174V2", "arxiv:2605.28174"),
    ("arxiv.org/abs/2605.28174", "arxiv:2605.28174"),
    ("2605.28174", "arxiv:2605.28174"),
    (" 2605.28174v2 ", "arxiv:2605.28174"),
    ("https://doi.org/10.1126/SciAdv.ABA1482", "doi:10.1126/sciadv.aba1482"),
    ("doi.org/10.1126/sciadv.aba1482", "doi:10.1126/sciadv.aba1482"),
    ("10.1126/SciAdv.aba1482", "doi:10.1126/sciadv.aba1482"),
    ("Doi:10.1126/sciadv.aba1482", "doi:10.1126/sciadv.aba1482"),
    ("https://www.example.org/News/1.html?utm_source=x", "url:https://www.example.org/News/1.html"),
])
def test_every_id_form_a_user_copies_is_the_work_key(raw: str, key: str) -> None:
    """Issue 24 #6: what the digest, the README and arXiv print, in any case."""
    assert key_of(raw) == key


@pytest.mark.parametrize("raw", ["", "hello", "arxiv:", "doi:11.2/x", "ftp://x.org/a"])
def test_a_string_that_is_no_id_is_refused_naming_the_forms(raw: str) -> None:
    with pytest.raises(InvalidIdError, match="doi:10"):
        key_of(raw)
