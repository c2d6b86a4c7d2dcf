"""derm7pt (the 7-point criteria evaluation database): clinical and dermoscopic images of 1,011 cases.

Layout (release_v0.zip as distributed), under ROOT, ROOT/derm7pt or ROOT/derm7pt-clinical (-dermoscopic):

    release_v0/meta/meta.csv                 one row per case: case_num, diagnosis, ..., clinic, derm
    release_v0/meta/{train,valid,test}_indexes.csv   column `indexes`: row numbers into meta.csv
    release_v0/images/<clinic or derm path>  e.g. images/NEL/Nel026.jpg

`derm7pt-clinical` reads the `clinic` column's images, `derm7pt-dermoscopic` the `derm` column's.
Classes: the derm7pt paper's 5-class grouping of the diagnoses (all nevi, all melanomas, basal cell
carcinoma, seborrheic keratosis, and the infrequent rest as "others"). Splits: the official index files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import column, locate, read_csv_rows, require
from workloads.data.skin import skin_preprocess, SKIN5, group_diagnosis, skin_index
from workloads.data.types import DatasetError

INDEX_FILES = {"train": "train_indexes.csv", "val": "valid_indexes.csv", "test": "test_indexes.csv"}


def read_indexes(path: Path, n_cases: int) -> np.ndarray:
    head, rows = read_csv_rows(path)
    i_col = column(path, head, "indexes")
    try:
        idx = np.array([int(row[i_col]) for row in rows], dtype=np.int64)
    except (ValueError, IndexError):
        raise DatasetError(f"{path}: `indexes` must be integer row numbers") from None
    bad = idx[(idx < 0) | (idx >= n_cases)]
    if len(bad):
        raise DatasetError(f"{path}: index {int(bad[0])} outside meta.csv's 0..{n_cases - 1}")
    return idx


def index_derm7pt(name: str, root: Optional[Path], image_column: str) -> FileIndex:
    # Both sets come from one download, so ROOT/derm7pt/ is accepted as well as ROOT/<name>/.
    meta = locate(root, name, ["release_v0/meta/meta.csv", "derm7pt/release_v0/meta/meta.csv"])
    release = meta.parent.parent
    head, rows = read_csv_rows(meta)
    i_diag, i_img = column(meta, head, "diagnosis"), column(meta, head, image_column)
    paths = [require(release / "images" / row[i_img].strip(), "image file") for row in rows]
    labels = [SKIN5.index(group_diagnosis(row[i_diag])) for row in rows]
    splits = {split: read_indexes(meta.parent / fname, len(rows)) for split, fname in INDEX_FILES.items()}
    return skin_index(name, release.parent, meta, paths, labels, SKIN5, splits)


def index_clinical(root: Optional[Path]) -> FileIndex:
    """derm7pt clinical (close-up camera) images, 5 classes."""
    return index_derm7pt("derm7pt-clinical", root, "clinic")


def index_dermoscopic(root: Optional[Path]) -> FileIndex:
    """derm7pt dermoscopic images, 5 classes."""
    return index_derm7pt("derm7pt-dermoscopic", root, "derm")


register_file_dataset("derm7pt-clinical", index_clinical, skin_preprocess())
register_file_dataset("derm7pt-dermoscopic", index_dermoscopic, skin_preprocess())
