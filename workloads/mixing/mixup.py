"""`mixup` (Zhang et al., 2018): λ ~ Beta(α, α) once per batch, partner by a random permutation.

`x_mix[k] = λ x[k] + (1 − λ) x[π(k)]`, labels alike. α = 1 in the ζ-mixup paper; GeMix's
plain-mixup baseline uses α = 0.4.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer, mix_pairs
from workloads.mixing.registry import register
from workloads.mixing.sampling import draw_device, sample_beta
from workloads.mixing.validation import as_positive_float


@register
class Mixup(BatchMixer):
    """mixup with λ ~ Beta(alpha, alpha) per batch (alpha > 0)."""

    name = "mixup"

    def __init__(self, alpha: float = 1.0) -> None:
        self._params = {"alpha": as_positive_float("alpha", alpha)}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        alpha = self._params["alpha"]
        lam = float(sample_beta(alpha, alpha, generator)[0])
        perm = torch.randperm(x.shape[0], generator=generator, device=draw_device(generator))
        return mix_pairs(x, y, perm, lam)
