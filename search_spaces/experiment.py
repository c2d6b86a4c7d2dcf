"""Experiments as plain data: what to run, never how. Names of datasets, methods and archs are strings.

An experiment is one or more *stages*. A `Grid` stage is the Cartesian product datasets x methods x
archs x seeds; a `Bayesian` stage is an Optuna TPE search over a space. Every trial's config is one
flat dict of JSON values: recipe defaults < dataset-group recipe < experiment `fixed` < stage values
< the user's `--set`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

GAMMA_MIN = 1.72865  # Theorem 1 of the zeta-mixup paper: above it each output is dominated by one input


@dataclass(frozen=True)
class Method:
    """A column of a results table: a method (mixer) name, its parameters, and a display label."""

    label: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return {"variant": self.label, "method": self.method, **self.params}


@dataclass(frozen=True)
class Param:
    """One dimension of a Bayesian search space: kind is "uniform", "loguniform", "int" or "choice"."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Grid:
    """Every combination of datasets x methods x archs x seeds, one trial each."""

    datasets: tuple[str, ...]
    methods: tuple[Method, ...]
    archs: tuple[str, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    name: str = "grid"
    trainable: str | None = None  # default: the experiment's (e.g. "gan-train" for a GAN stage)
    metric: str | None = None  # default: the experiment's metric and mode
    mode: str | None = None
    report: bool = True  # False: a preparatory stage (GAN training, set generation) with no results table


@dataclass(frozen=True)
class Bayesian:
    """An Optuna TPE search: `num_samples` trials over `space`, everything else from `fixed`."""

    dataset: str
    method: Method
    arch: str
    space: Mapping[str, Param]
    num_samples: int
    seed: int = 0
    asha: bool = False  # ASHA early stopping; stopped trials are not told to Optuna (see orchestrator)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    name: str = "sweep"


Stage = Union[Grid, Bayesian]


SECTION_PLACES = ("end", "top")


@dataclass(frozen=True)
class Section:
    """A report section beyond the results tables, by its registered name in the report package
    (e.g. "covid-fnr", "confusion", "gemix-samples", "gemix-quality", "pretrained"), with the parameters
    it needs (stage and class names, variants to compare) as plain data. `place`: "end" (after the
    results tables, in declaration order) or "top" (above them, below the protocol)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    place: str = "end"


@dataclass(frozen=True)
class Experiment:
    """A named benchmark: its stages, shared fixed values, the metric it is judged on, its report."""

    name: str
    description: str
    stages: tuple[Stage, ...]
    metric: str = "test_acc"
    mode: str = "max"
    report_metrics: tuple[str, ...] = ("test_acc",)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    smoke: Mapping[str, Any] = field(default_factory=dict)  # overrides for --smoke
    smoke_samples: int = 4  # Bayesian trials per stage under --smoke
    baseline: str = "mixup"  # the variant that relative improvements are measured against
    paper: str = ""  # e.g. "zeta-mixup Table 4"
    trainable: str = "classify"
    # True: every trial gets `artifacts_dir`, a folder of the invocation where stages hand files to
    # later stages (a trained generator, generated training sets).
    artifacts: bool = False
    sections: tuple[Section, ...] = ()  # report sections beyond the results tables, in order
    # How the numbers are measured, stated at the top of the report: splits, training set, the epoch
    # reported, selection, and every deviation from the paper's protocol.
    protocol: str = ""
    # True: the experiment's analyses run on a generated stand-in where a dataset is missing (and say
    # so); False (training experiments): only `--smoke` may, a full run needs the real data.
    standin_data: bool = False
    # How a grid stage's results tables are laid out: "datasets" (rows: datasets or dataset / arch;
    # columns: methods; one table per metric, as the ζ-mixup paper's) or "methods" (rows: methods;
    # columns: each dataset / arch x metric, one table, as GeMix's Table I).
    table_rows: str = "datasets"
    # The epoch whose metrics the tables report: "last" (each trial's last epoch) or "best" (the epoch best
    # on the stage's selection metric, the checkpoint one keeps; the last epoch's tables follow).
    reported_epoch: str = "last"
    # Footnotes of every results table (in all its formats): the deviations from the paper that remain.
    table_notes: tuple[str, ...] = ()
    # Config keys `mixbench plan` prints per stage (data and set sizes, say): the value every trial
    # shares, or each method's where they differ.
    plan_keys: tuple[str, ...] = ()
