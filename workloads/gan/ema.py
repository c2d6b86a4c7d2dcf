"""The exponential moving average copy of G that is used for sampling (StyleGAN's G_ema)."""
from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema(generator: nn.Module) -> nn.Module:
    """A frozen deep copy of `generator`, in eval mode."""
    ema = copy.deepcopy(generator).eval()
    ema.requires_grad_(False)
    return ema


def ema_beta(batch_size: int, ema_kimg: float, images_seen: int = 0, rampup: float | None = None) -> float:
    """Per-step decay so that the average's half-life is `ema_kimg` thousand images.

    With `rampup` (NVIDIA's 0.05), the half-life is capped at `rampup * images_seen` early on, so the
    average does not drag in the random initialization for thousands of steps.
    """
    ema_nimg = ema_kimg * 1000
    if rampup:
        ema_nimg = min(ema_nimg, images_seen * rampup)
    return 0.5 ** (batch_size / max(ema_nimg, 1e-8))


@torch.no_grad()
def update_ema(ema: nn.Module, generator: nn.Module, beta: float) -> None:
    """ema <- beta * ema + (1 - beta) * generator for parameters; buffers (w_avg, noise) copied."""
    for p_ema, p in zip(ema.parameters(), generator.parameters()):
        p_ema.copy_(p.detach().lerp(p_ema, beta))
    for b_ema, b in zip(ema.buffers(), generator.buffers()):
        b_ema.copy_(b)
