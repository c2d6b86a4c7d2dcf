"""Is a dataset usable? Read its layout without decoding every image, and say what was found."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.images import FILE_DATASETS, check_headers
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.types import SPLITS


def check_dataset(name: str, root: str | Path | None) -> str:
    """A one-line summary ("50000/10000/10000 images, 10 classes, at ...") of a usable dataset.

    Image-file datasets are indexed and every file's header opened (no pixel decoding); array
    datasets are read whole. Raises MissingDataError (a path is absent) or DatasetError (malformed),
    and ValueError for an unknown name.
    """
    DATASETS.get(name)
    root_path: Optional[Path] = Path(root).expanduser() if root else None
    if name in FILE_DATASETS:
        index = FILE_DATASETS.get(name)(root_path)
        check_headers(index)
        counts = [len(index.split_indices()[s]) for s in SPLITS]
        where = index.base
        classes = len(index.class_names)
    else:
        data = load_dataset(name, root_path)
        counts = [len(data.splits[s]) for s in SPLITS]
        # digits and the synthetic sets are generated or packaged: the root plays no part.
        built_in = DATASETS.get(name).__module__ in ("workloads.data.digits", "workloads.data.synthetic")
        where = "(built in)" if built_in or not root_path else root_path
        classes = data.num_classes
    return f"{'/'.join(map(str, counts))} train/val/test samples, {classes} classes, at {where}"
