"""COVIDx CT-3 (the "A" variant used by GeMix) from its image folder and split files.

Layout (as distributed on Kaggle), under ROOT or ROOT/covidx-ct3:

    3A_images/*.png
    train_COVIDx_CT-3A.txt   val_COVIDx_CT-3A.txt   test_COVIDx_CT-3A.txt

Each split file line: `filename class xmin ymin xmax ymax` (space-separated; class 0 normal,
1 pneumonia (CAP), 2 COVID-19; the box in pixels). Splits: the official ones.

Two registered names read the same files:
- "covidx-ct3": whole slices, grey, resized to 128 x 128 (GeMix, "Implementation details": "resized
  to 128x128"; the authors' released real and generated images are whole slices);
- "covidx-ct3-box": each slice cropped to its box first (COVIDNet-CT's own preprocessing).

Patients: every sample's patient (`FileIndex.groups`) comes from its file name by `patient_of`, so a
split can keep a patient's slices on one side (GeMix's GAN and classifier subsets, `workloads.gemix.protocol`).
"""
from __future__ import annotations

import re
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

# How a COVIDx CT file name names its patient, per source, as the official construction code names
# the slices (github.com/haydengunraj/COVIDNet-CT, dataset_construction/). The first rule whose
# pattern matches the file name (without ".png") gives the patient, `p`; a name no rule knows is its
# own scan: the name less its trailing slice number (a scan never straddles two patients, so that is
# safe, only coarser than needed where two scans are one patient's).
PATIENT_RULES: tuple[tuple[str, str], ...] = (
    ("CNCB", r"(?P<p>(?:NCP|CP|Normal)_\d+)_\d+_\d+"),              # {class}_{patient}_{scan}_{slice}
    ("COVID-CT-MD", r"(?P<p>COVIDCTMD-[A-Za-z]+\d+)-.+"),            # COVIDCTMD-{patient}-IM{slice}
    ("COVID-CTSet", r"(?P<p>[^_]+_patient\d+)_SR_.+"),               # {n}covid_patient{n}_SR_{series}_IM{slice}
    ("LIDC-IDRI", r"(?P<p>LIDC-IDRI-\d+)-.+"),                       # LIDC-IDRI-{patient}-{series UID}-{slice}
    ("TCIA COVID-19", r"(?P<p>volume-covid19-A-\d+)[-_].+"),         # volume-covid19-A-{patient}[_{scan}]_ct-{slice}
    ("radiopaedia", r"(?P<p>radiopaedia[-_]\d+)[-_].+"),             # radiopaedia_{case rID}_{study}_{stack}-{slice}
    ("iCTCF", r"(?P<p>HUST-[^-]+)-\d+"),                             # HUST-{patient}-{slice}
    ("STOIC", r"(?P<p>STOIC-[^-]+)-\d+"),                            # STOIC-{patient}-{slice}
    ("MosMedData", r"(?P<p>study_\d+)-\d+"),                         # study_{patient}-{slice}
    ("coronacases", r"(?P<p>coronacases_\d+)-\d+"),                  # coronacases_{patient}-{slice}
    ("Stony Brook", r"(?P<p>A\d+)-.+"),                              # A{patient}-{study}-{series}-{slice}
)
_RULES = tuple((source, re.compile(pattern)) for source, pattern in PATIENT_RULES)
_SLICE_NUMBER = re.compile(r"[-_](?:IM)?\d+$")


def patient_of(file_name: str) -> str:
    """The patient a COVIDx CT slice belongs to, from its file name (see PATIENT_RULES)."""
    stem = Path(file_name).name
    stem = stem[: -len(".png")] if stem.endswith(".png") else stem
    for _, pattern in _RULES:
        found = pattern.fullmatch(stem)
        if found:
            return found["p"]
    return _SLICE_NUMBER.sub("", stem) or stem


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


def _index(root: Optional[Path], name: str) -> FileIndex:
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
        name=name,
        class_names=COVIDX_CLASSES,
        base=base,
        paths=tuple(paths),
        labels=np.asarray(labels, dtype=np.int64),
        preprocess=Preprocess(size=SIZE, grey=True),
        splits=concat_splits(sizes),
        boxes=np.asarray(boxes, dtype=np.int64).reshape(-1, 4),
        groups=np.asarray([patient_of(p.name) for p in paths]),
        source=base / SPLIT_FILES["train"],
    )


def index_covidx(root: Optional[Path]) -> FileIndex:
    """COVIDx CT-3A: 3 classes, whole grey slices at 128 x 128, official train/val/test, patients from file names."""
    return _index(root, "covidx-ct3")


def index_covidx_box(root: Optional[Path]) -> FileIndex:
    """COVIDx CT-3A: 3 classes, grey 128 x 128 crops of each slice's box, official train/val/test."""
    return _index(root, "covidx-ct3-box")


register_file_dataset("covidx-ct3", index_covidx, Preprocess(size=SIZE, grey=True))
register_file_dataset("covidx-ct3-box", index_covidx_box, Preprocess(size=SIZE, crop="box", grey=True))
