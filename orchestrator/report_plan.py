"""What a report expects to find: each stage's rows, columns and seeds per cell.

Expanded from the Experiment's plain data, applying only the overrides that change a cell's identity
(`--smoke`: fewer seeds and a small arch; `--set dataset/arch/seed`). Configs are NOT validated
through the trainable: a report must work on an interrupted run, and where torch or the trainable
cannot be imported.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from orchestrator.plan import grid_cells, smoke_config
from orchestrator.workdir import WorkDir
from search_spaces.experiment import Bayesian, Experiment, Grid, Param

IDENTITY_KEYS = ("dataset", "arch", "seed")  # a --set of these moves a trial to another cell


@dataclass(frozen=True)
class Row:
    """One table row: its label ("cifar10" or "cifar10 / resnet50") and the values it stands for."""

    label: str
    dataset: str
    arch: str


@dataclass
class ReportStage:
    """One stage as a report sees it.

    Grid: `rows` x `columns` (variants, in the experiment's order), `expected[(row label, variant)]`
    seeds per cell. Bayesian: `space`, `num_samples` trials planned on `dataset` / `arch`.
    """

    name: str
    kind: str  # "grid" | "bayesian"
    metric: str
    mode: str
    row_keys: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    expected: dict[tuple[str, str], int] = field(default_factory=dict)
    space: Mapping[str, Param] = field(default_factory=dict)
    num_samples: int = 0
    dataset: str = ""
    arch: str = ""

    @property
    def cells(self) -> int:
        return len(self.expected)


def invocation_options(workdir: WorkDir, experiment: str, invocation: str | None) -> tuple[bool, dict[str, Any]]:
    """(smoke, sets) the invocation was started with (the runner's `mixbench.json`); defaults if
    the record is absent or unreadable (a report must still say what it can)."""
    if not invocation:
        return False, {}
    path = workdir.invocation_record(experiment, invocation)
    try:
        options = json.loads(path.read_text()).get("options", {})
        return bool(options.get("smoke", False)), dict(options.get("sets") or {})
    except (OSError, ValueError, AttributeError):
        return False, {}


def _smoke_arch(experiment: Experiment, dataset: str) -> str:
    try:
        return str(smoke_config(experiment, dataset)["arch"])
    except (ValueError, KeyError):  # a dataset without a spec: the generic small model
        return str(experiment.smoke.get("arch", "small_cnn"))


def _identity(experiment: Experiment, cell: Mapping[str, Any], smoke: bool, sets: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: cell[k] for k in (*IDENTITY_KEYS, "variant") if k in cell}
    if smoke:
        out.update({k: experiment.smoke[k] for k in ("dataset", "seed") if k in experiment.smoke})
        out["arch"] = _smoke_arch(experiment, out["dataset"])
    out.update({k: sets[k] for k in IDENTITY_KEYS if k in sets})
    return out


def _grid_stage(experiment: Experiment, stage: Grid, smoke: bool, sets: Mapping[str, Any]) -> ReportStage:
    cells, seen = [], set()
    for cell in grid_cells(stage, smoke):
        ident = _identity(experiment, cell, smoke, sets)
        key = (ident["dataset"], ident["arch"], ident["variant"], ident["seed"])
        if key not in seen:  # --smoke maps every arch to one: cells merge, as the planner dedupes them
            seen.add(key)
            cells.append(ident)
    keys = ["dataset", "arch"] if len({c["arch"] for c in cells}) > 1 else ["dataset"]
    rows: dict[str, Row] = {}
    expected: dict[tuple[str, str], int] = {}
    for c in cells:
        label = " / ".join(str(c[k]) for k in keys)
        rows.setdefault(label, Row(label, str(c["dataset"]), str(c["arch"])))
        expected[(label, c["variant"])] = expected.get((label, c["variant"]), 0) + 1
    columns = list(dict.fromkeys(c["variant"] for c in cells))
    return ReportStage(stage.name, "grid", experiment.metric, experiment.mode, keys, list(rows.values()),
                       columns, expected)


def _bayesian_stage(experiment: Experiment, stage: Bayesian, smoke: bool, sets: Mapping[str, Any]) -> ReportStage:
    cell = {"dataset": stage.dataset, "arch": stage.arch, "seed": stage.seed, "variant": stage.method.label}
    ident = _identity(experiment, cell, smoke, sets)
    samples = min(stage.num_samples, experiment.smoke_samples) if smoke else stage.num_samples
    return ReportStage(stage.name, "bayesian", experiment.metric, experiment.mode, space=stage.space,
                       num_samples=samples, dataset=str(ident["dataset"]), arch=str(ident["arch"]))


def report_stages(experiment: Experiment, smoke: bool = False, sets: Mapping[str, Any] | None = None) -> list[ReportStage]:
    """Every stage of `experiment` as planned under (smoke, sets), in the experiment's order."""
    sets = dict(sets or {})
    out = []
    for stage in experiment.stages:
        if isinstance(stage, Grid) and not stage.report:
            continue  # a preparatory stage (e.g. GAN training): no table of its own
        if isinstance(stage, Grid):
            out.append(_grid_stage(experiment, stage, smoke, sets))
        elif isinstance(stage, Bayesian):
            out.append(_bayesian_stage(experiment, stage, smoke, sets))
        else:
            raise TypeError(f"unknown stage type {type(stage).__name__}")
    return out
