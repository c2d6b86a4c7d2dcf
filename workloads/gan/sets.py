"""Offline training sets on disk: GeMix samples and the Table I mixup / MMixup baselines.

A set is a directory with
    images.npy       uint8 (N, H, W, C)
    soft_labels.npy  float32 (N, K), rows are probability vectors
    meta.json        how it was made (kind, seed, parameters, generator sha256 for GeMix sets)
meta.json is written last, so a directory without it is an interrupted write, not a set.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from workloads.data.types import Split
from workloads.mixing.sampling import sample_beta

IMAGES_FILE, LABELS_FILE, META_FILE = "images.npy", "soft_labels.npy", "meta.json"


@dataclass(frozen=True)
class SoftSet:
    """Images with soft labels. images: uint8 (N, H, W, C); soft_labels: float32 (N, K)."""

    images: np.ndarray
    soft_labels: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_soft_set(self.images, self.soft_labels)

    def __len__(self) -> int:
        return len(self.images)


def check_soft_set(images: np.ndarray, soft_labels: np.ndarray) -> None:
    """Raise ValueError unless images are uint8 (N, H, W, 1|3) and soft_labels (N, K) distributions."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be a uint8 array (N, H, W, 1|3), got {getattr(images, 'dtype', type(images))} "
                         f"{getattr(images, 'shape', '')}")
    if soft_labels.ndim != 2 or len(soft_labels) != len(images):
        raise ValueError(f"soft_labels must be (N={len(images)}, K), got {soft_labels.shape}")
    if len(soft_labels) and (soft_labels.min() < -1e-6 or np.abs(soft_labels.sum(1) - 1).max() > 1e-4):
        raise ValueError("soft_labels rows must be probability vectors (>= 0, summing to 1)")


def save_set(directory: str | Path, images: np.ndarray, soft_labels: np.ndarray, meta: dict[str, Any]) -> Path:
    """Write a set (see the module docstring); `meta` must be JSON-serializable. Returns the directory."""
    soft_labels = np.asarray(soft_labels, dtype=np.float32)
    check_soft_set(images, soft_labels)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / META_FILE).unlink(missing_ok=True)
    np.save(directory / IMAGES_FILE, images)
    np.save(directory / LABELS_FILE, soft_labels)
    full = {**meta, "n": int(len(images)), "image_shape": list(images.shape[1:]), "num_classes": int(soft_labels.shape[1])}
    tmp = directory / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(full, indent=1, sort_keys=True))
    os.replace(tmp, directory / META_FILE)
    return directory


def is_set(directory: str | Path) -> bool:
    """True when `directory` holds a completely written set."""
    return (Path(directory) / META_FILE).is_file()


def load_set(directory: str | Path, mmap: bool = False) -> SoftSet:
    """Read a set written by `save_set` (`mmap=True` maps images.npy instead of reading it)."""
    directory = Path(directory)
    if not is_set(directory):
        raise ValueError(f"{directory} is not a mixbench image set (no {META_FILE}; incomplete or wrong path)")
    images = np.load(directory / IMAGES_FILE, mmap_mode="r" if mmap else None)
    labels = np.load(directory / LABELS_FILE)
    return SoftSet(images, labels, json.loads((directory / META_FILE).read_text()))


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """float32 (N, K) one-hot rows of integer labels (N,)."""
    labels = np.asarray(labels)
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes}), got range [{labels.min()}, {labels.max()}]")
    return np.eye(num_classes, dtype=np.float32)[labels]


def _check_real(real: Split, num_classes: int, n: int) -> None:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if len(real) < 2 or real.images.ndim != 4 or real.images.dtype != np.uint8:
        raise ValueError("real must be a Split of >= 2 uint8 (N, H, W, C) images")
    one_hot(real.labels, num_classes)  # range check


def _to_float(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).to(torch.float32)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def mixup_pairs(labels: np.ndarray, num_classes: int, n: int, same_class_ratio: float,
                gen: torch.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, same) for `n` pairs, as the GeMix authors draw their mixup set: with probability
    `same_class_ratio` a class uniformly and two distinct images of it, else two distinct classes
    uniformly and one image of each (images uniform within their class). same: bool (n,)."""
    by_class = [np.flatnonzero(labels == k) for k in range(num_classes)]
    present = np.asarray([k for k in range(num_classes) if len(by_class[k])])
    if same_class_ratio > 0 and any(len(by_class[k]) < 2 for k in present):
        raise ValueError("same-class mixup pairs need at least two images of every class present")
    if same_class_ratio < 1 and len(present) < 2:
        raise ValueError("mixup pairs of two classes need at least two classes in the real set")
    same = (torch.rand(n, generator=gen) < same_class_ratio).numpy()
    first = torch.randint(len(present), (n,), generator=gen).numpy()
    other = (first + 1 + torch.randint(max(len(present) - 1, 1), (n,), generator=gen).numpy()) % len(present)
    c1, c2 = present[first], present[np.where(same, first, other)]
    u1, u2 = (torch.randint(2**62, (n,), generator=gen).numpy() for _ in range(2))
    sizes = np.asarray([len(by_class[k]) for k in range(num_classes)])
    pos_i = u1 % sizes[c1]
    # A same-class partner is another image of that class: offset 1..size-1 from the first.
    pos_j = np.where(same, (pos_i + 1 + u2 % np.maximum(sizes[c2] - 1, 1)) % sizes[c2], u2 % sizes[c2])
    i = np.asarray([by_class[c][p] for c, p in zip(c1, pos_i)], dtype=np.int64)
    j = np.asarray([by_class[c][p] for c, p in zip(c2, pos_j)], dtype=np.int64)
    return i, j, same


def mixup_set(real: Split, num_classes: int, n: int, alpha: float = 0.4, seed: int = 0,
              batch_size: int = 1024, same_class_ratio: float | None = None) -> SoftSet:
    """`n` mixup images from `real`: x = lam x_i + (1 - lam) x_j, y likewise, lam ~ Beta(alpha, alpha).

    One lam per image, as the authors' offline baseline (alpha = 0.4). Pairs: with `same_class_ratio`
    (the authors': 0.5), a share of same-class pairs as `mixup_pairs` draws them; None draws i and j
    uniformly and independently from the whole real set. Pixels are rounded back to uint8. meta
    records the ratio asked for and the share of same-class pairs drawn.
    """
    _check_real(real, num_classes, n)
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    if same_class_ratio is not None and not 0 <= same_class_ratio <= 1:
        raise ValueError(f"same_class_ratio must be in [0, 1] or None, got {same_class_ratio}")
    gen = torch.Generator().manual_seed(seed)
    if same_class_ratio is None:
        i = torch.randint(len(real), (n,), generator=gen).numpy()
        j = torch.randint(len(real), (n,), generator=gen).numpy()
    else:
        i, j, _ = mixup_pairs(np.asarray(real.labels), num_classes, n, same_class_ratio, gen)
    lam = sample_beta(alpha, alpha, gen, size=n).to(torch.float32).numpy()
    y = one_hot(real.labels, num_classes)
    images = np.empty((n, *real.images.shape[1:]), np.uint8)
    for s in range(0, n, batch_size):
        sl = slice(s, s + batch_size)
        l4 = torch.from_numpy(lam[sl])[:, None, None, None]
        mixed = l4 * _to_float(real.images[i[sl]]) + (1 - l4) * _to_float(real.images[j[sl]])
        images[sl] = _to_uint8(mixed)
    labels = lam[:, None] * y[i] + (1 - lam[:, None]) * y[j]
    same = float(np.mean(real.labels[i] == real.labels[j]))
    return SoftSet(images, labels.astype(np.float32), {"kind": "mixup", "alpha": alpha, "seed": seed,
                                                       "same_class_ratio": same_class_ratio, "same_class_pairs": same})


def mmixup_set(real: Split, num_classes: int, n: int, seed: int = 0, *, a_dominant: float = 2.0,
               a_other: float = 1.0, batch_size: int = 256, mixer: Callable | None = None) -> SoftSet:
    """`n` MMixup images (GeMix's multi-image mixup baseline) from `real`.

    Each batch holds `batch_size` real images drawn uniformly per class (balanced, so every class is
    present) and goes through `workloads.mixing`'s "mmixup" mixer: per output one image of each class,
    weights ~ Dirichlet(a_dominant at a random pivot, a_other elsewhere), labels mixed by the same
    weights. `mixer` replaces that mixer (same call signature) if given.
    """
    _check_real(real, num_classes, n)
    present = np.unique(real.labels)
    if len(present) < num_classes:
        raise ValueError(f"MMixup needs every class in the real set; missing {sorted(set(range(num_classes)) - set(present))}")
    if mixer is None:
        from workloads.mixing import get_mixer

        mixer = get_mixer("mmixup", a_dominant=a_dominant, a_other=a_other)
    batch_size = max(batch_size, num_classes)
    gen = torch.Generator().manual_seed(seed)
    by_class = [np.flatnonzero(real.labels == k) for k in range(num_classes)]
    y_all = one_hot(real.labels, num_classes)
    images, labels = [], []
    done = 0
    while done < n:
        cls = torch.arange(batch_size) % num_classes
        pick = torch.randint(2**31 - 1, (batch_size,), generator=gen).numpy()
        idx = np.array([by_class[k][p % len(by_class[k])] for k, p in zip(cls.tolist(), pick)])
        x_mix, y_mix = mixer(_to_float(real.images[idx]), torch.from_numpy(y_all[idx]), generator=gen)
        take = min(batch_size, n - done)
        images.append(_to_uint8(x_mix[:take]))
        labels.append(y_mix[:take].to(torch.float32).numpy())
        done += take
    return SoftSet(np.concatenate(images), np.concatenate(labels),
                   {"kind": "mmixup", "a_dominant": a_dominant, "a_other": a_other, "seed": seed})


def gemix_set(generator: str | Path, num_classes: int | None, n: int, *, a_dominant: float = 2.0,
              a_other: float = 1.0, seed: int = 0, batch_size: int = 256, device: str = "cpu",
              progress: bool = True, z_dim: int | None = None, noise_mode: str | None = None) -> SoftSet:
    """`n` GeMix images (Algorithm 1) from a generator spec (checkpoint path or "module:callable").

    num_classes: K, or None for the generator's c_dim. z_dim: the latent size of a bare callable
    without a z_dim attribute (`load_generator`). noise_mode: passed to G ("const": its fixed per-pixel
    noise, as the authors sample; "random"; "none"), None: G's own default. meta records the generator
    (an existing path made absolute) and its sha256 (of state.pt), the seed, the Dirichlet parameters,
    z_dim, noise_mode and batch_size (random noise inside G is drawn per batch, so the batch size is
    part of what reproduces the set).
    """
    from workloads.gan.sample import generator_fingerprint, load_generator, sample_gemix

    G = load_generator(generator, device=device, z_dim=z_dim, num_classes=num_classes)
    k = num_classes if num_classes is not None else getattr(G, "c_dim", None)
    if k is None:
        raise ValueError(f"generator {str(generator)!r} has no c_dim attribute; give num_classes")
    images, labels = sample_gemix(G, int(k), n, a_dominant=a_dominant, a_other=a_other, seed=seed,
                                  batch_size=batch_size, device=device, progress=progress, noise_mode=noise_mode)
    spec = str(Path(generator).resolve()) if Path(generator).exists() else str(generator)
    meta = {"kind": "gemix", "generator": spec, "generator_sha256": generator_fingerprint(generator),
            "a_dominant": a_dominant, "a_other": a_other, "seed": seed, "batch_size": batch_size,
            "z_dim": int(G.z_dim), "noise_mode": noise_mode}
    return SoftSet(images, labels, meta)


def as_training_source(sources: Sequence[str | Path | Split | SoftSet], num_classes: int,
                       mmap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate training sources into (uint8 images (N, H, W, C), float32 soft labels (N, K)).

    A source is a real `Split` (its labels become one-hot), a `SoftSet`, or a set directory. Table I's
    "Real+MMixup+GeMix" is `as_training_source([real_train, mmixup_dir, gemix_dir], K)`.
    All sources must share the image shape and K.
    """
    if not sources:
        raise ValueError("sources must name at least one training source")
    images, labels, shape = [], [], None
    for src in sources:
        if isinstance(src, Split):
            imgs, labs = src.images, one_hot(src.labels, num_classes)
        else:
            s = src if isinstance(src, SoftSet) else load_set(src, mmap=mmap)
            imgs, labs = s.images, s.soft_labels
        name = type(src).__name__ if isinstance(src, (Split, SoftSet)) else str(src)
        if imgs.dtype != np.uint8 or imgs.ndim != 4:
            raise ValueError(f"source {name}: images must be uint8 (N, H, W, C)")
        if labs.shape[1] != num_classes:
            raise ValueError(f"source {name}: has {labs.shape[1]} classes, expected num_classes={num_classes}")
        if shape is not None and imgs.shape[1:] != shape:
            raise ValueError(f"source {name}: image shape {imgs.shape[1:]} differs from the first source's {shape}")
        shape = imgs.shape[1:]
        images.append(imgs)
        labels.append(labs.astype(np.float32))
    return np.concatenate(images), np.concatenate(labels)
