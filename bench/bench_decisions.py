"""Does a digest get better for the lab's decisions? A replay of real stream days (a script).

    .venv/bin/python bench/bench_decisions.py [--file ../shared/eval/stream_dev.jsonl] [--spot 5]
        [--holdout ../shared/eval/dev.jsonl]

The labelled stream file (read at run time, never copied here) holds whole arXiv listing days.
Day by day, the offline classifier "delivers" what it calls relevant; the lab's decisions are
scripted from the file's labels: a delivered item is kept in its labelled section when its
label (or alt label) is a section, else dropped. Each next day's classifier is trained on the
built-in data plus every decision so far (what `build_classifier` does with the `decisions`
table). Each day is one digest: it also carries a 抽查 sample of the items the classifier
rejected (`--spot`, default 5, drawn by `digests.quality.spot_check_sample` seeded by the day,
as a digest is by its id), which the lab decides too (and which trains the next day's
classifier), and the `--unsure` rejections triage was least sure of, which the review page
lists after the entries (`seascout review`, 20). Printed per day: delivered, kept, precision
(kept ÷ delivered, every delivered item decided), recall of the day's relevant items, the
rejected count, the sample's keeps, the estimate of relevant items missed (those the lab found
among the rejections it decided + the undecided rest × keeps ÷ sampled, 95 % Wilson interval:
`digests.quality.missed_estimate`) beside the true number missed, and how many of those the
review page's list of least-certain rejections held; then the estimate pooled over all days;
then the last day scored by classifiers trained on 0, 1, 2 and 4 days of decisions (the same
held-out day for all four), and on `--holdout` if given.

The stream file is one the rules were checked against (see `triage/eval_run.TUNED_ON`), so
absolute figures flatter the rules; the change between rows is what this measures.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from digests.quality import missed_estimate, spot_check_sample
from seascout.core.model import Label
from triage.classifier import Doc, OfflineClassifier
from triage.evaluate import LabelledItem, load_labelled
from triage.trained import trained_classifier

ROOT = Path(__file__).resolve().parents[1]


def _day(path: Path) -> list[str]:
    import json

    return [str(json.loads(line).get("published") or "")[:10]
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _decide(item: LabelledItem) -> Label:
    if item.label is not Label.IRRELEVANT:
        return item.label
    if item.alt_label not in (None, Label.IRRELEVANT):
        return item.alt_label  # type: ignore[return-value]
    return Label.IRRELEVANT


def _fit(decided: list[tuple[Doc, Label]]) -> OfflineClassifier:
    return trained_classifier(decided, cache_dir=ROOT / ".pytest_cache" / "seascout-model")


def _relevant(item: LabelledItem) -> bool:
    return _decide(item) is not Label.IRRELEVANT


def _score(clf: OfflineClassifier,
           items: list[LabelledItem]) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(delivered, rejected) by the classifier."""
    preds = clf.predict([it.work for it in items])
    delivered = [it for it, p in zip(items, preds, strict=True) if p.relevant]
    rejected = [it for it, p in zip(items, preds, strict=True) if not p.relevant]
    return delivered, rejected


def _missed_text(rejected: int, kept: int, sampled: int, found: int, decided: int) -> str:
    m = missed_estimate(rejected, kept, sampled, found=found, rejected_decided=decided)
    if m is None:
        return "—"
    return f"{m.point:.1f} [{m.low:.1f}, {m.high:.1f}]" if m.high is not None else f"≥ {m.point:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=Path, default=ROOT.parent / "shared" / "eval" / "stream_dev.jsonl")
    ap.add_argument("--spot", type=int, default=5, help="抽查 sample size per day (digest)")
    ap.add_argument("--unsure", type=int, default=20,
                    help="the rejections triage was least sure of that the review page lists "
                         "(`seascout review`: 20), decided by the lab too")
    ap.add_argument("--holdout", type=Path, default=None,
                    help="another labelled file (e.g. ../shared/eval/dev.jsonl, mostly near "
                         "misses) to score the k-day classifiers on as well")
    args = ap.parse_args()
    if not args.file.is_file():
        sys.exit(f"{args.file}: no such file — pass --file PATH/TO/stream_dev.jsonl")
    items = load_labelled(args.file)
    days: dict[str, list[LabelledItem]] = defaultdict(list)
    for it, d in zip(items, _day(args.file), strict=True):
        days[d].append(it)
    order = sorted(days)
    print(f"{args.file.name}: {len(items)} items over {len(order)} listing days, "
          f"{sum(map(_relevant, items))} relevant; 抽查 {args.spot} a day")
    decided: list[tuple[Doc, Label]] = []
    print(f"{'day':<12}{'items':>6}{'deliv':>6}{'kept':>5}{'precision':>10}{'recall':>8}"
          f"{'rejected':>9}{'spot kept':>11}{'missed est. [95% Wilson]':>27}{'true':>6}"
          f"{'review':>8}{'decisions':>10}")
    models = {0: _fit([])}
    pooled = [0, 0, 0, 0, 0, 0]  # rejected, sample kept, sampled, true missed, found, decided
    for n, day in enumerate(order):
        clf = _fit(decided)
        sent, rejected = _score(clf, days[day])
        relevance = {it.record_id: p.relevance
                     for it, p in zip(rejected, clf.predict([it.work for it in rejected]),
                                      strict=True)}
        unsure = sorted(rejected, key=lambda it: -relevance[it.record_id])[:args.unsure]
        kept = sum(map(_relevant, sent))
        relevant = sum(map(_relevant, days[day]))
        by_id = {it.record_id: it for it in rejected}
        sample = [by_id[r] for r in spot_check_sample(f"day-{day}", list(by_id), args.spot)]
        sample_kept = sum(map(_relevant, sample))
        true_missed = sum(map(_relevant, rejected))
        looked_at = {it.record_id: it for it in unsure + sample}  # the rejections the lab decided
        found = sum(map(_relevant, looked_at.values()))
        precision = f"{kept}/{len(sent)}={kept / len(sent):.2f}" if sent else "—"
        recall = kept / relevant if relevant else float("nan")
        print(f"{day:<12}{len(days[day]):>6}{len(sent):>6}{kept:>5}{precision:>10}{recall:>8.2f}"
              f"{len(rejected):>9}{f'{sample_kept}/{len(sample)}':>11}"
              f"{_missed_text(len(rejected), sample_kept, len(sample), found, len(looked_at)):>27}"
              f"{true_missed:>6}{f'{found}/{true_missed}':>8}{len(decided):>10}")
        for i, v in enumerate((len(rejected), sample_kept, len(sample), true_missed, found,
                               len(looked_at))):
            pooled[i] += v
        listed = {it.record_id for it in sent + sample}
        decided.extend((Doc.of_work(it.work), _decide(it))
                       for it in sent + sample + [u for u in unsure if u.record_id not in listed])
        models[n + 1] = _fit(decided)
    rej, sk, sn, truth, seen, looked = pooled
    print(f"\npooled over {len(order)} days: 抽查 kept {sk}/{sn} of {rej} rejected; the lab "
          f"found {seen} of the {truth} missed among the {looked} rejections it decided (the "
          f"review page's {args.unsure} least-certain a day and the 抽查) → missed "
          f"{_missed_text(rej, sk, sn, seen, looked)}; with the 抽查 alone "
          f"{_missed_text(rej, sk, sn, 0, 0)}")
    last = order[-1]
    print(f"\nthe last day ({last}) scored after k days of decisions (same held-out day):")
    for k in (0, 1, 2, 4):
        if k >= len(order):
            continue
        sent, _ = _score(models[k], days[last])
        kept = sum(map(_relevant, sent))
        p = kept / len(sent) if sent else float("nan")
        print(f"  k={k}: delivered {len(sent)}, kept {kept}, precision {p:.3f}, "
              f"recall {kept}/{sum(map(_relevant, days[last]))}")
    if args.holdout:
        if not args.holdout.is_file():
            sys.exit(f"{args.holdout}: no such file — pass --holdout PATH/TO/dev.jsonl")
        held = load_labelled(args.holdout)
        print(f"\n{args.holdout.name} ({len(held)} items, {sum(map(_relevant, held))} relevant) "
              "scored after k days of decisions:")
        for k in (0, 1, 2, 4):
            if k not in models:
                continue
            sent, _ = _score(models[k], held)
            kept = sum(map(_relevant, sent))
            p = kept / len(sent) if sent else float("nan")
            print(f"  k={k}: delivered {len(sent)}, kept {kept}, precision {p:.3f}, "
                  f"recall {kept}/{sum(map(_relevant, held))}")


if __name__ == "__main__":
    main()
