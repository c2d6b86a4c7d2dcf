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
from orchestrator.run.data import LoadedData, load_for_plans
from orchestrator.record.status import INVOCATION_FINISHED, INVOCATION_RUNNING, RUN_FINISHED, RUN_RUNNING
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment


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


def prepare(name: str, options: RunOptions, workdir: WorkDir, invocation: str) -> tuple[list[StagePlan], LoadedData]:
    """Validate everything and read the data (drawing or reading back any protocol split into the
    invocation's artifacts), before Ray starts. Raises ValueError on bad input."""
    options.validate()
    experiment = get_experiment(name)
    artifacts = workdir.artifacts(name, invocation)
    plans = plan_experiment(experiment, smoke=options.smoke, sets=options.sets, artifacts_dir=str(artifacts))
    data = load_for_plans(plans, workdir.cache, smoke=options.smoke, standins=experiment.standin_data,
                          artifacts_dir=artifacts)
    for dataset in data.standins:
        print(f"note: {dataset} is not on this machine; running on a generated stand-in of its shape and "
              f"classes: numbers are meaningless", flush=True)
    if options.smoke and experiment.fixed.get("pretrained") and "pretrained" not in options.sets:
        print("note: --smoke trains the classifiers from scratch (pretrained=false), not from the ImageNet "
              "weights the full run uses", flush=True)
    for line in data.notes:
        print(line, flush=True)
    return plans, data


def run_experiment(name: str, options: RunOptions, workdir: WorkDir) -> RunSummary:
    invocation_id = new_invocation_id()
    plans, data = prepare(name, options, workdir, invocation_id)
    workdir.create()
    invocation = Invocation(name, invocation_id, options, options.tracking_uri or workdir.default_tracking_uri(),
                            standins=data.standins)
    return execute(invocation, plans, data, workdir, resume=False)


def resume_experiment(name: str, workdir: WorkDir, verbose: bool = False) -> RunSummary:
    get_experiment(name)  # a clear error for an unknown name before anything else
    invocation = Invocation.latest(workdir, name)
    invocation.options.verbose = verbose  # how this console shows it, not how the run was planned
    plans, data = prepare(name, invocation.options, workdir, invocation.invocation)
    invocation.standins = sorted(set(invocation.standins) | set(data.standins))
    return execute(invocation, plans, data, workdir, resume=True)


def execute(invocation: Invocation, plans: list[StagePlan], data: LoadedData | dict[str, Any], workdir: WorkDir,
            resume: bool) -> RunSummary:
    """Run (or resume) every stage. `data`: what `prepare` loaded, or {dataset name: DatasetArrays}
    that every stage shares as it is."""
    from orchestrator.run.ray_cluster import init_ray, quiet_tune

    quiet_tune(invocation.options.verbose)
    import ray

    from orchestrator.record.tracking import Tracking
    from orchestrator.report.build import build_report
    from orchestrator.run.stage import run_stage

    tracking = Tracking.for_workdir(invocation.tracking_uri, workdir)
    if not invocation.parent_run_id:
        invocation.parent_run_id = tracking.start_parent(
            invocation.experiment, f"{invocation.experiment} {invocation.invocation}",
            {"mixbench.invocation": invocation.invocation, "mixbench.smoke": str(invocation.options.smoke)},
        )
    else:
        tracking.client.update_run(invocation.parent_run_id, status=RUN_RUNNING)
    invocation.status = INVOCATION_RUNNING
    invocation.save(workdir)
    init_ray(invocation.options.address, verbose=invocation.options.verbose)
    if not isinstance(data, LoadedData):
        data = LoadedData(arrays=dict(data))
    # Each set of arrays enters the object store once per invocation; every stage and trial that
    # reads it shares it.
    shared = {key: ray.put(arrays) for key, arrays in data.arrays.items()}
    trials = errored = 0
    for plan in plans:
        stage_path = workdir.invocation(invocation.experiment, invocation.invocation) / plan.stage
        refs = {name: shared[key] for name, key in data.for_stage(plan.stage, plan.datasets()).items() if key in shared}
        grid = run_stage(plan, invocation, refs, workdir, stage_path, resume=resume)
        trials += len(grid)
        errored += sum(1 for result in grid if result.error is not None)
    invocation.status = INVOCATION_FINISHED
    invocation.save(workdir)
    summary = RunSummary(invocation.experiment, invocation.invocation, workdir, invocation.tracking_uri,
                         invocation.parent_run_id, trials, errored)
    report = build_report(invocation.experiment, workdir, invocation=invocation.invocation)
    summary.report_dir = report.directory
    summary.outputs = report.files
    try:
        tracking.log_artifacts(invocation.parent_run_id, report.directory, "report")
    except Exception as exc:  # the report is on disk either way
        print(f"warning: could not attach the report to MLflow: {exc}")
    tracking.end_run(invocation.parent_run_id, RUN_FINISHED)
    return summary
