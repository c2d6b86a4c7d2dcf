"""Fig. 8 of the ζ-mixup paper: feature-space neighbourhoods of test images ζ-mixup gets right.

The paper (ISIC 2017 ResNet-50, derm7pt clinical ResNet-18, Table 6 models) takes the test images
that ERM and mixup misclassify and ζ-mixup (every γ) classifies correctly; synthesises training
samples with mixup and with ζ-mixup; embeds them with the corresponding trained model (penultimate
features, 2048-D / 512-D); finds each test image's 128 nearest synthesised training samples by
cosine distance; counts those whose label is the test image's ("correctly labelled neighbours";
the paper reports e.g. 12 of 14 test images with more of them under ζ-mixup than mixup and
+208.2 % in total); and draws the neighbourhoods with t-SNE.

Here: `fig8_candidates` (the selection), `cosine_knn`, `neighbourhood_analysis` (per test image and
method: correct neighbours and label agreement = their fraction; a neighbour is "correct" when its
soft label's largest class is the test label), `agreement_summary` (the paper's totals), and
`neighbourhood_tsne` (2-D coordinates). Every method has its own model, so features are given per
method: test features `(N, D)` and synthesised-sample features `(M, D)` with soft labels `(M, K)`.

t-SNE: the paper used openTSNE, embedding the training features and then projecting the test
features into that embedding. scikit-learn's TSNE (installed) has no projection, so we embed each
method's neighbourhoods and its test images jointly (one fit, `random_state=seed`); distances in
t-SNE plots are qualitative either way.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np
import pandas as pd
import torch

K_NEIGHBOURS = 128


def fig8_candidates(
    test_labels: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    *,
    erm: str = "erm",
    mixup: str = "mixup",
    zeta: Optional[Sequence[str]] = None,
) -> np.ndarray:
    """Indices (int64, ascending) of the test images that `erm` and `mixup` misclassify and every
    ζ method classifies correctly.

    test_labels: int `(N,)`; predictions: method -> predicted class int `(N,)`; zeta: the ζ methods'
    keys (default: every key starting with "zeta").
    """
    y = np.asarray(test_labels)
    zeta = [m for m in predictions if m.startswith("zeta")] if zeta is None else list(zeta)
    missing = [m for m in [erm, mixup, *zeta] if m not in predictions]
    if missing or not zeta:
        raise ValueError(f"predictions need {erm!r}, {mixup!r} and >= 1 zeta method; missing {missing or ['zeta*']}; "
                         f"have {', '.join(predictions)}")
    for m in [erm, mixup, *zeta]:
        if np.shape(predictions[m]) != y.shape:
            raise ValueError(f"predictions[{m!r}] has shape {np.shape(predictions[m])}, labels {y.shape}")
    keep = (np.asarray(predictions[erm]) != y) & (np.asarray(predictions[mixup]) != y)
    for m in zeta:
        keep &= np.asarray(predictions[m]) == y
    return np.flatnonzero(keep).astype(np.int64)


def cosine_knn(
    queries: np.ndarray, features: np.ndarray, k: int = K_NEIGHBOURS, *, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest `features` `(M, D)` of each query `(Q, D)` by cosine distance 1 − cos θ.

    Returns int64 indices `(Q, k)` and float64 distances `(Q, k)` in [0, 2], nearest first.
    Zero vectors have no direction: they are at distance 1 from everything.
    """
    q = torch.as_tensor(np.asarray(queries), dtype=torch.float64)
    f = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if q.dim() != 2 or f.dim() != 2 or q.shape[1] != f.shape[1]:
        raise ValueError(f"queries (Q, D) and features (M, D) must share D, got {tuple(q.shape)} and {tuple(f.shape)}")
    if not 1 <= k <= f.shape[0]:
        raise ValueError(f"k must be between 1 and M={f.shape[0]}, got {k}")
    qn = q / q.norm(dim=1, keepdim=True).clamp_min(1e-300)
    fn = f / f.norm(dim=1, keepdim=True).clamp_min(1e-300)
    idx, dist = [], []
    for a in range(0, len(qn), chunk):
        sim = qn[a : a + chunk] @ fn.T
        top = torch.topk(sim, k, dim=1, largest=True, sorted=True)
        idx.append(top.indices)
        dist.append(1.0 - top.values)
    return torch.cat(idx).numpy(), torch.cat(dist).numpy()


def neighbourhood_analysis(
    test_labels: np.ndarray,
    indices: np.ndarray,
    test_features: Mapping[str, np.ndarray],
    synth_features: Mapping[str, np.ndarray],
    synth_soft_labels: Mapping[str, np.ndarray],
    *,
    k: int = K_NEIGHBOURS,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Neighbourhoods of the test images `indices` under every method of `synth_features`.

    test_labels: int `(N,)`; test_features[m]: `(N, D_m)`; synth_features[m]: `(M_m, D_m)`;
    synth_soft_labels[m]: `(M_m, K)`. Returns (table, neighbours): the table has one row per
    (method, test image) with columns method, test_index, test_label, k, n_correct (neighbours whose
    soft-label argmax is the test label), agreement (n_correct / k), mean_distance (cosine);
    neighbours[m] is int64 `(len(indices), k)` into method m's synthesised samples.
    """
    y = np.asarray(test_labels)
    indices = np.asarray(indices, dtype=np.int64)
    rows, neighbours = [], {}
    for m, feats in synth_features.items():
        if m not in test_features or m not in synth_soft_labels:
            raise ValueError(f"method {m!r} needs test_features and synth_soft_labels too")
        soft = np.asarray(synth_soft_labels[m])
        if len(soft) != len(feats):
            raise ValueError(f"method {m!r}: {len(feats)} synthesised features but {len(soft)} soft labels")
        idx, dist = cosine_knn(np.asarray(test_features[m])[indices], feats, k)
        neighbours[m] = idx
        correct = soft.argmax(axis=1)[idx] == y[indices][:, None]
        for j, t in enumerate(indices):
            rows.append({"method": m, "test_index": int(t), "test_label": int(y[t]), "k": k,
                         "n_correct": int(correct[j].sum()), "agreement": float(correct[j].mean()),
                         "mean_distance": float(dist[j].mean())})
    cols = ["method", "test_index", "test_label", "k", "n_correct", "agreement", "mean_distance"]
    return pd.DataFrame(rows, columns=cols), neighbours


def agreement_summary(table: pd.DataFrame, reference: str = "mixup") -> pd.DataFrame:
    """The paper's totals per method: method, n_test, mean_agreement, total_correct,
    pct_more_than_reference (100 x (total / reference total − 1); NaN if the reference has 0),
    n_more_than_reference (test images with more correct neighbours than under `reference`),
    n_fewer_than_reference."""
    if reference not in set(table["method"]):
        raise ValueError(f"reference {reference!r} is not a method of the table: {sorted(set(table['method']))}")
    ref = table[table["method"] == reference].set_index("test_index")["n_correct"]
    rows = []
    for m, g in table.groupby("method", sort=False):
        per = g.set_index("test_index")["n_correct"]
        diff = per - ref.reindex(per.index)
        total, ref_total = int(per.sum()), int(ref.sum())
        rows.append({"method": m, "n_test": len(g), "mean_agreement": float(g["agreement"].mean()),
                     "total_correct": total,
                     "pct_more_than_reference": 100.0 * (total / ref_total - 1) if ref_total else np.nan,
                     "n_more_than_reference": int((diff > 0).sum()),
                     "n_fewer_than_reference": int((diff < 0).sum())})
    return pd.DataFrame(rows)


def neighbourhood_tsne(
    test_labels: np.ndarray,
    indices: np.ndarray,
    test_features: Mapping[str, np.ndarray],
    synth_features: Mapping[str, np.ndarray],
    synth_soft_labels: Mapping[str, np.ndarray],
    neighbours: Mapping[str, np.ndarray],
    *,
    perplexity: float = 30.0,
    max_iter: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """2-D t-SNE of each method's neighbourhoods (the union of `neighbours[m]`) with its test images.

    Returns columns method, kind ("train" or "test"), sample (index into the synthesised samples or
    the test set), label (soft-label argmax or test label), x, y. Perplexity is capped at
    (points − 1) / 3, scikit-learn's limit; `max_iter` (>= 250) is scikit-learn's optimisation length.
    """
    from sklearn.manifold import TSNE

    y = np.asarray(test_labels)
    indices = np.asarray(indices, dtype=np.int64)
    frames = []
    for m, idx in neighbours.items():
        train = np.unique(idx)
        feats = np.concatenate([np.asarray(synth_features[m])[train], np.asarray(test_features[m])[indices]])
        n = len(feats)
        if n < 4:
            raise ValueError(f"method {m!r}: {n} points are too few for t-SNE")
        emb = TSNE(n_components=2, perplexity=min(perplexity, (n - 1) / 3.0), init="pca",
                   max_iter=max_iter, random_state=seed).fit_transform(feats.astype(np.float64))
        soft = np.asarray(synth_soft_labels[m])
        frames.append(pd.DataFrame({
            "method": m,
            "kind": ["train"] * len(train) + ["test"] * len(indices),
            "sample": np.concatenate([train, indices]),
            "label": np.concatenate([soft.argmax(axis=1)[train], y[indices]]),
            "x": emb[:, 0],
            "y": emb[:, 1],
        }))
    return pd.concat(frames, ignore_index=True)
