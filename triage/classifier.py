"""The offline classifier: boundary rules + a linear model, no network and no API key.

Two opinions are combined per item:

1. `rules.rule_vote` — the survey's boundary rules over keyword groups, with a strength;
2. a multinomial logistic regression over the rule features (keyword-group counts and
   their conjunctions) and, optionally, multilingual USE embeddings of the title and opening,
   trained on the project's own written examples (`triage/examples.jsonl`), seed entries and
   any extra labelled items passed in.

The final label is the argmax of ``rule_weight * strength * onehot(rule label) + p_model``;
confident rules decide, the model settles the cases the rules are unsure about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seascout.model import Kind, Label, Work
from triage.examples import Example, builtin_examples
from triage.rules import Hits, hits, rule_features, rule_vote
from triage.text import work_text

LABELS: tuple[Label, ...] = tuple(Label)
_INDEX = {lb: i for i, lb in enumerate(LABELS)}


@dataclass(frozen=True, slots=True)
class Doc:
    title: str
    text: str
    news: bool = False

    @classmethod
    def of_work(cls, work: Work) -> Doc:
        return cls(work.title or "", work_text(work), work.kind is Kind.NEWS)

    @classmethod
    def of_example(cls, ex: Example) -> Doc:
        return cls(ex.title_or_lead, ex.text, ex.news)


@dataclass(frozen=True, slots=True)
class Prediction:
    label: Label
    confidence: float
    reason: str
    probabilities: dict[Label, float]

    @property
    def relevant(self) -> bool:
        return self.label is not Label.IRRELEVANT


class OfflineClassifier:
    """Fit once (about a second), then ~hundreds of items per second without embeddings."""

    def __init__(self, *, use_embeddings: bool = False, rule_weight: float = 1.0, C: float = 2.0):
        self.use_embeddings = use_embeddings
        self.rule_weight = rule_weight
        self.C = C
        self._model = None

    # -- features ------------------------------------------------------------------------
    def _features(self, docs: Sequence[Doc], hs: Sequence[Hits]) -> np.ndarray:
        rows = []
        for h in hs:
            vote = rule_vote(h)
            onehot = [0.0] * len(LABELS)
            onehot[_INDEX[vote.label]] = vote.strength
            rows.append(rule_features(h) + onehot)
        x = np.asarray(rows, dtype=np.float32)
        if self.use_embeddings:
            from triage.embedding import embed

            x = np.hstack([x, embed([f"{d.title}. {d.text}" for d in docs])])
        return x

    # -- training ------------------------------------------------------------------------
    def fit(self, docs: Sequence[Doc], labels: Sequence[Label]) -> OfflineClassifier:
        from sklearn.linear_model import LogisticRegression

        hs = [hits(d.title, d.text, is_news=d.news) for d in docs]
        x = self._features(docs, hs)
        y = np.asarray([_INDEX[lb] for lb in labels])
        self._present = sorted(set(y.tolist()))
        model = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        model.fit(x, y)
        self._model = model
        return self

    def fit_examples(self, extra: Sequence[tuple[Doc, Label]] = ()) -> OfflineClassifier:
        """Train on the built-in examples plus `extra` (seed entries, labelled items)."""
        exs = builtin_examples()
        docs = [Doc.of_example(e) for e in exs] + [d for d, _ in extra]
        labels = [e.label for e in exs] + [lb for _, lb in extra]
        return self.fit(docs, labels)

    # -- prediction ----------------------------------------------------------------------
    def predict_docs(self, docs: Sequence[Doc]) -> list[Prediction]:
        if self._model is None:
            self.fit_examples()
        assert self._model is not None
        hs = [hits(d.title, d.text, is_news=d.news) for d in docs]
        if not docs:
            return []
        x = self._features(docs, hs)
        proba = np.zeros((len(docs), len(LABELS)), dtype=np.float64)
        proba[:, self._model.classes_] = self._model.predict_proba(x)
        out = []
        for row, h in zip(proba, hs, strict=True):
            vote = rule_vote(h)
            combined = row.copy()
            combined[_INDEX[vote.label]] += self.rule_weight * vote.strength
            best = int(np.argmax(combined))
            label = LABELS[best]
            conf = float(combined[best] / combined.sum())
            reason = (vote.reason if label is vote.label
                      else f"model (rules said {vote.label.value}: {vote.reason})")
            out.append(Prediction(label, round(conf, 3), reason,
                                  {lb: float(p) for lb, p in zip(LABELS, row, strict=True)}))
        return out

    def predict(self, works: Sequence[Work]) -> list[Prediction]:
        return self.predict_docs([Doc.of_work(w) for w in works])
