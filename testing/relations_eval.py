"""The labelled relation sample (`tests/fixtures/relations/`) scored against the extractor:
shared by `bench/eval_relations.py` and the test that keeps its figures.

The survey's entries are the seed document's (`seeds/`) and the kept entries of
`kept_entries.json`; the items are the real arXiv records of the shared corpus
(`../shared/corpus/`, read where it lies) and the demo's recordings. `labelled.jsonl` holds,
for each (item, entry) pair the extractor found or a reader found, the kinds that are true
(`none`: the name means something else).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from digests.relations import KINDS, Item, Target, display_name, entry_names, find_relations
from seascout.core.survey import parse_survey, read_document

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "relations"
DEMO = ROOT / "tests" / "fixtures" / "demo" / "arxiv_week.jsonl"
CORPUS = next((d for d in (ROOT.parent / "shared" / "corpus",
                           ROOT.parent.parent / "shared" / "corpus") if d.is_dir()),
              ROOT.parent / "shared" / "corpus")


def survey_targets() -> list[Target]:
    seed = sorted((ROOT / "seeds").glob("*.md"))[-1]
    survey = parse_survey(read_document(seed.read_bytes(), seed.name), seed.name)
    datasets = {s.number for s in survey.sections if s.label and s.label.value == "datasets"}
    out = [Target(f"entry:{e.number}", display_name(e.heading, e.work.title), e.work.title,
                  entry_names(e.heading, e.work.title), tuple(a.name for a in e.work.authors),
                  e.section in datasets, tuple(e.work.ids)) for e in survey.entries]
    kept = json.loads((FIXTURES / "kept_entries.json").read_text(encoding="utf-8"))["entries"]
    out += [Target(f"entry:{k['number']}", display_name(k["heading"], k["title"]), k["title"],
                   entry_names(k["heading"], k["title"]), tuple(k["authors"]), k["section"] == 4,
                   tuple(k["ids"])) for k in kept]
    return out


def read_items(corpus: Path = CORPUS) -> list[Item]:
    """Every real item, its id the `file:line` it was read from."""
    out = []
    files = [corpus / "arxiv_stream.jsonl", corpus / "rs_candidates.jsonl", DEMO]
    for path in files:
        name = "demo/arxiv_week.jsonl" if path == DEMO else f"corpus/{path.name}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            r = json.loads(line)
            out.append(Item(f"{name}:{n}", r["title"], r.get("abstract") or "",
                            tuple(r.get("authors") or ())))
    return out


@dataclass
class Score:
    items: int
    entries: int
    found: dict[tuple[str, str, str], str]  # (item, entry, kind) → evidence
    labels: dict[tuple[str, str], list[str]]  # (item, entry) → true kinds
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    unlabelled: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def mentions(self) -> list[tuple[str, str]]:
        return [k for k, kinds in self.labels.items() if kinds != ["none"]]

    @property
    def recalled(self) -> int:
        pairs = {(i, e) for i, e, _ in self.found}
        return sum(1 for k in self.mentions if k in pairs)

    def precision(self, kind: str) -> float:
        return self.right[kind] / self.total[kind] if self.total[kind] else float("nan")

    def report(self) -> str:
        lines = [f"{self.items} real items, {self.entries} survey entries, {len(self.found)} "
                 f"relations found, {len(self.labels)} pairs labelled ({len(self.unlabelled)} "
                 "found relations not labelled)",
                 f"{'kind':<16}{'found':>7}{'right':>7}{'precision':>11}"]
        for kind in KINDS:
            if self.total[kind]:
                lines.append(f"{kind:<16}{self.total[kind]:>7}{self.right[kind]:>7}"
                             f"{self.precision(kind):>11.3f}")
        right, total = sum(self.right.values()), sum(self.total.values())
        if total:
            lines.append(f"{'all':<16}{total:>7}{right:>7}{right / total:>11.3f}")
        if self.mentions:
            lines.append(f"recall of mentions found by reading: {self.recalled}/"
                         f"{len(self.mentions)} = {self.recalled / len(self.mentions):.3f}")
        return "\n".join(lines)


def score(corpus: Path = CORPUS, labels_path: Path = FIXTURES / "labelled.jsonl") -> Score:
    targets = survey_targets()
    items = read_items(corpus)
    found = {(r.work_id, r.target_id, r.kind): r.evidence for r in find_relations(items, targets)}
    labels = {}
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            labels[(row["item"], row["entry"])] = row["kinds"]
    out = Score(len(items), len(targets), found, labels)
    for item, entry, kind in found:
        kinds = labels.get((item, entry))
        if kinds is None:
            out.unlabelled.append((item, entry, kind))
            continue
        out.total[kind] += 1
        out.right[kind] += kind in kinds
    return out
