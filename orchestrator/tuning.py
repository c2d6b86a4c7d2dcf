"""Ray Tune wiring: start Ray, build (or restore) one stage's Tuner, run it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler

from orchestrator.plan import StagePlan, planned_epochs
from orchestrator.recorder import TrialRecorder
from orchestrator.searchers import OrderedGridSearcher, optuna_searcher, search_domains
from orchestrator.tune_trial import run_trial
from orchestrator.workdir import WorkDir

if TYPE_CHECKING:
    from orchestrator.runner import Invocation


def init_ray(address: str | None) -> None:
    """A local Ray via `ray.init()`, or the cluster at `address` (else RAY_ADDRESS)."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "1")
    # We keep 2 checkpoints per trial on purpose; Tune warns about the snapshots that forces.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    ray.init(address=address, include_dashboard=False, configure_logging=True, logging_level="WARNING",
             log_to_driver=True)


def trial_dirname(trial) -> str:
    """Short trial folders (Tune's default spells out the whole config)."""
    config = trial.config
    return f"{config.get('dataset')}-{config.get('variant') or config.get('method')}-s{config.get('seed')}-{trial.trial_id}"


def trainable_for(plan: StagePlan, invocation: "Invocation", datasets: dict[str, Any]):
    """`datasets`: name -> ObjectRef of the DatasetArrays (put once per invocation by the runner)."""
    options = invocation.options
    data = {name: datasets[name] for name in plan.datasets() if name in datasets}
    fn = tune.with_parameters(run_trial, trainable_name=plan.trainable, datasets=data,
                              threads=max(1, int(options.cpus_per_trial)))
    return tune.with_resources(fn, {"cpu": options.cpus_per_trial, "gpu": options.gpus_per_trial})


def search_and_schedule(plan: StagePlan) -> tuple[Any, Any, dict[str, Any], int]:
    """(search_alg, scheduler, param_space, num_samples) for one stage."""
    if plan.kind == "grid":
        return OrderedGridSearcher(plan.configs, metric=None, mode=None), None, {}, len(plan.configs)
    epochs = planned_epochs(plan.base)
    searcher = optuna_searcher(plan.seed, full_epochs=epochs)
    scheduler = None
    if plan.asha:
        # ASHA stops weak trials after 1, 3, 9, ... epochs; see EarlyStopAwareOptunaSearch for how
        # those stops reach Optuna.
        scheduler = ASHAScheduler(time_attr="training_iteration", max_t=epochs, grace_period=1, reduction_factor=3)
    param_space = {**{k: v for k, v in plan.base.items() if k not in plan.space}, **search_domains(plan.space)}
    return searcher, scheduler, param_space, plan.num_samples


def run_stage(plan: StagePlan, invocation: "Invocation", datasets: dict[str, Any], workdir: WorkDir,
              stage_path: Path, resume: bool) -> tune.ResultGrid:
    trainable = trainable_for(plan, invocation, datasets)
    if resume and tune.Tuner.can_restore(str(stage_path)):
        tuner = tune.Tuner.restore(str(stage_path), trainable=trainable, resume_unfinished=True, resume_errored=True)
        return tuner.fit()
    options = invocation.options
    search_alg, scheduler, param_space, num_samples = search_and_schedule(plan)
    recorder = TrialRecorder(plan.experiment, invocation.invocation, plan.stage, str(workdir.results),
                             invocation.tracking_uri,
                             str(workdir.mlartifacts) if invocation.tracking_uri.startswith("sqlite:") else None,
                             invocation.parent_run_id, stage_path=str(stage_path))
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=plan.metric, mode=plan.mode, search_alg=search_alg, scheduler=scheduler,
            num_samples=num_samples, max_concurrent_trials=options.max_concurrent,
            trial_dirname_creator=trial_dirname, trial_name_creator=trial_dirname,
            reuse_actors=True,  # a worker that finished a trial takes the next: torch is imported once
        ),
        run_config=tune.RunConfig(
            name=plan.stage,
            storage_path=str(stage_path.parent),
            failure_config=tune.FailureConfig(max_failures=options.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            callbacks=[recorder],
            verbose=1,
        ),
    )
    return tuner.fit()
