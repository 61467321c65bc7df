"""Work keys: `doi:<lowercased doi>`, `arxiv:<id without version>`, `url:<normalised url>`.

Pure string functions; every source and the warehouse build keys through these so the same
paper seen in two places gets the same key.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ARXIV_DOI_PREFIX = "10.48550/arxiv."

_DOI_RE = re.compile(r"10\.\d{4,9}/[^\s\"<>\]\[)(,;]+", re.IGNORECASE)
_NEW_ARXIV_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(v\d+)?(?![\d])")
_OLD_ARXIV_RE = re.compile(r"\b([a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?\b")
_ARXIV_URL_RE = re.compile(
    r"(?:arxiv\.org|ar5iv\.labs\.arxiv\.org|ar5iv\.org)/(?:abs|pdf|html|html/)?/?"
    r"([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\w+")
_TRACKING_PARAMS = re.compile(r"^(utm_|spm$|from$|fbclid$|gclid$|share|scene$|chksm$)")


class InvalidIdError(ValueError):
    """A DOI, arXiv id or URL that cannot be a key."""


def normalise_doi(raw: str) -> str:
    """`https://doi.org/10.1126/SciAdv.X` → `10.1126/sciadv.x`. Raises InvalidIdError."""
    text = raw.strip()
    text = re.sub(r"^(?:https?://)?(?:dx\.)?doi\.org/", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^doi:\s*", "", text, flags=re.IGNORECASE)
    m = _DOI_RE.match(text)
    if not m:
        raise InvalidIdError(f"not a DOI: {raw!r} (a DOI looks like 10.1234/abc)")
    return m.group(0).rstrip(".").lower()


def doi_as_written(raw: str) -> str:
    """The DOI of `raw` in the case its registry writes it (`10.1109/TGRS.2022.3176603`), for
    display and links; keys stay lower-case (`normalise_doi`). Raises InvalidIdError."""
    normalise_doi(raw)
    text = re.sub(r"^(?:https?://)?(?:dx\.)?doi\.org/", "", raw.strip(), flags=re.IGNORECASE)
    text = re.sub(r"^doi:\s*", "", text, flags=re.IGNORECASE)
    m = _DOI_RE.match(text)
    assert m is not None  # normalise_doi accepted it
    return m.group(0).rstrip(".")


def find_dois(text: str) -> list[str]:
    """Every DOI in free text, normalised, in order, without repeats."""
    out: list[str] = []
    for m in _DOI_RE.finditer(text):
        d = m.group(0).rstrip(".").lower()
        if d not in out:
            out.append(d)
    return out


def split_arxiv_version(raw: str) -> tuple[str, int | None]:
    """`2308.03152v2` → (`2308.03152`, 2); accepts URLs and `arXiv:` prefixes."""
    text = raw.strip()
    m = _ARXIV_URL_RE.search(text)
    if m:
        return m.group(1), int(m.group(2)[1:]) if m.group(2) else None
    text = re.sub(r"^arxiv:\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^oai:arxiv\.org:", "", text, flags=re.IGNORECASE)
    m = _NEW_ARXIV_RE.fullmatch(text) or _OLD_ARXIV_RE.fullmatch(text)
    if not m:
        raise InvalidIdError(f"not an arXiv id: {raw!r} (e.g. 2308.03152 or hep-th/9901001)")
    return m.group(1), int(m.group(2)[1:]) if m.group(2) else None


def arxiv_id_from_doi(doi: str) -> str | None:
    """`10.48550/arXiv.2308.03152` → `2308.03152`; None for any other DOI."""
    d = doi.lower()
    if d.startswith(ARXIV_DOI_PREFIX):
        return d[len(ARXIV_DOI_PREFIX) :]
    return None


def find_arxiv_ids(text: str) -> list[str]:
    """arXiv ids in arxiv.org / ar5iv URLs and arXiv DOIs found in free text."""
    out: list[str] = []
    for m in _ARXIV_URL_RE.finditer(text):
        if m.group(1) not in out:
            out.append(m.group(1))
    for d in find_dois(text):
        a = arxiv_id_from_doi(d)
        if a and a not in out:
            out.append(a)
    return out


def normalise_url(raw: str) -> str:
    """Lower-case scheme and host, drop fragments, default ports, tracking parameters and
    a trailing slash; `http` and `https` are kept apart only by being folded to https."""
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidIdError(f"not an http(s) URL: {raw!r}")
    host = parts.hostname or ""
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if not _TRACKING_PARAMS.match(k))
    )
    path = parts.path or "/"
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit(("https", host.lower(), path, query, ""))


def doi_key(doi: str) -> str:
    """The key for a DOI; an arXiv DOI becomes the arXiv key (DESIGN: it *is* the arXiv id)."""
    d = normalise_doi(doi)
    a = arxiv_id_from_doi(d)
    return f"arxiv:{a}" if a else f"doi:{d}"


def arxiv_key(arxiv_id: str) -> str:
    return "arxiv:" + split_arxiv_version(arxiv_id)[0]


def url_key(url: str) -> str:
    """The key for a URL; arXiv and doi.org URLs become arXiv and DOI keys."""
    if _ARXIV_URL_RE.search(url):
        return arxiv_key(url)
    if re.match(r"^(?:https?://)?(?:dx\.)?doi\.org/10\.", url.strip(), re.IGNORECASE):
        return doi_key(url)
    return "url:" + normalise_url(url)


def normalise_key(key: str) -> str:
    """Re-normalise a key given as `scheme:value` (e.g. from a user or an old row)."""
    scheme, _, value = key.partition(":")
    if scheme == "doi":
        return doi_key(value)
    if scheme == "arxiv":
        return arxiv_key(value)
    if scheme == "url":
        return url_key(value)
    raise InvalidIdError(f"unknown key scheme in {key!r}: use doi:, arxiv: or url:")


def title_key(title: str) -> str:
    """Lower-case alphanumeric tokens of a title, for exact and fuzzy title matching."""
    text = title if title.isascii() else unicodedata.normalize("NFKC", title)  # ASCII: already NFKC
    return " ".join(_WORD_RE.findall(text.lower()))
