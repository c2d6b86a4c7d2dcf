"""One stage of an experiment as a Ray Tune `Tuner`: built (or restored), run, recorded."""
from __future__ import annotations

from typing import Any

from ray import tune

from orchestrator.plan.expand import StagePlan, planned_epochs
from orchestrator.plan.trainables import get_trainable
from orchestrator.record.callback import TrialRecorder
from orchestrator.record.invocation import Invocation
from orchestrator.record.results import trial_name
from orchestrator.record.storage import Storage
from orchestrator.run.consistent_search import consistent_search
from orchestrator.run.console import ConsoleProgress
from orchestrator.run.portable import StageASHAScheduler, StageFIFOScheduler
from orchestrator.run.searchers import OrderedGridSearcher, optuna_searcher, search_domains
from orchestrator.run.trial import run_trial
from orchestrator.workdir import WorkDir, stage_key


def trial_dirname(trial) -> str:
    """Short trial folders (Tune's default spells out the whole config)."""
    return trial_name(trial.config, trial.trial_id)


def trainable_for(plan: StagePlan, invocation: Invocation, datasets: dict[str, Any], workdir: WorkDir):
    """`datasets`: dataset name -> ObjectRef of the DatasetArrays this stage reads under that name (put
    once per invocation by the runner; a view of a protocol split where the stage trains on one).
    Built anew by every `fit`, also a restored one (Tune pickles only its name): what it carries, the
    work directory a trial's `artifacts_dir` key resolves against, is this command's."""
    options = invocation.options
    data = {name: datasets[name] for name in plan.datasets() if name in datasets}
    metrics = {"tracking_uri": invocation.tracking_uri, "experiment": plan.experiment} if options.system_metrics else None
    fn = tune.with_parameters(run_trial, trainable_name=plan.trainable, datasets=data,
                              threads=max(1, int(options.cpus_per_trial)), metrics=metrics,
                              artifacts_root=str(workdir.root), artifacts_storage=options.storage)
    return tune.with_resources(fn, {"cpu": options.cpus_per_trial, "gpu": options.gpus_per_trial})


def search_and_schedule(plan: StagePlan, storage_uri: str | None = None, key: str = "",
                        max_concurrent: int | None = None) -> tuple[Any, Any, dict[str, Any], int]:
    """(search_alg, scheduler, param_space, num_samples) for one stage. The search algorithm holds at most
    `max_concurrent` trials at once and restores consistently (`orchestrator.run.consistent_search`).
    The scheduler keeps every trial in the stage's folder `key` under `storage_uri` or the work
    directory (`orchestrator.run.portable`)."""
    folder = {"storage_uri": storage_uri, "stage_key": key}
    if plan.kind == "grid":
        grid = consistent_search(OrderedGridSearcher(plan.configs, metric=None, mode=None), max_concurrent)
        return grid, StageFIFOScheduler(**folder), {}, len(plan.configs)
    epochs = planned_epochs(plan.base)
    searcher = consistent_search(optuna_searcher(plan.seed, full_epochs=epochs), max_concurrent)
    scheduler = StageFIFOScheduler(**folder)
    if plan.asha:
        # ASHA stops weak trials after 1, 3, 9, ... epochs; see EarlyStopAwareOptunaSearch for how
        # those stops reach Optuna.
        scheduler = StageASHAScheduler(time_attr="training_iteration", max_t=epochs, grace_period=1,
                                       reduction_factor=3, **folder)
    param_space = {**{k: v for k, v in plan.base.items() if k not in plan.space}, **search_domains(plan.space)}
    return searcher, scheduler, param_space, plan.num_samples


def run_stage(plan: StagePlan, invocation: Invocation, datasets: dict[str, Any], workdir: WorkDir,
              storage: Storage, resume: bool, cards: dict[str, dict[str, Any]] | None = None) -> tune.ResultGrid:
    """One stage's Tuner, restored when resuming; `cards` describe the datasets for MLflow. Its Tune
    folder is `storage`'s `ray/NAME/<invocation>/<stage>` (the work directory, or `--storage`)."""
    trainable = trainable_for(plan, invocation, datasets, workdir)
    key = stage_key(plan.experiment, invocation.invocation, plan.stage)
    if resume and tune.Tuner.can_restore(storage.path(key), storage_filesystem=storage.fs):
        # Tune follows a moved folder (its trials and checkpoints are found under the path given); the
        # recorder it unpickles records into this command's work directory (`record_into`).
        tuner = tune.Tuner.restore(storage.path(key), trainable=trainable, resume_unfinished=True,
                                   resume_errored=True, storage_filesystem=storage.fs)
        return tuner.fit()
    options = invocation.options
    search_alg, scheduler, param_space, num_samples = search_and_schedule(plan, options.storage, key, options.max_concurrent)
    own_store = invocation.tracking_uri == workdir.default_tracking_uri()
    recorder = TrialRecorder(plan.experiment, invocation.invocation, plan.stage, workdir,
                             None if own_store else invocation.tracking_uri, invocation.parent_run_id,
                             stage_path=key, storage=options.storage,
                             datasets={name: card for name, card in (cards or {}).items() if name in plan.datasets()},
                             selection=(plan.metric, plan.mode),
                             predictions=get_trainable(plan.trainable).predictions)
    console = ConsoleProgress(plan.stage, plan.num_trials, max(planned_epochs(c) for c in plan.trial_configs),
                              plan.metric, plan.mode, tuple(plan.space))
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=plan.metric, mode=plan.mode, search_alg=search_alg, scheduler=scheduler,
            num_samples=num_samples,  # max_concurrent_trials: held by search_alg
            trial_dirname_creator=trial_dirname, trial_name_creator=trial_dirname,
            reuse_actors=True,  # a worker that finished a trial takes the next: torch is imported once
        ),
        run_config=tune.RunConfig(
            name=plan.stage,
            **storage.tune_args(key),
            failure_config=tune.FailureConfig(max_failures=options.max_failures),
            # The newest two per trial (no score attribute: by recency), so the final one, the trial's
            # final model (state.pt) and predictions.npz, is never removed (README: final models).
            checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            callbacks=[recorder, console],
            verbose=2 if options.verbose else 0,  # Tune's own tables only when asked for
        ),
    )
    return tuner.fit()
