"""Imagenette and Imagewoof (fast.ai's 10-class ImageNet subsets), from their train/val folders.

Layout (as extracted from imagenette2.tgz / imagewoof2.tgz, or their -320 / -160 variants), under
ROOT or ROOT/<name>:

    imagenette2/train/<wnid>/*.JPEG      imagenette2/val/<wnid>/*.JPEG
    imagewoof2/train/<wnid>/*.JPEG       imagewoof2/val/<wnid>/*.JPEG

The ten WordNet ids per set are the zeta paper's Table 3; classes are ordered by sorted wnid.
Images are resized to 224 x 224 RGB (the paper's recipe). Splits: test is the official val set (the
paper evaluates on it); val is carved from the official train (stratified 10 %, seed 0; saved
beside the cache), train is the rest of it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.images import FileIndex, Preprocess, register_file_dataset
from workloads.data.layout import locate
from workloads.data.types import DatasetError, MissingDataError

IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}
IMAGENETTE = {
    "n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
    "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn",
    "n03417042": "garbage truck", "n03425413": "gas pump", "n03445777": "golf ball", "n03888257": "parachute",
}
IMAGEWOOF = {
    "n02096294": "Australian terrier", "n02093754": "Border terrier", "n02111889": "Samoyed",
    "n02088364": "Beagle", "n02086240": "Shih-Tzu", "n02089973": "English foxhound",
    "n02087394": "Rhodesian ridgeback", "n02115641": "Dingo", "n02099601": "Golden retriever",
    "n02105641": "Old English sheepdog",
}
SIZE = 224


def index_folders(name: str, root: Optional[Path], archive: str, wnids: dict[str, str]) -> FileIndex:
    top = locate(root, name, [archive, f"{archive}-320", f"{archive}-160"])
    order = sorted(wnids)
    paths: list[Path] = []
    labels: list[int] = []
    counts: dict[str, int] = {}
    for split in ("train", "val"):
        start = len(paths)
        for label, wnid in enumerate(order):
            folder = top / split / wnid
            if not folder.is_dir():
                raise MissingDataError(f"{folder}: missing class folder ({wnids[wnid]})")
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise DatasetError(f"{folder}: class {wnids[wnid]!r} has no images (empty class)")
            paths += files
            labels += [label] * len(files)
        counts[split] = len(paths) - start
    n_train = counts["train"]
    return FileIndex(
        name=name,
        class_names=tuple(wnids[w] for w in order),
        base=top,
        paths=tuple(paths),
        labels=np.asarray(labels, dtype=np.int64),
        preprocess=Preprocess(size=SIZE),
        splits={"train": np.arange(n_train), "test": np.arange(n_train, len(paths))},  # val: carved from train
        source=top,
    )


def index_imagenette(root: Optional[Path]) -> FileIndex:
    """Imagenette: 10 classes, 9,469 train and 3,925 val images (full-size release)."""
    return index_folders("imagenette", root, "imagenette2", IMAGENETTE)


def index_imagewoof(root: Optional[Path]) -> FileIndex:
    """Imagewoof: 10 dog breeds, 9,025 train and 3,929 val images (full-size release)."""
    return index_folders("imagewoof", root, "imagewoof2", IMAGEWOOF)


register_file_dataset("imagenette", index_imagenette, Preprocess(size=SIZE))
register_file_dataset("imagewoof", index_imagewoof, Preprocess(size=SIZE))
