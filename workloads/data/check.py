"""Is a dataset usable? Read its layout without decoding every image, and say what was found."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.images import FILE_DATASETS, check_headers
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.types import SPLITS


def split_shares(counts: list[int]) -> str:
    """Each split's share of all samples: "split 70.0/10.0/20.0 %"."""
    total = max(sum(counts), 1)
    return f"split {'/'.join(f'{100 * n / total:.1f}' for n in counts)} %"


def check_dataset(name: str, root: str | Path | None) -> str:
    """What was found, for `mixbench data check`: a summary line, then one indented line per note.

    "708/101/202 train/val/test samples, 5 classes, at ROOT; split 70.0/10.0/20.0 %", followed by the
    reader's notes (rows dropped and why, a release other than the paper's). Splits are those a run
    without a saved split file would make (a cache's split file, once written, is what runs use).
    Image-file datasets are indexed and every file's header opened (no pixel decoding); array
    datasets are read whole. Raises MissingDataError (a path is absent) or DatasetError (malformed),
    and ValueError for an unknown name.
    """
    DATASETS.get(name)
    root_path: Optional[Path] = Path(root).expanduser() if root else None
    if name in FILE_DATASETS:
        index = FILE_DATASETS.get(name)(root_path)
        check_headers(index)
        indices = index.split_indices()
        counts = [len(indices[s]) for s in SPLITS]
        where, classes, notes = index.base, len(index.class_names), index.notes
    else:
        data = load_dataset(name, root_path)
        counts = [len(data.splits[s]) for s in SPLITS]
        # digits and the synthetic sets are generated or packaged: the root plays no part.
        built_in = DATASETS.get(name).__module__ in ("workloads.data.digits", "workloads.data.synthetic",
                                                     "workloads.data.ct_toy")
        where = "(built in)" if built_in or not root_path else root_path
        classes, notes = data.num_classes, data.notes
    summary = f"{'/'.join(map(str, counts))} train/val/test samples, {classes} classes, at {where}; {split_shares(counts)}"
    return "\n".join([summary] + [f"  {note}" for note in notes])
