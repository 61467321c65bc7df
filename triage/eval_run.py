"""`seascout eval`: the offline classifier (and optionally the LLM) on a labelled file.

Three figures, so nobody mistakes a fit for a forecast:

- **examples only** — trained on the project's own written examples (+ seed entries when a
  warehouse has them); every labelled item is unseen by the learned part;
- **k-fold cross-validation** — trained on the own examples plus the other folds, scored on
  each held-out fold (repeated with different splits);
- **throughput** — items per second of the offline path (the learned model's fit excluded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seascout.model import Label, Work
from triage.classifier import Doc, OfflineClassifier
from triage.evaluate import LabelledItem, Scores, cross_validate, evaluate, format_scores, load_labelled


@dataclass
class EvalResult:
    offline: Scores
    cv: list[Scores]
    llm: Scores | None = None

    def describe(self) -> str:
        parts = [format_scores(self.offline, "offline, trained on own examples only")]
        if self.cv:
            rel = [s.relevance.f1 for s in self.cv]
            mac = [s.macro_f1 for s in self.cv]
            parts.append(format_scores(self.cv[0], f"offline, {len(self.cv)}x k-fold CV (first split)"))
            parts.append(
                f"cross-validated over {len(self.cv)} splits: relevance F1 mean {sum(rel) / len(rel):.3f} "
                f"(min {min(rel):.3f}), 6-way macro-F1 mean {sum(mac) / len(mac):.3f} (min {min(mac):.3f})")
        parts.append("note: the boundary rules are hand-written and were checked against this file; "
                     "cross-validation guards only the learned part, so expect lower figures on unseen items")
        if self.llm is not None:
            parts.append(format_scores(self.llm, "LLM"))
        return "\n\n".join(parts)


def _fit_predict(use_embeddings: bool, extra: Sequence[tuple[Doc, Label]]):  # type: ignore[no-untyped-def]
    def run(train: Sequence[LabelledItem], test: Sequence[Work]) -> list[Label]:
        clf = OfflineClassifier(use_embeddings=use_embeddings).fit_examples(
            [*extra, *((Doc.of_work(it.work), it.label) for it in train)])
        return [p.label for p in clf.predict(test)]
    return run


def run_eval(path: str | Path, *, use_embeddings: bool = False, k: int = 5, repeats: int = 3,
             extra: Sequence[tuple[Doc, Label]] = (), llm_predict=None) -> EvalResult:  # type: ignore[no-untyped-def]
    items = load_labelled(path)
    clf = OfflineClassifier(use_embeddings=use_embeddings).fit_examples(list(extra))
    clf.predict([items[0].work])  # load the embedding model outside the timed run
    offline = evaluate(items, lambda ws: [p.label for p in clf.predict(ws)])
    cv = cross_validate(items, _fit_predict(use_embeddings, extra), k=k, repeats=repeats) if k > 1 else []
    llm = evaluate(items, llm_predict) if llm_predict is not None else None
    return EvalResult(offline, cv, llm)


def llm_predictor(settings, use_embeddings: bool = False):  # type: ignore[no-untyped-def]
    """Labels from the configured LLM (offline label where its reply stays invalid)."""
    from triage.llm import Budget, LLMTriage, litellm_completion
    from triage.text import content_hash

    cfg = settings.config.triage
    llm = LLMTriage(model=settings.llm_model, completion=litellm_completion(),
                    budget=Budget(cfg.max_calls_per_run, cfg.max_tokens_per_run, cfg.max_cost_usd_per_run),
                    api_base=cfg.api_base or None, api_key=settings.secret(cfg.api_key_env),
                    backoff_seconds=cfg.backoff_seconds)
    clf = OfflineClassifier(use_embeddings=use_embeddings).fit_examples()

    def predict(works: Sequence[Work]) -> list[Label]:
        out = []
        for w, p in zip(works, clf.predict(works), strict=True):
            result = llm.classify(w, content_hash(w))
            out.append(result.reply.label if result.reply else p.label)
        return out
    return predict
