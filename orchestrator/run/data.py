"""Reading the data an experiment needs, once, on the driver (then shared through Ray's object store).

Where a dataset is not on this machine, a `--smoke` run (or an experiment whose analyses may run
without the real data, `Experiment.standin_data`) uses a generated stand-in of the same shape,
channels and classes (`workloads.data.standin`) and says so; a full training run stops with one line
naming what is missing and how to get it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.plan.expand import StagePlan

# --smoke decodes image-file datasets (skin 256 px, Imagenette 224 px, COVIDx 128 px) at this edge:
# a smoke run checks the pipeline, and small images keep it to about a minute on 2 CPUs.
SMOKE_IMAGE_SIZE = 64


@dataclass
class LoadedData:
    """name -> DatasetArrays for every dataset the stages use; `standins` names those generated."""

    arrays: dict[str, Any] = field(default_factory=dict)
    standins: list[str] = field(default_factory=list)


def load_one(name: str, root: str | None, cache_dir: Path, size: int | None = None) -> Any:
    """DatasetArrays of `name` (DatasetError, a ValueError, if unusable).

    Through the prepared cache in `cache_dir` wherever something must be done and recorded once:
    image-file datasets are decoded (at `size` pixels, else the recipe's) and memory-mapped from there
    on every later run; a validation split carved from train is saved as split membership, so two
    machines train on the same images (`workloads.data.cache.load_any`).
    """
    from workloads.data.cache import load_any

    return load_any(name, root, cache_dir, size=size)


def standin_for(name: str, smoke: bool) -> Any:
    """A generated stand-in of dataset `name`'s shape, channels and classes (smaller images under --smoke)."""
    from search_spaces.datasets import get_dataset_spec
    from workloads.data.standin import standin

    spec = get_dataset_spec(name)
    size = spec.image_size if spec.image_size == 1 else min(spec.image_size, SMOKE_IMAGE_SIZE if smoke else spec.image_size)
    return standin(name, spec.class_names, spec.channels, size)


def missing_message(name: str, error: Exception) -> str:
    """One line: what is missing, how to get it, and that --smoke runs without it."""
    from search_spaces.datasets import get_dataset_spec

    spec = get_dataset_spec(name)
    how = f"`mixbench data download {name} --root DIR`" if spec.download else f"obtain it from {spec.source}"
    return (f"{error}; {how} and pass --set data_root=DIR (or set MIXBENCH_DATA); "
            f"`--smoke` runs on a generated stand-in instead")


def load_for_plans(plans: list[StagePlan], cache_dir: Path, smoke: bool = False, standins: bool = False) -> LoadedData:
    """Every dataset any stage uses, each read once; stand-ins where it is missing and `smoke or standins`."""
    from workloads.data.types import MissingDataError

    roots: dict[str, Any] = {}
    for plan in plans:
        for config in plan.trial_configs:
            roots.setdefault(config["dataset"], config.get("data_root"))
    size = SMOKE_IMAGE_SIZE if smoke else None
    loaded = LoadedData()
    for name, root in roots.items():
        try:
            loaded.arrays[name] = load_one(name, root, cache_dir, size)
        except MissingDataError as exc:
            if not (smoke or standins):
                raise MissingDataError(missing_message(name, exc)) from None
            loaded.arrays[name] = standin_for(name, smoke)
            loaded.standins.append(name)
    return loaded
