"""Batch-wise augmentation on the training device: random crop with padding, horizontal flip, normalize.

Images stay uint8 `(N, H, W, C)` on the device; one batch becomes float32 `(N, C, H, W)` with a single
gather (crop and flip are both index arithmetic), so there is no per-sample Python or PIL work.
Feature vectors `(N, D)` are only standardized and come out as `(N, D, 1, 1)`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# Below this std a channel/feature is treated as constant, to avoid dividing by ~0.
MIN_STD = 1e-6
# Rows per chunk when computing statistics, to bound the float64 working memory.
STATS_CHUNK = 4096


def channel_stats(images: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (images) or per-feature (vectors) mean and std, float64 `(C,)` or `(D,)`.

    uint8 images are scaled to [0, 1] first, matching the [0, 1] input that `BatchAugment` normalizes.
    """
    arr = images.cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if len(arr) == 0:
        raise ValueError("cannot compute normalization statistics of an empty split")
    scale = 1.0 / 255.0 if arr.dtype == np.uint8 else 1.0
    dim = arr.shape[-1]
    total = np.zeros(dim)
    total_sq = np.zeros(dim)
    count = 0
    for start in range(0, len(arr), STATS_CHUNK):
        chunk = arr[start : start + STATS_CHUNK].reshape(-1, dim).astype(np.float64) * scale
        total += chunk.sum(0)
        total_sq += (chunk * chunk).sum(0)
        count += len(chunk)
    mean = total / count
    var = np.maximum(total_sq / count - mean * mean, 0.0)
    return mean, np.sqrt(var)


class BatchAugment:
    """Turns device-resident uint8 batches into normalized float batches.

    mean, std: per channel (images, on the [0, 1] scale) or per feature (vectors).
    flip: random horizontal flip with probability 1/2 (images only).
    crop_padding: random crop back to `H x W` after zero-padding each side by this many pixels
        (0 = off; images only). Zero padding happens before normalization, as torchvision's
        RandomCrop on uint8/PIL images does.
    to_rgb: one-channel images come out as 3 equal channels (PIL's convert("RGB") of a grey image),
        normalized alike, for networks with an RGB stem; other inputs are left as they are.
    """

    def __init__(
        self,
        mean: np.ndarray,
        std: np.ndarray,
        *,
        flip: bool = False,
        crop_padding: int = 0,
        device: torch.device | str = "cpu",
        to_rgb: bool = False,
    ) -> None:
        if crop_padding < 0:
            raise ValueError(f"crop_padding must be >= 0, got {crop_padding}")
        self.flip = bool(flip)
        self.crop_padding = int(crop_padding)
        self.to_rgb = bool(to_rgb)
        self.device = torch.device(device)
        std = np.where(np.asarray(std) < MIN_STD, 1.0, std)
        # x_norm = (x / 255 - mean) / std = x * scale + shift, fused into one multiply-add.
        self._scale = torch.as_tensor(1.0 / np.asarray(std), dtype=torch.float32, device=self.device)
        self._shift = torch.as_tensor(-np.asarray(mean) / std, dtype=torch.float32, device=self.device)

    @classmethod
    def from_train(
        cls,
        train_images: np.ndarray | torch.Tensor,
        *,
        flip: bool = False,
        crop_padding: int = 0,
        device: torch.device | str = "cpu",
        to_rgb: bool = False,
    ) -> "BatchAugment":
        """Normalization statistics computed once from the train split (uint8 images or float vectors)."""
        mean, std = channel_stats(train_images)
        return cls(mean, std, flip=flip, crop_padding=crop_padding, device=device, to_rgb=to_rgb)

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 `(N, C, H, W)` or float `(N, D)` -> normalized float32 `(N, C, H, W)` / `(N, D, 1, 1)`."""
        if x.ndim == 2:
            return (x.to(torch.float32) * self._scale + self._shift)[:, :, None, None]
        out = x.contiguous().to(torch.float32)
        out = out.mul_((self._scale / 255.0)[None, :, None, None]).add_(self._shift[None, :, None, None])
        # After normalizing: one channel's work, then three copies (mixers write their own outputs).
        return out.repeat(1, 3, 1, 1) if self.to_rgb and out.shape[1] == 1 else out

    def eval(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize only: uint8 `(N, H, W, C)` -> float32 `(N, C, H, W)`; float `(N, D)` -> `(N, D, 1, 1)`."""
        return self._normalize(x if x.ndim == 2 else x.permute(0, 3, 1, 2))

    def train(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Random crop and flip, then normalize. Randomness only from `generator` (on x's device)."""
        if x.ndim == 2 or (not self.flip and self.crop_padding == 0):
            return self.eval(x)
        n, h, w, c = x.shape
        p = self.crop_padding
        dev = x.device
        # Planes first (uint8, 4x cheaper than after the float conversion): the crop-and-flip is then
        # one gather of the same H*W source offsets from every channel plane of a sample.
        planes = F.pad(x.permute(0, 3, 1, 2), (p, p, p, p)) if p else x.permute(0, 3, 1, 2).contiguous()
        hp, wp = h + 2 * p, w + 2 * p
        if p:
            top = torch.randint(0, 2 * p + 1, (n,), generator=generator, device=dev)
            left = torch.randint(0, 2 * p + 1, (n,), generator=generator, device=dev)
        else:
            top = torch.zeros(n, dtype=torch.long, device=dev)
            left = top
        cols = torch.arange(w, device=dev).expand(n, w)
        if self.flip:
            flipped = torch.rand(n, generator=generator, device=dev) < 0.5
            cols = torch.where(flipped[:, None], cols.flip(1), cols)
        rows = top[:, None] + torch.arange(h, device=dev)
        offsets = (rows[:, :, None] * wp + (left[:, None] + cols)[:, None, :]).view(n, 1, h * w)
        cropped = torch.gather(planes.reshape(n, c, hp * wp), 2, offsets.expand(n, c, h * w))
        return self._normalize(cropped.view(n, c, h, w))
