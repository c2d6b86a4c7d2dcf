"""Run, resume and record an experiment: plans -> data -> one Ray Tune `Tuner` per stage -> report.

An *invocation* (one `mixbench run`) gets an id; its Tune state lives in
`WORKDIR/ray/NAME/<invocation>/<stage>`, its record in `.../mixbench.json`, and every Parquet row and
MLflow run carries it, so reports of a re-run experiment never mix two invocations.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.plan import StagePlan, plan_experiment
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment


@dataclass
class RunOptions:
    """Everything an invocation was started with (saved, so `resume` replays it exactly)."""

    smoke: bool = False
    sets: dict[str, Any] = field(default_factory=dict)
    address: str | None = None
    tracking_uri: str | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_concurrent: int | None = None
    max_failures: int = 1

    def validate(self) -> None:
        if self.cpus_per_trial <= 0:
            raise ValueError(f"--cpus-per-trial must be > 0, got {self.cpus_per_trial}")
        if self.gpus_per_trial < 0:
            raise ValueError(f"--gpus-per-trial must be >= 0, got {self.gpus_per_trial}")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError(f"--max-concurrent must be >= 1, got {self.max_concurrent}")


@dataclass
class Invocation:
    experiment: str
    invocation: str
    options: RunOptions
    tracking_uri: str
    parent_run_id: str = ""
    status: str = "RUNNING"

    def save(self, workdir: WorkDir) -> None:
        path = workdir.invocation_record(self.experiment, self.invocation)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))
        workdir.latest_marker(self.experiment).write_text(self.invocation)

    @classmethod
    def latest(cls, workdir: WorkDir, experiment: str) -> "Invocation":
        marker = workdir.latest_marker(experiment)
        if not marker.exists():
            raise ValueError(f"no run of experiment {experiment!r} in {workdir.root} to resume; start one with `mixbench run {experiment}`")
        state = json.loads(workdir.invocation_record(experiment, marker.read_text().strip()).read_text())
        state["options"] = RunOptions(**state["options"])
        return cls(**state)


def new_invocation_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"


@dataclass
class RunSummary:
    experiment: str
    invocation: str
    workdir: WorkDir
    tracking_uri: str
    parent_run_id: str
    trials: int
    errored: int
    report_dir: Path | None = None
    outputs: list[Path] = field(default_factory=list)


def prepare(name: str, options: RunOptions, workdir: WorkDir, invocation: str) -> tuple[list[StagePlan], dict[str, Any]]:
    """Validate everything and read the data, before Ray starts. Raises ValueError on bad input."""
    options.validate()
    experiment = get_experiment(name)
    plans = plan_experiment(experiment, smoke=options.smoke, sets=options.sets,
                            artifacts_dir=str(workdir.artifacts(name, invocation)))
    from orchestrator.datasets import load_for_plans

    return plans, load_for_plans(plans, workdir.cache, smoke=options.smoke)


def run_experiment(name: str, options: RunOptions, workdir: WorkDir) -> RunSummary:
    invocation_id = new_invocation_id()
    plans, datasets = prepare(name, options, workdir, invocation_id)
    workdir.create()
    invocation = Invocation(name, invocation_id, options, options.tracking_uri or workdir.default_tracking_uri())
    return execute(invocation, plans, datasets, workdir, resume=False)


def resume_experiment(name: str, workdir: WorkDir) -> RunSummary:
    get_experiment(name)  # a clear error for an unknown name before anything else
    invocation = Invocation.latest(workdir, name)
    plans, datasets = prepare(name, invocation.options, workdir, invocation.invocation)
    return execute(invocation, plans, datasets, workdir, resume=True)


def execute(invocation: Invocation, plans: list[StagePlan], datasets: dict[str, Any], workdir: WorkDir, resume: bool) -> RunSummary:
    import ray

    from orchestrator.tracking import Tracking
    from orchestrator.tuning import init_ray, run_stage

    tracking = Tracking(invocation.tracking_uri, workdir.mlartifacts if is_local(invocation.tracking_uri) else None)
    if not invocation.parent_run_id:
        invocation.parent_run_id = tracking.start_parent(
            invocation.experiment, f"{invocation.experiment} {invocation.invocation}",
            {"mixbench.invocation": invocation.invocation, "mixbench.smoke": str(invocation.options.smoke)},
        )
    else:
        tracking.client.update_run(invocation.parent_run_id, status="RUNNING")
    invocation.status = "RUNNING"
    invocation.save(workdir)
    init_ray(invocation.options.address)
    # Each dataset enters the object store once per invocation; every stage and trial shares it.
    shared = {name: ray.put(arrays) for name, arrays in datasets.items()}
    trials = errored = 0
    for plan in plans:
        stage_path = workdir.invocation(invocation.experiment, invocation.invocation) / plan.stage
        grid = run_stage(plan, invocation, shared, workdir, stage_path, resume=resume)
        trials += len(grid)
        errored += sum(1 for result in grid if result.error is not None)
    invocation.status = "FINISHED"
    invocation.save(workdir)
    summary = RunSummary(invocation.experiment, invocation.invocation, workdir, invocation.tracking_uri,
                         invocation.parent_run_id, trials, errored)
    from orchestrator.report import build_report

    report = build_report(invocation.experiment, workdir, invocation=invocation.invocation)
    summary.report_dir = report.directory
    summary.outputs = report.files
    try:
        tracking.log_artifacts(invocation.parent_run_id, report.directory, "report")
    except Exception as exc:  # the report is on disk either way
        print(f"warning: could not attach the report to MLflow: {exc}")
    tracking.end_run(invocation.parent_run_id, "FINISHED")
    return summary


def is_local(tracking_uri: str) -> bool:
    return tracking_uri.startswith("sqlite:") or tracking_uri.startswith("file:")
