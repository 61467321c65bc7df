"""Training examples: real labelled arXiv items, our written descriptions, and seed entries.

- `triage/training/arxiv_labelled.jsonl`: real arXiv items (CC0 metadata from the corpus of
  whole listing days and a remote-sensing candidate pool) that name one of the survey's
  fields, each labelled by the survey's policy and keeping its provenance (see the README
  beside it). They teach the model the real near misses at their real frequency.
- `triage/examples.jsonl`: short descriptions written for this project (English and
  Chinese) of what belongs in each section and of the near misses.
- Seed entries (the survey's own headings and summaries) are added at run time when a
  warehouse has them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from seascout.core.model import Label
from triage.text import untex


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    title: str = ""  # empty: the first sentence of `text` serves as the title
    news: bool = False

    @property
    def title_or_lead(self) -> str:
        return self.title or self.text.split("：")[0].split(":")[0][:160]


@cache
def corpus_examples() -> tuple[Example, ...]:
    """The labelled real arXiv items (title + abstract), in the file's order."""
    raw = (resources.files("triage") / "training" / "arxiv_labelled.jsonl").read_text(encoding="utf-8")
    out = []
    for line in raw.splitlines():
        if line.strip():
            row = json.loads(line)
            title = untex(row["title"])
            out.append(Example(f"{title} {untex(row['abstract'])}", Label(row["label"]), title=title))
    return tuple(out)


def builtin_examples() -> list[Example]:
    raw = (resources.files("triage") / "examples.jsonl").read_text(encoding="utf-8")
    out = []
    for line in raw.splitlines():
        if line.strip():
            row = json.loads(line)
            label = Label(row["label"])
            news = bool(row.get("news", label is Label.NEWS))  # news pages that are near misses
            out.append(Example(row["text"], label, news=news))
    return out
