"""Does a digest get better for the lab's decisions? A replay of real stream days (a script).

    .venv/bin/python bench/bench_decisions.py [--file ../shared/eval/stream_dev.jsonl]

The labelled stream file (read at run time, never copied here) holds whole arXiv listing
days. Day by day, the offline classifier "delivers" what it calls relevant; the lab's
decisions are scripted from the file's labels: a delivered item is kept in its labelled
section when its label (or alt label) is a section, else dropped. Each next day's classifier
is trained on the built-in data plus every decision so far (what `build_classifier` does
with the `decisions` table). Printed per day: delivered, kept, precision (kept ÷ delivered)
and recall of the day's relevant items; then the last day scored by classifiers trained on
0, 1, 2 and 4 days of decisions (the same held-out day for all four).

The stream file is one the rules were checked against (see `triage/eval_run.TUNED_ON`), so
absolute figures flatter the rules; the change between rows is what this measures.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seascout.model import Label  # noqa: E402
from triage.classifier import Doc, OfflineClassifier  # noqa: E402
from triage.evaluate import LabelledItem, load_labelled  # noqa: E402
from triage.trained import trained_classifier  # noqa: E402


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


def _score(clf: OfflineClassifier,
           items: list[LabelledItem]) -> tuple[int, int, int, int, list[LabelledItem]]:
    preds = clf.predict([it.work for it in items])
    delivered = [it for it, p in zip(items, preds, strict=True) if p.relevant]
    kept = sum(_decide(it) is not Label.IRRELEVANT for it in delivered)
    relevant = sum(_decide(it) is not Label.IRRELEVANT for it in items)
    found = kept
    return len(delivered), kept, relevant, found, delivered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=Path, default=ROOT.parent / "shared" / "eval" / "stream_dev.jsonl")
    args = ap.parse_args()
    items = load_labelled(args.file)
    days: dict[str, list[LabelledItem]] = defaultdict(list)
    for it, d in zip(items, _day(args.file), strict=True):
        days[d].append(it)
    order = sorted(days)
    print(f"{args.file.name}: {len(items)} items over {len(order)} listing days")
    decided: list[tuple[Doc, Label]] = []
    print(f"{'day':<12}{'items':>6}{'delivered':>10}{'kept':>6}{'precision':>10}{'recall':>8}"
          f"{'decisions so far':>18}")
    models = {0: _fit([])}
    for n, day in enumerate(order):
        clf = _fit(decided)
        delivered, kept, relevant, found, sent = _score(clf, days[day])
        precision = kept / delivered if delivered else float("nan")
        recall = found / relevant if relevant else float("nan")
        print(f"{day:<12}{len(days[day]):>6}{delivered:>10}{kept:>6}{precision:>10.3f}{recall:>8.3f}"
              f"{len(decided):>18}")
        decided.extend((Doc.of_work(it.work), _decide(it)) for it in sent)
        models[n + 1] = _fit(decided)
    last = order[-1]
    print(f"\nthe last day ({last}) scored after k days of decisions (same held-out day):")
    for k in (0, 1, 2, 4):
        if k >= len(order):
            continue
        delivered, kept, relevant, found, _ = _score(models[k], days[last])
        p = kept / delivered if delivered else float("nan")
        print(f"  k={k}: delivered {delivered}, kept {kept}, precision {p:.3f}, "
              f"recall {found}/{relevant}")


if __name__ == "__main__":
    main()
