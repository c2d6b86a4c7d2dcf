"""Image grids as PNG files (GAN sample grids, Fig. 2 style comparisons)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Generator output `(N, C, H, W)` in [-1, 1] -> uint8 `(N, H, W, C)` (values outside are clipped)."""
    x = ((images.detach().to(torch.float32) + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def save_grid(images: np.ndarray, rows: int, path: str | Path, pad: int = 1) -> Path:
    """Tile uint8 `(rows * cols, H, W, C)` images row-major into one PNG (grey for C = 1, RGB for C = 3)."""
    from PIL import Image

    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be uint8 (N, H, W, 1|3), got {images.dtype} {images.shape}")
    n, h, w, c = images.shape
    if rows < 1 or n % rows:
        raise ValueError(f"rows must divide the number of images ({n}), got {rows}")
    cols = n // rows
    canvas = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        canvas[y : y + h, x : x + w] = img
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas[..., 0] if c == 1 else canvas).save(path)
    return path
