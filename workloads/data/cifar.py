"""CIFAR-10 and CIFAR-100 from the python pickle batches, read directly (no MD5 of whole files).

Layout (as extracted from cifar-10-python.tar.gz / cifar-100-python.tar.gz), under ROOT or ROOT/<name>:

    cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
    cifar-100-python/{train, test, meta}

Each batch is a pickled dict: b"data" uint8 (N, 3072) in CHW row order, and b"labels" (CIFAR-10)
or b"fine_labels" (CIFAR-100). Splits: the official train/test; val is the test set (the paper
evaluates on the official test partition).
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.layout import check_labels, locate, require
from workloads.data.registry import DATASETS
from workloads.data.types import DatasetArrays, DatasetError, Split

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_batch(path: Path, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """uint8 `(N, 32, 32, 3)` images and int64 `(N,)` labels of one pickle batch."""
    require(path, "CIFAR batch file")
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
        raise DatasetError(f"{path}: truncated or corrupt pickle ({type(err).__name__})") from None
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise DatasetError(f"{path}: not a CIFAR batch (needs keys b'data' and {label_key!r})")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != len(labels):
        raise DatasetError(f"{path}: data has shape {data.shape}, expected (N, 3072) with N = {len(labels)} labels")
    images = data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_names(path: Path, key: bytes) -> tuple[str, ...]:
    """Class names from a CIFAR meta pickle."""
    require(path, "CIFAR meta file")
    try:
        with open(path, "rb") as handle:
            meta = pickle.load(handle, encoding="bytes")
        return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta[key])
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise DatasetError(f"{path}: truncated or corrupt meta pickle ({type(err).__name__})") from None


def assemble(name: str, classes: tuple[str, ...], train: list[Path], test: Path, key: bytes) -> DatasetArrays:
    parts = [read_batch(p, key) for p in train]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = read_batch(test, key)
    check_labels(train[0].parent, y_train, classes)
    check_labels(test, y_test, classes, require_all=False)
    test_split = Split(x_test, y_test)
    return DatasetArrays(name, classes, {"train": Split(x_train, y_train), "val": test_split, "test": test_split})


@DATASETS.register("cifar10")
def load_cifar10(root: Optional[Path] = None) -> DatasetArrays:
    """CIFAR-10: 50,000 train and 10,000 test uint8 `(32, 32, 3)` images in 10 classes."""
    base = locate(root, "cifar10", ["cifar-10-batches-py"])
    train = [base / f"data_batch_{i}" for i in range(1, 6)]
    return assemble("cifar10", CIFAR10_CLASSES, train, base / "test_batch", b"labels")


@DATASETS.register("cifar100")
def load_cifar100(root: Optional[Path] = None) -> DatasetArrays:
    """CIFAR-100: 50,000 train and 10,000 test uint8 `(32, 32, 3)` images in 100 fine classes."""
    base = locate(root, "cifar100", ["cifar-100-python"])
    classes = read_names(base / "meta", b"fine_label_names")
    if len(classes) != 100:
        raise DatasetError(f"{base / 'meta'}: {len(classes)} fine label names, expected 100")
    return assemble("cifar100", classes, [base / "train"], base / "test", b"fine_labels")
