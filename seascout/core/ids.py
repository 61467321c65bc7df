"""Work keys: `doi:<lowercased doi>`, `arxiv:<id without version>`, `url:<normalised url>`.

Pure string functions; every source and the warehouse build keys through these so the same
paper seen in two places gets the same key.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

ARXIV_DOI_PREFIX = "10.48550/arxiv."

# Where a DOI may start; where it ends is decided by `_doi_end` (brackets must balance).
_DOI_START_RE = re.compile(r"(?<![\w.])10\.\d{4,9}/", re.IGNORECASE)
_DOI_STOP = frozenset("\"'\\,&{}|^`")  # never part of a DOI in running text
_DOI_OPEN = {"(": ")", "[": "]", "<": ">"}
_DOI_CLOSE = frozenset(_DOI_OPEN.values())
_DOI_TRAILING = ".;:"
_DOI_URL_RE = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
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


def _doi_end(text: str, start: int) -> int:
    """Where the DOI whose suffix starts at `start` ends.

    The rules every source shares: a DOI runs to whitespace, a quote, a comma or an `&` (a
    URL parameter); brackets `()`, `[]` and `<>` belong to it when they balance inside it (Elsevier
    `S0034-4257(02)00096-2`, SICI `…87[2832:TIOPMA]2.0.CO;2`, Wiley `…35:4<433::AID-JBM4>…`),
    so an unbalanced closer (`…/x)` in Markdown) ends it. `<` opens a group only before a
    digit: `10.1/x</a>` or `10.1/x<br>` is markup after the DOI. A `;` is kept only inside
    (SICI `CO;2`); `.`, `;` and `:` at the end are punctuation of the sentence."""
    stack: list[str] = []
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace() or c in _DOI_STOP or ord(c) < 32:
            break
        if c in _DOI_OPEN:
            if c == "<" and not (i + 1 < n and text[i + 1].isdigit()):
                break
            stack.append(_DOI_OPEN[c])
        elif c in _DOI_CLOSE:
            if not stack or stack[-1] != c:
                break
            stack.pop()
        i += 1
    end = i
    while stack and end > start:  # an opener that never closed: cut the DOI before it
        cut = max(text.rfind(o, start, end) for o in _DOI_OPEN)
        if cut < start:
            break
        end = cut
        stack = _open_groups(text, start, end)
    while end > start and text[end - 1] in _DOI_TRAILING:
        end -= 1
    return end


def _open_groups(text: str, start: int, end: int) -> list[str]:
    stack: list[str] = []
    for c in text[start:end]:
        if c in _DOI_OPEN:
            stack.append(_DOI_OPEN[c])
        elif c in _DOI_CLOSE and stack and stack[-1] == c:
            stack.pop()
    return stack


def _iter_dois(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while True:
        m = _DOI_START_RE.search(text, pos)
        if not m:
            return out
        end = _doi_end(text, m.end())
        if end > m.end():
            out.append(text[m.start():end].lower())
        pos = max(end, m.end())


def _doi_text(raw: str) -> str:
    """The DOI inside `raw`, as written. A doi.org URL is percent-decoded first
    (`…87%5B2832…` is `…87[2832…`). Raises InvalidIdError."""
    text = raw.strip()
    if _DOI_URL_RE.match(text):
        text = unquote(_DOI_URL_RE.sub("", text))
    text = re.sub(r"^doi:\s*", "", text, flags=re.IGNORECASE)
    m = _DOI_START_RE.match(text)
    end = _doi_end(text, m.end()) if m else 0
    if not m or end <= m.end():
        raise InvalidIdError(f"not a DOI: {raw!r} (a DOI looks like 10.1234/abc)")
    return text[:end]


def normalise_doi(raw: str) -> str:
    """`https://doi.org/10.1126/SciAdv.X` → `10.1126/sciadv.x`: the key form. Raises InvalidIdError."""
    return _doi_text(raw).lower()


def doi_as_written(raw: str) -> str:
    """The DOI of `raw` in the case its registry writes it (`10.1109/TGRS.2022.3176603`), for
    display and links; keys stay lower-case (`normalise_doi`). Raises InvalidIdError."""
    return _doi_text(raw)


def find_dois(text: str) -> list[str]:
    """Every DOI in free text, normalised, in order, without repeats."""
    return list(dict.fromkeys(_iter_dois(text)))


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
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:  # e.g. "Invalid IPv6 URL", a port out of range
        raise InvalidIdError(f"not an http(s) URL: {raw!r} ({e})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidIdError(f"not an http(s) URL: {raw!r}")
    host = parts.hostname or ""
    if port and port not in (80, 443):
        host = f"{host}:{port}"
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


def seed_key(title: str) -> str:
    """The key of a survey entry that names no DOI, arXiv id or link: its title's words, so
    the same entry in a later export (another file, another number) is the same work."""
    words = title_key(title)
    if not words:
        raise InvalidIdError(f"no words in the title {title!r} to name the entry by")
    return "seed:" + words.replace(" ", "-")


def normalise_key(key: str) -> str:
    """Re-normalise a key given as `scheme:value` (e.g. from a user or an old row)."""
    scheme, _, value = key.partition(":")
    if scheme == "doi":
        return doi_key(value)
    if scheme == "arxiv":
        return arxiv_key(value)
    if scheme == "url":
        return url_key(value)
    if scheme == "seed":
        return seed_key(value.replace("-", " "))
    raise InvalidIdError(f"unknown key scheme in {key!r}: use doi:, arxiv:, url: or seed:")


def key_of(text: str) -> str:
    """The key of any id form a user copies from the digest, the README or arXiv,
    case-insensitively: `doi:10.…`, `10.…`, `https://doi.org/10.…` (an arXiv DOI is the arXiv
    work), `arXiv:2605.28174`, `2605.28174v2`, `https://arxiv.org/abs/2605.28174v2`, `url:…`,
    any http(s) URL, `seed:…`. Raises InvalidIdError naming the forms."""
    raw = text.strip()
    scheme, sep, value = raw.partition(":")
    scheme = scheme.lower()
    try:
        if scheme in ("http", "https") or _DOI_URL_RE.match(raw) or _ARXIV_URL_RE.match(raw):
            return url_key(raw if scheme in ("http", "https") else "https://" + raw)
        if sep and scheme in ("doi", "arxiv", "url", "seed"):
            return normalise_key(f"{scheme}:{value.strip()}")
        if _DOI_START_RE.match(raw):
            return doi_key(raw)
        return arxiv_key(raw)
    except InvalidIdError:
        raise InvalidIdError(
            f"not an id: {text!r} (use doi:10.…, a DOI, arXiv:2605.28174, an arXiv or doi.org "
            "URL, or a work_id)") from None


def title_key(title: str) -> str:
    """Lower-case alphanumeric tokens of a title, for exact and fuzzy title matching."""
    text = title if title.isascii() else unicodedata.normalize("NFKC", title)  # ASCII: already NFKC
    return " ".join(_WORD_RE.findall(text.lower()))
