"""100-image montages of mixup and ζ-mixup outputs with their soft labels (ζ-mixup paper, Figs. 3a–e, 4, 5).

Fig. 3: "for each digit class in the MNIST dataset, we take the first 10 samples [...] and use mixup
and ζ-mixup to generate 100 new images each" (`first_per_class`). Figs. 4–5: 100 ISIC 2017 / 2018
images mixed by mixup and by ζ-mixup at γ = 2.4, 2.8, 4.0 (`sample_indices` picks 100 at random;
the paper does not say how its 100 were chosen).

The 100 images are mixed as ONE batch (T = 100, one mixup λ for the batch, as training mixes a
batch), in pixel space on [0, 1] floats, by `mix_dataset` with seed 42. Output i is drawn in input
i's grid cell: for ζ-mixup input i is its dominant image, so the montages line up cell by cell
with the originals.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workloads.analysis.batch_mixing import MixSpec, mix_dataset, one_hot_np

MONTAGE_SPECS = (MixSpec("mixup"), MixSpec("zeta", gamma=2.4), MixSpec("zeta", gamma=2.8), MixSpec("zeta", gamma=4.0))


def first_per_class(labels: np.ndarray, per_class: int = 10, num_classes: Optional[int] = None) -> np.ndarray:
    """Indices of the first `per_class` samples of every class, class by class: int64 `(K * per_class,)`.

    Raises ValueError if a class has fewer than `per_class` samples.
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    out = []
    for c in range(k):
        idx = np.flatnonzero(labels == c)[:per_class]
        if len(idx) < per_class:
            raise ValueError(f"class {c} has {len(idx)} samples, fewer than per_class={per_class}")
        out.append(idx)
    return np.concatenate(out).astype(np.int64)


def sample_indices(n_total: int, n: int = 100, seed: int = 42) -> np.ndarray:
    """`n` distinct indices of `range(n_total)`, drawn with NumPy's generator seeded with `seed`, sorted."""
    if not 1 <= n <= n_total:
        raise ValueError(f"n must be between 1 and n_total={n_total}, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False)).astype(np.int64)


def mix_images(
    images: np.ndarray,
    labels: np.ndarray,
    specs: Sequence[MixSpec] = MONTAGE_SPECS,
    *,
    num_classes: Optional[int] = None,
    seed: int = 42,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Mix uint8 images `(N, H, W, C)` (int labels `(N,)`) as one batch by each spec.

    Returns {label: (uint8 images `(N, H, W, C)`, float64 soft labels `(N, K)`)}, "original" first,
    then one entry per spec (`MixSpec.label`, e.g. "mixup", "zeta γ=2.4").
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    y = one_hot_np(np.asarray(labels), num_classes)
    x = images.astype(np.float32) / 255.0
    out = {"original": (images, y.astype(np.float64))}
    for spec in specs:
        xm, ym = mix_dataset(x, y, spec, batch_size=len(x), seed=seed)
        out[spec.label] = (np.clip(np.rint(xm * 255.0), 0, 255).astype(np.uint8), ym)
    return out


def montage(images: np.ndarray, ncols: int = 10, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile uint8 images `(N, H, W, C)` into one uint8 grid `(rows*(H+pad)+pad, ncols*(W+pad)+pad, C)`,
    row-major, with `pad` pixels of `pad_value` between and around them (empty cells stay padding)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    n, h, w, c = images.shape
    rows = -(-n // ncols)
    grid = np.full((rows * (h + pad) + pad, ncols * (w + pad) + pad, c), pad_value, dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + q * (w + pad)
        grid[top : top + h, left : left + w] = images[i]
    return grid


def save_montage(images: np.ndarray, path: str | Path, *, ncols: int = 10, pad: int = 2) -> Path:
    """Write `montage(images)` as a PNG at full resolution (one pixel per image pixel; for Figs. 4–5,
    whose 224-px lesions a matplotlib figure would shrink). Returns the path."""
    from PIL import Image

    grid = montage(images, ncols=ncols, pad=pad)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path


def soft_label_table(mixed: Mapping[str, tuple[np.ndarray, np.ndarray]], source_labels: np.ndarray) -> pd.DataFrame:
    """The numbers behind the montages: one row per (panel, cell) with columns panel, index,
    source_label (the cell's original class), label_class (soft label argmax), then p_0..p_{K-1}."""
    frames = []
    for name, (_, y) in mixed.items():
        cols = {"panel": name, "index": np.arange(len(y)), "source_label": np.asarray(source_labels),
                "label_class": y.argmax(axis=1)}
        cols.update({f"p_{j}": y[:, j] for j in range(y.shape[1])})
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def plot_montages(
    mixed: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | Path,
    *,
    ncols: int = 10,
    dpi: int = 150,
) -> Path:
    """One montage per panel of `mix_images`' output side by side (original, mixup, ζ ...); PNG path."""
    fig = Figure(figsize=(4.0 * len(mixed), 4.3), layout="constrained")
    axes = fig.subplots(1, len(mixed), squeeze=False)[0]
    for ax, (name, (imgs, _)) in zip(axes, mixed.items()):
        grid = montage(imgs, ncols=ncols)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255,
                  interpolation="nearest")
        ax.set_title(name.replace("zeta", "ζ-mixup"), fontsize=10)
        ax.set_axis_off()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
