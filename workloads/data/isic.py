"""ISIC 2016, 2017 and 2018 (classification tasks) from the challenge downloads and their CSVs.

Layouts, each under ROOT or ROOT/<name> (folder and file names as the challenge distributes them):

isic2016 (Part 3; ground truth without header, `ISIC_0000000,benign|malignant` or `...,0.0|1.0`):
    ISBI2016_ISIC_Part3_Training_Data/ISIC_*.jpg
    ISBI2016_ISIC_Part3_Training_GroundTruth.csv
    ISBI2016_ISIC_Part3_Test_Data/ISIC_*.jpg
    ISBI2016_ISIC_Part3_Test_GroundTruth.csv
isic2017 (Part 3; header `image_id,melanoma,seborrheic_keratosis`, neither = nevus):
    ISIC-2017_{Training,Validation,Test_v2}_Data/ISIC_*.jpg   (the *_superpixels.png are skipped)
    ISIC-2017_{Training,Validation,Test_v2}_Part3_GroundTruth.csv
isic2018 (Task 3; header `image,MEL,NV,BCC,AKIEC,BKL,DF,VASC`, one-hot rows):
    ISIC2018_Task3_{Training,Validation}_Input/ISIC_*.jpg
    ISIC2018_Task3_{Training,Validation}_GroundTruth/ISIC2018_Task3_{...}_GroundTruth.csv
    (the Test folders may be present; they are not read)

Classes: 2016 benign/malignant; 2017 nevus/melanoma/seborrheic keratosis; 2018 the 5-class
grouping (BKL as seborrheic keratosis; AKIEC, DF, VASC as others).

Splits (validation is never the test split):
- isic2016: train and test official (900 / 379); val carved from the official train (stratified
  10 %, seed 0; saved beside the cache), train the rest.
- isic2017: official train / validation / test (2,000 / 150 / 600).
- isic2018: test is the official *validation* set (193 images): the zeta paper's Table 6 is scored on
  it (every ISIC 2018 F1-micro there is a multiple of 1/193). val is carved from the official
  training set (stratified 10 %, seed 0; saved beside the cache), train the rest of it. The official
  test set (1,512 images) is not read, so its folders may be absent.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import column, locate, read_csv_rows
from workloads.data.skin import skin_preprocess, SKIN5, concat_splits, image_path, skin_index
from workloads.data.types import DatasetError

ISIC2016_CLASSES = ("benign", "malignant")
ISIC2017_CLASSES = ("nevus", "melanoma", "seborrheic keratosis")
ISIC2018_GROUP = {"BCC": 0, "NV": 1, "MEL": 2, "BKL": 3, "AKIEC": 4, "DF": 4, "VASC": 4}


def flag(path: Path, value: str) -> bool:
    """A 0/1 ground-truth cell ("0", "1.0", ...) as a bool."""
    try:
        number = float(value)
    except ValueError:
        raise DatasetError(f"{path}: {value!r} is not a 0/1 label") from None
    if number not in (0.0, 1.0):
        raise DatasetError(f"{path}: label {value!r} is not 0 or 1")
    return number == 1.0


def index_isic2016(root: Optional[Path]) -> FileIndex:
    """ISIC 2016 Part 3: 900 train and 379 test dermoscopic images, benign vs malignant."""
    base = locate(root, "isic2016", ["ISBI2016_ISIC_Part3_Training_Data"]).parent
    paths, labels, sizes = [], [], {}
    for split, part in (("train", "Training"), ("test", "Test")):
        csv_path = base / f"ISBI2016_ISIC_Part3_{part}_GroundTruth.csv"
        _, rows = read_csv_rows(csv_path, header=False)
        for row in rows:
            if len(row) < 2:
                raise DatasetError(f"{csv_path}: row {row} needs image id and label")
            value = row[1].strip().lower()
            label = ISIC2016_CLASSES.index(value) if value in ISIC2016_CLASSES else int(flag(csv_path, value))
            paths.append(image_path(base / f"ISBI2016_ISIC_Part3_{part}_Data", row[0].strip(), (".jpg",)))
            labels.append(label)
        sizes[split] = len(rows)
    # No official validation split: val is carved from train (FileIndex.split_indices).
    return skin_index("isic2016", base, base, paths, labels, ISIC2016_CLASSES, concat_splits(sizes))


def index_isic2017(root: Optional[Path]) -> FileIndex:
    """ISIC 2017 Part 3: 2,000 train, 150 val, 600 test images in 3 classes."""
    base = locate(root, "isic2017", ["ISIC-2017_Training_Data"]).parent
    paths, labels, sizes = [], [], {}
    for split, part in (("train", "Training"), ("val", "Validation"), ("test", "Test_v2")):
        csv_path = base / f"ISIC-2017_{part}_Part3_GroundTruth.csv"
        head, rows = read_csv_rows(csv_path)
        i_id, i_mel, i_sk = (column(csv_path, head, c) for c in ("image_id", "melanoma", "seborrheic_keratosis"))
        for row in rows:
            melanoma, keratosis = flag(csv_path, row[i_mel]), flag(csv_path, row[i_sk])
            if melanoma and keratosis:
                raise DatasetError(f"{csv_path}: {row[i_id]} is labelled both melanoma and seborrheic keratosis")
            labels.append(1 if melanoma else 2 if keratosis else 0)
            paths.append(image_path(base / f"ISIC-2017_{part}_Data", row[i_id].strip(), (".jpg",)))
        sizes[split] = len(rows)
    return skin_index("isic2017", base, base, paths, labels, ISIC2017_CLASSES, concat_splits(sizes))


def index_isic2018(root: Optional[Path]) -> FileIndex:
    """ISIC 2018 Task 3, grouped into the 5 classes: the official 10,015 training images (train, and val
    carved from them) and the official 193 validation images as the test split (the paper's)."""
    base = locate(root, "isic2018", ["ISIC2018_Task3_Training_Input"]).parent
    paths, labels, sizes = [], [], {}
    for split, part in (("train", "Training"), ("test", "Validation")):
        csv_path = base / f"ISIC2018_Task3_{part}_GroundTruth" / f"ISIC2018_Task3_{part}_GroundTruth.csv"
        head, rows = read_csv_rows(csv_path)
        i_id = column(csv_path, head, "image")
        cols = [column(csv_path, head, c) for c in ISIC2018_GROUP]
        for row in rows:
            hot = np.array([flag(csv_path, row[c]) for c in cols])
            if hot.sum() != 1:
                raise DatasetError(f"{csv_path}: {row[i_id]} is not one-hot ({hot.sum()} classes set)")
            labels.append(list(ISIC2018_GROUP.values())[int(hot.argmax())])
            paths.append(image_path(base / f"ISIC2018_Task3_{part}_Input", row[i_id].strip(), (".jpg",)))
        sizes[split] = len(rows)
    return skin_index("isic2018", base, base, paths, labels, SKIN5, concat_splits(sizes))


register_file_dataset("isic2016", index_isic2016, skin_preprocess())
register_file_dataset("isic2017", index_isic2017, skin_preprocess())
register_file_dataset("isic2018", index_isic2018, skin_preprocess())
