"""Reading the data an experiment needs, once, on the driver (then shared through Ray's object store).

Where a dataset is not on this machine, a `--smoke` run (or an experiment whose analyses may run
without the real data, `Experiment.standin_data`) uses a generated stand-in of the same shape,
channels and classes (`workloads.data.standin`) and says so; a full training run stops with one line
naming what is missing and how to get it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.plan.expand import StagePlan

# --smoke decodes image-file datasets (skin 256 px, Imagenette 224 px, COVIDx 128 px) at this edge:
# a smoke run checks the pipeline, and small images keep it to about a minute on 2 CPUs.
SMOKE_IMAGE_SIZE = 64


@dataclass
class LoadedData:
    """name -> DatasetArrays for every dataset the stages use; `standins` names those generated."""

    arrays: dict[str, Any] = field(default_factory=dict)
    standins: list[str] = field(default_factory=list)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # what MLflow shows of each (`dataset_card`)


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
        loaded.cards[name] = dataset_card(name, loaded.arrays[name], root, name in loaded.standins)
    return loaded


def dataset_card(name: str, data: Any, root: str | None, standin: bool) -> dict[str, Any]:
    """What MLflow shows of a trial's dataset (`Tracking.log_dataset`): its name, a digest of the prepared
    arrays (shapes and a strided sample of every split's bytes: cheap on gigabytes, changes with any
    preparation), where it came from, and the split sizes."""
    digest = hashlib.sha256()
    sizes = {}
    for split, arrays in sorted(data.splits.items()):
        for array in (np.asarray(arrays.images), np.asarray(arrays.labels)):
            flat = array.reshape(-1)
            digest.update(f"{split}{array.shape}{array.dtype}".encode())
            digest.update(np.ascontiguousarray(flat[:: max(1, flat.size // 65536)]).tobytes())
        sizes[split] = len(arrays)
    source = "generated stand-in" if standin else (root or "packaged with the code")
    shape = list(np.asarray(data.splits["train"].images).shape[1:])
    return {"name": name, "digest": digest.hexdigest()[:16], "source_type": "stand-in" if standin else "local",
            "source": str(source), "schema": json.dumps({"images": f"{np.asarray(data.splits['train'].images).dtype} "
                                                                    f"(N, {', '.join(map(str, shape))})",
                                                         "labels": "int64 (N,)"}),
            "profile": json.dumps({"classes": len(data.class_names), **{f"{k}_size": v for k, v in sizes.items()}})}
