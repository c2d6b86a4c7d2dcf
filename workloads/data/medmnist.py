"""The ten MedMNIST (v2) 2-D classification sets of the zeta paper, from their .npz files.

Layout, under ROOT or ROOT/<name>: `<name>.npz` (as downloaded from Zenodo), holding
`train_images`, `train_labels`, `val_images`, `val_labels`, `test_images`, `test_labels`.
Images are uint8 `(N, 28, 28)` (grey) or `(N, 28, 28, 3)` (RGB); labels `(N, 1)` or `(N,)`.
Read directly: the medmnist package asserts the full sample counts, which tiny copies do not have.
Splits: the official train/val/test.

Releases: the paper used MedMNIST v2 (Zenodo record 6496656, the files `mixbench data download`
fetches). MedMNIST+ (medmnist >= 2.2.4, Zenodo record 10519652) rebuilt OrganA/C/S with fewer
samples (58,830 / 23,583 / 25,211 against v2's 58,850 / 23,660 / 25,221); such a file is refused with
a one-line error naming its release and counts. Other counts (a subset, a tiny test copy) are read,
with a note that `mixbench data check` prints.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.layout import check_labels, locate
from workloads.data.registry import DATASETS
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split

ORGAN = ("bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver",
         "lung-left", "lung-right", "pancreas", "spleen")
# Class names and channel counts from medmnist's INFO (v2).
MEDMNIST: dict[str, tuple[int, tuple[str, ...]]] = {
    "pathmnist": (3, ("adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle",
                      "normal colon mucosa", "cancer-associated stroma", "colorectal adenocarcinoma epithelium")),
    "dermamnist": (3, ("actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma",
                       "benign keratosis-like lesions", "dermatofibroma", "melanoma", "melanocytic nevi",
                       "vascular lesions")),
    "octmnist": (1, ("choroidal neovascularization", "diabetic macular edema", "drusen", "normal")),
    "pneumoniamnist": (1, ("normal", "pneumonia")),
    "bloodmnist": (3, ("basophil", "eosinophil", "erythroblast", "immature granulocytes", "lymphocyte",
                       "monocyte", "neutrophil", "platelet")),
    "tissuemnist": (1, ("Collecting Duct, Connecting Tubule", "Distal Convoluted Tubule",
                        "Glomerular endothelial cells", "Interstitial endothelial cells", "Leukocytes",
                        "Podocytes", "Proximal Tubule Segments", "Thick Ascending Limb")),
    "breastmnist": (1, ("malignant", "normal, benign")),
    "organamnist": (1, ORGAN),
    "organcmnist": (1, ORGAN),
    "organsmnist": (1, ORGAN),
}


# (train, val, test) samples of the MedMNIST v2 files: INFO[name]["n_samples"] in medmnist/info.py of
# github.com/MedMNIST/MedMNIST at version 2.1.0 (commit 075a8ad6, whose URLs are Zenodo record 6496656).
V2_COUNTS: dict[str, tuple[int, int, int]] = {
    "pathmnist": (89996, 10004, 7180), "dermamnist": (7007, 1003, 2005), "octmnist": (97477, 10832, 1000),
    "pneumoniamnist": (4708, 524, 624), "bloodmnist": (11959, 1712, 3421), "tissuemnist": (165466, 23640, 47280),
    "breastmnist": (546, 78, 156), "organamnist": (34581, 6491, 17778), "organcmnist": (13000, 2392, 8268),
    "organsmnist": (13940, 2452, 8829),
}
# Releases whose counts differ from v2: the same INFO at version 3.0.2 (commit 3bb56be6, Zenodo
# record 10519652). Its other seven 2-D sets have v2's counts and MD5s.
PLUS = "MedMNIST+ (medmnist >= 2.2.4, Zenodo record 10519652)"
OTHER_RELEASES: dict[str, dict[str, tuple[int, int, int]]] = {
    "organamnist": {PLUS: (34561, 6491, 17778)},
    "organcmnist": {PLUS: (12975, 2392, 8216)},
    "organsmnist": {PLUS: (13932, 2452, 8827)},
}


def counted(counts: tuple[int, ...]) -> str:
    return f"{sum(counts):,} samples, {'/'.join(f'{n:,}' for n in counts)} train/val/test"


def release_notes(path: Path, name: str, counts: tuple[int, int, int]) -> tuple[str, ...]:
    """() for the v2 counts; a note for unknown counts; DatasetError for another known release."""
    if counts == V2_COUNTS[name]:
        return ()
    for release, theirs in OTHER_RELEASES.get(name, {}).items():
        if counts == theirs:
            raise DatasetError(
                f"{path}: a {release} file ({counted(counts)}), not the MedMNIST v2 file the paper used "
                f"({counted(V2_COUNTS[name])}); `mixbench data download {name}` fetches v2 (Zenodo record 6496656)")
    return (f"{path.name}: {counted(counts)}, not MedMNIST v2's {counted(V2_COUNTS[name])} "
            "(a subset, or not the release the paper used)",)


def read_npz(path: Path, name: str, channels: int, classes: tuple[str, ...]) -> DatasetArrays:
    try:
        archive = np.load(path, allow_pickle=False)
        arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise DatasetError(f"{path}: truncated or corrupt npz ({type(err).__name__}: {err})") from None
    splits = {}
    for split in SPLITS:
        for key in (f"{split}_images", f"{split}_labels"):
            if key not in arrays:
                raise DatasetError(f"{path}: no array {key!r} (has: {', '.join(sorted(arrays))})")
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim == 3 and channels == 1:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] != channels or images.dtype != np.uint8:
            raise DatasetError(
                f"{path}: {split}_images has shape {images.shape} {images.dtype}, expected uint8 (N, H, W{'' if channels == 1 else ', 3'})"
            )
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1 or len(labels) != len(images):
            raise DatasetError(f"{path}: {split}_labels has shape {labels.shape}, expected ({len(images)}, 1)")
        labels = labels.astype(np.int64)
        check_labels(path, labels, classes, require_all=split == "train")
        splits[split] = Split(np.ascontiguousarray(images), labels)
    notes = release_notes(path, name, tuple(len(splits[s]) for s in SPLITS))
    return DatasetArrays(name, classes, splits, notes)


def make_loader(name: str):
    channels, classes = MEDMNIST[name]

    def loader(root: Optional[Path] = None) -> DatasetArrays:
        return read_npz(locate(root, name, [f"{name}.npz"]), name, channels, classes)

    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"{name}: uint8 (N, 28, 28, {channels}) images, {len(classes)} classes, official splits."
    return loader


for _name in MEDMNIST:
    DATASETS.add(_name, make_loader(_name))
