"""The labelled sample keeps its figures: precision ≥ 0.95 for every relation kind found on
real items and recall ≥ 0.90 of the mentions a reader found (`tests/fixtures/relations/`).
The items are read from the shared corpus, where it lies (`../shared/corpus/`)."""

from __future__ import annotations

import pytest

from testing.relations_eval import CORPUS, score


@pytest.mark.skipif(not (CORPUS / "arxiv_stream.jsonl").exists(),
                    reason=f"no shared corpus at {CORPUS}")
def test_precision_per_kind_and_recall_on_the_labelled_sample() -> None:
    result = score()
    assert result.unlabelled == []  # every relation found is labelled
    assert len(result.labels) >= 100
    for kind, n in result.total.items():
        assert result.precision(kind) >= 0.95, (kind, result.right[kind], n)
    assert result.recalled / len(result.mentions) >= 0.90
