"""ζ-mixup (Abhishek et al., 2024): convex combinations of T >= 2 samples with p-series weights.

Output k mixes T inputs with weights `s_i^-γ / Σ_{j<=T} j^-γ` where `s` is a random ordering of
1..T. As in the authors' code, each output's own input gets the dominant term 1^-γ/C and the other
inputs a random ordering of the remaining terms, so for γ >= 1.72865 each output is dominated by its
own sample (Theorem 1), and T = 2 with γ = log2(λ/(1−λ)) is mixup with weight λ (Theorem 2).

The whole batch is mixed by ONE matrix product `W @ x.view(N, -1)` (`base.apply_weights`); the
(N, N) weights are built without Python loops over samples.
"""
from __future__ import annotations

from numbers import Real
from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer, apply_weights
from workloads.mixing.registry import register
from workloads.mixing.sampling import draw_device
from workloads.mixing.validation import as_group_size, as_positive_float, resolve_gamma

GAMMA_MIN = 1.72865
"""Smallest γ for which ζ(γ) < 2, i.e. the dominant weight exceeds the sum of the others (Thm 1)."""
DEFAULT_GAMMA = 2.8
"""γ used when neither `gamma` nor `gamma_range` is given (the paper's most used value)."""


def _zeta_blocks(
    count: int, t: int, gamma: float, generator: Optional[torch.Generator], device: torch.device
) -> Tensor:
    """`count` independent ζ weight matrices of size (t, t), float64, on `device`."""
    terms = torch.arange(1, t + 1, dtype=torch.float64, device=device).pow_(-gamma)
    terms /= terms.sum()
    # Rank of each column within its row under random keys, with the diagonal's key forced first:
    # the diagonal gets rank 0 (the dominant term) and the off-diagonal columns a uniformly random
    # permutation of ranks 1..t-1 (float64 keys make ties ~2^-53).
    keys = torch.rand(count, t, t, generator=generator, dtype=torch.float64, device=device)
    keys.diagonal(dim1=1, dim2=2).fill_(-1.0)
    return terms[keys.argsort(dim=-1).argsort(dim=-1)]


def zeta_weights(
    n: int,
    gamma: float,
    *,
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device | str] = None,
    dtype: torch.dtype = torch.float32,
    allow_zero_gamma: bool = False,
) -> Tensor:
    """ζ-mixup weight matrix `(n, n)`: row k holds output k's weights over the n inputs.

    Rows sum to 1; row k's largest weight `1/C` is at column k; its other entries are a random
    ordering of the remaining normalised p-series terms `j^-γ / Σ_{i<=n} i^-γ`, j = 2..n.
    Random draws come from `generator` (on its device), computed in float64, returned in `dtype`
    on `device` (default: the generator's device, else CPU).

    gamma must be > 0; `allow_zero_gamma=True` also accepts γ = 0 (every weight 1/n), the left end
    of the ζ paper's Fig. 6 sweep over γ in [0, 15]. Training never needs it: the `zeta` mixer keeps
    refusing γ <= 0.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if allow_zero_gamma and not isinstance(gamma, bool) and isinstance(gamma, Real) and gamma == 0:
        g = 0.0
    elif allow_zero_gamma and (isinstance(gamma, bool) or not isinstance(gamma, Real) or not gamma > 0):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    else:
        g = as_positive_float("gamma", gamma)
    src = draw_device(generator) if generator is not None or device is None else torch.device(device)
    w = _zeta_blocks(1, n, g, generator, src)[0]
    return w.to(device=device if device is not None else src, dtype=dtype)


def grouped_zeta_weights(
    n: int, t: int, gamma: float, generator: Optional[torch.Generator], device: torch.device
) -> Tensor:
    """(n, n) float64 weights that mix random disjoint groups of `t` samples with ζ weights.

    A random permutation splits the batch into groups of t; the remainder r = n mod t forms its own
    group when r >= 2, and a single leftover sample joins the last group (of t + 1), so every
    output mixes at least 2 inputs and the matrix stays block-diagonal up to that permutation.
    """
    perm = torch.randperm(n, generator=generator, device=device)
    full, rest = divmod(n, t)
    last = rest
    if rest == 1:
        full, last = full - 1, t + 1
    w = torch.zeros(n, n, dtype=torch.float64, device=device)
    if full > 0:
        idx = perm[: full * t].view(full, t)
        w[idx[:, :, None], idx[:, None, :]] = _zeta_blocks(full, t, gamma, generator, device)
    if last > 0:
        idx = perm[full * t :]
        w[idx[:, None], idx[None, :]] = _zeta_blocks(1, last, gamma, generator, device)[0]
    return w


def draw_gamma(
    gamma: Optional[float], gamma_range: Optional[tuple[float, float]], generator: Optional[torch.Generator]
) -> float:
    """The batch's γ: the fixed one, or U[low, high] drawn from `generator` (Table 5's protocol)."""
    if gamma_range is None:
        return float(gamma)  # type: ignore[arg-type]
    low, high = gamma_range
    u = float(torch.rand((), generator=generator, dtype=torch.float64, device=draw_device(generator)))
    return low + (high - low) * u


def zeta_batch_weights(
    n: int,
    gamma: float,
    t: Optional[int],
    generator: Optional[torch.Generator],
) -> Tensor:
    """(n, n) float64 ζ weights for one batch: the whole batch (t None) or random groups of t."""
    device = draw_device(generator)
    if t is None:
        return _zeta_blocks(1, n, gamma, generator, device)[0]
    if t > n:
        raise ValueError(f"t must be between 2 and the batch size N={n}, got t={t}")
    return grouped_zeta_weights(n, t, gamma, generator, device)


@register
class Zeta(BatchMixer):
    """ζ-mixup. gamma: fixed γ > 0 (None: 2.8 unless gamma_range); gamma_range: (low, high), γ
    drawn per batch from U[low, high], e.g. (1.72865, 4.0) as in Table 5; t: None mixes the whole
    batch, else random groups of t (2 <= t <= N, remainder as in `grouped_zeta_weights`)."""

    name = "zeta"

    def __init__(
        self,
        gamma: Optional[float] = None,
        gamma_range: Optional[tuple[float, float]] = None,
        t: Optional[int] = None,
    ) -> None:
        g, rng = resolve_gamma(gamma, gamma_range, DEFAULT_GAMMA)
        self._params = {"gamma": g, "gamma_range": rng, "t": as_group_size(t)}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        p = self._params
        gamma = draw_gamma(p["gamma"], p["gamma_range"], generator)
        w = zeta_batch_weights(x.shape[0], gamma, p["t"], generator)
        return apply_weights(w, x, y)
