"""Run, resume and record an experiment: plans -> data -> one Ray Tune `Tuner` per stage -> report.

Every Parquet row and MLflow run of an invocation carries its id (`orchestrator.record.invocation`), so
reports of a re-run experiment never mix two invocations. Its Tune state lives in
`WORKDIR/ray/NAME/<invocation>/<stage>`, or under `--storage URI` (`orchestrator.record.storage`).

Nothing recorded or pickled names the work directory's own path (`orchestrator.workdir`): a moved or
copied work directory resumes into itself.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.plan.describe import describe
from orchestrator.plan.expand import StagePlan, plan_experiment
from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id
from orchestrator.record.results import invocation_trials
from orchestrator.record.secrets import adopt, redact, strip
from orchestrator.record.storage import Storage, check_storage
from orchestrator.record.storage import normalize as normalize_storage
from orchestrator.record.status import INVOCATION_FINISHED, INVOCATION_RUNNING, RUN_FINISHED
from orchestrator.run.artifacts_mirror import pull, push
from orchestrator.run.checks import check_ray_address, check_tracking_uri, check_workdir
from orchestrator.run.data import LoadedData, load_for_plans
from orchestrator.workdir import WorkDir, artifacts_key, invocation_key
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
    report_dir: Path | None = None  # this invocation's report: WORKDIR/reports/NAME/<invocation>/
    outputs: list[Path] = field(default_factory=list)
    tune_state: str = ""  # where the invocation's Tune state is (the work directory's folder, or --storage)


def prepare(name: str, options: RunOptions, workdir: WorkDir, invocation: str) -> tuple[list[StagePlan], LoadedData]:
    """Validate everything and read the data (drawing or reading back any protocol split into the
    invocation's artifacts), before Ray starts. Raises ValueError on bad input."""
    options.validate()
    experiment = get_experiment(name)
    check_workdir(workdir)
    check_ray_address(options.address or os.environ.get("RAY_ADDRESS"))
    check_tracking_uri(options.tracking_uri or workdir.default_tracking_uri())
    if options.storage:
        Storage(options.storage, workdir.root).check()
    artifacts = workdir.artifacts(name, invocation)
    plans = plan_experiment(experiment, smoke=options.smoke, sets=options.sets, artifacts_dir=str(artifacts))
    carry_artifacts_key(plans, artifacts_key(name, invocation))
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


def carry_artifacts_key(plans: list[StagePlan], key: str) -> None:
    """Trials carry the invocation's artifacts folder as its workdir-relative key (validated above as
    the absolute folder); `run_trial` resolves it against the work directory of the command."""
    for plan in plans:
        for config in (*plan.configs, plan.base):
            if config.get("artifacts_dir"):
                config["artifacts_dir"] = key


def run_experiment(name: str, options: RunOptions, workdir: WorkDir) -> RunSummary:
    if options.tracking_uri:  # credentials go to MLflow's environment, never into the record
        options.tracking_uri = absolute_sqlite(adopt(options.tracking_uri))
    if options.storage:  # the same for --storage; checked before anything else uses it
        check_storage(options.storage)
        options.storage = normalize_storage(options.storage)
    invocation_id = new_invocation_id()
    plans, data = prepare(name, options, workdir, invocation_id)
    workdir.create()
    invocation = Invocation(name, invocation_id, options, options.tracking_uri or workdir.default_tracking_uri(),
                            standins=data.standins)
    return execute(invocation, plans, data, workdir, resume=False)


def stage_artifacts(invocation: Invocation, workdir: WorkDir, storage: Storage) -> tuple[str, Path] | None:
    """(key on `--storage`, the work directory's folder) of the invocation's stage artifacts when they
    live on `--storage` (`orchestrator.run.artifacts_mirror`); None when the stages share the work
    directory's folder, or hand each other no files (`Experiment.artifacts`)."""
    if not storage.uri or not get_experiment(invocation.experiment).artifacts:
        return None
    return (artifacts_key(invocation.experiment, invocation.invocation),
            workdir.artifacts(invocation.experiment, invocation.invocation))


def absolute_sqlite(uri: str) -> str:
    """A relative `sqlite:///file.db` made absolute (against the current folder, as MLflow reads it):
    the record keeps relative SQLite URIs for files of the work directory only."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(uri[len("sqlite:///"):]).resolve())
    return uri


def resume_experiment(name: str, workdir: WorkDir, verbose: bool = False, tracking_uri: str | None = None,
                      storage: str | None = None) -> RunSummary:
    """Continue the latest invocation of `name`; `tracking_uri` and `storage` only bring credentials the
    record does not keep (they must name the invocation's own tracking store and storage)."""
    get_experiment(name)  # a clear error for an unknown name before anything else
    invocation = Invocation.latest(workdir, name)
    invocation.options.verbose = verbose  # how this console shows it, not how the run was planned
    if tracking_uri:
        if strip(tracking_uri) != invocation.tracking_uri:
            raise ValueError(f"--tracking-uri {redact(tracking_uri)} is not this run's tracking store "
                             f"{invocation.tracking_uri}; resume records into the store the run began in")
        adopt(tracking_uri)
    if storage:
        check_storage(storage)
        if normalize_storage(storage) != invocation.options.storage:
            raise ValueError(f"--storage {redact(storage)} is not this run's storage "
                             f"{invocation.options.storage or 'the work directory'}; resume continues where the run began")
    plans, data = prepare(name, invocation.options, workdir, invocation.invocation)
    invocation.standins = sorted(set(invocation.standins) | set(data.standins))
    return execute(invocation, plans, data, workdir, resume=True)


def execute(invocation: Invocation, plans: list[StagePlan], data: LoadedData | dict[str, Any], workdir: WorkDir,
            resume: bool) -> RunSummary:
    """Run (or resume) every stage. `data`: what `prepare` loaded, or {dataset name: DatasetArrays} that
    every stage shares as it is. Opens everything the run needs (the MLflow store, Ray and the cluster's
    resources, the data in the object store) before marking anything RUNNING: a command that fails to
    start leaves a FINISHED invocation and its parent run as they were. MLflow calls only queue on the
    background worker (`mlflow_runs`): neither the start nor the end of a run waits on an unreachable
    tracking server for long."""
    from orchestrator.run.ray_cluster import init_ray, quiet_tune, require_resources

    quiet_tune(invocation.options.verbose)
    import ray

    from orchestrator.record.callback import record_into
    from orchestrator.record.mlflow_runs import close_worker, invocation_runs
    from orchestrator.record.mlflow_store import display_uri, open_store
    from orchestrator.report.build import build_report
    from orchestrator.run.stage import run_stage

    record_into(workdir)  # every recorder of this driver, also those Tune unpickles, records here
    storage = Storage(invocation.options.storage, workdir.root)
    open_store(invocation.tracking_uri, invocation.experiment, workdir.root)  # one line if mlflow.db is damaged
    init_ray(invocation.options.address, verbose=invocation.options.verbose)
    require_resources(invocation.options.cpus_per_trial, invocation.options.gpus_per_trial)
    if not isinstance(data, LoadedData):
        data = LoadedData(arrays=dict(data))
    # Each set of arrays enters the object store once per invocation; every stage and trial that
    # reads it shares it.
    shared = {key: ray.put(arrays) for key, arrays in data.arrays.items()}
    if resume:
        invocation_trials(workdir.results, invocation.experiment, invocation.invocation)  # the results store reads

    # Everything is open: from here on the invocation and its parent run are RUNNING.
    runs = invocation_runs(invocation.tracking_uri, workdir, invocation.experiment, invocation.invocation,
                           invocation.parent_run_id)
    runs.start_parent(f"{invocation.experiment} {invocation.invocation}",
                      {"mixbench.invocation": invocation.invocation, "mixbench.smoke": str(invocation.options.smoke)})
    experiment = get_experiment(invocation.experiment)
    runs.log_parent_dict(describe(invocation.experiment, plans, invocation.options.smoke, invocation.options.cpus_per_trial,
                                  invocation.options.gpus_per_trial, experiment.plan_keys, experiment.protocol), "plan.json")
    if resume:
        runs.sync()  # what an outage or a crash kept from MLflow, rebuilt from Parquet in the background
    if not invocation.parent_run_id:
        invocation.parent_run_id = runs.parent_run_id(timeout=PARENT_WAIT_S) or ""
    invocation.status = INVOCATION_RUNNING
    invocation.save(workdir)
    trials = errored = 0
    artifacts = stage_artifacts(invocation, workdir, storage)
    if artifacts:
        push(storage, *artifacts)  # what the driver drew before any stage: the protocol split
    for plan in plans:
        keys = data.for_stage(plan.stage, plan.datasets())
        refs = {name: shared[key] for name, key in keys.items() if key in shared}
        cards = {name: data.cards[key] for name, key in keys.items() if key in data.cards}
        grid = run_stage(plan, invocation, refs, workdir, storage, resume=resume, cards=cards)
        trials += len(grid)
        errored += sum(1 for result in grid if result.error is not None)
        if artifacts:
            pull(storage, *artifacts)  # what the stage's trials wrote, for the report
    invocation.status = INVOCATION_FINISHED
    invocation.parent_run_id = runs.parent_run_id() or invocation.parent_run_id
    invocation.save(workdir)
    summary = RunSummary(invocation.experiment, invocation.invocation, workdir, invocation.tracking_uri,
                         invocation.parent_run_id, trials, errored,
                         tune_state=storage.display(invocation_key(invocation.experiment, invocation.invocation)))
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
