"""From an Experiment (plain data) to the flat trial configs Ray Tune runs.

Config precedence, lowest first: the trainable's defaults < the dataset group's recipe < the
experiment's `fixed` < the stage's `fixed` < the cell (dataset, arch, method, seed) < `--smoke`
overrides < the user's `--set`. Every config is validated before Ray starts.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping

from search_spaces.experiment import Bayesian, Experiment, Grid, Param
from orchestrator.datasets import resolve_data_root
from orchestrator.trainables import get_trainable

# --smoke: about a minute on 2 CPUs for any experiment.
SMOKE_DEFAULTS: dict[str, Any] = {"epochs": 1, "subset": 96, "batch_size": 32, "pretrained": False}
SMOKE_SEEDS = 1


@dataclass
class StagePlan:
    """One stage, ready for a Tuner: the ordered grid configs, or a base config and a search space."""

    experiment: str
    stage: str
    kind: str  # "grid" | "bayesian"
    trainable: str
    metric: str
    mode: str
    configs: list[dict[str, Any]] = field(default_factory=list)
    base: dict[str, Any] = field(default_factory=dict)
    space: Mapping[str, Param] = field(default_factory=dict)
    num_samples: int = 0
    asha: bool = False
    seed: int = 0

    @property
    def num_trials(self) -> int:
        return len(self.configs) if self.kind == "grid" else self.num_samples

    def datasets(self) -> list[str]:
        configs = self.configs if self.kind == "grid" else [self.base]
        return sorted({c["dataset"] for c in configs})


def planned_epochs(config: dict[str, Any]) -> int:
    """Epochs a trial is meant to run (`epochs` x `epochs_factor`); 0 for trainables without epochs."""
    return int(config.get("epochs") or 0) * int(config.get("epochs_factor") or 1)


def recipe_config(dataset: str) -> dict[str, Any]:
    """The dataset group's training recipe (search_spaces.recipes), as flat config values."""
    from search_spaces.recipes import recipe_for

    return dict(recipe_for(dataset))


def smoke_config(experiment: Experiment, dataset: str) -> dict[str, Any]:
    """What --smoke overrides: short, small, and on a small model suited to the data's shape."""
    from search_spaces.datasets import get_dataset_spec

    vector_data = get_dataset_spec(dataset).group == "synthetic"
    return {**SMOKE_DEFAULTS, "arch": "mlp" if vector_data else "small_cnn", **experiment.smoke}


def trial_config(
    experiment: Experiment,
    stage_fixed: Mapping[str, Any],
    cell: Mapping[str, Any],
    smoke: bool,
    sets: Mapping[str, Any],
    trainable: str = "classify",
) -> dict[str, Any]:
    """One validated flat config (see the module docstring for the precedence)."""
    dataset = cell["dataset"]
    config: dict[str, Any] = {}
    config.update(recipe_config(dataset))
    config.update(experiment.fixed)
    config.update(stage_fixed)
    config.update(cell)
    if smoke:
        config.update(smoke_config(experiment, dataset))
    config.update(sets)
    config["data_root"] = resolve_data_root(config.get("data_root"))
    return get_trainable(trainable).validate(config)


def grid_cells(stage: Grid, smoke: bool) -> list[dict[str, Any]]:
    """Cells in table order: all seeds of one (dataset, method, arch) are adjacent, so whole table
    cells finish early when trials run in this order."""
    seeds = stage.seeds[:SMOKE_SEEDS] if smoke else stage.seeds
    cells = []
    for dataset, method, arch in itertools.product(stage.datasets, stage.methods, stage.archs):
        for seed in seeds:
            cells.append({"dataset": dataset, "arch": arch, "seed": seed, **method.config()})
    return cells


def dedupe(configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop configs made identical by overrides (e.g. --smoke maps every arch to small_cnn)."""
    seen, out = set(), []
    for config in configs:
        key = repr(sorted(config.items()))
        if key not in seen:
            seen.add(key)
            out.append(config)
    return out


def plan_stage(experiment: Experiment, stage, smoke: bool, sets: Mapping[str, Any]) -> StagePlan:
    trainable = getattr(stage, "trainable", None) or experiment.trainable
    common = dict(experiment=experiment.name, stage=stage.name, trainable=trainable,
                  metric=getattr(stage, "metric", None) or experiment.metric,
                  mode=getattr(stage, "mode", None) or experiment.mode)
    if isinstance(stage, Grid):
        configs = [trial_config(experiment, stage.fixed, cell, smoke, sets, trainable) for cell in grid_cells(stage, smoke)]
        return StagePlan(kind="grid", configs=dedupe(configs), **common)
    if isinstance(stage, Bayesian):
        searched = sorted(set(stage.space) & set(sets))
        if searched:
            raise ValueError(f"--set {searched[0]} conflicts with stage {stage.name!r}, which searches it")
        cell = {"dataset": stage.dataset, "arch": stage.arch, "seed": stage.seed, **stage.method.config()}
        base = trial_config(experiment, stage.fixed, cell, smoke, sets, trainable)
        for name, param in stage.space.items():
            check_param(name, param, base)
        samples = min(stage.num_samples, experiment.smoke_samples) if smoke else stage.num_samples
        return StagePlan(kind="bayesian", base=base, space=stage.space, num_samples=samples,
                         asha=stage.asha, seed=stage.seed, **common)
    raise TypeError(f"unknown stage type {type(stage).__name__}")


def check_param(name: str, param: Param, base: Mapping[str, Any]) -> None:
    kinds = ("uniform", "loguniform", "int", "choice")
    if param.kind not in kinds:
        raise ValueError(f"search space {name}: kind {param.kind!r} is not one of {', '.join(kinds)}")
    if name not in base:
        raise ValueError(f"search space names unknown config key {name!r}")
    if param.kind != "choice" and not (param.low is not None and param.high is not None and param.low < param.high):
        raise ValueError(f"search space {name}: need low < high, got {param.low}, {param.high}")


def plan_experiment(experiment: Experiment, smoke: bool = False, sets: Mapping[str, Any] | None = None,
                    artifacts_dir: str | None = None) -> list[StagePlan]:
    """Every stage of `experiment`, validated. Raises ValueError on any bad name or value.

    `artifacts_dir` (for experiments with `artifacts=True`) is added to every trial's config.
    """
    names = [stage.name for stage in experiment.stages]
    if len(set(names)) != len(names):
        raise ValueError(f"experiment {experiment.name!r} repeats a stage name: {names}")
    sets = dict(sets or {})
    if experiment.artifacts:
        if not artifacts_dir:
            raise ValueError(f"experiment {experiment.name!r} hands files between stages and needs an artifacts_dir")
        sets["artifacts_dir"] = str(artifacts_dir)
    return [plan_stage(experiment, stage, smoke, sets) for stage in experiment.stages]
