"""The zeta paper's synthetic sets ("Datasets and experimental details", Synthetic data).

- crescents: 2^9 = 512 points of two interleaving half-moons, Gaussian noise sigma = 0.1.
- spirals: 512 points of two interleaved spirals (radius <= 1), Gaussian noise sigma = 0.1.
- helix-3d: 2^13 = 8,192 points off a 1-D helix in R^3 (the paper states no noise for the helices).
- helix-12d: the same helix embedded in R^12 by a fixed random orthonormal map (1-D manifold in 12-D).

Features are float32 `(N, D)`; the paper only visualizes these sets, so the helices get two classes
(the two halves of the curve's parameter range) to make them trainable. Generated, not read: `root`
is ignored. Splits: stratified 70/10/20 with seed 0. The generator seed is fixed (0), so every run
sees the same points.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.registry import DATASETS
from workloads.data.split import stratified_split
from workloads.data.types import DatasetArrays, Split

SEED = 0
TWO_D = 2**9
HELIX = 2**13


def crescents(n: int = TWO_D, noise: float = 0.1, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons): float32 `(n, 2)`, int64 `(n,)`."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def spirals(n: int = TWO_D, noise: float = 0.1, turns: float = 1.5, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Two spirals rotated by pi from each other, radius growing to 1: float32 `(n, 2)`."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    # sqrt spreads points evenly along the arc rather than crowding the centre.
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * turns * 2 * np.pi
    radius = t / (turns * 2 * np.pi)
    angle = t + np.pi * labels
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), labels.astype(np.int64)


def helix(n: int = HELIX, dim: int = 3, noise: float = 0.0, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D helix wound around a torus (Hein & Audibert's Helix1d), in R^dim: float32 `(n, dim)`.

    x(t) = ((2 + cos 8t) cos t, (2 + cos 8t) sin t, sin 8t), t ~ U[0, 2 pi); label = t >= pi.
    For dim > 3 the curve is mapped by a fixed random orthonormal `(3, dim)` matrix.
    """
    if dim < 3:
        raise ValueError(f"dim must be >= 3 for a helix, got {dim}")
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, 2 * np.pi, n))
    ring = 2.0 + np.cos(8 * t)
    x = np.stack([ring * np.cos(t), ring * np.sin(t), np.sin(8 * t)], axis=1)
    if dim > 3:
        basis, _ = np.linalg.qr(rng.normal(size=(dim, 3)))
        x = x @ basis.T
    x += rng.normal(0.0, noise, x.shape) if noise else 0.0
    return x.astype(np.float32), (t >= np.pi).astype(np.int64)


def as_dataset(name: str, x: np.ndarray, y: np.ndarray, classes: tuple[str, ...]) -> DatasetArrays:
    splits = {split: Split(x[idx], y[idx]) for split, idx in stratified_split(y).items()}
    return DatasetArrays(name, classes, splits)


@DATASETS.register("crescents")
def load_crescents(root: Optional[Path] = None) -> DatasetArrays:
    """512 float32 `(2,)` points, 2 classes."""
    return as_dataset("crescents", *crescents(), ("upper", "lower"))


@DATASETS.register("spirals")
def load_spirals(root: Optional[Path] = None) -> DatasetArrays:
    """512 float32 `(2,)` points, 2 classes."""
    return as_dataset("spirals", *spirals(), ("spiral 0", "spiral 1"))


@DATASETS.register("helix-3d")
def load_helix_3d(root: Optional[Path] = None) -> DatasetArrays:
    """8,192 float32 `(3,)` points, 2 classes."""
    return as_dataset("helix-3d", *helix(dim=3), ("first half", "second half"))


@DATASETS.register("helix-12d")
def load_helix_12d(root: Optional[Path] = None) -> DatasetArrays:
    """8,192 float32 `(12,)` points, 2 classes."""
    return as_dataset("helix-12d", *helix(dim=12), ("first half", "second half"))
