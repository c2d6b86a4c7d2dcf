"""Stratified splits: whole datasets without official splits, and validation sets carved from train.

Two ways to size a stratified split:
- per class (`exact_totals=False`, the generated sets' historic rule): each class rounded on its own,
  so a split's total can drift from `fraction * N` (ct-toy: 3 x round(25.6) = 78 test images, not 77);
- exact totals (`exact_totals=True`, the paper protocols): a split holds round(fraction * N) samples
  and each class gets its share by largest remainder (Hamilton's method, exact rational arithmetic,
  ties to the class listed first). derm7pt's 1,011 cases give 708/101/202, the 202-image test set
  that every F1-micro of the zeta paper's Table 6 is a multiple of (per-class rounding gives 201).
Either way every class with >= 3 samples appears in every split.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

DEFAULT_FRACTIONS = (0.7, 0.1, 0.2)
DEFAULT_SPLIT_SEED = 0
# Validation carved from an official train split where a dataset has none: 10 % of it, stratified
# (CIFAR-10/100: 5,000 of 50,000, the common choice; MNIST: 6,000; STL-10: 500; ISIC 2016: 90).
VAL_FRACTION = 0.1


def half_up(value: Fraction) -> int:
    """round(value) with halves rounded up (Python's round() sends 902.5 to 902)."""
    return math.floor(value + Fraction(1, 2))


def quotas(counts: np.ndarray, fraction: float, minimum: np.ndarray) -> np.ndarray:
    """Per-class sample counts that sum to round(fraction * sum(counts)) (largest remainder), each >= minimum.

    counts, minimum: int `(K,)`. Classes raised to their minimum get no remainder seat; the total
    can then exceed the target (tiny sets only).
    """
    share = Fraction(fraction).limit_denominator(10**6)
    exact = [share * int(n) for n in counts]
    floors = [math.floor(e) for e in exact]
    out = np.array([max(f, int(m)) for f, m in zip(floors, minimum)], dtype=np.int64)
    short = half_up(share * int(np.sum(counts))) - int(out.sum())
    seats = sorted((c for c in range(len(counts)) if out[c] == floors[c] and exact[c] > floors[c]),
                   key=lambda c: (-(exact[c] - floors[c]), c))
    for c in seats[: max(short, 0)]:
        out[c] += 1
    return out


def stratified_split(
    labels: np.ndarray,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = DEFAULT_SPLIT_SEED,
    *,
    exact_totals: bool = False,
) -> dict[str, np.ndarray]:
    """Sorted index arrays for `train`, `val`, `test`, each class split by `fractions`.

    Deterministic for a given `labels` and `seed` (one numpy PCG64 permutation per class, classes in
    sorted order). `exact_totals`: size the splits as round(fraction * N), see the module docstring.
    """
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"split fractions must sum to 1, got {fractions}")
    classes, counts = np.unique(labels, return_counts=True)
    at_least_one = (counts >= 3).astype(np.int64)
    if exact_totals:
        n_val_all = quotas(counts, fractions[1], at_least_one)
        n_test_all = quotas(counts, fractions[2], at_least_one)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for k, cls in enumerate(classes):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n = len(idx)
        if exact_totals:
            n_val, n_test = int(n_val_all[k]), int(n_test_all[k])
        else:
            n_val = max(1, round(n * fractions[1])) if n >= 3 else 0
            n_test = max(1, round(n * fractions[2])) if n >= 3 else 0
        n_train = n - n_val - n_test
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train : n_train + n_val])
        parts["test"].append(idx[n_train + n_val :])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def carve_val(
    labels: np.ndarray, fraction: float = VAL_FRACTION, seed: int = DEFAULT_SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """(rest, val): sorted positions into `labels` (an official train split); val stratified.

    val holds round(fraction * N) samples (largest remainder over classes; every class with >= 2
    samples gives at least one). Deterministic for a given `labels` and `seed`.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must lie in (0, 1), got {fraction}")
    classes, counts = np.unique(labels, return_counts=True)
    n_val = quotas(counts, fraction, (counts >= 2).astype(np.int64))
    rng = np.random.default_rng(seed)
    val = [rng.permutation(np.flatnonzero(labels == cls))[: int(n_val[k])] for k, cls in enumerate(classes)]
    val_idx = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    return complement(len(labels), val_idx), val_idx


def complement(n: int, chosen: np.ndarray) -> np.ndarray:
    """Sorted positions in range(n) not in `chosen`."""
    keep = np.ones(n, dtype=bool)
    keep[chosen] = False
    return np.flatnonzero(keep)


def describe_val(fraction: float = VAL_FRACTION, seed: int = DEFAULT_SPLIT_SEED) -> str:
    return f"val: stratified {fraction * 100:g} % of the official train, seed {seed}"


def describe_split(fractions: tuple[float, float, float] = DEFAULT_FRACTIONS, seed: int = DEFAULT_SPLIT_SEED) -> str:
    return f"stratified {'/'.join(f'{f * 100:g}' for f in fractions)} of all samples, seed {seed}"
