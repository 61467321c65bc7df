"""The offline classifier: a field screen, then two readers (linear models), offline, no API key.

A real arXiv day is ~99 % irrelevant, so the classifier is built for that base rate:

1. **Screen** (`rules.in_fields`): an item that names none of the survey's fields (the ocean,
   remote sensing, ships) is irrelevant at once. About one arXiv item in twelve passes. A
   record with its title alone is screened with the wider title vocabulary and its venue.
2. **Relevance**: a logistic regression over tf-idf words and bigrams, the title's character
   n-grams, the boundary-rule features (`rules.rule_features`, the rule vote) and multilingual
   sentence embeddings (`triage.embedding`, `triage.embeddings = true`), trained on real
   labelled arXiv items and news pages (`triage/training/`: the field's papers *and* its near
   misses at their real frequency), the project's written examples and the survey's own
   entries. An item is relevant when its probability reaches `threshold`.
3. **Section**: a second logistic regression over the same features, trained on the relevant
   items only, picks the section (a news page is section 5 or nothing).

Two readers are fit on the same items: one reads the title and abstract, the other the title
alone (words and character n-grams for coined names, no embeddings) and decides for records
that have nothing more, at its own `title_threshold`. The operating points come from grouped cross-validation
(`triage.crossval`, `seascout eval --cv`).

`Prediction.relevance` is the relevance probability: the LLM cascade sends an item to the
model when it reaches the (lower) `triage.llm_threshold`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seascout.core.model import Kind, Label, Work
from triage.examples import Example, training_examples
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
    bare: bool = False  # the title alone: no abstract or body
    venue: str = ""  # where a bare record appeared (the screen reads it)

    @classmethod
    def of_work(cls, work: Work) -> Doc:
        bare = not (work.abstract or "").strip()
        return cls(work.title or "", work_text(work), work.kind is Kind.NEWS, bare, work.venue.journal or "")

    @classmethod
    def of_example(cls, ex: Example) -> Doc:
        return cls(ex.title_or_lead, ex.text, ex.news)

    def title_only(self) -> Doc:
        """What a record without an abstract gives (a journal deposit, a bare headline)."""
        return Doc(self.title, self.title, self.news, bare=True, venue=self.venue)

    @property
    def in_fields(self) -> bool:
        """Passes the field screen (news pages always do: the model reads them)."""
        return self.news or in_fields(self.title, f"{self.text} {self.venue}" if self.bare else self.text,
                                      bare=self.bare)


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


class _Head:
    """One reader: tf-idf words and bigrams, character n-grams of the title that catch coined
    names such as GeoSolver or SkyNative, the rule features, optionally sentence embeddings,
    and two logistic regressions — relevance, then the section among the relevant."""

    def __init__(self, *, titles: bool, C: float, rule_weight: float, use_embeddings: bool):
        self.titles, self.C, self.rule_weight, self.use_embeddings = titles, C, rule_weight, use_embeddings

    @staticmethod
    def _text(d: Doc) -> str:
        return d.title if d.bare else f"{d.title}. {d.text}"

    def _features(self, docs: Sequence[Doc]):  # type: ignore[no-untyped-def]
        from scipy.sparse import csr_matrix, hstack

        texts = [self._text(d) for d in docs]
        rules = np.asarray([_rule_row(_hits(d.title, d.text, d.news)) for d in docs], dtype=np.float32)
        parts = [v.transform(texts) for v in self._vectorizers] + [csr_matrix(rules * self.rule_weight)]
        if not self.titles:  # coined names in the title (GeoSolver, SkyNative) beside the words
            parts.append(self._title_chars.transform([d.title for d in docs]))
        if self.use_embeddings:
            from triage.embedding import embed

            parts.append(csr_matrix(embed(texts)))
        return hstack(parts).tocsr()

    def fit(self, docs: Sequence[Doc], y: np.ndarray) -> _Head:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        def chars() -> TfidfVectorizer:
            return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                   lowercase=True, dtype=np.float32)

        self._vectorizers = [TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                             stop_words="english", dtype=np.float32)]
        if self.titles:
            self._vectorizers.append(chars())
        texts = [self._text(d) for d in docs]
        for v in self._vectorizers:
            v.fit(texts)
        if not self.titles:
            self._title_chars = chars().fit([d.title for d in docs])
        x = self._features(docs)
        relevant = y != _INDEX[Label.IRRELEVANT]
        self.relevance = LogisticRegression(C=self.C, max_iter=3000).fit(x, relevant)
        self.section = LogisticRegression(C=self.C, max_iter=3000).fit(x[relevant], y[relevant])
        return self

    def predict(self, docs: Sequence[Doc]) -> tuple[np.ndarray, list[dict[Label, float]]]:
        x = self._features(docs)
        p_rel = self.relevance.predict_proba(x)[:, 1]
        classes = [LABELS[c] for c in self.section.classes_]
        sections = [dict(zip(classes, row.tolist(), strict=True)) for row in self.section.predict_proba(x)]
        return p_rel, sections


class OfflineClassifier:
    """Fit once (a few seconds on the built-in training data), then thousands of items a second.

    Two readers share the training data: one reads the title and abstract (or a news page's
    text), the other the title alone and decides for records that have nothing more (journal
    deposits without an abstract). Both learn from every labelled item, the title reader from
    its title."""

    def __init__(self, *, use_embeddings: bool = False, threshold: float = 0.60, C: float = 8.0,
                 rule_weight: float = 0.5, title_threshold: float = 0.35):
        self.use_embeddings = use_embeddings
        self.threshold = threshold
        self.title_threshold = title_threshold
        self.C = C
        self.rule_weight = rule_weight
        self._fitted = False

    # -- training ------------------------------------------------------------------------
    def fit(self, docs: Sequence[Doc], labels: Sequence[Label]) -> OfflineClassifier:
        """Train on the in-field items of `docs` (the screen decides the others)."""
        full = [(d, lb) for d, lb in zip(docs, labels, strict=True) if not d.bare and d.in_fields]
        titles = [(t, lb) for t, lb in ((d.title_only(), lb) for d, lb in zip(docs, labels, strict=True)
                                        if not d.news and d.title) if t.in_fields]
        self._full = _Head(titles=False, C=self.C, rule_weight=self.rule_weight,
                           use_embeddings=self.use_embeddings).fit(
            [d for d, _ in full], np.asarray([_INDEX[lb] for _, lb in full]))
        self._title = _Head(titles=True, C=self.C, rule_weight=self.rule_weight,  # embeddings add nothing
                            use_embeddings=False).fit(
            [d for d, _ in titles], np.asarray([_INDEX[lb] for _, lb in titles]))
        self._fitted = True
        return self

    def fit_examples(self, extra: Sequence[tuple[Doc, Label]] = ()) -> OfflineClassifier:
        """Train on the labelled real items, the written examples and `extra` (seed entries…)."""
        exs = training_examples()
        docs = [Doc.of_example(e) for e in exs] + [d for d, _ in extra]
        labels = [e.label for e in exs] + [lb for _, lb in extra]
        return self.fit(docs, labels)

    # -- prediction ----------------------------------------------------------------------
    def predict_docs(self, docs: Sequence[Doc]) -> list[Prediction]:
        if not self._fitted:
            self.fit_examples()
        out: list[Prediction | None] = [None] * len(docs)
        for i, d in enumerate(docs):
            if not d.in_fields:
                out[i] = Prediction(Label.IRRELEVANT, 1.0, OUT_OF_FIELDS, {Label.IRRELEVANT: 1.0}, 0.0)
        readers = ((self._full, False, self.threshold), (self._title, True, self.title_threshold))
        for head, bare, threshold in readers:
            idx = [i for i, d in enumerate(docs) if out[i] is None and (d.bare and not d.news) is bare]
            if idx:
                p_rel, sections = head.predict([docs[i] for i in idx])
                for j, i in enumerate(idx):
                    h = _hits(docs[i].title, docs[i].text, docs[i].news)
                    section = {Label.NEWS: 1.0} if docs[i].news else sections[j]  # a page is news or nothing
                    out[i] = self._decide(float(p_rel[j]), section, h, threshold)
        return [p for p in out if p is not None]

    def _decide(self, relevance: float, sections: dict[Label, float], h: Hits,
                threshold: float) -> Prediction:
        vote = rule_vote(h)
        probabilities = {lb: relevance * sections.get(lb, 0.0) for lb in SECTIONS}
        probabilities[Label.IRRELEVANT] = 1.0 - relevance
        if relevance < threshold:
            reason = vote.reason if vote.label is Label.IRRELEVANT else f"not enough for {vote.label.value}"
            return Prediction(Label.IRRELEVANT, round(1.0 - relevance, 3), reason, probabilities, relevance)
        label = max(sections, key=lambda lb: sections[lb])
        reason = (vote.reason if vote.label is label
                  else f"model (rules said {vote.label.value}: {vote.reason})")
        return Prediction(label, round(relevance, 3), reason, probabilities, relevance)

    def predict(self, works: Sequence[Work]) -> list[Prediction]:
        return self.predict_docs([Doc.of_work(w) for w in works])
