"""`cutmix` (Yun et al., 2019) and `cutmix+zeta` (ζ-mixup paper, Table 5).

CutMix: λ ~ Beta(α, α); a box of side ratio sqrt(1 − λ) centred uniformly in the image (clipped
at the borders, as in the reference implementation) is pasted from partner π(k), one box for the
whole batch; λ is then corrected to the area actually kept, `1 − box_area / (H W)`, so labels
weigh each source by the pixels it contributes.

`cutmix+zeta` ORDER: CutMix first, then ζ-mixup over the CutMix outputs. Why:
- the paper motivates Table 5 with "ζ-mixup can interpolate between samples at both image- and
  patch-levels" and reports it as "+ζ-mixup" on top of the CutMix baseline: CutMix builds the
  patch-level composites and ζ-mixup interpolates among them, as the last step;
- with ζ last, Theorem 1 still describes the final sample: for γ >= 1.72865 each output is
  dominated (weight > 1/2) by one CutMix sample, so outputs stay in the vicinity of CutMix's
  samples. Pasting after ζ would cut one ζ-mixed image into another, and no output would be
  dominated by a single sample inside the box;
- the labels stay exact either way (both steps are linear in x and y): y = W (λ y + (1 − λ) y[π]).
The paper gives no code for this combination; this choice is ours.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer, apply_weights, to_device
from workloads.mixing.registry import register
from workloads.mixing.sampling import draw_device, sample_beta
from workloads.mixing.validation import as_positive_float, resolve_gamma
from workloads.mixing.zeta import DEFAULT_GAMMA, draw_gamma, zeta_batch_weights


def sample_box(
    height: int, width: int, lam: float, generator: Optional[torch.Generator]
) -> tuple[int, int, int, int]:
    """CutMix box `(top, bottom, left, right)` (half-open, pixels) for a target kept area `lam`."""
    cut = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * cut), int(width * cut)
    dev = draw_device(generator)
    cy = int(torch.randint(height, (), generator=generator, device=dev))
    cx = int(torch.randint(width, (), generator=generator, device=dev))
    top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, height)
    left, right = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, width)
    return top, bottom, left, right


def cutmix_batch(
    x: Tensor, y: Tensor, alpha: float, generator: Optional[torch.Generator]
) -> tuple[Tensor, Tensor]:
    """One CutMix draw on `(N, C, H, W)` x and `(N, K)` y; returns new tensors (inputs untouched)."""
    n, _, h, w = x.shape
    lam = float(sample_beta(alpha, alpha, generator)[0])
    perm = to_device(torch.randperm(n, generator=generator, device=draw_device(generator)), x.device)
    top, bottom, left, right = sample_box(h, w, lam, generator)
    x_mix = x.clone()
    # Gather only the box (index_select on the strided view), not whole partner images.
    x_mix[:, :, top:bottom, left:right].copy_(x[:, :, top:bottom, left:right].index_select(0, perm))
    kept = 1.0 - (bottom - top) * (right - left) / (h * w)
    ld = torch.float64 if x.dtype == torch.float64 else torch.float32
    y_l = y.to(ld)
    y_mix = y_l.index_select(0, perm).lerp_(y_l, kept)
    return x_mix, y_mix


@register
class CutMix(BatchMixer):
    """CutMix with λ ~ Beta(alpha, alpha), corrected to the pasted area; x must be (N, C, H, W)."""

    name = "cutmix"
    image_only = True

    def __init__(self, alpha: float = 1.0) -> None:
        self._params = {"alpha": as_positive_float("alpha", alpha)}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        x_mix, y_mix = cutmix_batch(x, y, self._params["alpha"], generator)
        return x_mix, y_mix.to(x.dtype)


@register
class CutMixZeta(BatchMixer):
    """CutMix, then ζ-mixup of the whole batch of CutMix outputs (order: see the module docstring).
    gamma / gamma_range as for `zeta` (Table 5 draws γ ~ U[1.72865, 4.0] per batch)."""

    name = "cutmix+zeta"
    image_only = True

    def __init__(
        self,
        alpha: float = 1.0,
        gamma: Optional[float] = None,
        gamma_range: Optional[tuple[float, float]] = None,
    ) -> None:
        g, rng = resolve_gamma(gamma, gamma_range, DEFAULT_GAMMA)
        self._params = {"alpha": as_positive_float("alpha", alpha), "gamma": g, "gamma_range": rng}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        p = self._params
        x_cut, y_cut = cutmix_batch(x, y, p["alpha"], generator)
        gamma = draw_gamma(p["gamma"], p["gamma_range"], generator)
        w = zeta_batch_weights(x.shape[0], gamma, None, generator)
        return apply_weights(w, x_cut, y_cut)
