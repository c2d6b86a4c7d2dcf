"""The classifier's train split from `train_sources`: the real split plus offline sets (GeMix Table I).

`train_sources` is "+"-joined names among `workloads.config.TRAIN_SOURCES` ("real+mmixup+gemix").
Every name but "real" is a set directory `{artifacts_dir}/sets/<name>` written by
`workloads.gan.sets.save_set` (uint8 images (N, H, W, C), float32 soft labels (N, K)); the GeMix
stages write them before the classifier runs. Val and test always stay real.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from workloads.gan.sets import SoftSet

from workloads.config import train_source_names
from workloads.data import DatasetArrays

SETS_DIR = "sets"
# Rows per resize chunk, to bound the float32 working memory.
RESIZE_CHUNK = 512


def set_dir(artifacts_dir: str | Path, name: str) -> Path:
    """Where the set `name` of `train_sources` is read from: `{artifacts_dir}/sets/<name>`."""
    return Path(artifacts_dir) / SETS_DIR / name


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 `(N, H, W, C)` -> uint8 `(N, *size, C)`, bilinear (antialiased when shrinking), rounded."""
    if tuple(images.shape[1:3]) == tuple(size):
        return np.asarray(images)
    out = np.empty((len(images), *size, images.shape[3]), np.uint8)
    for start in range(0, len(images), RESIZE_CHUNK):
        # A writable copy of the chunk: `images` may be a read-only memory map.
        chunk = torch.from_numpy(np.array(images[start : start + RESIZE_CHUNK]))
        x = chunk.permute(0, 3, 1, 2).to(torch.float32)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        out[start : start + RESIZE_CHUNK] = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out


def _read_set(cfg: dict[str, Any], name: str, data: DatasetArrays) -> "SoftSet":
    # Imported here: plain training (train_sources = "real") never loads the GAN package.
    from workloads.gan.sets import SoftSet, load_set

    path = set_dir(cfg["artifacts_dir"], name)
    if not path.is_dir():
        raise ValueError(f"train_sources {cfg['train_sources']!r}: set {name!r} not found; expected a set "
                         f"directory (workloads.gan.sets.save_set) at {path}")
    soft = load_set(path, mmap=True)
    images, labels = soft.images, soft.soft_labels
    if cfg["subset"] is not None:  # smoke runs cap every source, as `subset` caps every split
        images, labels = images[: cfg["subset"]], labels[: cfg["subset"]]
    if images.shape[3] != data.channels:
        raise ValueError(f"set {name!r} at {path} has {images.shape[3]}-channel images but dataset "
                         f"{data.name!r} has {data.channels}")
    if labels.shape[1] != data.num_classes:
        raise ValueError(f"set {name!r} at {path} has {labels.shape[1]} classes but dataset "
                         f"{data.name!r} has {data.num_classes}")
    return SoftSet(resize_images(images, data.image_size), np.asarray(labels, np.float32), soft.meta)


def load_train_sources(cfg: dict[str, Any], data: DatasetArrays) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The train split of a validated config: None for "real" alone (train on `data` as it is), else
    the concatenation, in `train_sources` order, as (uint8 images (N, H, W, C), float32 soft labels
    (N, K)); real rows get one-hot labels and sets are resized to the real images' size.

    Raises ValueError (one line) for a missing set directory (naming the path expected), a set whose
    channels or classes differ from the dataset's, or a dataset of feature vectors.
    """
    names = train_source_names(cfg)
    if names == ["real"]:
        return None
    if not data.is_image:
        raise ValueError(f"train_sources {cfg['train_sources']!r} needs an image dataset; "
                         f"{data.name!r} holds feature vectors")
    from workloads.gan.sets import as_training_source

    sources = [data.splits["train"] if name == "real" else _read_set(cfg, name, data) for name in names]
    return as_training_source(sources, data.num_classes)
