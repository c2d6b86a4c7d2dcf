"""Reading the data an experiment needs, once, on the driver."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.plan import StagePlan


def resolve_data_root(value: str | None) -> str | None:
    """`data_root` as given, else $MIXBENCH_DATA; absolute, because each Ray trial runs in its own folder."""
    root = value or os.environ.get("MIXBENCH_DATA")
    return str(Path(root).expanduser().resolve()) if root else None


def load_one(name: str, root: str | None, cache_dir: Path) -> Any:
    """DatasetArrays of `name` (DatasetError, a ValueError, if unusable).

    Image-file datasets (JPEG/PNG folders) are decoded once into `cache_dir` and memory-mapped from
    there on every later run; array formats (CIFAR pickles, IDX, npz, ...) are read directly.
    """
    from workloads.data import load_dataset
    from workloads.data.cache import load_prepared
    from workloads.data.images import FILE_DATASETS

    return load_prepared(name, root, cache_dir) if name in FILE_DATASETS else load_dataset(name, root)


def load_for_plans(plans: list["StagePlan"], cache_dir: Path) -> dict[str, Any]:
    """name -> DatasetArrays for every dataset any stage uses, each read once."""
    roots: dict[str, Any] = {}
    for plan in plans:
        for config in plan.configs or [plan.base]:
            roots.setdefault(config["dataset"], config.get("data_root"))
    return {name: load_one(name, root, cache_dir) for name, root in roots.items()}
