"""Resizing uint8 image arrays in chunks: bilinear, antialiased when shrinking, rounded back to uint8.

Chunks bound the float32 working memory: a GeMix set of 24,000 128x128 images is 1.5 GB as float32
at once, a few MB per chunk here. Used by the GAN (real images to its resolution), the GeMix sets
stage (generated images to the real size) and the classifier's offline sets (to the real size).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

# Images per chunk.
RESIZE_CHUNK = 512


def resized_chunks(images: np.ndarray, size: tuple[int, int], chunk: int = RESIZE_CHUNK) -> Iterator[torch.Tensor]:
    """uint8 `(N, H, W, C)` -> uint8 CPU tensors `(n, C, size[0], size[1])`, `chunk` images at a time, in order.

    Chunks already of `size` are only permuted (channel-first views of a copy of the chunk).
    """
    size = (int(size[0]), int(size[1]))
    for start in range(0, len(images), chunk):
        # A writable copy of the chunk: `images` may be a read-only memory map or Ray object.
        x = torch.from_numpy(np.array(images[start : start + chunk])).permute(0, 3, 1, 2)
        if tuple(x.shape[-2:]) != size:
            x = F.interpolate(x.to(torch.float32), size=size, mode="bilinear", align_corners=False, antialias=True)
            x = x.round().clamp(0, 255).to(torch.uint8)
        yield x


def resize_images(images: np.ndarray, size: tuple[int, int], chunk: int = RESIZE_CHUNK) -> np.ndarray:
    """uint8 `(N, H, W, C)` -> uint8 `(N, size[0], size[1], C)`; `images` itself when already that size."""
    if tuple(images.shape[1:3]) == tuple(size):
        return images
    out = np.empty((len(images), int(size[0]), int(size[1]), images.shape[3]), np.uint8)
    for start, x in zip(range(0, len(images), chunk), resized_chunks(images, size, chunk)):
        out[start : start + len(x)] = x.permute(0, 2, 3, 1).numpy()
    return out
