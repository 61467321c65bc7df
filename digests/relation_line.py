"""The 关联 line under a digest entry's blockquote, as the survey would write it:
`延续 2.4 RemoteCLIP；对比 1.3 OceanGPT；使用数据集 4.1 MillionAID`. Pure formatting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

RELATION_LABEL = "关联"
FOLLOW_UP_LABEL = "后续工作"
# How the 关联 line says each kind, strongest first.
KIND_WORDS = {"new_version_of": "新版本", "builds_on": "延续", "compares_with": "对比",
              "uses_dataset": "使用数据集", "cites": "引用"}


@dataclass(frozen=True)
class RelatedEntry:
    """A survey entry a digest entry relates to, as the 关联 line names it."""

    kind: str
    number: str  # "2.4"
    name: str  # "RemoteCLIP"
    url: str | None  # the entry's paper


_MD_TEXT = re.compile(r"([\\`*_\[\]()#!|~])")  # `<`, `>`, `&`: the `md` filter's


def _linked(r: RelatedEntry) -> str:
    label = _MD_TEXT.sub(r"\\\1", " ".join(f"{r.number} {r.name}".split()))
    url = r.url if r.url and re.match(r"^https?://[^\s<>()\[\]]+$", r.url) else None
    return f"[{label}]({url})" if url else label


def follow_up_markdown(follow_ups: Sequence[RelatedEntry]) -> str:
    """`[2.8 DisDop](https://…)（延续）；[3.4 LoRA-Det](https://…)（使用数据集）`: the kept works
    that relate to a survey entry, newest first, each with what it does with the entry."""
    return "；".join(f"{_linked(r)}（{KIND_WORDS[r.kind]}）" for r in follow_ups)


def relation_markdown(related: Sequence[RelatedEntry]) -> str:
    """`延续 [2.4 RemoteCLIP](https://…)；对比 [1.3 OceanGPT](https://…)`: one group per kind,
    each entry linked to its paper; names escaped (a kept entry's title is crawled text)."""
    groups: dict[str, list[str]] = {}
    for r in related:
        groups.setdefault(r.kind, []).append(_linked(r))
    return "；".join(f"{KIND_WORDS[k]} {'、'.join(v)}" for k, v in groups.items())


def relation_text(related: Sequence[RelatedEntry]) -> str:
    """The same line in plain text: `延续 2.4 RemoteCLIP；对比 1.3 OceanGPT`."""
    groups: dict[str, list[str]] = {}
    for r in related:
        groups.setdefault(r.kind, []).append(" ".join(f"{r.number} {r.name}".split()))
    return "；".join(f"{KIND_WORDS[k]} {'、'.join(v)}" for k, v in groups.items())
