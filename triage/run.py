"""The triage stage: prefilter → classify (offline | LLM via litellm) → summarise → store.

`run_triage` labels and summarises every work without a classification (seed entries have
theirs). Offline by default; with a model configured (`triage.model` or
`SEASCOUT_LLM_MODEL`) it is a cascade: the offline classifier ranks every item and only those
whose relevance reaches `triage.llm_threshold` go to the LLM (on a real arXiv week about 3 %
of the stream, holding every relevant item), cached by (model, prompt version, content hash),
within the run's budget. When the LLM becomes unusable (a refused key, 429/5xx after the
retries, a spent budget) the items it could not reach keep their offline label, flagged, and
the report names the LLM's failure so the run is recorded `partial`. The token budget counts
for every model; for a model litellm has no price for, cost stays $0 and only calls and tokens
bound the run (the report says so).

The LLM's label stands, but where the offline model is confident in another label (a
section, or irrelevant: probability ≥ `STRONG_DISAGREEMENT`) it is flagged for a human look,
its reason naming both labels: text that talks an LLM into a section (a prompt injection) or
out of one does not pass unseen.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from seascout.core.config import Settings
from seascout.core.model import Classification, Label, Summary, Work
from seascout.core.text import clean_text
from triage.classifier import Doc, OfflineClassifier, Prediction
from triage.evaluate import LabelledItem
from triage.llm import (
    DEFAULT_SECTIONS,
    PROMPT_VERSION,
    Budget,
    BudgetExhausted,
    Completion,
    LLMReply,
    LLMTriage,
    LLMUnavailable,
    SectionInfo,
    litellm_completion,
)
from triage.summarise import lead_summary
from triage.text import content_hash
from triage.trained import trained_classifier
from warehouse import decisions_store, triage_store
from warehouse.db import Warehouse
from warehouse.works import get_works

log = logging.getLogger(__name__)
BATCH = 500
STRONG_DISAGREEMENT = 0.8  # the offline model's probability for another label that flags an LLM label


@dataclass
class TriageReport:
    counts: dict[str, int] = field(default_factory=dict)  # label → items stored this run
    classified: int = 0
    flagged: int = 0  # LLM reply invalid twice: offline result kept
    fallback: int = 0  # LLM unusable (budget spent or provider down): offline label, flagged
    disputed: int = 0  # LLM label kept, flagged: the offline model is confident in another
    cached: int = 0  # LLM replies served from the cache
    llm_calls: int = 0
    llm_tokens: int = 0
    llm_cost_usd: float = 0.0
    model: str = "offline"
    stopped: str | None = None  # why the LLM path stopped early
    max_tokens: int = 0  # the run's token budget (the bound for unpriced models)
    seconds: float = 0.0

    @property
    def unpriced(self) -> bool:
        """The model made calls but litellm knows no price for it: cost is $0, tokens bound it."""
        return self.llm_calls > 0 and self.llm_cost_usd == 0.0

    def errors(self) -> list[tuple[str, str, str]]:
        """(stage, source, message) for the run record: the LLM's failure, naming it."""
        if not self.stopped:
            return []
        return [("triage", f"llm {self.model}",
                 f"LLM unusable: {self.stopped}; {self.fallback} item(s) kept their offline "
                 "label, flagged")]

    def describe(self) -> str:
        per = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing new"
        text = (f"triage ({self.model}): {self.classified} classified — {per}; "
                f"LLM calls {self.llm_calls}, tokens {self.llm_tokens}, cost ${self.llm_cost_usd:.4f}")
        if self.cached:
            text += f"; {self.cached} from cache"
        if self.flagged:
            text += f"; {self.flagged} flagged (invalid LLM reply, offline label kept)"
        if self.disputed:
            text += (f"; {self.disputed} flagged for review (LLM label kept, the offline model "
                     "confident in another)")
        if self.unpriced:
            text += (f"; no price known for {self.model}: cost counts as $0, the token budget "
                     f"of {self.max_tokens:,} bounds the run")
        if self.fallback:
            text += (f"; LLM unusable ({self.stopped}): {self.fallback} item(s) kept their "
                     "offline label, flagged")
        return text


def build_classifier(settings: Settings, wh: Warehouse | None, *, use_embeddings: bool = False,
                     extra: Sequence[tuple[Doc, Label]] = (),
                     with_decisions: bool = True) -> OfflineClassifier:
    """The offline classifier trained on the built-in data, the survey's entries, the lab's
    decisions (keep/move → the section's label, drop → irrelevant) and `extra`."""
    seeds = training_extra(wh, with_decisions=with_decisions)
    return trained_classifier([*seeds, *extra], cache_dir=settings.cache_dir / "triage",
                              use_embeddings=use_embeddings,
                              threshold=settings.config.triage.relevance_threshold,
                              title_threshold=settings.config.triage.title_threshold)


def training_extra(wh: Warehouse | None, *, with_decisions: bool = True) -> list[tuple[Doc, Label]]:
    """What the warehouse adds to the built-in training data: the survey's entries, then the
    lab's decisions."""
    seeds: list[tuple[Doc, Label]] = []
    if wh is not None and wh.path.exists():
        for heading, summary, label in triage_store.seed_exemplars(wh):
            seeds.append((Doc(heading, f"{heading}. {summary[:1500]}", label == Label.NEWS.value),
                          Label(label)))
        if with_decisions:
            seeds.extend((Doc.of_work(it.work), it.label) for it in decision_items(wh))
    return seeds


def decision_items(wh: Warehouse) -> list[LabelledItem]:
    """The lab's decisions as labelled works, in work_id order (a stable classifier cache key)."""
    labels = decisions_store.decided_labels(wh)
    if not labels:
        return []
    works = {w.work_id: w for w in get_works(wh, [wid for wid, _ in labels])}
    return [LabelledItem(works[wid], label, record_id=wid) for wid, label in labels if wid in works]


def prefilter(pred: Prediction, threshold: float) -> bool:
    """Worth an LLM call: the offline relevance reaches the cascade's threshold."""
    return pred.relevant or pred.relevance >= threshold


def _sections(wh: Warehouse) -> list[SectionInfo] | None:
    rows = triage_store.section_descriptions(wh)
    out = []
    for number, title, label, description in rows:
        try:
            out.append(SectionInfo(number, title, Label(label), description))
        except ValueError:
            continue
    return out or None


def _offline(work: Work, pred: Prediction, h: str, *, flagged: bool = False,
             reason: str | None = None) -> Classification:
    return Classification(work_id=work.work_id or work.ids[0], label=pred.label,
                          confidence=pred.confidence, method="offline", content_hash=h,
                          reason=reason or pred.reason, flagged=flagged)


def disagreement(pred: Prediction, llm_label: Label) -> str | None:
    """Both labels, when the offline model gives another label than the LLM's at least
    `STRONG_DISAGREEMENT` probability; None when they agree or the offline model is unsure."""
    other, p = max(pred.probabilities.items(), key=lambda kv: kv[1])
    if other is llm_label or p < STRONG_DISAGREEMENT:
        return None
    return f"the LLM says {llm_label.value}, the offline model {other.value} ({p:.2f})"


def _from_reply(work: Work, reply: LLMReply, model: str, h: str,
                pred: Prediction) -> tuple[Classification, Summary]:
    wid = work.work_id or work.ids[0]
    why = disagreement(pred, reply.label)
    cls = Classification(work_id=wid, label=reply.label, confidence=reply.confidence, method="llm",
                         model=model, prompt_version=PROMPT_VERSION, content_hash=h,
                         reason=reply.reason if why is None
                         else f"{reply.reason} [needs review: {why}]",
                         flagged=why is not None)
    # LLM text is untrusted text: the one cleaner, as for crawled and lab text
    return cls, Summary(work_id=wid, title_zh=clean_text(reply.title_zh),
                        summary=clean_text(reply.summary_zh, paragraphs=True),
                        language="zh", method="llm", model=model)


def run_triage(settings: Settings, wh: Warehouse, *, run_id: str | None = None,
               limit: int | None = None, llm_completion: Completion | None = None,
               use_embeddings: bool | None = None) -> TriageReport:
    """Label and summarise every unclassified work; returns counts, calls, tokens and cost.

    `llm_completion` replaces litellm's `completion` (tests inject a `FakeModel`). With a
    `run_id`, the LLM usage is added to that `runs` row (do not add it again in finish_run).
    """
    started = time.perf_counter()
    cfg = settings.config.triage
    model = settings.llm_model.strip()
    report = TriageReport(model=model or "offline")
    ids = triage_store.unclassified_work_ids(wh, limit)
    if not ids:
        report.seconds = time.perf_counter() - started
        return report
    emb = cfg.embeddings if use_embeddings is None else use_embeddings
    clf = build_classifier(settings, wh, use_embeddings=emb)
    llm: LLMTriage | None = None
    report.max_tokens = cfg.max_tokens_per_run
    if model:
        llm = LLMTriage(
            model=model, completion=llm_completion or litellm_completion(),
            budget=Budget(cfg.max_calls_per_run, cfg.max_tokens_per_run, cfg.max_cost_usd_per_run),
            api_base=cfg.api_base or None, api_key=settings.secret(cfg.api_key_env),
            sections=_sections(wh) or DEFAULT_SECTIONS,
            backoff_seconds=cfg.backoff_seconds)
    try:
        for start in range(0, len(ids), BATCH):
            _triage_batch(wh, get_works(wh, ids[start:start + BATCH]), clf, llm, cfg.llm_threshold,
                          report)
    finally:
        if llm is not None:
            report.llm_calls = llm.budget.calls
            report.llm_tokens = llm.budget.tokens
            report.llm_cost_usd = round(llm.budget.cost_usd, 6)
            if run_id and llm.budget.calls:
                triage_store.record_llm_usage(wh, run_id, llm.budget.calls, llm.budget.tokens,
                                              llm.budget.cost_usd)
    report.seconds = time.perf_counter() - started
    log.info(report.describe())
    return report


def _triage_batch(wh: Warehouse, works: list[Work], clf: OfflineClassifier, llm: LLMTriage | None,
                  threshold: float, report: TriageReport) -> None:
    preds = clf.predict(works)
    hashes = [content_hash(w) for w in works]
    classes: list[Classification] = []
    summaries: list[Summary] = []
    new_cache: list[tuple[str, dict, int, float]] = []  # type: ignore[type-arg]
    cached = (triage_store.cache_get(wh, llm.model, PROMPT_VERSION, hashes) if llm else {})
    for work, pred, h in zip(works, preds, hashes, strict=True):
        if llm is None or not prefilter(pred, threshold):
            classes.append(_offline(work, pred, h))
            summaries.append(lead_summary(work))
            continue
        if h in cached:
            try:
                reply = LLMReply.model_validate(cached[h])
            except ValueError:
                reply = None
            if reply is not None:
                report.cached += 1
                c, s = _from_reply(work, reply, llm.model, h, pred)
                report.disputed += c.flagged
                classes.append(c)
                summaries.append(s)
                continue
        if not report.stopped:
            try:
                before = (llm.budget.tokens, llm.budget.cost_usd)
                result = llm.classify(work, h)
            except (BudgetExhausted, LLMUnavailable) as exc:
                report.stopped = str(exc)
                log.warning("LLM triage stopped: %s; the rest keeps its offline label, flagged",
                            exc)
        if report.stopped:  # the LLM is unusable: the offline label stands, flagged
            report.fallback += 1
            classes.append(_offline(work, pred, h, flagged=True,
                                    reason=f"{pred.reason} [LLM unusable: {report.stopped}]"))
            summaries.append(lead_summary(work))
            continue
        if result.reply is None:
            report.flagged += 1
            classes.append(_offline(work, pred, h, flagged=True,
                                    reason=f"{pred.reason} [LLM {result.error}]"))
            summaries.append(lead_summary(work))
            continue
        c, s = _from_reply(work, result.reply, llm.model, h, pred)
        report.disputed += c.flagged
        classes.append(c)
        summaries.append(s)
        new_cache.append((h, result.reply.model_dump(mode="json"),
                          llm.budget.tokens - before[0], llm.budget.cost_usd - before[1]))
    triage_store.cache_put(wh, llm.model, PROMPT_VERSION, new_cache) if llm else None
    triage_store.save_results(wh, classes, summaries)
    report.classified += len(classes)
    counts = Counter(c.label.value for c in classes)
    for k, v in counts.items():
        report.counts[k] = report.counts.get(k, 0) + v
