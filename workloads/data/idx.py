"""MNIST and Fashion-MNIST from their IDX files, plain or gzipped as downloaded.

Layouts, either one, under ROOT or ROOT/<name>:

    MNIST/raw/{train-images-idx3-ubyte, train-labels-idx1-ubyte,      torchvision's layout
               t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte}[.gz]
    FashionMNIST/raw/...  (the same four names)

or the four official files placed flat in ROOT/<name>/ (ROOT/mnist/train-images-idx3-ubyte.gz, ...;
flat directly under ROOT is not accepted: MNIST and Fashion-MNIST files share their names).

IDX: big-endian magic (0x00000803 images, 0x00000801 labels), then the dimensions as uint32, then
uint8 data. Splits: the official 60,000 train and 10,000 test; val is carved from train
(stratified 10 % = 6,000, seed 0; `carved.py`).
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.carved import register_carved
from workloads.data.layout import check_labels, locate
from workloads.data.types import DatasetArrays, DatasetError, MissingDataError, Split

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def find_file(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise MissingDataError(f"{folder / stem}: missing (or {stem}.gz)")


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """uint8 array of an IDX file with `ndim` dimensions (3: images, 1: labels)."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DatasetError(f"{path}: truncated or corrupt gzip ({type(err).__name__})") from None
    expected_magic = 0x800 + ndim
    if len(raw) < 4 + 4 * ndim:
        raise DatasetError(f"{path}: truncated IDX header ({len(raw)} bytes)")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != expected_magic:
        raise DatasetError(f"{path}: IDX magic {magic:#010x}, expected {expected_magic:#010x}")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    count = int(np.prod(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if len(data) != count:
        raise DatasetError(f"{path}: {len(data)} data bytes, header says {dims} = {count}")
    return data.reshape(dims)


def idx_folder(root: Optional[Path], name: str, folder: str) -> Path:
    """torchvision's `folder` (under ROOT or ROOT/<name>), else ROOT/<name> holding the files flat."""
    try:
        return locate(root, name, [folder])
    except MissingDataError as err:
        if root is None or not Path(root).is_dir():
            raise
        flat, stem = Path(root) / name, FILES["train"][0]
        if (flat / stem).exists() or (flat / f"{stem}.gz").exists():
            return flat
        raise MissingDataError(f"{err}; or the four official .gz files flat in {flat}") from None


def read_idx_dataset(name: str, root: Optional[Path], folder: str, classes: tuple[str, ...]) -> DatasetArrays:
    """The official train and test splits; val is added by `carved.with_val`."""
    raw = idx_folder(root, name, folder)
    splits = {}
    for split, (image_stem, label_stem) in FILES.items():
        image_path, label_path = find_file(raw, image_stem), find_file(raw, label_stem)
        images = read_idx(image_path, 3)
        labels = read_idx(label_path, 1).astype(np.int64)
        if len(images) != len(labels):
            raise DatasetError(f"{label_path}: {len(labels)} labels for {len(images)} images in {image_path.name}")
        check_labels(label_path, labels, classes, require_all=split == "train")
        splits[split] = Split(np.ascontiguousarray(images[..., None]), labels)
    return DatasetArrays(name, classes, splits)


@register_carved("mnist", "MNIST: 60,000 train and 10,000 test uint8 (28, 28, 1) digits.")
def read_mnist(root: Optional[Path] = None) -> DatasetArrays:
    """MNIST's official train and test splits: uint8 `(N, 28, 28, 1)` digits."""
    return read_idx_dataset("mnist", root, "MNIST/raw", MNIST_CLASSES)


@register_carved("fashion-mnist", "Fashion-MNIST: 60,000 train and 10,000 test uint8 (28, 28, 1) images in 10 classes.")
def read_fashion_mnist(root: Optional[Path] = None) -> DatasetArrays:
    """Fashion-MNIST's official train and test splits: uint8 `(N, 28, 28, 1)` images, 10 classes."""
    return read_idx_dataset("fashion-mnist", root, "FashionMNIST/raw", FASHION_CLASSES)
