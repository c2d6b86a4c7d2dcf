"""scikit-learn's handwritten digits: 1797 real 8x8 grey images in 10 classes, shipped offline."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.registry import DATASETS
from workloads.data.split import stratified_split
from workloads.data.types import DatasetArrays, Split


@DATASETS.register("digits")
def load_digits(root: Optional[Path] = None) -> DatasetArrays:
    """Digits as uint8 `(N, 8, 8, 1)` (0..16 scaled to 0..255), split stratified 70/10/20, seed 0."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int64)
    splits = {
        name: Split(images[idx], labels[idx]) for name, idx in stratified_split(labels).items()
    }
    return DatasetArrays("digits", tuple(str(c) for c in range(10)), splits)
