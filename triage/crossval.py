"""Grouped cross-validation of the offline classifier over its own training data.

The figures that say how triage does on items it has never seen. The real labelled items
(`triage/training/`) are split into folds by **group** — the arXiv listing day (or, for news,
the site), or with `by="source"` the scraper repository or news site — so the model is never
trained on an item's day or source while being scored on it. The written examples are always
in the training folds and never scored. Each held-out item is scored twice: as it is, and as
its title alone (what a journal record without an abstract gives).

`seascout eval --cv` prints the report: strict and lenient relevance precision and recall with
95 % Wilson intervals, the titles-only recall, the field screen's recall on the titles of
every relevant item, real news, the LLM cascade and the wrong entries a week at a stated
volume. Tune here; the lab's held-back files (`seascout eval --labels …`) are final tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from seascout.core.model import Label
from triage.classifier import Doc, OfflineClassifier, Prediction
from triage.examples import Example, training_examples
from triage.rules import in_fields

# The listing days in `arxiv_labelled.jsonl` are whole days of the scrapers' categories:
# 18,750 items on 61 days (the corpus's own count), of which the file holds every in-field one.
STREAM_ITEMS_PER_DAY = 18_750 / 61
STREAM_SOURCES = ("dw-dengwei/daily-arXiv-ai-enhanced", "junle-chen/daily-arXiv-gemini-enhanced")
LISTING_DAYS_PER_WEEK = 5


@dataclass(frozen=True, slots=True)
class Interval:
    """A proportion k/n with its 95 % Wilson score interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def bounds(self) -> tuple[float, float]:
        if not self.n:
            return 0.0, 1.0
        z, p, n = 1.96, self.value, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def __str__(self) -> str:
        low, high = self.bounds
        return f"{self.value:.3f} [{low:.3f}–{high:.3f}] ({self.k}/{self.n})"


@dataclass(frozen=True, slots=True)
class Relevance:
    precision: Interval
    recall: Interval

    @classmethod
    def of(cls, items: Sequence[Example], pred: Sequence[Label], *, lenient: bool) -> Relevance:
        tp = fp = fn = 0
        for ex, p in zip(items, pred, strict=True):
            gold = ex.alt_label if lenient and ex.alt_label is not None and p is ex.alt_label else ex.label
            tp += gold is not Label.IRRELEVANT and p is not Label.IRRELEVANT
            fp += gold is Label.IRRELEVANT and p is not Label.IRRELEVANT
            fn += gold is not Label.IRRELEVANT and p is Label.IRRELEVANT
        return cls(Interval(tp, tp + fp), Interval(tp, tp + fn))

    def __str__(self) -> str:
        return f"P {self.precision}  R {self.recall}"


@dataclass
class CVReport:
    by: str
    k: int
    groups: int
    items: list[Example]
    full: list[Prediction]
    titles: list[Prediction]
    daily_volume: int
    llm_threshold: float
    screen_misses: list[str] = field(default_factory=list)

    def _labels(self, preds: Sequence[Prediction], keep: Sequence[int]) -> list[Label]:
        return [preds[i].label for i in keep]

    def relevance(self, preds: Sequence[Prediction], keep: Sequence[int], *, lenient: bool) -> Relevance:
        return Relevance.of([self.items[i] for i in keep], self._labels(preds, keep), lenient=lenient)

    @property
    def everything(self) -> list[int]:
        return list(range(len(self.items)))

    def subset(self, *, news: bool | None = None, stream: bool | None = None) -> list[int]:
        return [i for i, ex in enumerate(self.items) if (news is None or ex.news is news)
                and (stream is None or (ex.source in STREAM_SOURCES) is stream)]

    @property
    def relevant(self) -> list[int]:
        return [i for i, ex in enumerate(self.items) if ex.label is not Label.IRRELEVANT]

    @property
    def screen_recall(self) -> Interval:
        rel = [i for i in self.relevant if not self.items[i].news]
        return Interval(len(rel) - len(self.screen_misses), len(rel))

    @property
    def section_accuracy(self) -> Interval:
        """Of the relevant items found, the share placed in an acceptable section."""
        found = [i for i in self.relevant if self.full[i].label is not Label.IRRELEVANT]
        ok = [i for i in found if self.full[i].label in (self.items[i].label, self.items[i].alt_label)]
        return Interval(len(ok), len(found))

    def wrong_per_week(self, daily_volume: float) -> float:
        """Wrong entries a week at `daily_volume` arXiv items a day, from the whole listing days."""
        stream = self.subset(stream=True)
        days = {self.items[i].day for i in stream}
        wrong = sum(1 for i in stream if self.full[i].label is not Label.IRRELEVANT
                    and not self.items[i].accepts(self.full[i].label))
        per_item = wrong / (len(days) * STREAM_ITEMS_PER_DAY) if days else 0.0
        return per_item * daily_volume * LISTING_DAYS_PER_WEEK

    def cascade(self) -> tuple[Interval, Interval]:
        """(share of the whole listing days sent to the LLM, share of their relevant items sent)."""
        stream = self.subset(stream=True)
        days = {self.items[i].day for i in stream}
        sent = [i for i in stream if self.full[i].relevant or self.full[i].relevance >= self.llm_threshold]
        rel = [i for i in self.relevant if not self.items[i].news]
        kept = [i for i in rel if self.full[i].relevant or self.full[i].relevance >= self.llm_threshold]
        return Interval(len(sent), round(len(days) * STREAM_ITEMS_PER_DAY)), Interval(len(kept), len(rel))

    def describe(self) -> str:
        papers, news = self.subset(news=False), self.subset(news=True)
        sent, kept = self.cascade()
        lines = [
            f"== grouped {self.k}-fold cross-validation by {self.by}: {len(self.items)} real labelled items "
            f"in {self.groups} groups; no item is scored by a model that saw its {self.by} ==",
            "values with 95 % Wilson intervals (k/n)",
            f"relevance, lenient   {self.relevance(self.full, self.everything, lenient=True)}",
            f"relevance, strict    {self.relevance(self.full, self.everything, lenient=False)}",
            f"  papers, lenient    {self.relevance(self.full, papers, lenient=True)}",
            f"  news, lenient      {self.relevance(self.full, news, lenient=True)}",
            f"papers by their title alone, lenient {self.relevance(self.titles, papers, lenient=True)}",
            f"papers by their title alone, strict  {self.relevance(self.titles, papers, lenient=False)}",
            f"field screen on the titles of the relevant papers: {self.screen_recall}",
            f"section of the found relevant items acceptable: {self.section_accuracy}",
            f"whole listing days: {self.wrong_per_week(STREAM_ITEMS_PER_DAY):.1f} wrong entries a week at "
            f"their own {STREAM_ITEMS_PER_DAY:.0f} items a day, "
            f"{self.wrong_per_week(self.daily_volume):.1f} at {self.daily_volume:,} a day",
            f"LLM cascade at relevance ≥ {self.llm_threshold}: sends {sent.value:.1%} of the listing days, "
            f"holding {kept} of the relevant papers",
        ]
        if self.screen_misses:
            lines.append("relevant titles the field screen drops: " + "; ".join(self.screen_misses[:10]))
        return "\n".join(lines)


def group_of(ex: Example, by: str) -> str:
    if by == "source":
        return ex.source
    return f"{ex.source}:{ex.day}" if ex.news else ex.day


def assign_folds(groups: Sequence[str], k: int) -> list[int]:
    """Whole groups to folds, largest first onto the lightest fold (deterministic)."""
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    load = [0] * k
    fold_of: dict[str, int] = {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], g)):
        f = min(range(k), key=lambda j: (load[j], j))
        fold_of[g] = f
        load[f] += sizes[g]
    return [fold_of[g] for g in groups]


def grouped_cv(*, by: str = "day", k: int = 5, threshold: float = 0.60, title_threshold: float = 0.35,
               llm_threshold: float = 0.005, daily_volume: int = 1500, use_embeddings: bool = True,
               examples: Sequence[Example] | None = None, **options: float) -> CVReport:
    """Out-of-fold predictions for every real labelled item (and for its title alone)."""
    if by not in ("day", "source"):
        raise ValueError(f"cross-validation groups by 'day' or 'source', not {by!r}")
    pool = list(examples if examples is not None else training_examples())
    real = [ex for ex in pool if ex.source != "written"]
    written = [ex for ex in pool if ex.source == "written"]
    groups = [group_of(ex, by) for ex in real]
    k = min(k, len(set(groups)))
    fold = assign_folds(groups, k)
    full: list[Prediction | None] = [None] * len(real)
    titles: list[Prediction | None] = [None] * len(real)
    for f in range(k):
        train = written + [ex for ex, g in zip(real, fold, strict=True) if g != f]
        held = [i for i, g in enumerate(fold) if g == f]
        clf = OfflineClassifier(threshold=threshold, title_threshold=title_threshold,
                                use_embeddings=use_embeddings, **options)
        clf.fit([Doc.of_example(ex) for ex in train], [ex.label for ex in train])
        docs = [Doc.of_example(real[i]) for i in held]
        for i, p in zip(held, clf.predict_docs(docs), strict=True):
            full[i] = p
        for i, p in zip(held, clf.predict_docs([d.title_only() for d in docs]), strict=True):
            titles[i] = p
    misses = [ex.title for ex in real if ex.label is not Label.IRRELEVANT and not ex.news
              and not in_fields(ex.title, "", bare=True)]
    return CVReport(by, k, len(set(groups)), real, [p for p in full if p], [p for p in titles if p],
                    daily_volume, llm_threshold, misses)
