"""Secret values out of error texts: a server may echo what it refused (an SMTP 535 quoting
the decoded AUTH PLAIN, a webhook 400 quoting its token, a provider quoting its API key).

`redact(text)` replaces every known secret value, and the spellings a server may echo it in
(URL-quoted, base64, a webhook URL's token segment or query value), with `<redacted>`. The
known secrets are the values of the environment variables the config names for them
(`Settings` registers their names with `remember`) and of every variable named like a secret
(`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`), read when `redact` is called. It is applied
where an error text is stored or logged (`run_errors`, `deliveries.last_error`, the delivery
report and log), so a secret reaches none of them.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

MASK = "<redacted>"
MIN_LENGTH = 6  # shorter values would blank ordinary words; no real key is this short
_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET|_PASSWORD)$", re.IGNORECASE)
_names: set[str] = set()
_names_lock = threading.Lock()


def remember(*env_names: str) -> None:
    """Environment variables whose values are secrets (the config's `*_env` names)."""
    with _names_lock:
        _names.update(n for n in env_names if n)


def secret_values() -> set[str]:
    """The secret values set in the environment now, each with the spellings it may be
    echoed in."""
    with _names_lock:
        names = set(_names)
    names.update(n for n in os.environ if _SECRET_NAME.search(n))
    out: set[str] = set()
    for name in names:
        out |= spellings(os.environ.get(name, "").strip())
    return out


def spellings(value: str) -> set[str]:
    """`value` as a server may echo it: itself, URL-quoted, base64; for a URL also its path,
    query and each token in them (a segment or parameter value that looks like a key)."""
    if len(value) < MIN_LENGTH:
        return set()
    out = {value, quote(value, safe=""), quote(value),
           base64.b64encode(value.encode()).decode()}
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        pieces = [parts.path, parts.query, *parts.path.split("/"),
                  *(v for _, v in parse_qsl(parts.query))]
        out.update(p for p in pieces if p not in ("", "/") and _token_like(p))
    return {s for s in out if len(s) >= MIN_LENGTH}


def _token_like(piece: str) -> bool:
    """A path segment or query value that is a key rather than a word (`open-apis`, `hook`)."""
    return "/" in piece or "=" in piece or len(piece) >= 16 or (
        len(piece) >= 8 and any(c.isdigit() for c in piece))


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every known secret (and each of `extra`, in all its spellings) masked."""
    found = secret_values()
    for value in extra:
        found |= spellings(value)
    for secret in sorted(found, key=len, reverse=True):  # a URL before the token inside it
        text = text.replace(secret, MASK)
    return text
