"""`seascout eval`: the offline classifier (and optionally the LLM) on a labelled file.

Figures, so nobody mistakes a fit for a forecast:

- **the shipped classifier** — trained on the built-in data only (real labelled arXiv items,
  our written examples); no item of the labelled file is in its training data;
- **what a lab would receive** — relevance strict and lenient (a prediction equal to the alt
  label is right), the file's own base rate, the share of found items in an acceptable
  section, and the wrong entries a week that the file's false-positive rate means at a
  stated daily volume;
- **k-fold cross-validation** — trained on the built-in data plus the other folds, scored
  on each held-out fold (repeated with different splits);
- **throughput** — items per second of the offline path (the fit excluded);
- **the LLM cascade** — the share of the file the offline stage would send to the LLM and
  the share of the relevant items among them.

`--predictions OUT.jsonl` writes one line per item (record_id, gold label and alt label,
prediction, confidence, relevance, reason) for looking at the errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seascout.core.model import Label, Work
from triage.classifier import Doc, OfflineClassifier, Prediction
from triage.evaluate import (
    LabelledItem,
    Scores,
    StreamFigures,
    cross_validate,
    evaluate,
    format_scores,
    load_labelled,
    score,
    stream_figures,
)

# Files the hand-written rules and the thresholds were looked at against, by content hash:
# their figures flatter the rules (the learned part is still trained without them).
TUNED_ON = {
    "ef9e7d2c9330ba9e60508fd16d18901c55a248cca4df9efd98cf87f9b0388b14": "the lab's dev.jsonl",
    "448115acc4f005dfbf3869b93a7f1ec366aa3f5d3c28d3170b51e2e21e2d127c": "the lab's stream_dev.jsonl",
}


@dataclass
class Cascade:
    """What the offline stage hands the LLM at a relevance threshold."""

    threshold: float
    sent: int
    n: int
    relevant_sent: int
    relevant: int

    def describe(self) -> str:
        share = self.sent / self.n if self.n else 0.0
        kept = self.relevant_sent / self.relevant if self.relevant else 1.0
        return (f"LLM cascade at relevance ≥ {self.threshold}: {self.sent} of {self.n} items "
                f"({share:.1%}) would go to the LLM, holding {self.relevant_sent} of {self.relevant} "
                f"relevant items ({kept:.0%})")


@dataclass
class EvalResult:
    offline: Scores
    figures: StreamFigures
    cascade: Cascade
    cv: list[Scores]
    tuned_on: str | None = None
    llm: Scores | None = None

    def describe(self) -> str:
        parts = [format_scores(self.offline, "offline classifier, trained on the built-in data only"),
                 self.figures.describe(), self.cascade.describe()]
        if self.cv:
            rel = [s.relevance.f1 for s in self.cv]
            mac = [s.macro_f1 for s in self.cv]
            parts.append(
                f"{len(self.cv)}x k-fold cross-validation (the file's other folds added to the training "
                f"data): relevance F1 mean {sum(rel) / len(rel):.3f} (min {min(rel):.3f}), "
                f"6-way macro-F1 mean {sum(mac) / len(mac):.3f} (min {min(mac):.3f})")
        if self.tuned_on:
            parts.append(f"note: this file is {self.tuned_on}; the hand-written rules and the thresholds "
                         "were checked against it, so expect somewhat lower figures on unseen items")
        if self.llm is not None:
            parts.append(format_scores(self.llm, "LLM"))
        return "\n\n".join(parts)


def _fit_predict(use_embeddings: bool, extra: Sequence[tuple[Doc, Label]]):  # type: ignore[no-untyped-def]
    def run(train: Sequence[LabelledItem], test: Sequence[Work]) -> list[Label]:
        clf = OfflineClassifier(use_embeddings=use_embeddings).fit_examples(
            [*extra, *((Doc.of_work(it.work), it.label) for it in train)])
        return [p.label for p in clf.predict(test)]
    return run


def write_predictions(path: str | Path, items: Sequence[LabelledItem], preds: Sequence[Prediction]) -> None:
    with Path(path).open("w", encoding="utf-8") as f:
        for it, p in zip(items, preds, strict=True):
            f.write(json.dumps({
                "record_id": it.record_id, "title": it.work.title, "label": it.label.value,
                "alt_label": it.alt_label.value if it.alt_label else None, "predicted": p.label.value,
                "confidence": p.confidence, "relevance": round(p.relevance, 4), "reason": p.reason,
            }, ensure_ascii=False) + "\n")


def run_eval(path: str | Path, clf: OfflineClassifier, *, use_embeddings: bool = False, k: int = 5,
             repeats: int = 3, daily_volume: int = 1500, llm_threshold: float = 0.01,
             predictions: str | Path | None = None, llm_predict=None) -> EvalResult:  # type: ignore[no-untyped-def]
    """Score `clf` (the shipped classifier) on the file; cross-validate refits with its folds."""
    items = load_labelled(path)
    preds: list[Prediction] = []

    def predict(works: Sequence[Work]) -> list[Label]:
        preds.extend(clf.predict(works))
        return [p.label for p in preds]

    offline = evaluate(items, predict)
    labels = [p.label for p in preds]
    relevant = [it.label is not Label.IRRELEVANT for it in items]
    sent = [p.relevant or p.relevance >= llm_threshold for p in preds]
    cascade = Cascade(llm_threshold, sum(sent), len(items),
                      sum(s and r for s, r in zip(sent, relevant, strict=True)), sum(relevant))
    if predictions is not None:
        write_predictions(predictions, items, preds)
    cv = cross_validate(items, _fit_predict(use_embeddings, ()), k=k, repeats=repeats) if k > 1 else []
    llm = evaluate(items, llm_predict) if llm_predict is not None else None
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return EvalResult(offline, stream_figures(items, labels, daily_volume=daily_volume), cascade, cv,
                      TUNED_ON.get(digest), llm)


def llm_predictor(settings, clf: OfflineClassifier):  # type: ignore[no-untyped-def]
    """Labels from the configured LLM for what the cascade sends it; offline labels otherwise."""
    from triage.llm import Budget, LLMTriage, litellm_completion
    from triage.text import content_hash

    cfg = settings.config.triage
    llm = LLMTriage(model=settings.llm_model, completion=litellm_completion(),
                    budget=Budget(cfg.max_calls_per_run, cfg.max_tokens_per_run, cfg.max_cost_usd_per_run),
                    api_base=cfg.api_base or None, api_key=settings.secret(cfg.api_key_env),
                    backoff_seconds=cfg.backoff_seconds)

    def predict(works: Sequence[Work]) -> list[Label]:
        out = []
        for w, p in zip(works, clf.predict(works), strict=True):
            if not (p.relevant or p.relevance >= cfg.llm_threshold):
                out.append(p.label)
                continue
            result = llm.classify(w, content_hash(w))
            out.append(result.reply.label if result.reply else p.label)
        return out
    return predict


@dataclass
class DecisionsEval:
    """The classifier on the lab's decisions: before it learnt from them, and cross-validated."""

    n: int
    kept: int  # decisions that put the work in a section (keep or move)
    before: StreamFigures  # the classifier trained without any decision, scored on them
    before_scores: Scores
    cv: list[Scores]  # trained on the other folds' decisions too, scored on each held-out fold
    k: int

    def describe(self) -> str:
        parts = [f"the lab's decisions: {self.n} ({self.kept} in a section, {self.n - self.kept} dropped)",
                 format_scores(self.before_scores, "offline classifier without the decisions"),
                 self.before.describe()]
        if self.cv:
            rel = [s.relevance for s in self.cv]
            mac = [s.macro_f1 for s in self.cv]
            parts.append(
                f"{len(self.cv)}x {self.k}-fold cross-validation (the other folds' decisions added to the "
                f"training data): relevance P {sum(r.precision for r in rel) / len(rel):.3f}  "
                f"R {sum(r.recall for r in rel) / len(rel):.3f}  F1 {sum(r.f1 for r in rel) / len(rel):.3f} "
                f"(min {min(r.f1 for r in rel):.3f}), 6-way macro-F1 mean {sum(mac) / len(mac):.3f}")
        return "\n\n".join(parts)


def run_decisions_eval(items: Sequence[LabelledItem], clf: OfflineClassifier,
                       extra: Sequence[tuple[Doc, Label]], *, use_embeddings: bool = False, k: int = 5,
                       repeats: int = 3, daily_volume: int = 1500) -> DecisionsEval:
    """Score `clf` (trained without the decisions) on them, then cross-validate: each fold is
    predicted by a classifier fit on the built-in data, `extra` and the other folds."""
    if k > 1 and len(items) < k:
        raise ValueError(f"{len(items)} decision(s): cross-validation needs at least {k} "
                         "(decide more works, or pass a smaller --folds)")
    pred = [p.label for p in clf.predict([it.work for it in items])]
    before = score([it.label for it in items], pred, [it.work.title for it in items])
    cv = cross_validate(items, _fit_predict(use_embeddings, extra), k=k, repeats=repeats) if k > 1 else []
    return DecisionsEval(len(items), sum(it.label is not Label.IRRELEVANT for it in items),
                         stream_figures(items, pred, daily_volume=daily_volume), before, cv, k)
