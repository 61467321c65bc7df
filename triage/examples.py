"""Training examples: the project's own written descriptions of each section, plus seed entries.

`triage/examples.jsonl` holds short descriptions written for this project (English and
Chinese) of what belongs in each section and of the near misses. Seed entries (the survey's
own headings and summaries) are added at run time when a warehouse has them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from seascout.model import Label


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    title: str = ""  # empty: the first sentence of `text` serves as the title
    news: bool = False

    @property
    def title_or_lead(self) -> str:
        return self.title or self.text.split("：")[0].split(":")[0][:160]


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
