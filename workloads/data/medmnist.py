"""The ten MedMNIST (v2) 2-D classification sets of the zeta paper, from their .npz files.

Layout, under ROOT or ROOT/<name>: `<name>.npz` (as downloaded from Zenodo), holding
`train_images`, `train_labels`, `val_images`, `val_labels`, `test_images`, `test_labels`.
Images are uint8 `(N, 28, 28)` (grey) or `(N, 28, 28, 3)` (RGB); labels `(N, 1)` or `(N,)`.
Read directly: the medmnist package asserts the full sample counts, which tiny copies do not have.
Splits: the official train/val/test.
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
    return DatasetArrays(name, classes, splits)


def make_loader(name: str):
    channels, classes = MEDMNIST[name]

    def loader(root: Optional[Path] = None) -> DatasetArrays:
        return read_npz(locate(root, name, [f"{name}.npz"]), name, channels, classes)

    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"{name}: uint8 (N, 28, 28, {channels}) images, {len(classes)} classes, official splits."
    return loader


for _name in MEDMNIST:
    DATASETS.add(_name, make_loader(_name))
