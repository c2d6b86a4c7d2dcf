"""Stand-in data: a small generated dataset of a real one's shape, channels and class count, for
`--smoke` runs where the real data is not on this machine (and for analyses that may run without it).

Every class is a smooth random pattern of its own (a few low-frequency waves per channel) plus per-image
noise, shifts and brightness changes, so a small model learns something in an epoch or two and a
mixer mixes images that differ by class. Numbers measured on a stand-in say nothing about the real
dataset: the orchestrator says so on the console and at the top of the report.

Deterministic: the same (name, shape, classes, sizes) give the same arrays on every machine.
"""
from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np

from workloads.data.types import SPLITS, DatasetArrays, Split

# Images per class in each split: enough for every class in every split and a few batches per epoch.
PER_CLASS = {"train": 24, "val": 6, "test": 6}


def _patterns(k: int, size: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """float `(k, size, size, channels)` in [0, 1]: each class a sum of 3 random plane waves per channel."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    out = np.empty((k, size, size, channels))
    for c in range(k):
        for ch in range(channels):
            waves = np.zeros((size, size))
            for _ in range(3):
                fy, fx = rng.uniform(-3, 3, 2)
                waves += np.cos(2 * np.pi * (fy * yy + fx * xx) + rng.uniform(0, 2 * np.pi))
            out[c, :, :, ch] = 0.5 + waves / 6
    return np.clip(out, 0, 1)


def standin(name: str, class_names: Sequence[str], channels: int, image_size: int,
            per_class: dict[str, int] | None = None) -> DatasetArrays:
    """A stand-in for dataset `name`: uint8 `(N, image_size, image_size, channels)` images (or float32
    `(N, channels)` vectors when image_size is 1, as the synthetic point sets are), int64 labels,
    `per_class[split]` samples of each class per split (default `PER_CLASS`)."""
    per_class = per_class or PER_CLASS
    k = len(class_names)
    rng = np.random.default_rng(zlib.crc32(f"{name}:{k}:{channels}:{image_size}".encode()))
    vectors = image_size == 1
    patterns = rng.normal(0, 1, (k, channels)) if vectors else _patterns(k, image_size, channels, rng)
    splits = {}
    for split in SPLITS:
        labels = np.repeat(np.arange(k, dtype=np.int64), per_class[split])
        base = patterns[labels]
        if vectors:
            data = (base + rng.normal(0, 0.5, base.shape)).astype(np.float32)
        else:
            shift = rng.integers(-2, 3, size=(len(labels), 2))
            shifted = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(base, shift)])
            gain = rng.uniform(0.7, 1.1, size=(len(labels), 1, 1, 1))
            noisy = shifted * gain + rng.normal(0, 0.08, shifted.shape)
            data = np.clip(np.round(noisy * 255), 0, 255).astype(np.uint8)
        order = rng.permutation(len(labels))
        splits[split] = Split(data[order], labels[order])
    return DatasetArrays(name, tuple(class_names), splits)
