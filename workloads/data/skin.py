"""What the skin-lesion readers share: the 5-class diagnosis grouping and the zeta paper's crop.

The zeta paper ("Skin lesion diagnosis datasets", Training details) uses the 5-class labels of the
derm7pt paper: basal cell carcinoma, nevus, melanoma, seborrheic keratosis, others; takes a square
center crop of edge 0.8 * min(H, W) and resizes it to 256 x 256.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from workloads.data.diagnoses import SKIN5
from workloads.data.images import FileIndex, Preprocess
from workloads.data.types import MissingDataError

__all__ = ["SKIN5", "SKIN_SIZE", "concat_splits", "image_path", "present_classes", "skin_index", "skin_preprocess"]

SKIN_SIZE = 256


def skin_preprocess(size: int = SKIN_SIZE) -> Preprocess:
    return Preprocess(size=size, crop="center", crop_fraction=0.8)


def present_classes(groups: Sequence[str]) -> tuple[str, ...]:
    """The SKIN5 classes that occur in `groups`, in SKIN5 order (a set without BCC has no empty class)."""
    seen = set(groups)
    return tuple(c for c in SKIN5 if c in seen)


def image_path(folder: Path, stem: str, suffixes: Sequence[str] = (".jpg", ".jpeg", ".png", ".bmp")) -> Path:
    """`folder/stem.<suffix>` for the first suffix that exists; MissingDataError naming the first."""
    for suffix in suffixes:
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise MissingDataError(f"{folder / (stem + suffixes[0])}: missing image file")


def skin_index(
    name: str,
    base: Path,
    source: Path,
    paths: Sequence[Path],
    labels: Sequence[int],
    class_names: Sequence[str],
    splits: Optional[dict[str, np.ndarray]] = None,
    notes: tuple[str, ...] = (),
) -> FileIndex:
    """A FileIndex with the skin crop; `splits` None means stratified 70/10/20 (no official split),
    `train` and `test` only means val carved from train (see FileIndex)."""
    return FileIndex(
        name=name,
        class_names=tuple(class_names),
        base=base,
        paths=tuple(paths),
        labels=np.asarray(labels, dtype=np.int64),
        preprocess=skin_preprocess(),
        splits=splits,
        source=source,
        notes=notes,
    )


def concat_splits(sizes: dict[str, int]) -> dict[str, np.ndarray]:
    """Index ranges for splits stored one after another in the order of `sizes`."""
    out, start = {}, 0
    for split, n in sizes.items():
        out[split] = np.arange(start, start + n)
        start += n
    return out
