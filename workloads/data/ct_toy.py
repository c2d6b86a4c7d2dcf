"""ct-toy: a tiny fabricated stand-in for COVIDx CT-3 (GeMix's `--smoke` "tiny 3-class grey set").

384 grey 32x32 images, 128 per class, classes named as COVIDx CT-3's (normal, pneumonia, COVID-19).
Every image is a dark "body" ellipse on a black background; the class decides what is inside it:
- normal: nothing but texture noise,
- pneumonia: one bright blob, lower half of the body,
- COVID-19: several faint, smaller blobs spread over the body (a ground-glass caricature).
Positions, sizes, intensities and noise vary per image, so a small CNN needs a few epochs but not
many. Generated, not read (`root` is ignored) from a fixed seed: every call returns the same arrays.
Splits: stratified 70/10/20, seed 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.registry import DATASETS
from workloads.data.split import stratified_split
from workloads.data.types import DatasetArrays, Split

CLASS_NAMES = ("normal", "pneumonia", "COVID-19")  # COVIDx CT-3's, in its label order
SIZE = 32
PER_CLASS = 128
SEED = 0


def _blob(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, radius: float) -> np.ndarray:
    """A Gaussian bump (peak 1) of standard deviation `radius` pixels centred at (cy, cx)."""
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2.0 * radius**2))


def toy_ct(per_class: int = PER_CLASS, size: int = SIZE, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images `(3 * per_class, size, size, 1)` and int64 labels `(3 * per_class,)`, class-major."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.empty((3 * per_class, size, size, 1), np.uint8)
    labels = np.repeat(np.arange(3, dtype=np.int64), per_class)
    for i, label in enumerate(labels):
        cy, cx = size / 2 + rng.normal(0, 1.0, 2)
        ry, rx = size * rng.uniform(0.32, 0.42, 2)
        body = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2) <= 1.0
        img = np.where(body, rng.uniform(70, 100), 0.0)
        if label == 1:  # one bright consolidation in the lower half
            by, bx = cy + ry * rng.uniform(0.1, 0.5), cx + rx * rng.uniform(-0.5, 0.5)
            img = img + 130 * _blob(yy, xx, by, bx, size * rng.uniform(0.08, 0.12)) * body
        elif label == 2:  # several faint, small opacities anywhere in the body
            for _ in range(rng.integers(3, 6)):
                by, bx = cy + ry * rng.uniform(-0.6, 0.6), cx + rx * rng.uniform(-0.6, 0.6)
                img = img + 60 * _blob(yy, xx, by, bx, size * rng.uniform(0.04, 0.07)) * body
        img = img + rng.normal(0, 12, img.shape) * body
        images[i, :, :, 0] = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return images, labels


@DATASETS.register("ct-toy")
def load_ct_toy(root: Optional[Path] = None) -> DatasetArrays:
    """ct-toy as uint8 `(N, 32, 32, 1)`, 3 classes, split stratified 70/10/20 (seed 0); `root` is ignored."""
    images, labels = toy_ct()
    splits = {name: Split(images[idx], labels[idx]) for name, idx in stratified_split(labels).items()}
    return DatasetArrays("ct-toy", CLASS_NAMES, splits)
