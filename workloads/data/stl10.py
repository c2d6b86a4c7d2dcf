"""STL-10 from the binary release (stl10_binary.tar.gz).

Layout, under ROOT or ROOT/stl10:

    stl10_binary/{train_X.bin, train_y.bin, test_X.bin, test_y.bin, class_names.txt}

X: uint8, each image 3 x 96 x 96 stored column-major (channel, then column, then row), so a file
reshapes to (N, 3, 96, 96) indexed (n, c, x, y). y: uint8 labels 1..10. Splits: the official 5,000
train and 8,000 test images; val is carved from train (stratified 10 % = 500, seed 0; `carved.py`).
The unlabeled images are not read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.carved import register_carved
from workloads.data.layout import check_labels, locate, require
from workloads.data.types import DatasetArrays, DatasetError, Split

STL10_CLASSES = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
SIDE = 96


def read_split(base: Path, split: str) -> Split:
    x_path, y_path = require(base / f"{split}_X.bin"), require(base / f"{split}_y.bin")
    raw = np.fromfile(x_path, dtype=np.uint8)
    per_image = 3 * SIDE * SIDE
    if raw.size == 0 or raw.size % per_image:
        raise DatasetError(f"{x_path}: {raw.size} bytes is not a whole number of 3x96x96 images")
    labels = np.fromfile(y_path, dtype=np.uint8).astype(np.int64) - 1  # files count from 1
    if len(labels) != raw.size // per_image:
        raise DatasetError(f"{y_path}: {len(labels)} labels for {raw.size // per_image} images in {x_path.name}")
    check_labels(y_path, labels, STL10_CLASSES, require_all=split == "train")
    # Column-major: (n, c, x, y) -> (n, y, x, c).
    images = raw.reshape(-1, 3, SIDE, SIDE).transpose(0, 3, 2, 1)
    return Split(np.ascontiguousarray(images), labels)


@register_carved("stl10", "STL-10: 5,000 train and 8,000 test uint8 (96, 96, 3) images in 10 classes.")
def read_stl10(root: Optional[Path] = None) -> DatasetArrays:
    """STL-10's official train and test splits: uint8 `(N, 96, 96, 3)`, labels 0..9 (the files' 1..10 minus one)."""
    base = locate(root, "stl10", ["stl10_binary"])
    return DatasetArrays("stl10", STL10_CLASSES, {"train": read_split(base, "train"), "test": read_split(base, "test")})
