"""The text triage looks at: one string per work, and a stable hash of it."""

from __future__ import annotations

import hashlib
import re

from seascout.core.model import Kind, Work
from seascout.core.text import untex

_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def work_text(work: Work) -> str:
    """Title and abstract, whitespace-normalised, TeX accents read as letters."""
    parts = [work.title or "", work.abstract or ""]
    return untex(_SPACE.sub(" ", " \n ".join(p for p in parts if p)).strip())


def content_hash(work: Work) -> str:
    """Hash of what the classifier and the LLM see (title, abstract, kind, language)."""
    payload = "\x1f".join([work.title or "", work.abstract or "", work.kind.value, work.language])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def is_chinese(text: str) -> bool:
    """True when CJK characters make up a real share of the text."""
    if not text:
        return False
    cjk = len(_CJK.findall(text))
    return cjk >= 10 and cjk / max(len(text), 1) > 0.15


def looks_like_news(work: Work) -> bool:
    return work.kind is Kind.NEWS
