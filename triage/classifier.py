"""The offline classifier: a field screen, then two linear models, no network and no API key.

A real arXiv day is ~99 % irrelevant, so the classifier is built for that base rate:

1. **Screen** (`rules.in_fields`): an item that names none of the survey's fields (the ocean,
   remote sensing, ships) is irrelevant at once. About one arXiv item in twelve passes.
2. **Relevance**: a logistic regression over tf-idf words and bigrams of the title and
   abstract plus the boundary-rule features (`rules.rule_features`, the rule vote), trained on
   real labelled arXiv items that passed the screen (`triage/training/`: the field's papers
   *and* its near misses at their real frequency), the project's written examples and the
   survey's own entries. An item is relevant when its probability reaches `threshold`.
3. **Section**: a second logistic regression over the same features, trained on the relevant
   items only, picks the section.

`Prediction.relevance` is the relevance probability: the LLM cascade sends an item to the
model when it reaches the (lower) `triage.llm_threshold`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seascout.core.model import Kind, Label, Work
from triage.examples import Example, builtin_examples, corpus_examples
from triage.rules import Hits, hits, in_fields, rule_features, rule_vote
from triage.text import work_text

LABELS: tuple[Label, ...] = tuple(Label)
SECTIONS: tuple[Label, ...] = tuple(lb for lb in Label if lb is not Label.IRRELEVANT)
_INDEX = {lb: i for i, lb in enumerate(LABELS)}
OUT_OF_FIELDS = "names none of the survey's fields (ocean, remote sensing, ships)"


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
    relevance: float = 0.0  # probability that the item belongs in the survey at all

    @property
    def relevant(self) -> bool:
        return self.label is not Label.IRRELEVANT


# The rules cost ~10 ms an item; a refit (cross-validation, a run with other seed entries)
# reuses what they found for texts already seen. `triage.trained` keeps the built-in training
# texts' entries on disk, so a new process does not pay for them either.
HITS_MEMO: dict[tuple[str, str, bool], Hits] = {}
_MEMO_LIMIT = 50_000


def _hits(title: str, text: str, news: bool) -> Hits:
    key = (title, text, news)
    found = HITS_MEMO.get(key)
    if found is None:
        if len(HITS_MEMO) >= _MEMO_LIMIT:
            HITS_MEMO.clear()
        found = HITS_MEMO[key] = hits(title, text, is_news=news)
    return found


def _rule_row(h: Hits) -> list[float]:
    vote = rule_vote(h)
    onehot = [0.0] * len(LABELS)
    onehot[_INDEX[vote.label]] = vote.strength
    return rule_features(h) + onehot


class OfflineClassifier:
    """Fit once (a few seconds on the built-in training data), then thousands of items a second."""

    def __init__(self, *, use_embeddings: bool = False, threshold: float = 0.5, C: float = 8.0,
                 rule_weight: float = 1.0):
        self.use_embeddings = use_embeddings
        self.threshold = threshold
        self.C = C
        self.rule_weight = rule_weight
        self._fitted = False

    # -- features ------------------------------------------------------------------------
    def _features(self, docs: Sequence[Doc], hs: Sequence[Hits]):  # type: ignore[no-untyped-def]
        from scipy.sparse import csr_matrix, hstack

        rules = np.asarray([_rule_row(h) for h in hs], dtype=np.float32) * self.rule_weight
        parts = [self._vectorizer.transform([f"{d.title}. {d.text}" for d in docs]), csr_matrix(rules)]
        if self.use_embeddings:
            from triage.embedding import embed

            parts.append(csr_matrix(embed([f"{d.title}. {d.text}" for d in docs])))
        return hstack(parts).tocsr()

    # -- training ------------------------------------------------------------------------
    def fit(self, docs: Sequence[Doc], labels: Sequence[Label]) -> OfflineClassifier:
        """Train on the in-field items of `docs` (the screen decides the others)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        keep = [i for i, d in enumerate(docs) if d.news or in_fields(d.title, d.text)]
        docs = [docs[i] for i in keep]
        y = np.asarray([_INDEX[labels[i]] for i in keep])
        self._vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                           stop_words="english", dtype=np.float32)
        self._vectorizer.fit([f"{d.title}. {d.text}" for d in docs])
        x = self._features(docs, [_hits(d.title, d.text, d.news) for d in docs])
        relevant = y != _INDEX[Label.IRRELEVANT]
        self._relevance = LogisticRegression(C=self.C, max_iter=3000).fit(x, relevant)
        self._section = LogisticRegression(C=self.C, max_iter=3000).fit(x[relevant], y[relevant])
        self._fitted = True
        return self

    def fit_examples(self, extra: Sequence[tuple[Doc, Label]] = ()) -> OfflineClassifier:
        """Train on the labelled real items, the written examples and `extra` (seed entries…)."""
        exs = [*corpus_examples(), *builtin_examples()]
        docs = [Doc.of_example(e) for e in exs] + [d for d, _ in extra]
        labels = [e.label for e in exs] + [lb for _, lb in extra]
        return self.fit(docs, labels)

    # -- prediction ----------------------------------------------------------------------
    def predict_docs(self, docs: Sequence[Doc]) -> list[Prediction]:
        if not self._fitted:
            self.fit_examples()
        out: list[Prediction | None] = [None] * len(docs)
        screened = [i for i, d in enumerate(docs) if d.news or in_fields(d.title, d.text)]
        for i in set(range(len(docs))) - set(screened):
            out[i] = Prediction(Label.IRRELEVANT, 1.0, OUT_OF_FIELDS, {Label.IRRELEVANT: 1.0}, 0.0)
        if screened:
            sub = [docs[i] for i in screened]
            hs = [_hits(d.title, d.text, d.news) for d in sub]
            x = self._features(sub, hs)
            p_rel = self._relevance.predict_proba(x)[:, 1]
            p_sec = self._section.predict_proba(x)
            classes = [LABELS[c] for c in self._section.classes_]
            for j, (i, h) in enumerate(zip(screened, hs, strict=True)):
                out[i] = self._decide(float(p_rel[j]), dict(zip(classes, p_sec[j].tolist(), strict=True)), h)
        return [p for p in out if p is not None]

    def _decide(self, relevance: float, sections: dict[Label, float], h: Hits) -> Prediction:
        vote = rule_vote(h)
        probabilities = {lb: relevance * sections.get(lb, 0.0) for lb in SECTIONS}
        probabilities[Label.IRRELEVANT] = 1.0 - relevance
        if relevance < self.threshold:
            reason = vote.reason if vote.label is Label.IRRELEVANT else f"not enough for {vote.label.value}"
            return Prediction(Label.IRRELEVANT, round(1.0 - relevance, 3), reason, probabilities, relevance)
        label = max(sections, key=lambda lb: sections[lb])
        reason = (vote.reason if vote.label is label
                  else f"model (rules said {vote.label.value}: {vote.reason})")
        return Prediction(label, round(relevance, 3), reason, probabilities, relevance)

    def predict(self, works: Sequence[Work]) -> list[Prediction]:
        return self.predict_docs([Doc.of_work(w) for w in works])
