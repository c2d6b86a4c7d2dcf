"""Split membership saved beside the prepared cache, so every machine and every later run splits alike.

    <cache_dir>/<name>.split.json

Image-file datasets without an official split, or without an official validation split, list the
files in each split (paths relative to the dataset's top folder):

    {"name": ..., "rule": ..., "splits": {"train": [...], "val": [...], "test": [...]}}

Array datasets whose validation split is carved from the official train (CIFAR, MNIST, STL-10)
list the positions in the official train split that went to val:

    {"name": ..., "rule": ..., "official_train": N, "val": [i, ...]}

The file is written once, on first use, and only read afterwards: a later release of a reader's
rule (or numpy's generator) cannot move a sample between splits of an existing cache. A file that no
longer fits the data (another release, edited by hand) is a DatasetError naming it. The file is
keyed by dataset name only, so every image size of a dataset shares one split. Without a cache dir
the readers make the same split from the same seeded rule, but nothing records it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from workloads.data.images import FileIndex
from workloads.data.split import complement, describe_val
from workloads.data.types import SPLITS, DatasetError


def split_file(name: str, cache_dir: str | Path) -> Path:
    return Path(cache_dir) / f"{name}.split.json"


def write_record(path: Path, record: dict) -> None:
    """Write `record` as JSON atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, path)


def unfit(path: Path, problem: str) -> DatasetError:
    return DatasetError(f"{path}: {problem}; delete it to re-split")


def read_record(path: Path, keys: tuple[str, ...]) -> dict:
    try:
        record = json.loads(path.read_text())
        for key in keys:
            record[key]  # noqa: B018  (a KeyError here means another kind of file)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise unfit(path, f"unreadable split file ({type(err).__name__})") from None
    return record


def file_split(index: FileIndex, cache_dir: str | Path) -> dict[str, np.ndarray]:
    """Sample indices per split of an image-file dataset: official, else saved beside the cache.

    A split not fully official is made by `index.split_indices()` on first use and saved; later
    calls read the saved file. Raises DatasetError when the file does not fit `index`.
    """
    if index.splits is not None and "val" in index.splits:
        return index.splits
    path = split_file(index.name, cache_dir)
    names = index.relative_names()
    if not path.exists():
        splits = index.split_indices()
        write_record(path, {"name": index.name, "rule": index.split_rule,
                            "splits": {s: [names[i] for i in idx] for s, idx in splits.items()}})
        return splits
    record = read_record(path, ("splits",))
    try:
        listed = {s: list(record["splits"][s]) for s in SPLITS}
    except (KeyError, TypeError):
        raise unfit(path, "unreadable split file (needs train, val and test lists)") from None
    position = {n: i for i, n in enumerate(names)}
    unknown = [n for files in listed.values() for n in files if n not in position]
    if unknown:
        raise unfit(path, f"lists {unknown[0]!r}, which is not in the dataset")
    covered = sum(len(files) for files in listed.values())
    if covered != len(names) or len({n for files in listed.values() for n in files}) != covered:
        raise unfit(path, f"covers {covered} files but the dataset has {len(names)}")
    saved = {s: np.array(sorted(position[n] for n in files), dtype=np.int64) for s, files in listed.items()}
    if index.splits is not None:  # val carved from train: the official test must stay the test
        if not np.array_equal(saved["test"], np.sort(index.splits["test"])):
            raise unfit(path, "its test split is not the official test split")
    return saved


def carved_val(name: str, labels: np.ndarray, cache_dir: str | Path, val: np.ndarray) -> np.ndarray:
    """Positions in an official train split (labels `(N,)`) that form val: saved, else `val` (then saved).

    `val` is the carve the rule makes (sorted positions); it is saved on first use and ignored once a
    file exists. Raises DatasetError when the saved file does not fit `labels`.
    """
    path = split_file(name, cache_dir)
    if not path.exists():
        write_record(path, {"name": name, "rule": describe_val(), "official_train": int(len(labels)),
                            "val": [int(i) for i in val]})
        return val
    record = read_record(path, ("official_train", "val"))
    if record["official_train"] != len(labels):
        raise unfit(path, f"was made for {record['official_train']} official train samples, the data has {len(labels)}")
    try:
        saved = np.array(sorted(int(i) for i in record["val"]), dtype=np.int64)
    except (TypeError, ValueError):
        raise unfit(path, "`val` must list integer positions") from None
    if len(saved) and (saved[0] < 0 or saved[-1] >= len(labels) or len(np.unique(saved)) != len(saved)):
        raise unfit(path, f"`val` positions must be distinct and in 0..{len(labels) - 1}")
    if len(complement(len(labels), saved)) == 0:
        raise unfit(path, "`val` takes the whole train split")
    return saved
