"""Reading the data an experiment needs, once, on the driver (then shared through Ray's object store)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.plan.expand import StagePlan

# --smoke decodes image-file datasets (skin 256 px, Imagenette 224 px, COVIDx 128 px) at this edge:
# a smoke run checks the pipeline, and small images keep it to about a minute on 2 CPUs.
SMOKE_IMAGE_SIZE = 64


def load_one(name: str, root: str | None, cache_dir: Path, size: int | None = None) -> Any:
    """DatasetArrays of `name` (DatasetError, a ValueError, if unusable).

    Image-file datasets (JPEG/PNG folders) are decoded once into `cache_dir` (at `size` pixels, else
    the recipe's) and memory-mapped from there on every later run; array formats (CIFAR pickles, IDX,
    npz, ...) are read directly.
    """
    from workloads.data import load_dataset
    from workloads.data.cache import load_prepared
    from workloads.data.images import FILE_DATASETS

    return load_prepared(name, root, cache_dir, size=size) if name in FILE_DATASETS else load_dataset(name, root)


def load_for_plans(plans: list[StagePlan], cache_dir: Path, smoke: bool = False) -> dict[str, Any]:
    """name -> DatasetArrays for every dataset any stage uses, each read once."""
    roots: dict[str, Any] = {}
    for plan in plans:
        for config in plan.trial_configs:
            roots.setdefault(config["dataset"], config.get("data_root"))
    size = SMOKE_IMAGE_SIZE if smoke else None
    return {name: load_one(name, root, cache_dir, size) for name, root in roots.items()}
