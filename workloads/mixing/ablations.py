"""The ζ-mixup paper's Table 8 ablations (rows 2 and 3); row 1 is `mixup`, row 4 is `zeta`.

- `zeta-pair` (row 2): mixup's structure (each output k mixes x[k] with a random partner π(k)) with
  ζ's weights for T = 2: `1/C` on its own sample and `2^-γ/C` on the partner, C = 1 + 2^-γ. By
  Theorem 2 this is mixup with the fixed λ = 1/(1 + 2^-γ).
- `dirichlet-batch` (row 3): the whole batch (T = N) with each output's weights ~ Dirichlet(c, …, c);
  no sample dominates, which is why the paper reports it collapsing (94.69 % error).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer, apply_weights, mix_pairs
from workloads.mixing.registry import register
from workloads.mixing.sampling import draw_device, sample_dirichlet
from workloads.mixing.validation import as_positive_float


@register
class ZetaPair(BatchMixer):
    """Table 8 row 2: p-series weights with T = 2, partner by random permutation (gamma > 0)."""

    name = "zeta-pair"

    def __init__(self, gamma: float = 2.8) -> None:
        self._params = {"gamma": as_positive_float("gamma", gamma)}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        lam = 1.0 / (1.0 + 2.0 ** -self._params["gamma"])
        perm = torch.randperm(x.shape[0], generator=generator, device=draw_device(generator))
        return mix_pairs(x, y, perm, lam)


@register
class DirichletBatch(BatchMixer):
    """Table 8 row 3: whole batch, each output's weights ~ Dirichlet(concentration · 1_N)."""

    name = "dirichlet-batch"

    def __init__(self, concentration: float = 1.0) -> None:
        self._params = {"concentration": as_positive_float("concentration", concentration)}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        n = x.shape[0]
        conc = torch.full(
            (n, n), self._params["concentration"], dtype=torch.float64, device=draw_device(generator)
        )
        return apply_weights(sample_dirichlet(conc, generator), x, y)
