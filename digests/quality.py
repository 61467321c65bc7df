"""How good a digest is, from the lab's decisions: precision and the estimate of what it missed.

Precision is kept ÷ decided among the entries a digest delivered (keep and move count as kept).
What the digest missed is what the lab already found — works of the period triage rejected
and the lab kept anyway (from the review page's least-certain list, the 抽查 sample, or
`seascout decide`) — plus an estimate for the rejections nobody decided: the 抽查 (spot check)
is a uniform random sample of the works triage rejected in the period, and the share the lab
keeps among the decided ones, times the undecided rejections, estimates the relevant works
among them. The interval is the 95 % Wilson score interval on that share (it stays inside
[0, 1] and is sensible at 0 of 5, unlike the normal approximation), scaled the same way.
`warehouse/migrations/110_digest_quality.sql` computes the same in the `digest_quality` view.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from seascout.core.model import Work

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95 % by default)."""
    if trials <= 0:
        raise ValueError("the Wilson interval needs at least one trial")
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    zn = z * z / trials
    centre = p + zn / 2
    half = math.sqrt(zn * (p * (1 - p) + zn / 4))
    return max(0.0, (centre - half) / (1 + zn)), min(1.0, (centre + half) / (1 + zn))


@dataclass(frozen=True)
class MissedEstimate:
    """Relevant works the digest left out: a point estimate and its 95 % interval (`high`
    None: only what the lab found is known, no sampled work is decided yet)."""

    point: float
    low: float
    high: float | None


def missed_estimate(rejected: int, kept: int, decided: int, *, found: int = 0,
                    rejected_decided: int = 0) -> MissedEstimate | None:
    """`found` + the undecided rejections × kept ÷ decided (of the sample), with the Wilson
    interval scaled the same way; only `found` while no sampled work is decided (None when
    that is 0 too)."""
    if decided <= 0:
        return MissedEstimate(found, found, None) if found else None
    rest = max(0, rejected - rejected_decided)
    low, high = wilson_interval(kept, decided)
    return MissedEstimate(found + rest * kept / decided, found + rest * low, found + rest * high)


def spot_check_sample(digest_id: str, rejected: Sequence[str], size: int) -> list[str]:
    """`size` of the rejected work ids drawn uniformly at random, seeded by the digest's id:
    the same digest and the same rejected works give the same sample on every machine."""
    population = sorted(set(rejected))
    rng = random.Random(f"seascout-spot-check:{digest_id}")
    return rng.sample(population, min(max(size, 0), len(population)))


@dataclass
class QualityRow:
    """One digest's line of the trend table (counts from the `digest_quality` view)."""

    digest_id: str
    entries: int
    decided: int
    kept: int
    rejected: int | None  # None: the digest drew no 抽查 sample
    sampled: int
    sample_decided: int
    sample_kept: int
    found: int | None = None  # rejected works of the period the lab kept anyway
    rejected_decided: int = 0  # rejected works of the period the lab decided

    @property
    def precision(self) -> float | None:
        return self.kept / self.decided if self.decided else None

    @property
    def missed(self) -> MissedEstimate | None:
        if self.rejected is None:
            return None
        return missed_estimate(self.rejected, self.sample_kept, self.sample_decided,
                               found=self.found or 0, rejected_decided=self.rejected_decided)

    @property
    def precision_text(self) -> str:
        """`8/10 = 80%`, or `—` while nothing is decided."""
        if not self.decided:
            return "—"
        return f"{self.kept}/{self.decided} = {100 * self.kept / self.decided:.0f}%"

    @property
    def summary_text(self) -> str:
        """`精确率 8/10 = 80%（已审阅 10/12 条）`."""
        if not self.decided:
            return f"精确率 —（已审阅 0/{self.entries} 条）"
        return f"精确率 {self.precision_text}（已审阅 {self.decided}/{self.entries} 条）"

    @property
    def spot_check_text(self) -> str:
        """`保留 1/4（抽 5 / 拒 1200）`, or `—` without a sample."""
        if self.rejected is None:
            return "—"
        return (f"保留 {self.sample_kept}/{self.sample_decided}"
                f"（抽 {self.sampled} / 拒 {self.rejected}）")

    @property
    def missed_text(self) -> str:
        """`≈ 240（95% 区间 43–750）`; `≥ 3（已找到）` while only found works are known; `—`."""
        m = self.missed
        if m is None:
            return "—"
        if m.high is None:
            return f"≥ {m.point:.0f}（已找到）"
        return f"≈ {m.point:.0f}（95% 区间 {m.low:.0f}–{m.high:.0f}）"


_DECISION_TEXT = {"keep": "已保留（第 {section} 章）", "move": "已保留（第 {section} 章）",
                  "drop": "已剔除"}


@dataclass
class SpotCheckEntry:
    """One work of a digest's 抽查 sample: not an entry, listed for the lab to decide."""

    work: Work
    decision: str | None = None  # keep | move | drop; None: not decided yet
    section: int | None = None  # where the lab put it (keep, move)

    @property
    def decision_text(self) -> str:
        if self.decision is None:
            return "未审阅"
        return _DECISION_TEXT.get(self.decision, self.decision).format(section=self.section)

    @property
    def url(self) -> str | None:
        doi, arxiv, page = self.work.key("doi"), self.work.arxiv_id, self.work.key("url")
        if doi:
            return f"https://doi.org/{doi}"
        if arxiv:
            return f"https://arxiv.org/abs/{arxiv}"
        return page


@dataclass
class SpotCheckBlock:
    """The 抽查 block of a digest: `entries` drawn out of `rejected` works triage rejected."""

    rejected: int
    entries: list[SpotCheckEntry]
