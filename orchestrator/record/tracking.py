"""MLflow: one experiment per mixbench experiment, one parent run per invocation, one child run per
trial, found again (never duplicated) when a run is resumed or a trial retried."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from orchestrator.record.status import RUN_FINISHED, RUN_RUNNING
from orchestrator.workdir import WorkDir

TRIAL_TAG = "mixbench.trial_id"
PARENT_TAG = "mlflow.parentRunId"
MAX_PARAM_LENGTH = 6000  # MLflow's limit for a param value


class Tracking:
    """A thin, idempotent layer over `MlflowClient` for one mixbench experiment."""

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root  # None with a tracking server: the server decides
        self.client = MlflowClient(tracking_uri)
        self._child_runs: dict[str, str] = {}

    @classmethod
    def for_workdir(cls, tracking_uri: str, workdir: WorkDir) -> "Tracking":
        """A store on this machine (SQLite or a file URI) keeps its artifacts in WORKDIR/mlartifacts;
        a tracking server decides where its artifacts go."""
        local = tracking_uri.startswith("sqlite:") or tracking_uri.startswith("file:")
        return cls(tracking_uri, workdir.mlartifacts if local else None)

    def experiment_id(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = (self.artifact_root / name).as_uri() if self.artifact_root else None
        return self.client.create_experiment(name, artifact_location=location)

    def start_parent(self, experiment: str, run_name: str, tags: Mapping[str, str]) -> str:
        run = self.client.create_run(self.experiment_id(experiment), run_name=run_name, tags=dict(tags))
        return run.info.run_id

    def end_run(self, run_id: str, status: str = RUN_FINISHED) -> None:
        self.client.set_terminated(run_id, status)

    def child_run(self, parent_run_id: str, trial_id: str, run_name: str, tags: Mapping[str, Any],
                  params: Mapping[str, Any]) -> tuple[str, int]:
        """The trial's child run, created on first sight; returns (run_id, last epoch logged)."""
        if trial_id in self._child_runs:
            run_id = self._child_runs[trial_id]
            return run_id, self.last_step(run_id)
        parent = self.client.get_run(parent_run_id)
        existing = self._search_child(parent.info.experiment_id, parent_run_id, trial_id)
        if existing:
            run_id = existing.info.run_id
            if existing.info.status != RUN_RUNNING:
                self.client.update_run(run_id, status=RUN_RUNNING)
        else:
            all_tags = {PARENT_TAG: parent_run_id, TRIAL_TAG: trial_id, **{k: str(v) for k, v in tags.items()}}
            run_id = self.client.create_run(parent.info.experiment_id, run_name=run_name, tags=all_tags).info.run_id
            self.client.log_batch(run_id, params=[Param(k, str(v)[:MAX_PARAM_LENGTH]) for k, v in sorted(params.items())])
        self._child_runs[trial_id] = run_id
        return run_id, self.last_step(run_id)

    def find_child_run(self, parent_run_id: str, trial_id: str) -> str | None:
        """The trial's child run if it exists (never creates one)."""
        if trial_id in self._child_runs:
            return self._child_runs[trial_id]
        parent = self.client.get_run(parent_run_id)
        existing = self._search_child(parent.info.experiment_id, parent_run_id, trial_id)
        return existing.info.run_id if existing else None

    def _search_child(self, experiment_id: str, parent_run_id: str, trial_id: str):
        found = self.client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TRIAL_TAG}` = '{trial_id}' and tags.`{PARENT_TAG}` = '{parent_run_id}'",
            max_results=1,
        )
        return found[0] if found else None

    def last_step(self, run_id: str) -> int:
        """The last epoch whose metrics this run holds (0 if none): later results log, earlier skip."""
        epoch = self.client.get_run(run_id).data.metrics.get("epoch")
        return int(epoch) if epoch is not None else 0

    def log_metrics(self, run_id: str, rows: list[tuple[int, Mapping[str, float]]]) -> None:
        """Per-epoch metrics in one batch: `rows` is [(epoch, {name: value}), ...]."""
        now = int(time.time() * 1000)
        metrics = [Metric(k, float(v), now, step) for step, values in rows for k, v in values.items()]
        for start in range(0, len(metrics), 1000):  # MLflow's log_batch limit
            self.client.log_batch(run_id, metrics=metrics[start : start + 1000])

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        self.client.log_batch(run_id, tags=[RunTag(k, str(v)[:5000]) for k, v in tags.items()])

    def log_dict(self, run_id: str, payload: Any, name: str) -> None:
        self.client.log_dict(run_id, payload, name)

    def log_artifacts(self, run_id: str, directory: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifacts(run_id, str(directory), artifact_path)
