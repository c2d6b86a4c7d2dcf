"""Reading the data an experiment needs, once, on the driver."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.plan import StagePlan


def load_for_plans(plans: list[StagePlan], cache_dir: Path) -> dict[str, Any]:
    """name -> DatasetArrays for every dataset any stage uses (DatasetError, a ValueError, if unusable).

    Image-file datasets (JPEG/PNG folders) are decoded once into `cache_dir` and memory-mapped from
    there on every later run; array formats (CIFAR pickles, IDX, npz, ...) are read directly.
    """
    from workloads.data import load_dataset
    from workloads.data.cache import load_prepared
    from workloads.data.images import FILE_DATASETS

    roots: dict[str, Any] = {}
    for plan in plans:
        for config in plan.configs or [plan.base]:
            roots.setdefault(config["dataset"], config.get("data_root"))
    return {
        name: load_prepared(name, root, cache_dir) if name in FILE_DATASETS else load_dataset(name, root)
        for name, root in roots.items()
    }
