"""Summaries without an LLM: the item's own lead sentences, in its own language, title unchanged."""

from __future__ import annotations

import re

from seascout.core.model import Summary, Work
from triage.text import is_chinese

# A sentence ends at 。！？, or at .!? followed by a space ("21.5" and "97.1%" go on).
_SENTENCE = re.compile(r"(?<=[。！？])\s*|(?<=[.!?])\s+")
MAX_CHARS = 300


def lead_sentences(text: str, max_chars: int = MAX_CHARS) -> str:
    """Whole opening sentences up to `max_chars` (at least one, cut with … if too long)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    out = ""
    for sentence in (s for s in _SENTENCE.split(text) if s.strip()):
        if out and len(out) + len(sentence) + 1 > max_chars:
            break
        out = f"{out} {sentence}".strip() if out and not is_chinese(out) else out + sentence
    if len(out) > max_chars:
        out = out[: max_chars - 1].rstrip() + "…"
    return out


def lead_summary(work: Work) -> Summary:
    """English items keep English (`language='en'`); the title is never translated here."""
    body = lead_sentences(work.abstract or "") or work.title
    zh = is_chinese(body) or work.language == "zh"
    return Summary(
        work_id=work.work_id or work.ids[0],
        title_zh=work.title if is_chinese(work.title) else None,
        summary=body,
        language="zh" if zh else "en",
        method="lead",
    )
