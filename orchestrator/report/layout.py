"""What a report expects to find: each reported stage's rows, columns and seeds per cell.

Laid out from the same expansion the run used (`orchestrator.plan.expand`, not validated: a report
must work on an interrupted run, and on a machine without the run's data or weights), under the
options the invocation was started with (`--smoke`, `--set`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from orchestrator.plan.expand import StagePlan, plan_experiment
from search_spaces.experiment import Experiment, Param


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

    @property
    def planned_trials(self) -> int:
        return sum(self.expected.values()) if self.kind == "grid" else self.num_samples


def _grid_stage(plan: StagePlan) -> ReportStage:
    cells = plan.configs
    keys = ["dataset", "arch"] if len({c["arch"] for c in cells}) > 1 else ["dataset"]
    rows: dict[str, Row] = {}
    expected: dict[tuple[str, str], int] = {}
    for c in cells:
        label = " / ".join(str(c[k]) for k in keys)
        rows.setdefault(label, Row(label, str(c["dataset"]), str(c["arch"])))
        expected[(label, c["variant"])] = expected.get((label, c["variant"]), 0) + 1
    columns = list(dict.fromkeys(c["variant"] for c in cells))
    return ReportStage(plan.stage, "grid", plan.metric, plan.mode, keys, list(rows.values()), columns, expected)


def _bayesian_stage(plan: StagePlan) -> ReportStage:
    return ReportStage(plan.stage, "bayesian", plan.metric, plan.mode, space=plan.space,
                       num_samples=plan.num_samples, dataset=str(plan.base["dataset"]), arch=str(plan.base["arch"]))


def report_stages(experiment: Experiment, smoke: bool = False, sets: Mapping[str, Any] | None = None) -> list[ReportStage]:
    """Every reported stage of `experiment` as planned under (smoke, sets), in the experiment's order
    (preparatory stages, e.g. GAN training, have no table of their own)."""
    plans = plan_experiment(experiment, smoke=smoke, sets=sets, validate=False)
    return [_grid_stage(p) if p.kind == "grid" else _bayesian_stage(p) for p in plans if p.report]
