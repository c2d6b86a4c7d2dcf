"""Gamma, Beta and Dirichlet variates drawn only from an explicit `torch.Generator`.

`torch.distributions` and `torch._standard_gamma` take no generator, so reproducibility from a seed
needs our own sampler. We use Marsaglia & Tsang (2000), "A simple method for generating gamma
variables", vectorised with `torch.randn`/`torch.rand`: every pending variate draws a candidate per
round and the rejected ones (< 5 %) try again, so the loop runs a handful of rounds whatever the
count. For shape a < 1 we draw Gamma(a + 1) and multiply by U^(1/a) (the paper's boost).

Everything is returned in log space first: for small shapes (e.g. Beta(0.1, 0.1)) U^(1/a)
underflows to 0 in float64 and Gamma/(Gamma + Gamma) would be 0/0; Beta and Dirichlet are then a
sigmoid/softmax of log variates, which stays finite. Arithmetic is float64 on the generator's device.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


def draw_device(generator: Optional[torch.Generator]) -> torch.device:
    """The device random draws happen on: the generator's, or CPU for torch's global generator."""
    return generator.device if generator is not None else torch.device("cpu")


def log_gamma_variates(concentration: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """log of Gamma(concentration, 1) variates, one per entry; float64, concentration's shape."""
    a = concentration.to(torch.float64)
    flat = a.reshape(-1)
    boost = flat < 1
    shape = torch.where(boost, flat + 1, flat)
    d = shape - 1.0 / 3.0
    c = 1.0 / torch.sqrt(9.0 * d)
    out = torch.empty_like(flat)
    pending = torch.arange(flat.numel(), device=flat.device)
    while pending.numel() > 0:
        z = torch.randn(pending.numel(), generator=generator, dtype=torch.float64, device=flat.device)
        u = torch.rand(pending.numel(), generator=generator, dtype=torch.float64, device=flat.device)
        dp, cp = d[pending], c[pending]
        v = (1 + cp * z) ** 3
        log_v = torch.log(v.clamp_min(1e-300))
        accept = (v > 0) & (torch.log(u) < 0.5 * z * z + dp - dp * v + dp * log_v)
        out[pending[accept]] = torch.log(dp[accept]) + log_v[accept]
        pending = pending[~accept]
    # 1 - U lies in (0, 1], so the log is finite.
    u = 1 - torch.rand(flat.numel(), generator=generator, dtype=torch.float64, device=flat.device)
    out = torch.where(boost, out + torch.log(u) / flat, out)
    return out.reshape(a.shape)


def sample_beta(
    alpha: float, beta: float, generator: Optional[torch.Generator] = None, size: int = 1
) -> Tensor:
    """`size` Beta(alpha, beta) variates (float64, on the generator's device)."""
    conc = torch.tensor([alpha, beta], dtype=torch.float64, device=draw_device(generator))
    logs = log_gamma_variates(conc.expand(size, 2), generator)
    return torch.sigmoid(logs[:, 0] - logs[:, 1])


def sample_dirichlet(concentration: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """Dirichlet variates along the last dim of `concentration` `(..., K)`: rows sum to 1 (float64)."""
    return torch.softmax(log_gamma_variates(concentration, generator), dim=-1)


def pivot_dirichlet(
    n: int, k: int, a_dominant: float, a_other: float, generator: Optional[torch.Generator] = None
) -> tuple[Tensor, Tensor]:
    """`n` pivots uniform over [0, k) and, per pivot, a Dirichlet row with concentration `a_dominant`
    at the pivot and `a_other` elsewhere (MMixup's weights, GeMix's soft labels).

    Returns (pivot int64 (n,), weights float64 (n, k), rows summing to 1), on the generator's device;
    the pivots are drawn first, then the Dirichlet rows.
    """
    dev = draw_device(generator)
    pivot = torch.randint(k, (n,), generator=generator, device=dev)
    conc = torch.full((n, k), float(a_other), dtype=torch.float64, device=dev)
    conc[torch.arange(n, device=dev), pivot] = float(a_dominant)
    return pivot, sample_dirichlet(conc, generator)
