"""One expansion of an Experiment (plain data) into stages and flat trial configs, for running it and
for reporting it.

Config precedence, lowest first: the dataset group's recipe < the experiment's `fixed` < the stage's
`fixed` < the cell (dataset, arch, method, seed) < `--smoke` overrides < the user's `--set`; a stage's
trials get only the keys of the stage's trainable (the recipe's `lr` never reaches the GAN, whose key is
`gan_lr`). Running plans with `validate=True`: every `--set` key is checked once against the union of
the experiment's trainables' keys, and every config is validated by its trainable before Ray starts.
Reports plan the same expansion without validating: a report must work on an interrupted run and on
a machine without the run's data or weights.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from orchestrator.plan.data_root import resolve_data_root
from orchestrator.plan.trainables import get_trainable
from search_spaces.experiment import Bayesian, Experiment, Grid, Param

# --smoke: about a minute on 2 CPUs for any experiment.
SMOKE_DEFAULTS: dict[str, Any] = {"epochs": 1, "subset": 96, "batch_size": 32, "pretrained": False}
SMOKE_SEEDS = 1
# The keys that make a results-table cell; every trainable accepts them (a test checks).
IDENTITY_KEYS = ("dataset", "arch", "method", "variant", "seed")
PARAM_KINDS = ("uniform", "loguniform", "int", "choice")


@dataclass
class StagePlan:
    """One stage, ready for a Tuner: the ordered grid configs, or a base config and a search space.

    `set_keys`: the user's `--set` keys this stage's trainable takes (the others reach other stages).
    `report`: False for a preparatory stage (GAN training, set generation) with no results table.
    """

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
    report: bool = True
    set_keys: tuple[str, ...] = ()

    @property
    def num_trials(self) -> int:
        return len(self.configs) if self.kind == "grid" else self.num_samples

    @property
    def trial_configs(self) -> list[dict[str, Any]]:
        """The grid's configs, or the Bayesian stage's base config (what every trial starts from)."""
        return self.configs if self.kind == "grid" else [self.base]

    def datasets(self) -> list[str]:
        return sorted({c["dataset"] for c in self.trial_configs})


def planned_epochs(config: Mapping[str, Any]) -> int:
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


def only(config: Mapping[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    """The entries of `config` whose key is in `keys` (all of them for a trainable taking any key)."""
    return dict(config) if keys is None else {k: v for k, v in config.items() if k in keys}


def trial_config(experiment: Experiment, stage_fixed: Mapping[str, Any], cell: Mapping[str, Any], smoke: bool,
                 sets: Mapping[str, Any], keys: frozenset[str] | None) -> dict[str, Any]:
    """One flat config, unvalidated (see the module docstring for the precedence)."""
    config: dict[str, Any] = {}
    config.update(recipe_config(cell["dataset"]))
    config.update(experiment.fixed)
    config.update(stage_fixed)
    config.update(cell)
    if smoke:
        config.update(smoke_config(experiment, cell["dataset"]))
    config.update(sets)
    config = only(config, keys)
    if keys is None or "data_root" in keys:
        config["data_root"] = resolve_data_root(config.get("data_root"))
    return config


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


def stage_keys(experiment: Experiment, stage: Grid | Bayesian) -> tuple[str, frozenset[str] | None]:
    """(trainable name, its keys) of a stage."""
    name = getattr(stage, "trainable", None) or experiment.trainable
    return name, get_trainable(name).keys()


def plan_stage(experiment: Experiment, stage: Grid | Bayesian, smoke: bool, sets: Mapping[str, Any],
               validate: bool, user_keys: Iterable[str] = ()) -> StagePlan:
    """`sets`: every override (the user's `--set` and the planner's own, e.g. `artifacts_dir`);
    `user_keys`: the keys the user set, recorded per stage as `set_keys`."""
    trainable, keys = stage_keys(experiment, stage)
    if validate and keys is not None and set(stage.fixed) - keys:
        raise ValueError(f"stage {stage.name!r} of experiment {experiment.name!r} fixes key(s) "
                         f"{', '.join(sorted(set(stage.fixed) - keys))} that its trainable {trainable!r} does not take")
    common = dict(experiment=experiment.name, stage=stage.name, trainable=trainable,
                  metric=getattr(stage, "metric", None) or experiment.metric,
                  mode=getattr(stage, "mode", None) or experiment.mode,
                  set_keys=tuple(sorted(k for k in user_keys if keys is None or k in keys)))
    checked = get_trainable(trainable).validate if validate else dict
    if isinstance(stage, Grid):
        configs = dedupe([trial_config(experiment, stage.fixed, cell, smoke, sets, keys)
                          for cell in grid_cells(stage, smoke)])
        return StagePlan(kind="grid", configs=[checked(c) for c in configs], report=stage.report, **common)
    if isinstance(stage, Bayesian):
        searched = sorted(set(stage.space) & set(sets))
        if searched:
            raise ValueError(f"--set {searched[0]} conflicts with stage {stage.name!r}, which searches it")
        cell = {"dataset": stage.dataset, "arch": stage.arch, "seed": stage.seed, **stage.method.config()}
        base = checked(trial_config(experiment, stage.fixed, cell, smoke, sets, keys))
        if validate:
            for name, param in stage.space.items():
                check_param(name, param, base)
        samples = min(stage.num_samples, experiment.smoke_samples) if smoke else stage.num_samples
        return StagePlan(kind="bayesian", base=base, space=stage.space, num_samples=samples,
                         asha=stage.asha, seed=stage.seed, **common)
    raise TypeError(f"unknown stage type {type(stage).__name__}")


def check_param(name: str, param: Param, base: Mapping[str, Any]) -> None:
    if param.kind not in PARAM_KINDS:
        raise ValueError(f"search space {name}: kind {param.kind!r} is not one of {', '.join(PARAM_KINDS)}")
    if name not in base:
        raise ValueError(f"search space names unknown config key {name!r}")
    if param.kind != "choice" and not (param.low is not None and param.high is not None and param.low < param.high):
        raise ValueError(f"search space {name}: need low < high, got {param.low}, {param.high}")


def check_keys(experiment: Experiment, given: Iterable[str], what: str) -> None:
    """Every key in `given` is taken by at least one of the experiment's trainables; ValueError naming
    the unknown key and the valid ones otherwise."""
    every = [stage_keys(experiment, stage)[1] for stage in experiment.stages]
    if any(keys is None for keys in every):
        return
    valid = frozenset().union(*every)
    unknown = sorted(set(given) - valid)
    if unknown:
        raise ValueError(f"unknown config key(s) {', '.join(unknown)} in {what} of experiment {experiment.name!r}; "
                         f"valid keys: {', '.join(sorted(valid))}")


def plan_experiment(experiment: Experiment, smoke: bool = False, sets: Mapping[str, Any] | None = None,
                    artifacts_dir: str | None = None, validate: bool = True) -> list[StagePlan]:
    """Every stage of `experiment` (ValueError on any bad name or value when `validate`).

    `artifacts_dir` (for experiments with `artifacts=True`) is added to every trial's config.
    """
    names = [stage.name for stage in experiment.stages]
    if len(set(names)) != len(names):
        raise ValueError(f"experiment {experiment.name!r} repeats a stage name: {names}")
    given = dict(sets or {})
    if validate:
        check_keys(experiment, given, "--set")
        check_keys(experiment, experiment.fixed, "`fixed`")
        check_keys(experiment, experiment.smoke, "`smoke`")
    overrides = dict(given)
    if experiment.artifacts:
        if not artifacts_dir and validate:
            raise ValueError(f"experiment {experiment.name!r} hands files between stages and needs an artifacts_dir")
        overrides["artifacts_dir"] = str(artifacts_dir) if artifacts_dir else None
    return [plan_stage(experiment, stage, smoke, overrides, validate, given) for stage in experiment.stages]
