"""Classification metrics from scores and integer labels.

Every rate is a fraction in [0, 1] (never percent): acc, err = 1 - acc, bacc, precision_macro,
recall_macro, f1_macro, f1_micro, auc.
"""
from __future__ import annotations

import json
import math

import numpy as np
import torch


def as_probabilities(scores: torch.Tensor) -> torch.Tensor:
    """`(N, K)` probabilities: `scores` as is when its rows already are distributions, else softmax.

    Logits are turned into probabilities because one-vs-rest AUC ranks samples by each class's
    probability, and a raw logit column does not rank them the same way.
    """
    scores = scores.detach().to(torch.float64)
    rows_sum_to_one = torch.allclose(scores.sum(1), torch.ones(len(scores), dtype=scores.dtype), atol=1e-4)
    if len(scores) and rows_sum_to_one and bool(((scores >= 0) & (scores <= 1)).all()):
        return scores
    return torch.softmax(scores, dim=1)


def confusion_matrix(preds: torch.Tensor, labels: torch.Tensor, num_classes: int) -> np.ndarray:
    """int64 `(K, K)` counts; row = true class, column = predicted class."""
    preds = preds.detach().cpu().long()
    labels = labels.detach().cpu().long()
    flat = torch.bincount(labels * num_classes + preds, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).numpy()


def confusion_json(matrix: np.ndarray) -> str:
    """The confusion matrix as a JSON list of lists (row = true class), for flat metric dicts."""
    return json.dumps(np.asarray(matrix).astype(int).tolist())


def binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC of `scores` for the boolean `positive` mask (Mann-Whitney U, ties count half).

    nan when only one class is present, since the AUC is undefined there.
    """
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average ranks (1-based) over runs of tied scores.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def classification_metrics(
    logits_or_probs: torch.Tensor, labels: torch.Tensor, num_classes: int
) -> dict[str, float]:
    """acc, err, bacc, precision_macro, recall_macro, f1_macro, f1_micro, auc of `(N, K)` scores
    against int `(N,)` labels.

    - bacc: mean recall over the classes present in `labels`.
    - precision_macro, recall_macro, f1_macro: means over the classes present in `labels` or in the
      predictions, a 0/0 counting as 0 (scikit-learn's `average="macro"`, `zero_division=0`). So
      recall_macro differs from bacc only when a class is predicted that is absent from `labels`.
    - f1_micro: equals acc for single-label multi-class data.
    - auc: one-vs-rest ROC AUC averaged over classes present in `labels` that also have negatives;
      nan only if no class qualifies. For K = 2 it is the AUC of the positive class.
    """
    if logits_or_probs.ndim != 2 or logits_or_probs.shape[1] != num_classes:
        raise ValueError(
            f"logits_or_probs must have shape (N, {num_classes}), got {tuple(logits_or_probs.shape)}"
        )
    if len(labels) == 0:
        raise ValueError("labels must not be empty")
    probs = as_probabilities(logits_or_probs.cpu())
    labels_np = labels.detach().cpu().long().numpy()
    preds = probs.argmax(1)
    cm = confusion_matrix(preds, labels, num_classes).astype(np.float64)
    tp = np.diag(cm)
    true_count = cm.sum(1)
    pred_count = cm.sum(0)
    acc = float(tp.sum() / cm.sum())
    present = true_count > 0
    bacc = float((tp[present] / true_count[present]).mean())
    seen = present | (pred_count > 0)
    f1 = 2 * tp[seen] / (true_count[seen] + pred_count[seen])
    # A class in `seen` lacks either predictions or labels at most, never both: 0/0 -> 0.
    precision = tp[seen] / np.maximum(pred_count[seen], 1)
    recall = tp[seen] / np.maximum(true_count[seen], 1)
    probs_np = probs.numpy()
    if num_classes == 2:
        auc = binary_auc(probs_np[:, 1], labels_np == 1)
    else:
        per_class = [binary_auc(probs_np[:, k], labels_np == k) for k in range(num_classes)]
        valid = [a for a in per_class if not math.isnan(a)]
        auc = float(np.mean(valid)) if valid else math.nan
    return {
        "acc": acc,
        "err": 1.0 - acc,
        "bacc": bacc,
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "f1_micro": acc,
        "auc": auc,
    }
