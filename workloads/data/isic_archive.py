"""MSK and UDA: ISIC Archive collection exports (images plus the archive's metadata.csv per collection).

Layout, under ROOT or ROOT/<name>:

    MSK-1/ ... MSK-5/   each: ISIC_*.jpg and metadata.csv (isic_id, then diagnosis columns)
    UDA-1/, UDA-2/      the same

Labels come from the metadata's diagnosis columns by explicit names (`diagnoses.py`): the flat
`diagnosis` column where an export has it (before 2023; the paper's era), else the hierarchical
`diagnosis_1` .. `diagnosis_3` of current exports. Rows without a usable diagnosis are dropped and
counted per rule (`FileIndex.notes`, printed by `mixbench data check`); a dropped row needs no image.
Classes: the 5-class grouping, those present. Splits: stratified 70/10/20 of all images with exact
totals (seed 0), saved beside the cache. Skin crop (center 0.8 * min side, 256 x 256).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.diagnoses import Dropped, isic_flat_group, isic_hierarchy_group
from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import column, locate, read_csv_rows, require
from workloads.data.skin import image_path, present_classes, skin_index, skin_preprocess
from workloads.data.types import DatasetError

HIERARCHY = ("diagnosis_1", "diagnosis_2", "diagnosis_3")


def diagnosis_columns(path: Path, head: list[str]) -> tuple[int, ...]:
    """Index of `diagnosis` (one), else of diagnosis_1..3 (three; -1 for a level an export lacks, as
    long as it has diagnosis_3); DatasetError naming the file and the columns it has."""
    if "diagnosis" in head:
        return (head.index("diagnosis"),)
    if "diagnosis_3" in head:
        return tuple(head.index(c) if c in head else -1 for c in HIERARCHY)
    return (column(path, head, "diagnosis"),)  # raises: names the file and its columns


def index_isic_archive(name: str, root: Optional[Path], collections: tuple[str, ...]) -> FileIndex:
    base = locate(root, name, [f"{collections[0]}/metadata.csv"]).parent.parent
    paths, groups, dropped = [], [], Dropped()
    for collection in collections:
        csv_path = require(base / collection / "metadata.csv", "ISIC Archive metadata file")
        head, rows = read_csv_rows(csv_path)
        i_id = column(csv_path, head, "isic_id")
        cols = diagnosis_columns(csv_path, head)
        for row in rows:
            cells = tuple(row[i].strip() if 0 <= i < len(row) else "" for i in cols)
            group, reason = isic_flat_group(cells[0]) if len(cells) == 1 else isic_hierarchy_group(cells)
            if group is None:
                shown = ", ".join(repr(c) for c in cells if c)
                dropped.add(reason, f"{row[i_id].strip()}: {shown}" if shown else row[i_id].strip())
                continue
            paths.append(image_path(base / collection, row[i_id].strip(), (".jpg", ".jpeg", ".png")))
            groups.append(group)
    if not groups:
        raise DatasetError(f"{base / collections[0] / 'metadata.csv'}: no row has a usable diagnosis "
                           f"({'; '.join(dropped.notes()) or 'no rows'})")
    classes = present_classes(groups)
    labels = [classes.index(g) for g in groups]
    return skin_index(name, base, base / collections[0] / "metadata.csv", paths, labels, classes,
                      notes=dropped.notes())


def index_msk(root: Optional[Path]) -> FileIndex:
    """MSK-1..MSK-5 (Memorial Sloan-Kettering) from the ISIC Archive: 3,551 dermoscopic images."""
    return index_isic_archive("msk", root, tuple(f"MSK-{i}" for i in range(1, 6)))


def index_uda(root: Optional[Path]) -> FileIndex:
    """UDA-1 and UDA-2 from the ISIC Archive: 601 dermoscopic images."""
    return index_isic_archive("uda", root, ("UDA-1", "UDA-2"))


register_file_dataset("msk", index_msk, skin_preprocess())
register_file_dataset("uda", index_uda, skin_preprocess())
