"""Local synthetic instances (LSI; Brown et al., MICCAI 2015 — the ζ-mixup paper's ref. 57).

LSI over-samples sparse, high-dimensional data (connectomes) with weighted averages of real
samples: each synthetic instance draws m distinct samples in random order and weights the j-th by a
p-series term j^-p / Σ_{i<=m} i^-p, so one sample dominates and the instance stays near it ("local").
ζ-mixup builds on it (the paper, "ζ-mixup formulation"): same weights, but one matrix product for the
whole batch, each output dominated by its own input, a fixed γ.

This follows the authors' reference implementation (C. J. Brown's `lsi(x, y, params)`, which the
paper's Table 9 times at 38.7 ms for a [32, 3, 224, 224] batch):
- S synthetic instances (default N, the batch), m weighted samples each (default all N);
- p sweeps linearly over the instances, p_i = p_min + (i / S)(p_max − p_min), default
  (p_min, p_max) = (1.2, 3.0), to avoid "banding" when S >> N;
- instance by instance, a random m-subset in random order, then a sum of m weighted samples, one
  term at a time; labels alike.
We keep that structure (it is what Table 9 measures; it costs S·m small operations) and write it in
torch on x's device, with draws from an explicit CPU `torch.Generator` (the reference uses Python's
`random`); the reference's NumPy arithmetic on the CPU is not reproduced bit for bit.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


def local_synthetic_instances(
    x: Tensor,
    y: Tensor,
    *,
    p_range: tuple[float, float] = (1.2, 3.0),
    num_weighted: Optional[int] = None,
    num_synthetic: Optional[int] = None,
    generator: Optional[torch.Generator] = None,
) -> tuple[Tensor, Tensor]:
    """LSI on a batch: x floating `(N, ...)`, y `(N, K)` probabilities → `(S, ...)`, `(S, K)`.

    p_range: (p_min, p_max), 0 < p_min <= p_max; num_weighted: m (default N, at most N);
    num_synthetic: S (default N). generator: a CPU generator (or None: torch's global one).
    Outputs are on x's device in x's dtype (labels float32, or float64 for float64 x).
    """
    if not x.is_floating_point() or x.dim() < 2 or y.dim() != 2 or len(y) != len(x):
        raise ValueError(f"x must be floating (N, ...) and y (N, K), got {tuple(x.shape)} and {tuple(y.shape)}")
    n = x.shape[0]
    m = n if num_weighted is None else int(num_weighted)
    s = n if num_synthetic is None else int(num_synthetic)
    if not 1 <= m <= n or s < 1:
        raise ValueError(f"need 1 <= num_weighted <= N={n} and num_synthetic >= 1, got {m} and {s}")
    p_min, p_max = (float(p) for p in p_range)
    if not 0 < p_min <= p_max:
        raise ValueError(f"p_range must be (p_min, p_max) with 0 < p_min <= p_max, got {p_range!r}")
    ld = torch.float64 if x.dtype == torch.float64 else torch.float32
    yl = y.to(ld)
    ranks = torch.arange(1, m + 1, dtype=torch.float64)
    x_out = torch.empty((s, *x.shape[1:]), dtype=x.dtype, device=x.device)
    y_out = torch.empty((s, y.shape[1]), dtype=ld, device=x.device)
    for i in range(s):
        p = p_min + (i / s) * (p_max - p_min)
        w = ranks.pow(-p)
        w = (w / w.sum()).tolist()
        chosen = torch.randperm(n, generator=generator)[:m].tolist()
        acc_x = torch.zeros_like(x[0])
        acc_y = torch.zeros_like(yl[0])
        for j, k in enumerate(chosen):
            acc_x.add_(x[k], alpha=w[j])
            acc_y.add_(yl[k], alpha=w[j])
        x_out[i] = acc_x
        y_out[i] = acc_y
    return x_out, y_out
