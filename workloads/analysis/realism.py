"""Realism and label correctness of mixed MNIST images as an oracle sees them (ζ-mixup paper, Fig. 3f–g).

- Realism: the entropy H of the oracle's prediction on a synthesised image (nats; lower = the oracle
  is surer what digit it sees = more realistic). H < 0.1 is the paper's "highly realistic" subset.
- Label correctness: the cross-entropy of the synthesised soft label against the class the oracle
  assigns, i.e. CE = −log(soft label's weight on the oracle's most probable class) (nats; 0 when
  the label puts all its weight on the class the oracle sees). A mixup label mixes two classes; when
  the oracle sees a third, that weight is 0 and CE is infinite: we floor the weight at `eps`
  (default 1e-7, so CE <= 16.1 nats) and report the fraction of such zero-weight labels apart,
  because the mean CE then depends on `eps` (the median does not, unless that fraction is >= 1/2).

Synthesised samples: the given images (the paper: MNIST's training set) mixed in shuffled batches of
`batch_size` (default 100, the size of Fig. 3's 10-per-digit batch) by mixup and ζ-mixup at
γ = 2.4, 2.8, 4.0 (`FIG3_SPECS`), one torch generator seeded with `seed` per method.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np
import pandas as pd
import torch
from torch import nn

from workloads.analysis.batch_mixing import MixSpec, mix_dataset, one_hot_np
from workloads.analysis.lenet import as_model_input, predict_proba

FIG3_SPECS = (MixSpec("mixup"), MixSpec("zeta", gamma=2.4), MixSpec("zeta", gamma=2.8), MixSpec("zeta", gamma=4.0))
H_REALISTIC = 0.1
"""The paper's threshold for "highly realistic" samples (Fig. 3g inset), in nats."""
EPS = 1e-7


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats of each row of `probs` `(N, K)` (0 log 0 = 0): float64 `(N,)`."""
    p = np.asarray(probs, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -(p * logp).sum(axis=1)


def label_cross_entropy(soft_labels: np.ndarray, probs: np.ndarray, eps: float = EPS) -> np.ndarray:
    """−log(max(soft_labels[i, argmax probs[i]], eps)) in nats: float64 `(N,)`.

    soft_labels: `(N, K)` synthesised labels; probs: `(N, K)` oracle probabilities.
    """
    soft = np.asarray(soft_labels, dtype=np.float64)
    if soft.shape != np.shape(probs):
        raise ValueError(f"soft_labels {soft.shape} and probs {np.shape(probs)} must have the same shape")
    weight = soft[np.arange(len(soft)), np.asarray(probs).argmax(axis=1)]
    return -np.log(np.maximum(weight, eps))


def synthesise(
    images: np.ndarray,
    labels: np.ndarray,
    spec: MixSpec,
    *,
    num_classes: int = 10,
    batch_size: int = 100,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix grey uint8 images `(N, H, W, 1)` with int labels `(N,)` by `spec`.

    Returns float32 images `(N, 1, H, W)` in [0, 1] and float64 soft labels `(N, num_classes)`.
    """
    x = as_model_input(images).numpy()
    y = one_hot_np(np.asarray(labels), num_classes)
    xm, ym = mix_dataset(x, y, spec, batch_size=batch_size, seed=seed)
    return xm.astype(np.float32), ym


def realism_scores(
    oracle: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    specs: Sequence[MixSpec] = FIG3_SPECS,
    *,
    num_classes: int = 10,
    batch_size: int = 100,
    seed: int = 42,
    eps: float = EPS,
    device: Optional[str | torch.device] = None,
) -> pd.DataFrame:
    """Per synthesised sample: method, gamma (NaN for mixup / original), index (input slot),
    entropy (nats), ce (nats), oracle_class, label_class (the soft label's argmax), label_weight
    (the soft label's weight on oracle_class)."""
    frames = []
    for spec in specs:
        xm, ym = synthesise(images, labels, spec, num_classes=num_classes, batch_size=batch_size, seed=seed)
        probs = predict_proba(oracle, xm, device=device)
        oracle_class = probs.argmax(axis=1)
        frames.append(pd.DataFrame({
            "method": spec.method,
            "gamma": float(spec.gamma) if spec.gamma is not None else np.nan,
            "index": np.arange(len(xm)),
            "entropy": entropy(probs),
            "ce": label_cross_entropy(ym, probs, eps),
            "oracle_class": oracle_class,
            "label_class": ym.argmax(axis=1),
            "label_weight": ym[np.arange(len(ym)), oracle_class],
        }))
    return pd.concat(frames, ignore_index=True)


def realism_table(scores: pd.DataFrame, h_threshold: float = H_REALISTIC) -> pd.DataFrame:
    """`realism.csv`: one row per (method, gamma) of `realism_scores`' output.

    Columns: method, gamma, n, mean_entropy, median_entropy, frac_entropy_below (H < h_threshold),
    mean_ce, median_ce, frac_label_zero (soft label weight 0 on the oracle's class: CE floored),
    mean_ce_realistic, median_ce_realistic (CE over the samples with H < h_threshold; NaN if none),
    agreement (fraction whose soft-label argmax equals the oracle's class).
    """
    rows = []
    for (method, gamma), g in scores.groupby(["method", "gamma"], dropna=False, sort=False):
        real = g[g["entropy"] < h_threshold]
        rows.append({
            "method": method,
            "gamma": gamma,
            "n": len(g),
            "mean_entropy": g["entropy"].mean(),
            "median_entropy": g["entropy"].median(),
            "frac_entropy_below": float((g["entropy"] < h_threshold).mean()),
            "mean_ce": g["ce"].mean(),
            "median_ce": g["ce"].median(),
            "frac_label_zero": float((g["label_weight"] <= 0).mean()),
            "mean_ce_realistic": real["ce"].mean() if len(real) else np.nan,
            "median_ce_realistic": real["ce"].median() if len(real) else np.nan,
            "agreement": float((g["label_class"] == g["oracle_class"]).mean()),
        })
    return pd.DataFrame(rows)
