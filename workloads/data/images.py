"""Image-file datasets: an index of files and labels, and the one place images are decoded.

A reader of an image-file dataset (JPEG/PNG/BMP folders) only *indexes* it: file paths, labels,
the official splits if any, and how to preprocess. Decoding happens here, once per image, either
in memory (`load_dataset`) or into the prepared cache (`workloads.data.cache`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from workloads.data.layout import check_labels
from workloads.data.registry import DATASETS
from workloads.data.split import carve_val, describe_split, describe_val, stratified_split
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split
from workloads.registry import Registry


@dataclass(frozen=True)
class Preprocess:
    """How one image file becomes a uint8 `(size, size, C)` array.

    crop: "none" (resize the whole image), "center" (square center crop of edge
        `crop_fraction * min(H, W)`, the zeta paper's skin recipe) or "box" (the per-image box
        `(xmin, ymin, xmax, ymax)` in pixels, COVIDx CT).
    size: output edge in pixels; grey: one channel (PIL "L") instead of RGB.
    """

    size: int
    crop: str = "none"
    crop_fraction: float = 0.8
    grey: bool = False

    def __post_init__(self) -> None:
        if self.crop not in ("none", "center", "box"):
            raise ValueError(f"crop must be one of none, center, box; got {self.crop!r}")
        if int(self.size) < 1:
            raise ValueError(f"size must be a positive number of pixels, got {self.size}")

    @property
    def channels(self) -> int:
        return 1 if self.grey else 3

    def key(self) -> dict:
        """The JSON-able parameters the decoded pixels depend on (part of the cache key)."""
        return {"size": int(self.size), "crop": self.crop, "crop_fraction": self.crop_fraction, "grey": self.grey}


@dataclass(frozen=True)
class FileIndex:
    """A dataset as files: `paths[i]` has label `labels[i]` (int64 in [0, K)).

    splits: sample indices per split: all three official; or `train` and `test` only, where the
        dataset has no validation split (val is then carved from train: stratified 10 %, seed 0);
        or None where it has no official split at all (stratified 70/10/20 of all samples with
        exact totals, seed 0). The cache saves a carved or stratified split (see `membership.py`).
    boxes: int `(N, 4)` crop boxes `(xmin, ymin, xmax, ymax)` for `Preprocess(crop="box")`.
    groups: `(N,)` the patient (or other unit a split must not cut) of each sample, where the
        dataset names it (COVIDx CT's file names do); None: every sample is its own.
    base: the dataset's top folder; split files record paths relative to it.
    notes: one-line remarks about the files (rows dropped and why), printed by `mixbench data check`.
    """

    name: str
    class_names: tuple[str, ...]
    base: Path
    paths: tuple[Path, ...]
    labels: np.ndarray
    preprocess: Preprocess
    splits: Optional[dict[str, np.ndarray]] = None
    boxes: Optional[np.ndarray] = None
    groups: Optional[np.ndarray] = None
    source: Path = field(default=Path("."))  # the label file, named in error messages
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.paths) == 0:
            raise DatasetError(f"{self.source}: no images found for {self.name}")
        check_labels(self.source, self.labels, self.class_names)
        if self.splits is not None and not {"train", "test"} <= set(self.splits) <= set(SPLITS):
            raise ValueError(f"{self.name}: splits must be train/val/test or train/test, got {', '.join(self.splits)}")

    def resized(self, size: Optional[int]) -> "FileIndex":
        """The same index with another output edge (tests use tiny images); None keeps it."""
        return self if size is None else replace(self, preprocess=replace(self.preprocess, size=int(size)))

    def relative_names(self) -> list[str]:
        return [p.relative_to(self.base).as_posix() for p in self.paths]

    @property
    def split_rule(self) -> str:
        """How the splits are made, in words (recorded in the saved split file)."""
        if self.splits is None:
            return describe_split()
        return "official train/val/test" if "val" in self.splits else f"train and test as read; {describe_val()}"

    def split_indices(self) -> dict[str, np.ndarray]:
        """Sample indices per split, computed without a cache (the rule of `splits`, deterministic)."""
        if self.splits is None:
            return stratified_split(self.labels, exact_totals=True)
        if "val" in self.splits:
            return self.splits
        train = np.asarray(self.splits["train"])
        rest, val = carve_val(self.labels[train])
        return {"train": train[rest], "val": train[val], "test": np.asarray(self.splits["test"])}


def decode(path: Path, preprocess: Preprocess, box: Optional[np.ndarray] = None) -> np.ndarray:
    """uint8 `(size, size, C)` pixels of one image file; DatasetError names an unreadable file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("L" if preprocess.grey else "RGB")
            width, height = img.size
            if preprocess.crop == "center":
                edge = max(1, int(round(preprocess.crop_fraction * min(width, height))))
                left, top = (width - edge) // 2, (height - edge) // 2
                img = img.crop((left, top, left + edge, top + edge))
            elif preprocess.crop == "box":
                x0, y0, x1, y1 = (int(v) for v in box)
                if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
                    raise DatasetError(f"{path}: box {x0} {y0} {x1} {y1} outside the {width}x{height} image")
                img = img.crop((x0, y0, x1, y1))
            img = img.resize((preprocess.size, preprocess.size), Image.BILINEAR)
            pixels = np.asarray(img, dtype=np.uint8)
    except FileNotFoundError:
        raise DatasetError(f"{path}: missing image file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, DatasetError):
            raise
        raise DatasetError(f"{path}: unreadable image ({type(err).__name__}: {err})") from None
    return pixels[..., None] if pixels.ndim == 2 else pixels


def check_headers(index: FileIndex) -> None:
    """Open every file's header (cheap: no pixel decoding); DatasetError names the first bad one."""
    from PIL import Image, UnidentifiedImageError

    for path in index.paths:
        try:
            with Image.open(path) as img:
                img.size  # noqa: B018  (reading the header is the check)
        except FileNotFoundError:
            raise DatasetError(f"{path}: missing image file") from None
        except (UnidentifiedImageError, OSError, SyntaxError) as err:
            raise DatasetError(f"{path}: unreadable image ({type(err).__name__})") from None


def decode_into(index: FileIndex, out: np.ndarray, order: Iterable[int], progress: bool = False) -> None:
    """Decode the files `order` (sample indices) into consecutive rows of `out` `(n, S, S, C)`."""
    order = list(order)
    items: Iterable = enumerate(order)
    if progress:
        from tqdm import tqdm

        items = tqdm(items, total=len(order), desc=f"decoding {index.name}", unit="img")
    for row, i in items:
        box = index.boxes[i] if index.boxes is not None else None
        out[row] = decode(index.paths[i], index.preprocess, box)


def decode_all(index: FileIndex, progress: bool = False) -> DatasetArrays:
    """All splits decoded in memory (no cache): uint8 `(N, S, S, C)` images, int64 labels."""
    splits, indices = {}, index.split_indices()
    for name in SPLITS:
        idx = indices[name]
        size, channels = index.preprocess.size, index.preprocess.channels
        images = np.empty((len(idx), size, size, channels), dtype=np.uint8)
        decode_into(index, images, idx, progress)
        splits[name] = Split(images, index.labels[idx].astype(np.int64))
    return DatasetArrays(index.name, index.class_names, splits, index.notes)


# name -> indexer(root) -> FileIndex, for every image-file dataset (the cache prepares these), and
# each one's recipe preprocessing (known without reading the data, so a cache key needs no root).
Indexer = Callable[[Optional[Path]], FileIndex]
FILE_DATASETS: Registry[Indexer] = Registry("image-file dataset")
PREPROCESS: dict[str, Preprocess] = {}


def register_file_dataset(name: str, indexer: Indexer, preprocess: Preprocess) -> None:
    """Register `indexer` (its index gets `preprocess`) and a DATASETS loader `loader(root, size=None)`
    that decodes every image in memory, resized to `size` pixels (default: the recipe's)."""

    def indexed(root: Optional[Path]) -> FileIndex:
        return replace(indexer(root), preprocess=preprocess)

    indexed.__doc__, indexed.__module__ = indexer.__doc__, indexer.__module__
    FILE_DATASETS.add(name, indexed)
    PREPROCESS[name] = preprocess

    def loader(root: Optional[Path] = None, size: Optional[int] = None) -> DatasetArrays:
        return decode_all(indexed(root).resized(size))

    loader.__name__, loader.__module__ = f"load_{name.replace('-', '_')}", indexer.__module__
    loader.__doc__ = f"{name}: decoded in memory from its official layout (see {indexer.__module__})."
    DATASETS.add(name, loader)
