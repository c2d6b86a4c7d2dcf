"""Adaptive discriminator augmentation (Karras et al. 2020, "Training GANs with limited data").

Every image the discriminator sees, real or generated, passes through the same differentiable
augmentations, each applied to a sample with probability p. p is steered by the overfitting
heuristic r_t = E[sign(D(real))]: above the target (0.6) D is too sure of the reals, so p grows;
below it, p shrinks. p moves by at most (batch * interval) / (ada_kimg * 1000) per adjustment, so it
can go from 0 to 1 in `ada_kimg` thousand real images.

Implemented subset of NVIDIA's 'bgc' pipeline: x-flip, integer translation (up to 1/8 of the image,
reflected borders), brightness, contrast, and saturation (colour images only).
"""
from __future__ import annotations

import torch


def _reflect(idx: torch.Tensor, size: int) -> torch.Tensor:
    """Map any integer index onto [0, size) by mirror reflection (edge pixels not repeated)."""
    if size == 1:
        return torch.zeros_like(idx)
    period = 2 * (size - 1)
    idx = idx.remainder(period)
    return torch.where(idx >= size, period - idx, idx)


def _chance(n: int, p: float, generator: torch.Generator) -> torch.Tensor:
    """(n,) bool on CPU: which samples get an augmentation of probability p."""
    return torch.rand(n, generator=generator) < p


class AugmentPipe:
    """augment(x (N, C, H, W) in about [-1, 1]) -> same shape, differentiable in x.

    Random draws come from an explicit CPU `torch.Generator`, so runs reproduce and resume exactly.
    """

    def __init__(self, p: float = 0.0, *, translate: float = 0.125, brightness_std: float = 0.2,
                 contrast_std: float = 0.5, saturation_std: float = 1.0) -> None:
        self.p = float(p)
        self.translate = translate
        self.brightness_std = brightness_std
        self.contrast_std = contrast_std
        self.saturation_std = saturation_std

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if self.p <= 0:
            return x
        n, c, h, w = x.shape
        p, dev = self.p, x.device

        # x-flip
        flip = _chance(n, p, generator).to(dev)
        x = torch.where(flip[:, None, None, None], x.flip(3), x)

        # integer translation, the same shift for every channel of a sample
        on = _chance(n, p, generator)
        shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * self.translate
        ty = torch.round(shift[:, 0] * h).long() * on
        tx = torch.round(shift[:, 1] * w).long() * on
        rows = _reflect(torch.arange(h)[None, :] - ty[:, None], h).to(dev)
        cols = _reflect(torch.arange(w)[None, :] - tx[:, None], w).to(dev)
        x = x.gather(2, rows[:, None, :, None].expand(n, c, h, w))
        x = x.gather(3, cols[:, None, None, :].expand(n, c, h, w))

        # brightness: add b ~ N(0, 0.2)
        b = torch.randn(n, generator=generator) * self.brightness_std * _chance(n, p, generator)
        x = x + b.to(dev, x.dtype)[:, None, None, None]

        # contrast: scale around the per-image mean by lognormal(0, (0.5 ln 2)^2)
        on = _chance(n, p, generator)
        s = torch.exp2(torch.randn(n, generator=generator) * self.contrast_std * on)
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        x = mean + (x - mean) * s.to(dev, x.dtype)[:, None, None, None]

        # saturation: scale around the per-pixel luma (grey has none to change)
        if c == 3:
            on = _chance(n, p, generator)
            s = torch.exp2(torch.randn(n, generator=generator) * self.saturation_std * on)
            luma = x.mean(dim=1, keepdim=True)
            x = luma + (x - luma) * s.to(dev, x.dtype)[:, None, None, None]
        return x


class AdaController:
    """Holds p and steers it toward `target` from the signs of D's logits on real images."""

    def __init__(self, *, target: float = 0.6, interval: int = 4, ada_kimg: float = 500.0,
                 batch_size: int = 32, p: float = 0.0) -> None:
        self.target, self.interval, self.ada_kimg, self.batch_size = target, interval, ada_kimg, batch_size
        self.p = float(p)
        self.sign_sum = 0.0
        self.count = 0
        self.steps = 0
        self.last_rt = float("nan")

    def accumulate(self, real_logits: torch.Tensor) -> None:
        """Record the signs of one batch of D(real) logits."""
        self.sign_sum += float(torch.sign(real_logits.detach()).sum())
        self.count += real_logits.numel()

    def step(self) -> bool:
        """Call once per training step; every `interval` steps adjust p. Returns True when adjusted."""
        self.steps += 1
        if self.steps % self.interval or self.count == 0:
            return False
        self.last_rt = self.sign_sum / self.count
        direction = (self.last_rt > self.target) - (self.last_rt < self.target)
        adjust = direction * (self.batch_size * self.interval) / (self.ada_kimg * 1000)
        self.p = min(max(self.p + adjust, 0.0), 1.0)
        self.sign_sum, self.count = 0.0, 0
        return True

    def state_dict(self) -> dict:
        return {"p": self.p, "sign_sum": self.sign_sum, "count": self.count, "steps": self.steps,
                "last_rt": self.last_rt}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.sign_sum, self.count = float(state["p"]), float(state["sign_sum"]), int(state["count"])
        self.steps, self.last_rt = int(state["steps"]), float(state["last_rt"])
