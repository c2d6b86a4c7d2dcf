"""Array datasets whose validation split is carved from the official train: CIFAR, MNIST, STL-10.

They ship train and test only; validation is never the test split (an experiment that selects on
val would otherwise select on test). Each reader registers its official train/test reader in
`OFFICIAL_TRAIN_TEST`; the DATASETS loader returned here carves val from train (stratified 10 %,
seed 0: `split.carve_val`), deterministically and without a cache. `cache.prepare` carves through
the membership file beside the cache instead, so the val positions are recorded once and reused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import numpy as np

from workloads.data.registry import DATASETS, Loader
from workloads.data.split import carve_val, complement
from workloads.data.types import DatasetArrays, Split
from workloads.registry import Registry

# name -> reader(root) -> DatasetArrays with the official `train` and `test` splits only.
OFFICIAL_TRAIN_TEST: Registry[Loader] = Registry("dataset with a validation split carved from train")


def with_val(official: DatasetArrays, val: Optional[np.ndarray] = None) -> DatasetArrays:
    """`official` (train and test) with val = the official train at positions `val` (default: the
    seeded carve), train = the rest. Images stay uint8 `(N, H, W, C)`; labels int64 `(N,)`."""
    train = official.splits["train"]
    if val is None:
        rest, val = carve_val(train.labels)
    else:
        rest = complement(len(train), val)
    splits = {
        "train": Split(train.images[rest], train.labels[rest]),
        "val": Split(train.images[val], train.labels[val]),
        "test": official.splits["test"],
    }
    return DatasetArrays(official.name, official.class_names, splits, official.notes)


def register_carved(name: str, doc: str) -> Callable[[Loader], Loader]:
    """Decorator for an official train/test reader: registers it, and a DATASETS loader with val carved."""

    def add(read_official: Loader) -> Loader:
        OFFICIAL_TRAIN_TEST.add(name, read_official)

        def loader(root: Optional[Path] = None) -> DatasetArrays:
            return with_val(read_official(root))

        loader.__name__, loader.__module__ = f"load_{name.replace('-', '_')}", read_official.__module__
        loader.__doc__ = f"{doc} val: stratified 10 % of the official train (seed 0); test: the official test."
        DATASETS.add(name, loader)
        return read_official

    return add
