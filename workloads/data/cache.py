"""The prepared cache: every dataset decoded once into uint8 .npy files, memory-mapped by trials.

    <cache_dir>/<name>-<hash>/{train,val,test}_{images,labels}.npy + meta.json
    <cache_dir>/<name>.split.json     (datasets without official splits: the files in each split)

`hash` covers the dataset name, the cache format version and the preprocessing (crop, output size,
grey), so changing the recipe prepares a new cache beside the old one. The split file is keyed by
name only: every size and every later run of a dataset uses the same split. meta.json is written
last and the folder is renamed into place, so a half-written cache is never read.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Optional

import numpy as np

from workloads.data.images import FILE_DATASETS, PREPROCESS, FileIndex, decode_into
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.split import DEFAULT_FRACTIONS, DEFAULT_SPLIT_SEED, stratified_split
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split

CACHE_VERSION = 1


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


def split_file(name: str, cache_dir: str | Path) -> Path:
    return Path(cache_dir) / f"{name}.split.json"


def saved_split(index: FileIndex, cache_dir: str | Path) -> dict[str, np.ndarray]:
    """The official split, else the split saved beside the cache (made and saved on first use)."""
    if index.splits is not None:
        return index.splits
    path = split_file(index.name, cache_dir)
    names = index.relative_names()
    if not path.exists():
        splits = stratified_split(index.labels)
        record = {
            "name": index.name,
            "rule": f"stratified {'/'.join(str(round(f * 100)) for f in DEFAULT_FRACTIONS)}, seed {DEFAULT_SPLIT_SEED}",
            "splits": {s: [names[i] for i in idx] for s, idx in splits.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(record, indent=1))
        os.replace(tmp, path)
        return splits
    try:
        record = json.loads(path.read_text())
        listed = {s: record["splits"][s] for s in SPLITS}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{path}: unreadable split file ({type(err).__name__}); delete it to re-split") from None
    position = {n: i for i, n in enumerate(names)}
    unknown = [n for files in listed.values() for n in files if n not in position]
    if unknown:
        raise DatasetError(f"{path}: lists {unknown[0]!r}, which is not in the dataset; delete it to re-split")
    covered = sum(len(files) for files in listed.values())
    if covered != len(names):
        raise DatasetError(f"{path}: covers {covered} files but the dataset has {len(names)}; delete it to re-split")
    return {s: np.array([position[n] for n in files], dtype=np.int64) for s, files in listed.items()}


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
            splits = saved_split(index, cache_dir)
            write_file_dataset(index, splits, tmp, progress)
            class_names, counts = index.class_names, {s: len(splits[s]) for s in SPLITS}
        else:
            data = load_dataset(name, root_path)
            for split in SPLITS:
                np.save(tmp / f"{split}_images.npy", np.asarray(data.splits[split].images))
                np.save(tmp / f"{split}_labels.npy", np.asarray(data.splits[split].labels, dtype=np.int64))
            class_names, counts = data.class_names, {s: len(data.splits[s]) for s in SPLITS}
        meta = {"name": name, "class_names": list(class_names), "counts": counts,
                "preprocessing": preprocessing(name, size), "root": str(root_path)}
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
    return DatasetArrays(meta["name"], tuple(meta["class_names"]), splits)


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
