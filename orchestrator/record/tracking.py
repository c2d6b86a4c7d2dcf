"""MLflow: one experiment per mixbench experiment, one parent run per invocation, one child run per
trial, found again (never duplicated) when a run is resumed, a trial retried or MLflow rebuilt.

Every call here is synchronous and may block on a slow or dead tracking server: the driver never
calls them on Tune's loop itself, only through `orchestrator.record.mlflow_worker` (the recorder)
or where a command waits on purpose (`mixbench sync-mlflow`).

Runs are found by tags, not by remembered ids: the parent by `mixbench.invocation` (and no parent
tag), a child by `mixbench.trial_id` and its parent. Metrics carry the timestamp of the Tune result
they came from (`timestamp` in Ray's result and in the epochs table), so logging a row again, from
the live recorder or from Parquet, writes a point MLflow already holds and stores nothing new: the
SQL store (also behind `mlflow server`) skips a metric identical in key, step, timestamp and value.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Mapping

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from orchestrator.record.status import RUN_FINISHED, RUN_RUNNING
from orchestrator.workdir import WorkDir

TRIAL_TAG = "mixbench.trial_id"
INVOCATION_TAG = "mixbench.invocation"
PARENT_TAG = "mlflow.parentRunId"
MAX_PARAM_LENGTH = 6000  # MLflow's limit for a param value
MAX_TAG_LENGTH = 5000
BATCH_LIMIT = 1000  # MLflow's log_batch limit on metrics
PAGE = 1000
RUN_TAG_KEYS = ("dataset", "variant", "method", "arch", "seed")  # config keys a child run is tagged with
# The tag the MLflow 3 UI reads to open an experiment on its runs (not the GenAI overview).
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}

MetricRow = tuple[int, Mapping[str, float], float | None]  # (step, {name: value}, timestamp in seconds)


def reference_key(keys: Iterable[str]) -> str | None:
    """The metric whose steps stand for a run's steps: `epoch` where the trainable reports it
    (classifiers, GeMix stages), else the first name (the GAN reports `step` and losses)."""
    keys = set(keys)
    return "epoch" if "epoch" in keys else (min(keys) if keys else None)


def child_tags(experiment: str, invocation: str, stage: str, config: Mapping[str, Any]) -> dict[str, str]:
    """The tags of a trial's child run besides its trial and parent tags (the recorder and the sync
    open runs alike)."""
    return {"mixbench.experiment": experiment, "mixbench.invocation": invocation, "mixbench.stage": stage,
            **{f"mixbench.{k}": str(config.get(k)) for k in RUN_TAG_KEYS}}


class Tracking:
    """A thin, idempotent layer over `MlflowClient` for the experiments of one work directory."""

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root  # None with a tracking server: the server decides
        self.client = MlflowClient(tracking_uri)
        self._child_runs: dict[tuple[str, str], str] = {}
        self._experiment_of: dict[str, str] = {}  # parent run id -> its experiment id

    @classmethod
    def for_workdir(cls, tracking_uri: str, workdir: WorkDir) -> "Tracking":
        """A store on this machine (SQLite or a file URI) keeps its artifacts in WORKDIR/mlartifacts;
        a tracking server decides where its artifacts go."""
        local = tracking_uri.startswith("sqlite:") or tracking_uri.startswith("file:")
        return cls(tracking_uri, workdir.mlartifacts if local else None)

    def ping(self) -> None:
        """One cheap request: raises if the store cannot be reached or read."""
        self.client.search_experiments(max_results=1)

    # -- experiments and parent runs --------------------------------------------------------

    def experiment_id(self, name: str) -> str:
        """The experiment's id, created (tagged as a model-training experiment) on first use."""
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            for key, value in EXPERIMENT_KIND.items():  # an experiment an older mixbench created
                if found.tags.get(key) != value:
                    self.client.set_experiment_tag(found.experiment_id, key, value)
            return found.experiment_id
        location = (self.artifact_root / name).as_uri() if self.artifact_root else None
        try:
            return self.client.create_experiment(name, artifact_location=location, tags=EXPERIMENT_KIND)
        except Exception:
            found = self.client.get_experiment_by_name(name)  # another process created it meanwhile
            if found is None:
                raise
            return found.experiment_id

    def find_parent(self, experiment: str, invocation: str) -> Any | None:
        """The invocation's parent run (the oldest, should a lost reply have made two), or None."""
        found = self.client.get_experiment_by_name(experiment)
        if found is None:
            return None
        runs = self.client.search_runs(
            [found.experiment_id], filter_string=f"tags.`{INVOCATION_TAG}` = '{invocation}'",
            max_results=PAGE, order_by=["attributes.start_time ASC"])
        parents = [r for r in runs if PARENT_TAG not in r.data.tags]
        return parents[0] if parents else None

    def parent_run(self, experiment: str, invocation: str, run_name: str, tags: Mapping[str, str],
                   known_id: str | None = None) -> str:
        """The invocation's parent run: `known_id` if the store holds it, else the one tagged with the
        invocation, else a new one."""
        if known_id:
            try:
                return self.client.get_run(known_id).info.run_id
            except Exception as exc:
                if getattr(exc, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
                    raise  # a rebuilt store lacks it: found by tag or created below
        existing = self.find_parent(experiment, invocation)
        if existing is not None:
            return existing.info.run_id
        all_tags = {INVOCATION_TAG: invocation, **{k: str(v) for k, v in tags.items()}}
        return self.client.create_run(self.experiment_id(experiment), run_name=run_name, tags=all_tags).info.run_id

    def set_status(self, run_id: str, status: str) -> None:
        """RUNNING reopens a run; any other status ends it (with an end time)."""
        if status == RUN_RUNNING:
            self.client.update_run(run_id, status=RUN_RUNNING)
        else:
            self.client.set_terminated(run_id, status)

    def end_run(self, run_id: str, status: str = RUN_FINISHED) -> None:
        self.client.set_terminated(run_id, status)

    # -- child runs -------------------------------------------------------------------------

    def child_run(self, parent_run_id: str, trial_id: str, run_name: str, tags: Mapping[str, Any],
                  params: Mapping[str, Any]) -> tuple[str, bool]:
        """The trial's child run, created on first sight and set RUNNING; returns (run_id, created)."""
        cached = self._child_runs.get((parent_run_id, trial_id))
        if cached:
            return cached, False
        experiment_id = self.parent_experiment(parent_run_id)
        existing = self._search_child(experiment_id, parent_run_id, trial_id)
        if existing:
            run_id, created = existing.info.run_id, False
            if existing.info.status != RUN_RUNNING:
                self.client.update_run(run_id, status=RUN_RUNNING)
        else:
            run_id, created = self.create_child(experiment_id, parent_run_id, trial_id, run_name, tags, params), True
        self._child_runs[(parent_run_id, trial_id)] = run_id
        return run_id, created

    def parent_experiment(self, parent_run_id: str) -> str:
        if parent_run_id not in self._experiment_of:
            self._experiment_of[parent_run_id] = self.client.get_run(parent_run_id).info.experiment_id
        return self._experiment_of[parent_run_id]

    def create_child(self, experiment_id: str, parent_run_id: str, trial_id: str, run_name: str,
                     tags: Mapping[str, Any], params: Mapping[str, Any]) -> str:
        all_tags = {PARENT_TAG: parent_run_id, TRIAL_TAG: trial_id, **{k: str(v) for k, v in tags.items()}}
        run_id = self.client.create_run(experiment_id, run_name=run_name, tags=all_tags).info.run_id
        params = [Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in sorted(params.items())]
        for start in range(0, len(params), 100):  # MLflow's log_batch limit on params
            self.client.log_batch(run_id, params=params[start : start + 100])
        return run_id

    def find_child_run(self, parent_run_id: str, trial_id: str) -> str | None:
        """The trial's child run if it exists (never creates one)."""
        cached = self._child_runs.get((parent_run_id, trial_id))
        if cached:
            return cached
        existing = self._search_child(self.parent_experiment(parent_run_id), parent_run_id, trial_id)
        return existing.info.run_id if existing else None

    def children(self, parent_run_id: str) -> list[Any]:
        """Every (not deleted) child run of a parent, all pages."""
        found, token = [], None
        while True:
            page = self.client.search_runs([self.parent_experiment(parent_run_id)], filter_string=f"tags.`{PARENT_TAG}` = '{parent_run_id}'",
                                           max_results=PAGE, page_token=token)
            found.extend(page)
            token = page.token
            if not token:
                return found

    def _search_child(self, experiment_id: str, parent_run_id: str, trial_id: str):
        found = self.client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TRIAL_TAG}` = '{trial_id}' and tags.`{PARENT_TAG}` = '{parent_run_id}'",
            max_results=1, order_by=["attributes.start_time ASC"],
        )
        return found[0] if found else None

    # -- metrics, tags, artifacts -----------------------------------------------------------

    def log_dataset(self, run_id: str, card: Mapping[str, Any]) -> None:
        """The trial's dataset as an MLflow dataset input (the runs table's Dataset column): `card` is
        `orchestrator.run.data.dataset_card`'s (name, digest, source_type, source, schema, profile)."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        dataset = Dataset(card["name"], card["digest"], card["source_type"], card["source"],
                          card.get("schema"), card.get("profile"))
        self.client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "training")])])

    def metric_steps(self, run_id: str, key: str) -> set[int]:
        """The steps at which the run holds `key` (its step set, compared against Parquet's epochs)."""
        return {m.step for m in self.client.get_metric_history(run_id, key)}

    def log_metrics(self, run_id: str, rows: list[MetricRow]) -> None:
        """Per-epoch metrics: `rows` is [(epoch, {name: value}, timestamp_s), ...]. A step's metrics go
        in one batch (one transaction), so a step the store holds any metric of is complete; the
        result's timestamp makes logging a row twice a no-op."""
        batch: list[Metric] = []
        for step, values, timestamp in rows:
            ms = int(timestamp * 1000) if timestamp is not None and math.isfinite(timestamp) else 0
            metrics = [Metric(k, float(v), ms, int(step)) for k, v in sorted(values.items())]
            if batch and len(batch) + len(metrics) > BATCH_LIMIT:
                self.client.log_batch(run_id, metrics=batch)
                batch = []
            batch.extend(metrics)
            while len(batch) >= BATCH_LIMIT:  # only a step of more than 1000 metrics splits
                self.client.log_batch(run_id, metrics=batch[:BATCH_LIMIT])
                batch = batch[BATCH_LIMIT:]
        if batch:
            self.client.log_batch(run_id, metrics=batch)

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        self.client.log_batch(run_id, tags=[RunTag(k, str(v)[:MAX_TAG_LENGTH]) for k, v in tags.items()])

    def log_dict(self, run_id: str, payload: Any, name: str) -> None:
        self.client.log_dict(run_id, payload, name)

    def log_artifact(self, run_id: str, path: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(run_id, str(path), artifact_path)

    def log_artifacts(self, run_id: str, directory: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifacts(run_id, str(directory), artifact_path)

    def has_artifacts(self, run_id: str, path: str) -> bool:
        return bool(self.client.list_artifacts(run_id, path))

    def delete_run(self, run_id: str) -> None:
        self.client.delete_run(run_id)
