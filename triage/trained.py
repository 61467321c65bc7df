"""The offline classifier, trained once per version of its training data and kept on disk.

Training reads ~2,600 labelled texts through the boundary rules (~20–40 s on two cores), so a
fitted classifier is pickled under the cache folder, named by a hash of everything it was fit
on: the training files, the seed entries passed in, the settings and the source of the rules
and the model. A run after an update fits once (and says so); every later run loads it in
well under a second. The cache holds only our own derived files: deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from seascout.model import Label
from triage.classifier import Doc, OfflineClassifier

log = logging.getLogger(__name__)
_MEMO: dict[str, OfflineClassifier] = {}
_SOURCES = ("classifier.py", "rules.py", "examples.py", "examples.jsonl", "training/arxiv_labelled.jsonl")


def _key(extra: Sequence[tuple[Doc, Label]], options: dict[str, object]) -> str:
    h = hashlib.sha256(repr(sorted(options.items())).encode())
    root = resources.files("triage")
    for name in _SOURCES:
        h.update(name.encode() + b"\0" + root.joinpath(name).read_bytes())
    for doc, label in extra:
        h.update(f"\0{doc.title}\x1f{doc.text}\x1f{doc.news}\x1f{label.value}".encode())
    return h.hexdigest()[:24]


def trained_classifier(extra: Sequence[tuple[Doc, Label]] = (), *, cache_dir: Path | None = None,
                       use_embeddings: bool = False, threshold: float = 0.5) -> OfflineClassifier:
    """The classifier fit on the built-in training data plus `extra`, from the cache when it
    holds one (`SEASCOUT_MODEL_CACHE` overrides `cache_dir`)."""
    options: dict[str, object] = {"embeddings": use_embeddings, "threshold": threshold}
    key = _key(extra, options)
    if key in _MEMO:
        return _MEMO[key]
    env = os.environ.get("SEASCOUT_MODEL_CACHE")
    folder = Path(env) if env else cache_dir
    path = folder / f"offline-{key}.pkl" if folder else None
    clf: OfflineClassifier | None = None
    if path is not None and path.is_file():
        try:
            with path.open("rb") as f:
                loaded = pickle.load(f)  # noqa: S301 — our own file, written below
            clf = loaded if isinstance(loaded, OfflineClassifier) else None
        except Exception:  # a truncated or stale file: fit again
            clf = None
    if clf is None:
        log.info("training the offline classifier (once per version of its training data)")
        clf = OfflineClassifier(use_embeddings=use_embeddings, threshold=threshold).fit_examples(extra)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                pickle.dump(clf, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
    _MEMO[key] = clf
    return clf
