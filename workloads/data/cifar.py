"""CIFAR-10 and CIFAR-100 from the python pickle batches, read directly (no MD5 of whole files).

Layout (as extracted from cifar-10-python.tar.gz / cifar-100-python.tar.gz), under ROOT or ROOT/<name>:

    cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
    cifar-100-python/{train, test, meta}

Each batch is a pickled dict: "data" uint8 (N, 3072) in CHW row order, and "labels" (CIFAR-10) or
"fine_labels" (CIFAR-100). The official files (Python 2 pickles) have bytes keys; batches re-pickled
under Python 3 have str keys; both are read, through a restricted unpickler (`safe_pickle`) that
refuses any pickle naming a global other than numpy's array reconstruction. Splits: the official
50,000 train and 10,000 test; val is carved from train (stratified 10 % = 5,000, seed 0; `carved.py`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.carved import register_carved
from workloads.data.layout import check_labels, locate, require
from workloads.data.safe_pickle import load_data_pickle
from workloads.data.types import DatasetArrays, DatasetError, Split

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def text_keys(obj: object, path: Path, what: str) -> dict:
    """A pickled dict with its bytes keys decoded (Python 2 batches) and str keys kept (Python 3)."""
    if not isinstance(obj, dict):
        raise DatasetError(f"{path}: not a CIFAR {what} (a pickled {type(obj).__name__}, expected a dict)")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 `(N, 32, 32, 3)` images and int64 `(N,)` labels of one pickle batch."""
    batch = text_keys(load_data_pickle(require(path, "CIFAR batch file"), "pickle"), path, "batch")
    if "data" not in batch or label_key not in batch:
        raise DatasetError(f"{path}: not a CIFAR batch (needs keys 'data' and {label_key!r}, as str or bytes)")
    try:
        data = np.asarray(batch["data"])
        labels = np.asarray(batch[label_key], dtype=np.int64)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: 'data' or {label_key!r} is not numeric") from None
    if data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != len(labels):
        raise DatasetError(f"{path}: data has shape {data.shape}, expected (N, 3072) with N = {len(labels)} labels")
    images = data.astype(np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_names(path: Path, key: str) -> tuple[str, ...]:
    """Class names from a CIFAR meta pickle (names as str or bytes)."""
    meta = text_keys(load_data_pickle(require(path, "CIFAR meta file"), "meta pickle"), path, "meta file")
    if key not in meta:
        raise DatasetError(f"{path}: no {key!r} in the meta pickle")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta[key])


def assemble(name: str, classes: tuple[str, ...], train: list[Path], test: Path, key: str) -> DatasetArrays:
    """The official train (all `train` batches) and test splits; val is added by `carved.with_val`."""
    parts = [read_batch(p, key) for p in train]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = read_batch(test, key)
    check_labels(train[0].parent, y_train, classes)
    check_labels(test, y_test, classes, require_all=False)
    return DatasetArrays(name, classes, {"train": Split(x_train, y_train), "test": Split(x_test, y_test)})


@register_carved("cifar10", "CIFAR-10: 50,000 train and 10,000 test uint8 (32, 32, 3) images in 10 classes.")
def read_cifar10(root: Optional[Path] = None) -> DatasetArrays:
    """CIFAR-10's official train and test splits: uint8 `(N, 32, 32, 3)` images, 10 classes."""
    base = locate(root, "cifar10", ["cifar-10-batches-py"])
    train = [base / f"data_batch_{i}" for i in range(1, 6)]
    return assemble("cifar10", CIFAR10_CLASSES, train, base / "test_batch", "labels")


@register_carved("cifar100", "CIFAR-100: 50,000 train and 10,000 test uint8 (32, 32, 3) images in 100 fine classes.")
def read_cifar100(root: Optional[Path] = None) -> DatasetArrays:
    """CIFAR-100's official train and test splits: uint8 `(N, 32, 32, 3)` images, 100 fine classes."""
    base = locate(root, "cifar100", ["cifar-100-python"])
    classes = read_names(base / "meta", "fine_label_names")
    if len(classes) != 100:
        raise DatasetError(f"{base / 'meta'}: {len(classes)} fine label names, expected 100")
    return assemble("cifar100", classes, [base / "train"], base / "test", "fine_labels")
