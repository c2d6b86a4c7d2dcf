"""In-memory form of a dataset: uint8 images (or float features) and integer labels per split."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SPLITS = ("train", "val", "test")


class DatasetError(ValueError):
    """A dataset is missing or malformed. The message names the file (or path) and the problem."""


class MissingDataError(DatasetError):
    """A file or folder a dataset needs is absent. The message names the exact path expected."""


@dataclass(frozen=True)
class Split:
    """One split.

    images: uint8 `(N, H, W, C)` for image datasets, or float32 `(N, D)` feature vectors for the
        low-dimensional synthetic sets (trainers view those as `(N, D, 1, 1)`).
    labels: int64 `(N,)` class indices in `[0, num_classes)`.
    """

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.images) != len(self.labels):
            raise DatasetError(f"{len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class DatasetArrays:
    """A whole dataset, ready for training: the `train`, `val` and `test` splits and class names.

    notes: one-line remarks a reader made about the files (a release other than the paper's, rows
    it dropped and why); `mixbench data check` prints them.
    """

    name: str
    class_names: tuple[str, ...]
    splits: dict[str, Split] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_image(self) -> bool:
        return self.splits["train"].images.ndim == 4

    @property
    def channels(self) -> int:
        images = self.splits["train"].images
        return images.shape[-1] if images.ndim == 4 else images.shape[1]

    @property
    def image_size(self) -> tuple[int, int]:
        images = self.splits["train"].images
        return (images.shape[1], images.shape[2]) if images.ndim == 4 else (1, 1)

    def subset(self, cap: int | None, seed: int = 0) -> "DatasetArrays":
        """At most `cap` samples per split (stratified by a fixed seed), for smoke runs."""
        if not cap:
            return self
        rng = np.random.default_rng(seed)
        out = {}
        for name, split in self.splits.items():
            if len(split) <= cap:
                out[name] = split
                continue
            # Round-robin over classes keeps every class present in small subsets.
            per_class = [rng.permutation(np.flatnonzero(split.labels == c)) for c in np.unique(split.labels)]
            order = [idx for group in zip_longest_drop(per_class) for idx in group]
            keep = np.sort(np.array(order[:cap]))
            out[name] = Split(split.images[keep], split.labels[keep])
        return DatasetArrays(self.name, self.class_names, out, self.notes)


def zip_longest_drop(groups: list[np.ndarray]) -> list[list[int]]:
    """[[a0, b0, c0], [a1, b1, c1], ...] over groups of unequal length (shorter ones drop out)."""
    longest = max((len(g) for g in groups), default=0)
    return [[int(g[i]) for g in groups if i < len(g)] for i in range(longest)]
