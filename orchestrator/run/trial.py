"""The adapter from a workloads trainable to a Ray Tune function trainable."""
from __future__ import annotations

import logging
import os
from typing import Any

from ray import tune

from orchestrator.plan.trainables import get_trainable
from orchestrator.run.system_metrics import TrialSystemMetrics

DEVICE_SHARE_ENV = "MIXBENCH_DEVICE_SHARE"  # = workloads.placement.SHARE_ENV (tests/workloads/test_placement.py checks)


def run_trial(config: dict[str, Any], *, trainable_name: str, datasets: dict[str, Any], threads: int,
              metrics: dict[str, Any] | None = None, artifacts_root: str | None = None,
              artifacts_storage: str | None = None) -> None:
    """One trial inside a Ray worker: restore from Tune's checkpoint if there is one, then train.

    `datasets` maps names to ObjectRefs of DatasetArrays in the object store: `ray.get` gives numpy
    arrays that are zero-copy views of shared memory, so concurrent trials hold the data once per node.
    `metrics` ({"tracking_uri", "experiment"}) turns on MLflow's system metrics for the trial's run.
    `artifacts_root`: the work directory that a config's `artifacts_dir` (a key relative to it, as Tune
    keeps it) names a folder of; with `artifacts_storage` (`--storage`) the key names a folder there
    instead, which the trial mirrors (`orchestrator.run.artifacts_mirror`).
    """
    import ray

    logging.getLogger("ray.train").setLevel(logging.WARNING)  # no line per checkpoint saved
    # torch reads its thread count when first imported; the trainable imports it (a trivial trainable
    # never pays for that import).
    os.environ["OMP_NUM_THREADS"] = str(threads)
    # Trials packed onto one GPU (a fractional --gpus-per-trial) each see the whole device free when
    # they start together; their share caps how much of it their dataset may take
    # (workloads.placement.SHARE_ENV; not imported here: that would import torch for every trainable).
    gpus = float(ray.get_runtime_context().get_assigned_resources().get("GPU", 0.0))
    if 0.0 < gpus < 1.0:
        os.environ[DEVICE_SHARE_ENV] = repr(gpus)
    else:
        os.environ.pop(DEVICE_SHARE_ENV, None)
    key = config.get("artifacts_dir")
    if artifacts_storage and key and not os.path.isabs(key):
        from orchestrator.run.artifacts_mirror import trial_artifacts

        with trial_artifacts(artifacts_storage, key) as folder:
            train_trial({**config, "artifacts_dir": folder}, trainable_name, datasets, metrics)
        return
    train_trial(with_artifacts_dir(config, artifacts_root), trainable_name, datasets, metrics)


def train_trial(config: dict[str, Any], trainable_name: str, datasets: dict[str, Any],
                metrics: dict[str, Any] | None) -> None:
    """Train from Tune's checkpoint if there is one, reporting to Tune; `config` as the trainable takes it."""
    import ray

    train = get_trainable(trainable_name).train
    ref = datasets.get(config.get("dataset"))
    data = ray.get(ref) if ref is not None else None

    def report(metrics: dict[str, Any], checkpoint_dir: str | None) -> None:
        checkpoint = tune.Checkpoint.from_directory(checkpoint_dir) if checkpoint_dir else None
        tune.report(metrics, checkpoint=checkpoint)

    system = TrialSystemMetrics(**metrics, trial_id=tune.get_context().get_trial_id() or "") if metrics else None
    if system is not None:
        system.start()
    try:
        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            train(config, report, None, data=data)
            return
        with checkpoint.as_directory() as directory:
            train(config, report, directory, data=data)
    finally:
        if system is not None:
            system.stop()


def with_artifacts_dir(config: dict[str, Any], root: str | None) -> dict[str, Any]:
    """The config a trainable takes: `artifacts_dir` resolved against `root` (an absolute one is kept)."""
    key = config.get("artifacts_dir")
    if not key or not root or os.path.isabs(key):
        return config
    return {**config, "artifacts_dir": os.path.join(root, key)}
