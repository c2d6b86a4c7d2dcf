"""A dataset as a catalog of samples: stable ids, labels, official splits and patients, without pixels.

A split rule that picks a few samples out of a large dataset (GeMix's protocol draws 63K slices of
COVIDx CT-3A's 425K) reads the catalog, chooses positions, and `take`s only those: an image-file
dataset decodes just the chosen files (into the cache when one is given, so a later run maps them
instead); an array dataset (CIFAR, ct-toy, a stand-in) gathers its rows.

Ids: an image file's path relative to the dataset's top folder (`3A_images/NCP_96_1328_0032.png`);
for an array dataset, `<official split>/<row>` (`train/00012`), stable as the arrays are. Positions
index the catalog: the official train split's samples first, then val's, then test's.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from workloads.data.images import FILE_DATASETS, FileIndex, decode_into
from workloads.data.registry import load_dataset
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split

SELECTION_VERSION = 1


@dataclass(frozen=True)
class Catalog:
    """Every sample of a dataset by position. ids: str `(N,)`; labels: int64 `(N,)`; official: split
    name -> sorted positions; groups: the patient of each sample `(N,)`, or None where the dataset
    names none (every sample its own); take: positions -> `Split` of those samples, in that order."""

    name: str
    class_names: tuple[str, ...]
    ids: np.ndarray
    labels: np.ndarray
    official: dict[str, np.ndarray]
    groups: Optional[np.ndarray]
    take: Callable[[np.ndarray], Split]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def positions(self, ids: list[str], source: str) -> np.ndarray:
        """The positions of `ids`; DatasetError naming `source` (a file) and the first id not in the dataset."""
        where = {name: i for i, name in enumerate(self.ids.tolist())}
        missing = next((i for i in ids if i not in where), None)
        if missing is not None:
            raise DatasetError(f"{source}: lists {missing!r}, which is not in dataset {self.name!r} "
                               f"(made from other data?)")
        return np.asarray([where[i] for i in ids], dtype=np.int64)


def array_catalog(data: DatasetArrays) -> Catalog:
    """The catalog of arrays already in memory (official splits in SPLITS order)."""
    names = [s for s in SPLITS if s in data.splits]
    sizes = [len(data.splits[s]) for s in names]
    starts = np.cumsum([0, *sizes])
    ids = np.asarray([f"{s}/{i:05d}" for s, n in zip(names, sizes) for i in range(n)])
    labels = np.concatenate([np.asarray(data.splits[s].labels, dtype=np.int64) for s in names])
    official = {s: np.arange(starts[i], starts[i + 1]) for i, s in enumerate(names)}

    def take(positions: np.ndarray) -> Split:
        positions = np.asarray(positions, dtype=np.int64)
        which = np.searchsorted(starts, positions, side="right") - 1
        first = data.splits[names[0]].images
        images = np.empty((len(positions), *first.shape[1:]), dtype=first.dtype)
        for i, s in enumerate(names):
            rows = which == i
            images[rows] = np.asarray(data.splits[s].images)[positions[rows] - starts[i]]
        return Split(images, labels[positions])

    return Catalog(data.name, data.class_names, ids, labels, official, None, take)


def selection_path(index: FileIndex, ids: list[str], cache_dir: str | Path) -> Path:
    """`<cache_dir>/<name>-sel-<hash>`: the decoded pixels of exactly `ids` under the index's preprocessing."""
    blob = json.dumps({"name": index.name, "version": SELECTION_VERSION, **index.preprocess.key(),
                       "ids": hashlib.sha256("\n".join(ids).encode()).hexdigest()}, sort_keys=True).encode()
    return Path(cache_dir) / f"{index.name}-sel-{hashlib.sha256(blob).hexdigest()[:12]}"


def _decode_selection(index: FileIndex, positions: np.ndarray, folder: Path, progress: bool) -> None:
    """Decode `positions` into `folder` (written beside it, renamed into place; meta.json last)."""
    size, channels = index.preprocess.size, index.preprocess.channels
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        out = np.lib.format.open_memmap(tmp / "images.npy", mode="w+", dtype=np.uint8,
                                        shape=(len(positions), size, size, channels))
        decode_into(index, out, positions, progress)
        out.flush()
        del out
        np.save(tmp / "labels.npy", index.labels[positions].astype(np.int64))
        (tmp / "meta.json").write_text(json.dumps({"name": index.name, "n": int(len(positions)),
                                                   "preprocessing": index.preprocess.key()}))
        try:
            os.replace(tmp, folder)
        except OSError:  # another process decoded it first; theirs is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def file_catalog(index: FileIndex, cache_dir: str | Path | None = None, progress: bool = False) -> Catalog:
    """The catalog of an image-file dataset; `take` decodes only the files asked for, once into
    `cache_dir` (memory-mapped from there on every later call), or in memory without one."""
    ids = np.asarray(index.relative_names())
    official = {s: np.asarray(p, dtype=np.int64) for s, p in index.split_indices().items()}

    def take(positions: np.ndarray) -> Split:
        positions = np.asarray(positions, dtype=np.int64)
        if cache_dir is None:
            size, channels = index.preprocess.size, index.preprocess.channels
            images = np.empty((len(positions), size, size, channels), dtype=np.uint8)
            decode_into(index, images, positions, progress)
            return Split(images, index.labels[positions].astype(np.int64))
        folder = selection_path(index, ids[positions].tolist(), cache_dir)
        if not (folder / "meta.json").exists():
            _decode_selection(index, positions, folder, progress)
        try:
            return Split(np.load(folder / "images.npy", mmap_mode="r"), np.load(folder / "labels.npy"))
        except (OSError, ValueError) as err:
            raise DatasetError(f"{folder}: corrupt cache ({type(err).__name__}: {err}); delete it to decode again") from None

    return Catalog(index.name, index.class_names, ids, index.labels.astype(np.int64), official, index.groups, take)


def catalog_of(name: str, root: str | Path | None, cache_dir: str | Path | None = None,
               size: Optional[int] = None, progress: bool = False) -> Catalog:
    """Dataset `name`'s catalog: image-file datasets indexed (nothing decoded yet; at `size` pixels if
    given), array datasets read."""
    root_path = Path(root).expanduser() if root else None
    if name in FILE_DATASETS:
        return file_catalog(FILE_DATASETS.get(name)(root_path).resized(size), cache_dir, progress)
    return array_catalog(load_dataset(name, root_path))
