"""derm7pt (the 7-point criteria evaluation database): clinical and dermoscopic images of 1,011 cases.

Layout (release_v0.zip as distributed), under ROOT, ROOT/derm7pt or ROOT/derm7pt-clinical (-dermoscopic):

    release_v0/meta/meta.csv                 one row per case: case_num, diagnosis, ..., clinic, derm
    release_v0/images/<clinic or derm path>  e.g. images/NEL/Nel026.jpg
    (release_v0/meta/{train,valid,test}_indexes.csv, the official split, are not read)

`derm7pt-clinical` reads the `clinic` column's images, `derm7pt-dermoscopic` the `derm` column's.
Classes: the derm7pt paper's 5-class grouping of its 20 diagnoses (`diagnoses.DERM7PT`; a name
outside them is an error). Splits: stratified 70:10:20 of all 1,011 cases with exact totals (seed 0;
708 / 101 / 202), as the zeta paper splits its 7 non-ISIC skin sets: every derm7pt F1-micro of its
Table 6 is a multiple of 1/202, none of 1/395 (the official test index). Both sets share the split,
case for case, because they share meta.csv's labels. The split is saved beside the cache.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.diagnoses import DERM7PT, derm7pt_group
from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import column, locate, read_csv_rows, require
from workloads.data.skin import SKIN5, skin_index, skin_preprocess
from workloads.data.types import DatasetError


def index_derm7pt(name: str, root: Optional[Path], image_column: str) -> FileIndex:
    # Both sets come from one download, so ROOT/derm7pt/ is accepted as well as ROOT/<name>/.
    meta = locate(root, name, ["release_v0/meta/meta.csv", "derm7pt/release_v0/meta/meta.csv"])
    release = meta.parent.parent
    head, rows = read_csv_rows(meta)
    i_diag, i_img = column(meta, head, "diagnosis"), column(meta, head, image_column)
    paths, labels = [], []
    for number, row in enumerate(rows, start=1):
        group = derm7pt_group(row[i_diag])
        if group is None:
            raise DatasetError(f"{meta}: case row {number}: diagnosis {row[i_diag]!r} is not one of derm7pt's "
                               f"{len(DERM7PT)} ({', '.join(sorted(DERM7PT))})")
        paths.append(require(release / "images" / row[i_img].strip(), "image file"))
        labels.append(SKIN5.index(group))
    return skin_index(name, release.parent, meta, paths, labels, SKIN5)  # splits None: stratified 70/10/20


def index_clinical(root: Optional[Path]) -> FileIndex:
    """derm7pt clinical (close-up camera) images, 5 classes."""
    return index_derm7pt("derm7pt-clinical", root, "clinic")


def index_dermoscopic(root: Optional[Path]) -> FileIndex:
    """derm7pt dermoscopic images, 5 classes."""
    return index_derm7pt("derm7pt-dermoscopic", root, "derm")


register_file_dataset("derm7pt-clinical", index_clinical, skin_preprocess())
register_file_dataset("derm7pt-dermoscopic", index_dermoscopic, skin_preprocess())
