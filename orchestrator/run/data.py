"""Reading the data an experiment needs, once, on the driver (then shared through Ray's object store).

Every stage reads its datasets through one mechanism: `LoadedData.arrays` holds each set of arrays
once under a data key, and `LoadedData.for_stage` says which key each of a stage's datasets reads.
A dataset on its official split has its name as key, shared by every stage as it is. A dataset whose
configs ask for GeMix's protocol split (`split="gemix"`, `workloads.gemix.protocol`) is split here, once
per invocation, before Ray starts: the split is drawn (or, on resume, read back) from
`{artifacts_dir}/splits/`, only the chosen images are decoded (into the cache), and each stage gets
the view its trainable trains on (`SPLIT_PART`): key `<name>@gan` (the GAN's subset as its train
split) or `<name>@classifier` (the classifier's train, val and test).

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
from typing import Any, Iterable

import numpy as np

from orchestrator.plan.expand import StagePlan
from orchestrator.plan.trainables import get_trainable

# --smoke decodes image-file datasets (skin 256 px, Imagenette 224 px, COVIDx 128 px) at this edge:
# a smoke run checks the pipeline, and small images keep it to about a minute on 2 CPUs.
SMOKE_IMAGE_SIZE = 64


@dataclass
class LoadedData:
    """`arrays`: data key -> DatasetArrays, each read once; `stages`: stage -> {dataset name: data key}
    where the stage reads a view of a split (any other dataset's key is its name); `standins`: the
    datasets generated because the real ones were missing; `notes`: lines for the console."""

    arrays: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, dict[str, str]] = field(default_factory=dict)
    standins: list[str] = field(default_factory=list)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # data key -> what MLflow shows (`dataset_card`)
    notes: list[str] = field(default_factory=list)

    def for_stage(self, stage: str, datasets: Iterable[str]) -> dict[str, str]:
        """{dataset name: data key} of what `stage` reads."""
        mine = self.stages.get(stage, {})
        return {name: mine.get(name, name) for name in datasets}


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


def split_part(trainable: str) -> str:
    """The view of a protocol split trainable `trainable` trains on ("gan" or "classifier")."""
    return getattr(get_trainable(trainable).config, "SPLIT_PART", "classifier")


def _protocols(plans: list[StagePlan], loaded: LoadedData) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """{dataset: its protocol sizes} and {dataset: the views its stages read}; fills `loaded.stages`.
    ValueError where two stages ask for different splits of one dataset."""
    from workloads.split_keys import sizes_of

    sizes: dict[str, Any] = {}
    views: dict[str, set[str]] = {}
    for plan in plans:
        part = split_part(plan.trainable)
        for config in plan.trial_configs:
            if config.get("split", "official") == "official":
                continue
            name, asked = config["dataset"], sizes_of(config)
            if sizes.setdefault(name, asked) != asked:
                raise ValueError(f"the stages of one run ask for two splits of {name}: {sizes[name]} and {asked} "
                                 f"(stage {plan.stage!r}); one split per dataset and invocation")
            views.setdefault(name, set()).add(part)
            loaded.stages.setdefault(plan.stage, {})[name] = f"{name}@{part}"
    if len(sizes) > 1:
        raise ValueError(f"one dataset per invocation may use a protocol split; this run asks for {', '.join(sizes)}")
    return sizes, views


def _split(name: str, root: Any, sizes: Any, views: set[str], cache_dir: Path, smoke: bool, standins: bool,
           artifacts_dir: Path | None, loaded: LoadedData) -> None:
    """Draw (or read back) the protocol split of `name` and load only the views its stages read."""
    from workloads.artifacts import splits_dir
    from workloads.data.catalog import array_catalog, catalog_of
    from workloads.data.types import MissingDataError
    from workloads.gemix.protocol import protocol_parts, protocol_views

    try:
        catalog = catalog_of(name, root, cache_dir, size=SMOKE_IMAGE_SIZE if smoke else None, progress=True)
    except MissingDataError as exc:
        if not (smoke or standins):
            raise MissingDataError(missing_message(name, exc)) from None
        catalog = array_catalog(standin_for(name, smoke))
        loaded.standins.append(name)
    directory = splits_dir(artifacts_dir) if artifacts_dir is not None else None
    reused = directory is not None and (directory / "split.json").is_file()
    parts = protocol_parts(catalog, sizes, directory)
    for view, arrays in protocol_views(catalog, parts, tuple(sorted(views))).items():
        loaded.arrays[f"{name}@{view}"] = arrays
    counts = ", ".join(f"{part} {len(positions)}" for part, positions in parts.items())
    where = f"{'reused from' if reused else 'written to'} {directory}" if directory else "not written"
    loaded.notes.append(f"data: {name} on the GeMix protocol split ({counts} images; {where})")


def load_for_plans(plans: list[StagePlan], cache_dir: Path, smoke: bool = False, standins: bool = False,
                   artifacts_dir: Path | None = None) -> LoadedData:
    """Every dataset any stage uses, each read once; stand-ins where it is missing and `smoke or standins`;
    protocol splits drawn into (or read back from) `{artifacts_dir}/splits` (see the module docstring)."""
    from workloads.data.types import MissingDataError

    loaded = LoadedData()
    roots: dict[str, Any] = {}
    official: set[str] = set()
    for plan in plans:
        for config in plan.trial_configs:
            roots.setdefault(config["dataset"], config.get("data_root"))
            if config.get("split", "official") == "official":
                official.add(config["dataset"])
    sizes, views = _protocols(plans, loaded)
    for name, protocol_sizes in sizes.items():
        _split(name, roots[name], protocol_sizes, views[name], cache_dir, smoke, standins, artifacts_dir, loaded)
    size = SMOKE_IMAGE_SIZE if smoke else None
    for name in (n for n in roots if n in official):
        try:
            loaded.arrays[name] = load_one(name, roots[name], cache_dir, size)
        except MissingDataError as exc:
            if not (smoke or standins):
                raise MissingDataError(missing_message(name, exc)) from None
            loaded.arrays[name] = standin_for(name, smoke)
            if name not in loaded.standins:
                loaded.standins.append(name)
    for key, arrays in loaded.arrays.items():
        name = key.split("@")[0]
        loaded.cards[key] = dataset_card(key, arrays, roots.get(name), name in loaded.standins)
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
