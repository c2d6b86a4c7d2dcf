"""The classifier's train split from `train_sources`: the real split plus offline sets (GeMix Table I).

`train_sources` is "+"-joined names among `workloads.artifacts.TRAIN_SOURCES` ("real+mmixup+gemix").
Every name but "real" is a set directory `{artifacts_dir}/sets/<name>` written by
`workloads.gan.sets.save_set` (uint8 images (N, H, W, C), float32 soft labels (N, K)); the GeMix
stages write them before the classifier runs. Val and test always stay real.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    from workloads.gan.sets import SoftSet

from workloads.artifacts import set_dir
from workloads.config import ClassifyConfig
from workloads.data import DatasetArrays
from workloads.data.resize import resize_images

def _read_set(cfg: ClassifyConfig, name: str, data: DatasetArrays) -> "SoftSet":
    # Imported here: plain training (train_sources = "real") never loads the GAN package.
    from workloads.gan.sets import SoftSet, load_set

    path = set_dir(cfg.artifacts_dir, name)
    if not path.is_dir():
        raise ValueError(f"train_sources {cfg.train_sources!r}: set {name!r} not found; expected a set "
                         f"directory (workloads.gan.sets.save_set) at {path}")
    soft = load_set(path, mmap=True)
    images, labels = soft.images, soft.soft_labels
    if cfg.set_images is not None:
        if len(images) < cfg.set_images:
            raise ValueError(f"set {name!r} at {path} holds {len(images)} images, fewer than set_images="
                             f"{cfg.set_images}; make larger sets (the GeMix sets stage's sets_images) or lower it")
        images, labels = images[: cfg.set_images], labels[: cfg.set_images]
    if cfg.subset is not None:  # smoke runs cap every source, as `subset` caps every split
        images, labels = images[: cfg.subset], labels[: cfg.subset]
    if images.shape[3] != data.channels:
        raise ValueError(f"set {name!r} at {path} has {images.shape[3]}-channel images but dataset "
                         f"{data.name!r} has {data.channels}")
    if labels.shape[1] != data.num_classes:
        raise ValueError(f"set {name!r} at {path} has {labels.shape[1]} classes but dataset "
                         f"{data.name!r} has {data.num_classes}")
    return SoftSet(resize_images(images, data.image_size), np.asarray(labels, np.float32), soft.meta)


def load_train_sources(cfg: ClassifyConfig, data: DatasetArrays) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The train split of a validated config: None for "real" alone (train on `data` as it is), else
    the concatenation, in `train_sources` order, as (uint8 images (N, H, W, C), float32 soft labels
    (N, K)); real rows get one-hot labels and sets are resized to the real images' size.

    Raises ValueError (one line) for a missing set directory (naming the path expected), a set whose
    channels or classes differ from the dataset's, or a dataset of feature vectors.
    """
    names = cfg.train_source_names
    if names == ("real",):
        return None
    if not data.is_image:
        raise ValueError(f"train_sources {cfg.train_sources!r} needs an image dataset; "
                         f"{data.name!r} holds feature vectors")
    from workloads.gan.sets import as_training_source

    sources = [data.splits["train"] if name == "real" else _read_set(cfg, name, data) for name in names]
    return as_training_source(sources, data.num_classes)
