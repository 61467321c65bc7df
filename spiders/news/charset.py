"""Decoding news pages whose declared charset may lie.

Chinese sites often declare `GB2312` and serve UTF-8 (or re-saved pages keep an old meta
tag). Strict UTF-8 almost never decodes GB-family bytes by accident, so it is tried first;
then the declared charset (GB2312/GBK widened to GB18030), then GB18030, then a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w\-]+)", re.IGNORECASE)
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
          "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "utf-8", "us-ascii": "utf-8"}


def header_value(headers: Mapping[Any, Any] | None, name: str) -> str | None:
    """A header from a plain dict or Scrapy's `Headers` (bytes keys and values)."""
    if not headers:
        return None
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() != name.lower():
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else b""
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def declared_charset(body: bytes, headers: Mapping[Any, Any] | None = None) -> str | None:
    content_type = header_value(headers, "Content-Type") or ""
    m = _HEADER_CHARSET.search(content_type)
    if m:
        return m.group(1).lower()
    m2 = _META_CHARSET.search(body[:4096])
    return m2.group(1).decode("ascii", "ignore").lower() if m2 else None


def decode_html(body: bytes, headers: Mapping[Any, Any] | None = None) -> tuple[str, str]:
    """(text, encoding actually used). Never raises: the last resort replaces bad bytes."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    declared = declared_charset(body, headers)
    candidates = ["utf-8"]
    if declared:
        candidates.append(_WIDER.get(declared, declared))
    candidates.append("gb18030")
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None:
        return str(best), best.encoding
    return body.decode("utf-8", "replace"), "utf-8"
