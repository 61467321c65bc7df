"""Training examples: real labelled arXiv items and news pages, our written descriptions, seed entries.

- `triage/training/arxiv_labelled.jsonl`: real arXiv items (CC0 metadata from the corpus of
  whole listing days and a remote-sensing candidate pool), each labelled by the survey's
  policy and keeping its provenance (see the README beside it). They teach the model the real
  near misses at their real frequency.
- `triage/training/news_labelled.jsonl`: real news pages (Chinese and English) labelled by the
  same policy; each keeps its URL, and its text is our own brief of what the page reports.
- `triage/examples.jsonl`: short descriptions written for this project (English and
  Chinese) of what belongs in each section and of the near misses.
- Seed entries (the survey's own headings and summaries) are added at run time when a
  warehouse has them.

Every real item carries what grouped cross-validation needs (`triage.crossval`): its
alternative label, the day it was listed or published, and the source it came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from seascout.core.model import Label
from triage.text import untex


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    title: str = ""  # empty: the first sentence of `text` serves as the title
    news: bool = False
    alt_label: Label | None = None
    day: str = ""  # listing / archive / publication day (a cross-validation group)
    source: str = ""  # the scraper repository or the news site (a cross-validation group)

    def accepts(self, predicted: Label) -> bool:
        return predicted is self.label or predicted is self.alt_label

    @property
    def title_or_lead(self) -> str:
        return self.title or self.text.split("：")[0].split(":")[0][:160]


def _rows(name: str) -> list[dict]:  # type: ignore[type-arg]
    raw = (resources.files("triage") / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def _alt(row: dict) -> Label | None:  # type: ignore[type-arg]
    return Label(row["alt_label"]) if row.get("alt_label") else None


@cache
def corpus_examples() -> tuple[Example, ...]:
    """The labelled real arXiv items (title + abstract), in the file's order."""
    out = []
    for row in _rows("training/arxiv_labelled.jsonl") + _rows("training/arxiv_web_labelled.jsonl"):
        title = untex(row["title"])
        if row["corpus_file"] == "web":  # read on a public page: grouped by submission month
            repo, day = "web", f"web:{row['arxiv_id'][:4]}"
        else:  # the candidate pool has no listing day: its archive file names the day
            repo, _, path = row["source"].partition(":")
            day = row["listing_date"] or path.rsplit("/", 1)[-1].split(".")[0]
        out.append(Example(f"{title} {untex(row['abstract'])}", Label(row["label"]), title=title,
                           alt_label=_alt(row), day=day, source=repo))
    return tuple(out)


@cache
def news_examples() -> tuple[Example, ...]:
    """The labelled real news pages (headline + our brief of the page)."""
    return tuple(
        Example(f"{row['title']} {row['text']}", Label(row["label"]), title=row["title"], news=True,
                alt_label=_alt(row), day=row.get("published") or "",
                source=urlsplit(row["url"]).hostname or "")
        for row in _rows("training/news_labelled.jsonl"))


def builtin_examples() -> list[Example]:
    out = []
    for row in _rows("examples.jsonl"):
        label = Label(row["label"])
        news = bool(row.get("news", label is Label.NEWS))  # news pages that are near misses
        out.append(Example(row["text"], label, news=news, source="written"))
    return out


def training_examples() -> list[Example]:
    """Everything the shipped classifier learns from (seed entries are added at run time)."""
    return [*corpus_examples(), *news_examples(), *builtin_examples()]
