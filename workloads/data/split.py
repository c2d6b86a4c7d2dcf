"""Stratified splits for datasets that ship without official ones."""
from __future__ import annotations

import numpy as np

DEFAULT_FRACTIONS = (0.7, 0.1, 0.2)
DEFAULT_SPLIT_SEED = 0


def stratified_split(
    labels: np.ndarray,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = DEFAULT_SPLIT_SEED,
) -> dict[str, np.ndarray]:
    """Sorted index arrays for `train`, `val`, `test`, each class split by `fractions`.

    Deterministic for a given `labels` and `seed`; every class with >= 3 samples appears in all splits.
    """
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"split fractions must sum to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n = len(idx)
        n_val = max(1, round(n * fractions[1])) if n >= 3 else 0
        n_test = max(1, round(n * fractions[2])) if n >= 3 else 0
        n_train = n - n_val - n_test
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train : n_train + n_val])
        parts["test"].append(idx[n_train + n_val :])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}
