"""Run, resume and record an experiment: plans -> data -> one Ray Tune `Tuner` per stage -> report.

Every Parquet row and MLflow run of an invocation carries its id (`orchestrator.record.invocation`), so
reports of a re-run experiment never mix two invocations. Its Tune state lives in
`WORKDIR/ray/NAME/<invocation>/<stage>`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.plan.expand import StagePlan, plan_experiment
from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id
from orchestrator.record.results import invocation_trials
from orchestrator.record.status import INVOCATION_FINISHED, INVOCATION_RUNNING, RUN_FINISHED
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment

PARENT_WAIT_S = 30.0  # for a new parent run's id at the start (not at all while MLflow is failing)
FINAL_DRAIN_S = 600.0  # for MLflow to take the last calls: a slow server's backlog, never a dead one's
# (the drain ends once MLflow has been failing for the worker's `outage_s`)


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
    from orchestrator.run.data import load_for_plans

    options.validate()
    experiment = get_experiment(name)
    plans = plan_experiment(experiment, smoke=options.smoke, sets=options.sets,
                            artifacts_dir=str(workdir.artifacts(name, invocation)))
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
    """Open everything the run needs (the MLflow store, Ray, the data in the object store) before
    marking anything RUNNING: a command that fails to start leaves a FINISHED invocation and its
    parent run as they were. MLflow calls only queue on the background worker (`mlflow_runs`):
    neither the start nor the end of a run waits on an unreachable tracking server for long."""
    import ray

    from orchestrator.record.mlflow_runs import close_worker, invocation_runs
    from orchestrator.record.mlflow_store import display_uri, open_store
    from orchestrator.report.build import build_report
    from orchestrator.run.ray_cluster import init_ray
    from orchestrator.run.stage import run_stage

    open_store(invocation.tracking_uri, invocation.experiment, workdir.root)  # one line if mlflow.db is damaged
    init_ray(invocation.options.address)
    # Each dataset enters the object store once per invocation; every stage and trial shares it.
    shared = {name: ray.put(arrays) for name, arrays in datasets.items()}
    if resume:
        invocation_trials(workdir.results, invocation.experiment, invocation.invocation)  # the results store reads

    # Everything is open: from here on the invocation and its parent run are RUNNING.
    runs = invocation_runs(invocation.tracking_uri, workdir, invocation.experiment, invocation.invocation,
                           invocation.parent_run_id)
    runs.start_parent(f"{invocation.experiment} {invocation.invocation}",
                      {"mixbench.invocation": invocation.invocation, "mixbench.smoke": str(invocation.options.smoke)})
    if resume:
        runs.sync()  # what an outage or a crash kept from MLflow, rebuilt from Parquet in the background
    if not invocation.parent_run_id:
        invocation.parent_run_id = runs.parent_run_id(timeout=PARENT_WAIT_S) or ""
    invocation.status = INVOCATION_RUNNING
    invocation.save(workdir)
    trials = errored = 0
    for plan in plans:
        stage_path = workdir.invocation(invocation.experiment, invocation.invocation) / plan.stage
        grid = run_stage(plan, invocation, shared, workdir, stage_path, resume=resume)
        trials += len(grid)
        errored += sum(1 for result in grid if result.error is not None)
    invocation.status = INVOCATION_FINISHED
    invocation.parent_run_id = runs.parent_run_id() or invocation.parent_run_id
    invocation.save(workdir)
    summary = RunSummary(invocation.experiment, invocation.invocation, workdir, invocation.tracking_uri,
                         invocation.parent_run_id, trials, errored)
    report = build_report(invocation.experiment, workdir, invocation=invocation.invocation)
    summary.report_dir = report.directory
    summary.outputs = report.files
    runs.log_parent_artifacts(report.directory, "report")
    if resume or runs.worker.dropped:
        runs.sync(finished=True)  # fill what the worker gave up on, close what a crash left RUNNING
    runs.end_parent(RUN_FINISHED)
    left = runs.drain(FINAL_DRAIN_S)
    if left:
        print(f"warning: MLflow ({display_uri(invocation.tracking_uri)}) did not take {left} calls "
              f"({runs.worker.status()}); Parquet holds the record: when MLflow is back, "
              f"`mixbench sync-mlflow {invocation.experiment} --workdir {workdir.root}` rebuilds it")
    close_worker(invocation.tracking_uri)
    return summary
