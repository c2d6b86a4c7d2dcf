"""Losses for mixed (soft) labels, and the one-hot helper that turns class indices into them."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def one_hot(labels: Tensor, num_classes: int, *, dtype: torch.dtype = torch.float32, check: bool = True) -> Tensor:
    """Class indices `(N,)` in [0, num_classes) -> one-hot probabilities `(N, num_classes)` in `dtype`.

    check=False skips the range check, which reads the labels back to the host (a GPU sync): for
    training loops whose labels were range-checked once up front. An index out of range is then
    torch's error (on a GPU a device-side assert) instead of a ValueError.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    if not isinstance(labels, Tensor) or labels.dim() != 1:
        raise ValueError(f"labels must be a 1-D tensor of class indices, got {labels!r:.80}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"labels must be an integer tensor, got dtype {labels.dtype}")
    if check and labels.numel() and bool((labels.min() < 0) | (labels.max() >= num_classes)):
        raise ValueError(
            f"labels must lie in [0, {num_classes}) for num_classes={num_classes}, "
            f"got min {int(labels.min())} and max {int(labels.max())}"
        )
    # A scatter straight into `dtype` (F.one_hot builds int64 first, and checks the range on the host).
    out = torch.zeros(len(labels), num_classes, dtype=dtype, device=labels.device)
    return out.scatter_(1, labels.long()[:, None], 1)


def soft_cross_entropy(logits: Tensor, y: Tensor, reduction: str = "mean") -> Tensor:
    """Cross-entropy against class probabilities: `−Σ_k y[n, k] log softmax(logits)[n, k]`.

    logits: `(N, K)` unnormalised scores; y: `(N, K)` probabilities (one-hot or mixed).
    reduction: "mean" over the batch (default), "sum", or "none" (per-sample `(N,)`). Half-precision
    logits are promoted to float32 so the log-softmax keeps its precision; the result is in nats.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(_REDUCTIONS)}, got {reduction!r}")
    if not isinstance(logits, Tensor) or not isinstance(y, Tensor):
        raise ValueError("logits and y must be torch tensors")
    if logits.dim() != 2 or y.shape != logits.shape:
        raise ValueError(
            f"logits and y must both have shape (N, K); got {tuple(logits.shape)} and "
            f"{tuple(y.shape)} (use one_hot for integer labels)"
        )
    if not logits.is_floating_point():
        raise ValueError(f"logits must be floating, got {logits.dtype}")
    dtype = torch.promote_types(logits.dtype, torch.float32)
    log_p = F.log_softmax(logits.to(dtype), dim=1)
    per_sample = -(y.to(dtype) * log_p).sum(dim=1)
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample
