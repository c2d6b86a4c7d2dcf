"""The prepared cache: every dataset decoded once into uint8 .npy files, memory-mapped by trials.

    <cache_dir>/<name>-<hash>/{train,val,test}_{images,labels}.npy + meta.json
    <cache_dir>/<name>.split.json     (split membership where a split is not official; membership.py)

`hash` covers the dataset name, the cache format version and the preprocessing (crop, output size,
grey), so changing the recipe prepares a new cache beside the old one. The split file is keyed by
name only: every size and every later run of a dataset uses the same split. meta.json is written
last and the folder is renamed into place, so a half-written cache is never read.

Version 2: validation is never the test split (CIFAR, MNIST, STL-10, Imagenette/woof, ISIC 2016
carve val from train; ISIC 2018's test is its official validation set; derm7pt is split 70/10/20),
so no version-1 cache, whose val was the test split, is read again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.carved import OFFICIAL_TRAIN_TEST, with_val
from workloads.data.images import FILE_DATASETS, PREPROCESS, FileIndex, decode_into
from workloads.data.membership import carved_val, file_split, split_file
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.split import carve_val
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split

__all__ = ["cache_path", "load_any", "load_prepared", "prepare", "preprocessing", "read_prepared", "split_file"]

CACHE_VERSION = 2


def preprocessing(name: str, size: Optional[int] = None) -> dict:
    """What the cached arrays depend on besides the source files (JSON-able)."""
    DATASETS.get(name)  # unknown names fail here, naming the valid choices
    if name in PREPROCESS:
        pre = PREPROCESS[name]
        return {"name": name, "version": CACHE_VERSION, **pre.key(), "size": int(size or pre.size)}
    return {"name": name, "version": CACHE_VERSION, "reader": "arrays"}


def cache_path(name: str, cache_dir: str | Path, size: Optional[int] = None) -> Path:
    """`<cache_dir>/<name>-<10 hex digits of the preprocessing hash>`."""
    blob = json.dumps(preprocessing(name, size), sort_keys=True).encode()
    return Path(cache_dir) / f"{name}-{hashlib.sha256(blob).hexdigest()[:10]}"


def read_arrays(name: str, root: Optional[Path], cache_dir: str | Path) -> DatasetArrays:
    """An array dataset; where val is carved from train, by the membership saved beside the cache."""
    if name not in OFFICIAL_TRAIN_TEST:
        return load_dataset(name, root)
    official = OFFICIAL_TRAIN_TEST.get(name)(root)
    labels = official.splits["train"].labels
    return with_val(official, carved_val(name, labels, cache_dir, carve_val(labels)[1]))


def write_file_dataset(index: FileIndex, splits: dict[str, np.ndarray], folder: Path, progress: bool) -> None:
    size, channels = index.preprocess.size, index.preprocess.channels
    for split in SPLITS:
        idx = splits[split]
        out = np.lib.format.open_memmap(folder / f"{split}_images.npy", mode="w+", dtype=np.uint8,
                                        shape=(len(idx), size, size, channels))
        decode_into(index, out, idx, progress)
        out.flush()
        del out
        np.save(folder / f"{split}_labels.npy", index.labels[idx].astype(np.int64))


def prepare(
    name: str,
    root: str | Path | None,
    cache_dir: str | Path,
    *,
    size: Optional[int] = None,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Decode dataset `name` from `root` into its cache folder (once) and return that folder.

    size: output edge in pixels for image-file datasets (default: the recipe's); array datasets
    (CIFAR, MedMNIST, ...) are stored as read. Raises DatasetError for missing or malformed data.
    """
    target = cache_path(name, cache_dir, size)
    if (target / "meta.json").exists() and not force:
        return target
    root_path = Path(root).expanduser() if root else None
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if name in FILE_DATASETS:
            index = FILE_DATASETS.get(name)(root_path).resized(size)
            splits = file_split(index, cache_dir)
            write_file_dataset(index, splits, tmp, progress)
            class_names, counts = index.class_names, {s: len(splits[s]) for s in SPLITS}
            notes = index.notes
        else:
            data = read_arrays(name, root_path, cache_dir)
            for split in SPLITS:
                np.save(tmp / f"{split}_images.npy", np.asarray(data.splits[split].images))
                np.save(tmp / f"{split}_labels.npy", np.asarray(data.splits[split].labels, dtype=np.int64))
            class_names, counts = data.class_names, {s: len(data.splits[s]) for s in SPLITS}
            notes = data.notes
        meta = {"name": name, "class_names": list(class_names), "counts": counts,
                "preprocessing": preprocessing(name, size), "root": str(root_path), "notes": list(notes)}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        if force:
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process prepared it first; theirs is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_prepared(folder: Path) -> DatasetArrays:
    """A prepared cache folder as DatasetArrays; images memory-mapped read-only."""
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text())
        splits = {
            s: Split(np.load(folder / f"{s}_images.npy", mmap_mode="r"), np.load(folder / f"{s}_labels.npy"))
            for s in SPLITS
        }
    except (OSError, ValueError, KeyError) as err:
        raise DatasetError(f"{folder}: corrupt cache ({type(err).__name__}: {err}); delete it to prepare again") from None
    return DatasetArrays(meta["name"], tuple(meta["class_names"]), splits, tuple(meta.get("notes", ())))


def load_prepared(
    name: str,
    root: str | Path | None,
    cache_dir: str | Path,
    *,
    size: Optional[int] = None,
    progress: bool = True,
) -> DatasetArrays:
    """The cached dataset (prepared first if absent). `root` is only read when preparing."""
    target = cache_path(name, cache_dir, size)
    if not (target / "meta.json").exists():
        prepare(name, root, cache_dir, size=size, progress=progress)
    return read_prepared(target)


def load_any(
    name: str,
    root: str | Path | None,
    cache_dir: str | Path,
    *,
    size: Optional[int] = None,
    progress: bool = True,
) -> DatasetArrays:
    """Dataset `name` for a trial: through the cache where a split or decoding must be recorded once.

    Image-file datasets (decoded once) and array datasets whose val is carved from train (split
    membership saved once) come from the prepared cache; the others (official splits, or generated)
    are read directly. `size` only applies to image-file datasets.
    """
    if name in FILE_DATASETS or name in OFFICIAL_TRAIN_TEST:
        return load_prepared(name, root, cache_dir, size=size if name in FILE_DATASETS else None, progress=progress)
    return load_dataset(name, root)
