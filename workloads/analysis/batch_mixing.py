"""Mix a whole dataset the way training does: shuffle once, then mix each batch with a mixer.

Every analysis figure of the ζ-mixup paper (Figs. 2–7) shows or measures the OUTPUT of mixing a
set of points or images batch by batch, as the authors' demos do (`demo/demo_2d_halfmoons.py`,
`demo/demo_3d_spirals.py`: shuffle, batches of 32, mixup and ζ-mixup per batch, T = batch size).
`mix_dataset` does that with the training mixers of `workloads.mixing`, so the figures show what
training uses:

- `MixSpec("mixup")`: `get_mixer("mixup", alpha=1.0)`, one λ ~ Beta(1, 1) per batch;
- `MixSpec("zeta", gamma, t)`: `get_mixer("zeta", gamma=γ, t=t)`; γ = 0 (uniform weights, the left
  end of Fig. 6's sweep, refused by the mixer) goes through `zeta_weights(..., allow_zero_gamma=True)`
  and `apply_weights`, which is the same draw the mixer makes for γ > 0 (tested);
- `MixSpec("original")`: the data itself (Fig. 6's "vanilla").

All randomness comes from one `torch.Generator`: the shuffle first, then each batch's draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from workloads.mixing import get_mixer
from workloads.mixing.base import apply_weights
from workloads.mixing.zeta import GAMMA_MIN, zeta_weights

METHODS = ("original", "mixup", "zeta")


@dataclass(frozen=True)
class MixSpec:
    """One way to produce a figure's points.

    method: "original", "mixup" or "zeta". gamma: ζ's exponent (>= 0; required for "zeta").
    t: ζ's group size T (None: the whole batch, as the authors' code; else random groups of t inside
    each batch, as `get_mixer("zeta", t=...)`). alpha: mixup's Beta(α, α) parameter.
    """

    method: str
    gamma: Optional[float] = None
    t: Optional[int] = None
    alpha: float = 1.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.method == "zeta":
            g = self.gamma
            if g is None or isinstance(g, bool) or not math.isfinite(float(g)) or float(g) < 0:
                raise ValueError(f"zeta needs a finite gamma >= 0, got {g!r}")
            if self.t is not None and float(g) == 0:
                raise ValueError("gamma = 0 (uniform weights) mixes the whole batch; give t=None")
        elif self.gamma is not None or self.t is not None:
            raise ValueError(f"gamma and t apply to zeta only, not to {self.method!r}")

    @property
    def label(self) -> str:
        """A short human label: "original", "mixup", "zeta γ=2.4" or "zeta γ=2.4 T=8"."""
        if self.method != "zeta":
            return self.method
        tail = f" T={self.t}" if self.t is not None else ""
        return f"zeta γ={self.gamma:g}{tail}"


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Consecutive slices of `batch_size` covering `range(n)`; a last batch of ONE sample (which
    cannot be mixed) joins the batch before it."""
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2, got {batch_size}")
    if n < 2:
        raise ValueError(f"need at least 2 samples to mix, got {n}")
    starts = list(range(0, n, batch_size))
    if n - starts[-1] == 1 and len(starts) > 1:
        starts.pop()
    ends = starts[1:] + [n]
    return [slice(a, b) for a, b in zip(starts, ends)]


def _mix_batch(spec: MixSpec, x: Tensor, y: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    if spec.method == "mixup":
        return get_mixer("mixup", alpha=spec.alpha)(x, y, generator=generator)
    gamma = float(spec.gamma)  # type: ignore[arg-type]
    n = x.shape[0]
    if gamma == 0:
        w = zeta_weights(n, 0.0, generator=generator, dtype=torch.float64, allow_zero_gamma=True)
        return apply_weights(w, x, y)
    # A group larger than this (last, shorter) batch cannot be formed: mix the whole batch.
    t = spec.t if spec.t is not None and spec.t < n else None
    return get_mixer("zeta", gamma=gamma, t=t)(x, y, generator=generator)


def mix_dataset(
    x: np.ndarray | Tensor,
    y: np.ndarray | Tensor,
    spec: MixSpec,
    *,
    batch_size: int = 32,
    generator: Optional[torch.Generator] = None,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix all of `x` batch by batch; returns `(x_mix, y_mix)` as float numpy arrays.

    x: `(N, ...)` float features or images (any trailing shape; images as float in [0, 1]).
    y: `(N, K)` class probabilities (one-hot or soft).
    The data is shuffled once (`torch.randperm` from the generator), split into batches of
    `batch_size` (see `batch_slices`) and each batch mixed by `spec`. Output i is the sample made
    in input i's slot: for ζ its dominant input is x[i]; for mixup it is λ x[i] + (1 − λ) x[π(i)].
    generator: used as given; None builds one seeded with `seed` (42, the authors' demo seed).
    Returns x_mix with x's shape (float32 unless x is float64), y_mix `(N, K)` float64.
    """
    xt = torch.as_tensor(x)
    yt = torch.as_tensor(y)
    if not xt.is_floating_point():
        raise ValueError(f"x must be floating (features, or images scaled to [0, 1]), got {xt.dtype}")
    if xt.dtype not in (torch.float32, torch.float64):
        xt = xt.float()
    if yt.dim() != 2 or yt.shape[0] != xt.shape[0]:
        raise ValueError(f"y must be (N, K) probabilities with N={xt.shape[0]}, got {tuple(yt.shape)}")
    yt = yt.to(torch.float64 if xt.dtype == torch.float64 else torch.float32)
    if spec.method == "original":
        return xt.numpy().copy(), yt.double().numpy().copy()
    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    n = xt.shape[0]
    perm = torch.randperm(n, generator=generator, device=generator.device).cpu()
    x_out = torch.empty_like(xt)
    y_out = torch.empty_like(yt)
    for s in batch_slices(n, batch_size):
        idx = perm[s]
        xb, yb = _mix_batch(spec, xt[idx], yt[idx], generator)
        x_out[idx] = xb
        y_out[idx] = yb
    return x_out.numpy(), y_out.double().numpy()


def one_hot_np(labels: np.ndarray, num_classes: Optional[int] = None) -> np.ndarray:
    """Integer labels `(N,)` -> one-hot float32 `(N, K)`; K = max label + 1 unless given."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in [0, {k}), got min {labels.min()} max {labels.max()}")
    out = np.zeros((len(labels), k), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def zeta_gamma_grid(stop: float = 15.0, step: float = 0.5, extra: tuple[float, ...] = (GAMMA_MIN,)) -> list[float]:
    """Fig. 6's γ axis: 0, step, ..., stop plus `extra` (γ_min by default), sorted, deduplicated."""
    if step <= 0 or stop < 0:
        raise ValueError(f"need step > 0 and stop >= 0, got step={step}, stop={stop}")
    grid = {round(i * step, 10) for i in range(int(math.floor(stop / step + 1e-9)) + 1)}
    grid.update(float(g) for g in extra if 0 <= g <= stop)
    return sorted(grid)
