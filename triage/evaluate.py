"""Scoring a classifier on a labelled file in the dev set's format.

The labelled file is read at run time from wherever it lives (the dev set stays in
`../shared/eval/`, never in this repository). `evaluate` scores predictions; `cross_validate`
trains on the project's own examples plus the other folds and predicts each held-out fold.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seascout.core.model import Kind, Label, Work

LABELS: tuple[Label, ...] = tuple(Label)


@dataclass(slots=True)
class LabelledItem:
    work: Work
    label: Label
    alt_label: Label | None = None
    record_id: str = ""

    def accepts(self, predicted: Label) -> bool:
        """Right under lenient scoring: the label or the alternative one."""
        return predicted is self.label or predicted is self.alt_label


def load_labelled(path: str | Path) -> list[LabelledItem]:
    """Items of a JSONL file with `title`, `abstract`, `label` (+ ids, language, published)."""
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            label = Label(row["label"])
        except (KeyError, ValueError):
            raise ValueError(f"{path}:{n}: missing or unknown label {row.get('label')!r}") from None
        ids = []
        if row.get("doi"):
            ids.append(f"doi:{row['doi'].lower()}")
        if row.get("arxiv_id"):
            ids.append(f"arxiv:{row['arxiv_id']}")
        if row.get("other_id"):
            ids.append(row["other_id"] if ":" in row["other_id"] else f"url:{row['other_id']}")
        if not ids:
            ids.append(f"eval:{row.get('record_id', n)}")
        # What the news spiders produce: a page with only a URL id is a news item.
        kind = Kind.NEWS if all(i.startswith("url:") for i in ids) else Kind.PAPER
        if row.get("kind"):
            kind = Kind(row["kind"])
        work = Work(ids=ids, title=row.get("title") or "", abstract=row.get("abstract") or None,
                    kind=kind, language=row.get("language") or "en", work_id=ids[0])
        alt = row.get("alt_label")
        try:
            alt_label = Label(alt) if alt else None
        except ValueError:
            raise ValueError(f"{path}:{n}: unknown alt_label {alt!r}") from None
        items.append(LabelledItem(work, label, alt_label, str(row.get("record_id") or n)))
    return items


@dataclass(slots=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int


def prf(tp: int, fp: int, fn: int) -> PRF:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f, tp + fn)


@dataclass(slots=True)
class Scores:
    relevance: PRF
    per_label: dict[Label, PRF]
    macro_f1: float
    accuracy: float
    confusion: dict[Label, dict[Label, int]]  # gold → predicted → count
    n: int
    seconds: float = 0.0
    errors: list[tuple[str, Label, Label]] = field(default_factory=list)  # (title, gold, predicted)

    @property
    def items_per_second(self) -> float:
        return self.n / self.seconds if self.seconds else float("inf")


def score(gold: Sequence[Label], pred: Sequence[Label], titles: Sequence[str] | None = None,
          seconds: float = 0.0) -> Scores:
    confusion = {g: {p: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per = {}
    for lb in LABELS:
        tp = confusion[lb][lb]
        fp = sum(confusion[g][lb] for g in LABELS if g is not lb)
        fn = sum(confusion[lb][p] for p in LABELS if p is not lb)
        per[lb] = prf(tp, fp, fn)
    rel_g = [g is not Label.IRRELEVANT for g in gold]
    rel_p = [p is not Label.IRRELEVANT for p in pred]
    rel = prf(sum(a and b for a, b in zip(rel_g, rel_p, strict=True)),
              sum(b and not a for a, b in zip(rel_g, rel_p, strict=True)),
              sum(a and not b for a, b in zip(rel_g, rel_p, strict=True)))
    present = [lb for lb in LABELS if per[lb].support]
    macro = sum(per[lb].f1 for lb in present) / len(present) if present else 0.0
    acc = sum(g is p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    named = titles or [""] * len(gold)
    errors = [(t, g, p) for t, g, p in zip(named, gold, pred, strict=True) if g is not p]
    return Scores(rel, per, macro, acc, confusion, len(gold), seconds, errors)


Predict = Callable[[Sequence[Work]], list[Label]]


def evaluate(items: Sequence[LabelledItem], predict: Predict) -> Scores:
    started = time.perf_counter()
    pred = predict([it.work for it in items])
    seconds = time.perf_counter() - started
    return score([it.label for it in items], pred, [it.work.title for it in items], seconds)


def lenient_gold(items: Sequence[LabelledItem], pred: Sequence[Label]) -> list[Label]:
    """The gold labels under lenient scoring: a prediction equal to the alt label is right."""
    return [p if it.accepts(p) else it.label for it, p in zip(items, pred, strict=True)]


@dataclass(slots=True)
class StreamFigures:
    """What a lab would receive: relevance at the file's base rate and per week at a volume."""

    n: int
    relevant: int  # items whose label is a section
    strict: PRF
    lenient: PRF
    in_section: int  # relevant items found and put in an acceptable section
    found: int  # relevant items found (predicted relevant)
    false_entries: int  # predicted relevant, and neither label nor alt label is relevant
    daily_volume: int

    @property
    def base_rate(self) -> float:
        return self.relevant / self.n if self.n else 0.0

    @property
    def wrong_per_week(self) -> float:
        """Expected wrong entries in a weekly digest of 5 listing days at `daily_volume`."""
        return self.false_entries / self.n * self.daily_volume * 5 if self.n else 0.0

    def describe(self) -> str:
        s, le = self.strict, self.lenient
        share = f"{self.in_section}/{self.found}" if self.found else "0/0"
        return "\n".join([
            f"base rate {self.base_rate:.2%} ({self.relevant} of {self.n} items belong in the survey)",
            f"relevance, strict   P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}",
            f"relevance, lenient  P {le.precision:.3f}  R {le.recall:.3f}  F1 {le.f1:.3f}"
            "   (a prediction equal to the alt label is right)",
            f"relevant items found in an acceptable section: {share}",
            f"wrong entries: {self.false_entries} in this file; at {self.daily_volume:,} items a day "
            f"that is about {self.wrong_per_week:.1f} wrong entries a week (5 listing days)",
        ])


def stream_figures(items: Sequence[LabelledItem], pred: Sequence[Label], *,
                   daily_volume: int = 1500) -> StreamFigures:
    strict = score([it.label for it in items], pred).relevance
    lenient = score(lenient_gold(items, pred), pred).relevance
    found = [(it, p) for it, p in zip(items, pred, strict=True)
             if it.label is not Label.IRRELEVANT and p is not Label.IRRELEVANT]
    false = sum(1 for it, p in zip(items, pred, strict=True)
                if p is not Label.IRRELEVANT and it.label is Label.IRRELEVANT
                and it.alt_label in (None, Label.IRRELEVANT))
    return StreamFigures(len(items), sum(it.label is not Label.IRRELEVANT for it in items),
                         strict, lenient, sum(it.accepts(p) for it, p in found), len(found), false,
                         daily_volume)


def folds(items: Sequence[LabelledItem], k: int, seed: int = 13) -> list[list[int]]:
    """Stratified folds: each label spread evenly over the k folds."""
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(k)]
    by_label: dict[Label, list[int]] = {}
    for i, it in enumerate(items):
        by_label.setdefault(it.label, []).append(i)
    offset = 0
    for lb in LABELS:
        idx = by_label.get(lb, [])
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            out[(offset + j) % k].append(i)
        offset += len(idx)
    return out


def cross_validate(items: Sequence[LabelledItem],
                   fit_predict: Callable[[Sequence[LabelledItem], Sequence[Work]], list[Label]],
                   k: int = 5, repeats: int = 1) -> list[Scores]:
    """k-fold: `fit_predict(train, test_works)` sees only the other folds as labelled data."""
    runs = []
    for r in range(repeats):
        pred: list[Label | None] = [None] * len(items)
        for fold in folds(items, k, seed=13 + r):
            held = set(fold)
            train = [it for i, it in enumerate(items) if i not in held]
            for i, lb in zip(fold, fit_predict(train, [items[i].work for i in fold]), strict=True):
                pred[i] = lb
        runs.append(score([it.label for it in items], [p or Label.IRRELEVANT for p in pred],
                          [it.work.title for it in items]))
    return runs


def format_scores(s: Scores, title: str) -> str:
    lines = [f"== {title} ({s.n} items) ==",
             f"relevance  P {s.relevance.precision:.3f}  R {s.relevance.recall:.3f}  "
             f"F1 {s.relevance.f1:.3f}",
             f"6-way macro-F1 {s.macro_f1:.3f}   accuracy {s.accuracy:.3f}"]
    if s.seconds:
        lines.append(f"throughput {s.items_per_second:.0f} items/s ({s.seconds:.2f} s)")
    lines.append(f"{'label':<22}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}")
    for lb, m in s.per_label.items():
        lines.append(f"{lb.value:<22}{m.precision:>7.3f}{m.recall:>7.3f}{m.f1:>7.3f}{m.support:>5}")
    short = {lb: lb.value[:6] for lb in LABELS}
    lines.append("confusion (rows gold, columns predicted)")
    lines.append(" " * 22 + "".join(f"{short[p]:>8}" for p in LABELS))
    for g in LABELS:
        lines.append(f"{g.value:<22}" + "".join(f"{s.confusion[g][p]:>8}" for p in LABELS))
    return "\n".join(lines)
