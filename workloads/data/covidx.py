"""COVIDx CT-3 (the "A" variant used by GeMix) from its image folder and split files.

Layout (as distributed on Kaggle), under ROOT or ROOT/covidx-ct3:

    3A_images/*.png
    train_COVIDx_CT-3A.txt   val_COVIDx_CT-3A.txt   test_COVIDx_CT-3A.txt

Each split file line: `filename class xmin ymin xmax ymax` (space-separated; class 0 normal,
1 pneumonia (CAP), 2 COVID-19; the box in pixels). Each slice is cropped to its box, converted to
grey and resized to 128 x 128 (GeMix, "Implementation details"). Splits: the official ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.images import FileIndex, Preprocess, register_file_dataset
from workloads.data.layout import locate, require
from workloads.data.skin import concat_splits
from workloads.data.types import DatasetError

COVIDX_CLASSES = ("normal", "pneumonia", "COVID-19")
SIZE = 128
SPLIT_FILES = {"train": "train_COVIDx_CT-3A.txt", "val": "val_COVIDx_CT-3A.txt", "test": "test_COVIDx_CT-3A.txt"}


def read_split_file(path: Path, images: Path) -> tuple[list[Path], list[int], list[list[int]]]:
    paths, labels, boxes = [], [], []
    try:
        lines = require(path, "split file").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: unreadable ({type(err).__name__})") from None
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise DatasetError(f"{path}: line {number} has {len(fields)} fields, expected `filename class xmin ymin xmax ymax`")
        try:
            label, box = int(fields[1]), [int(float(v)) for v in fields[2:]]
        except ValueError:
            raise DatasetError(f"{path}: line {number}: class and box must be integers") from None
        if not 0 <= label < len(COVIDX_CLASSES):
            raise DatasetError(f"{path}: line {number}: label {label} outside the class range 0..{len(COVIDX_CLASSES) - 1}")
        paths.append(require(images / fields[0], "image file"))
        labels.append(label)
        boxes.append(box)
    return paths, labels, boxes


def index_covidx(root: Optional[Path]) -> FileIndex:
    """COVIDx CT-3A: 3 classes, grey 128 x 128 crops, official train/val/test."""
    images = locate(root, "covidx-ct3", ["3A_images"])
    base = images.parent
    paths, labels, boxes, sizes = [], [], [], {}
    for split, fname in SPLIT_FILES.items():
        p, lab, box = read_split_file(base / fname, images)
        paths += p
        labels += lab
        boxes += box
        sizes[split] = len(p)
    return FileIndex(
        name="covidx-ct3",
        class_names=COVIDX_CLASSES,
        base=base,
        paths=tuple(paths),
        labels=np.asarray(labels, dtype=np.int64),
        preprocess=Preprocess(size=SIZE, crop="box", grey=True),
        splits=concat_splits(sizes),
        boxes=np.asarray(boxes, dtype=np.int64).reshape(-1, 4),
        source=base / SPLIT_FILES["train"],
    )


register_file_dataset("covidx-ct3", index_covidx, Preprocess(size=SIZE, crop="box", grey=True))
