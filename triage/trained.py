"""The offline classifier, trained once per version of its training data and kept on disk.

Training reads ~2,600 labelled texts through the boundary rules (~20–40 s on two cores), so
two things are pickled under the cache folder, each named by a hash of what it depends on:

- what the rules found in the built-in training texts (per version of the rules and data),
  so fitting with other seed entries costs only the fit itself (a few seconds);
- the fitted classifier (per version of everything it was fit on: the training files, the
  seed entries passed in, the settings and the source of the rules and the model).

A run after an update fits once (and says so); every later run loads it in well under a
second. The cache holds only our own derived files: deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from seascout.core.model import Label
from triage import classifier as _classifier
from triage.classifier import Doc, OfflineClassifier
from triage.examples import training_examples

log = logging.getLogger(__name__)
_MEMO: dict[str, OfflineClassifier] = {}
# what the rules' findings depend on
_DATA = ("rules.py", "examples.jsonl", "training/arxiv_labelled.jsonl", "training/arxiv_web_labelled.jsonl",
         "training/news_labelled.jsonl")
_SOURCES = ("classifier.py", "examples.py", "embedding.py", *_DATA)  # what a fitted classifier depends on


def _key(extra: Sequence[tuple[Doc, Label]], options: dict[str, object],
         sources: Sequence[str] = _SOURCES) -> str:
    h = hashlib.sha256(repr(sorted(options.items())).encode())
    root = resources.files("triage")
    for name in sources:
        h.update(name.encode() + b"\0" + root.joinpath(name).read_bytes())
    for doc, label in extra:
        h.update(f"\0{doc.title}\x1f{doc.text}\x1f{doc.news}\x1f{label.value}".encode())
    return h.hexdigest()[:24]


def trained_classifier(extra: Sequence[tuple[Doc, Label]] = (), *, cache_dir: Path | None = None,
                       use_embeddings: bool = False, threshold: float = 0.60,
                       title_threshold: float = 0.35) -> OfflineClassifier:
    """The classifier fit on the built-in training data plus `extra`, from the cache when it
    holds one (`SEASCOUT_MODEL_CACHE` overrides `cache_dir`)."""
    options: dict[str, object] = {"embeddings": use_embeddings, "threshold": threshold,
                                  "title_threshold": title_threshold}
    key = _key(extra, options)
    if key in _MEMO:
        return _MEMO[key]
    env = os.environ.get("SEASCOUT_MODEL_CACHE")
    folder = Path(env) if env else cache_dir
    path = folder / f"offline-{key}.pkl" if folder else None
    clf: OfflineClassifier | None = None
    if path is not None and path.is_file():
        loaded = _load(path)
        clf = loaded if isinstance(loaded, OfflineClassifier) else None
    if clf is None:
        log.info("training the offline classifier (once per version of its training data)")
        if folder is not None:
            _warm_rules(folder)
        clf = OfflineClassifier(use_embeddings=use_embeddings, threshold=threshold,
                                title_threshold=title_threshold).fit_examples(extra)
        if path is not None:
            _save(path, clf)
    _MEMO[key] = clf
    return clf


def _load(path: Path) -> object | None:
    try:
        with path.open("rb") as f:
            return pickle.load(f)  # noqa: S301 — our own file, written by _save
    except Exception:  # missing, truncated or stale: make it again
        return None


def _save(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def _warm_rules(folder: Path) -> None:
    """Load (or compute and keep) what the rules find in the built-in training texts."""
    path = folder / f"rules-{_key((), {}, sources=_DATA)}.pkl"
    found = _load(path) if path.is_file() else None
    if isinstance(found, dict):
        _classifier.HITS_MEMO.update(found)
        return
    docs = [Doc.of_example(e) for e in training_examples()]
    memo = {(d.title, d.text, d.news): _classifier._hits(d.title, d.text, d.news) for d in docs}
    _save(path, memo)
