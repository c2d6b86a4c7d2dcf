"""Which differences in a results table are more than seed noise.

- Against the experiment's baseline column: Welch's t-test (unequal variances) over the seeds of the
  two cells; a difference is marked significant when p < ALPHA.
- Against a published mean ± std: Welch's t-test from summary statistics, the published side with the
  number of runs the paper reports (3 for the ζ-mixup paper's tables); ours is "consistent" when
  p >= ALPHA.
Both need at least two values on each side (a standard deviation); with fewer, nothing is claimed.
"""
from __future__ import annotations

import math
from typing import Sequence

ALPHA = 0.05
PUBLISHED_RUNS = 3  # the ζ-mixup paper: "mean values of three runs"
SIGNIFICANT = "†"
CONSISTENT, INCONSISTENT = "✓", "✗"


def welch_p(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided p of Welch's t-test between two samples; None when either has fewer than two values
    or both have no spread (identical values: a t statistic is undefined)."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return None
    if _spread(a) == 0 and _spread(b) == 0:
        return None if list(a)[0] == list(b)[0] else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def welch_p_from_stats(mean: float, std: float, n: int, other_mean: float, other_std: float,
                       other_n: int = PUBLISHED_RUNS) -> float | None:
    """Welch's t-test from means, sample standard deviations and sizes; None when undefined."""
    from scipy import stats

    if n < 2 or other_n < 2 or not all(map(math.isfinite, (mean, std, other_mean, other_std))):
        return None
    if std == 0 and other_std == 0:
        return None if mean == other_mean else 0.0
    return float(stats.ttest_ind_from_stats(mean, std, n, other_mean, other_std, other_n, equal_var=False).pvalue)


def significant(p: float | None) -> bool:
    return p is not None and p < ALPHA


def consistency_mark(p: float | None) -> str:
    """✓ where ours is consistent with the published value, ✗ where not, "" where untestable."""
    if p is None:
        return ""
    return CONSISTENT if p >= ALPHA else INCONSISTENT


def baseline_rule(baseline: str) -> str:
    return (f"{SIGNIFICANT}: differs from {baseline} beyond seed noise (Welch's t-test over seeds, p < {ALPHA}); "
            "an unmarked difference is not significant.")


def published_rule() -> str:
    return (f"{CONSISTENT} / {INCONSISTENT}: ours is / is not consistent with the published mean ± std (Welch's "
            f"t-test from summary statistics, the paper's {PUBLISHED_RUNS} runs, p >= {ALPHA} / p < {ALPHA}).")


def _spread(values: Sequence[float]) -> float:
    values = list(values)
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values)
