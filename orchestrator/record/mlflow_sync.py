"""MLflow rebuilt from Parquet, idempotently: what `mixbench sync-mlflow` and `mixbench resume` run.

Parquet is the record (the trials and epochs tables); MLflow is a view of it that an outage, a crash
or a lost `mlflow.db` may leave incomplete. For one invocation the sync

- finds the parent run (the recorded id, else the run tagged with the invocation, else a new one);
- gives every trial one child run: creates the missing ones (tags `mixbench.trial_id`, the parent
  tag, the trial's config as params) and deletes extra ones a lost reply may have duplicated
  (keeping the one the trials table names, else the one with the most epochs);
- fills missing metric steps by step set: the steps MLflow holds for one key (`epoch` where the run
  has it) against the epochs in Parquet; a step's metrics were logged in one transaction, so one
  key stands for all. Rows carry their Tune timestamp, so re-logging one is a no-op;
- tags each ended trial with its status (and error, retries) and closes its run with the status the
  trials table gives: TERMINATED and STOPPED_EARLY -> FINISHED, ERROR -> FAILED, LOST -> KILLED;
  a trial still RUNNING is left alone (a resume continues it);
- closes the parent as FINISHED when the invocation is.

Run twice, the second sync finds nothing to do (its counts are all 0). Artifacts (text outputs,
GAN sample grids, the report) are not in Parquet and are not rebuilt here.
"""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from orchestrator.record.invocation import Invocation, chosen_invocation, latest_id
from orchestrator.record.mlflow_store import TrackingStoreError, display_uri, first_line, open_store
from orchestrator.record.mlflow_worker import is_permanent
from orchestrator.record.results import epochs_table, invocation_trials, is_metric, trial_name
from orchestrator.record.status import (ERROR, INVOCATION_FINISHED, LOST, RUN_FAILED, RUN_FINISHED, RUN_KILLED,
                                        RUN_RUNNING, STOPPED_EARLY, TERMINATED)
from orchestrator.record.tracking import TRIAL_TAG, MetricRow, Tracking, child_tags
from orchestrator.workdir import WorkDir

RUN_STATUS_OF = {TERMINATED: RUN_FINISHED, STOPPED_EARLY: RUN_FINISHED, ERROR: RUN_FAILED, LOST: RUN_KILLED}
# Epoch-row columns that are neither a metric nor the trial's config.
ROW_COLUMNS = frozenset({"experiment", "invocation", "stage", "trial_id", "trial_number", "wall_time_s", "timestamp"})
RETRIES_TAG = "mixbench.retries"
RETRIES_COLUMNS = ("retries", "num_failures")  # the trials table's retry count, whichever it is named


@dataclass
class SyncResult:
    """What one sync changed (all 0 when MLflow already agreed with Parquet)."""

    experiment: str
    invocation: str
    parent_run_id: str = ""
    trials: int = 0
    created: int = 0
    steps: int = 0
    closed: int = 0
    tagged: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.steps + self.closed + self.tagged + self.duplicates

    def summary(self) -> str:
        skipped = f"; skipped {len(self.notes)} trials MLflow refused: {self.notes[0]}" if self.notes else ""
        return (f"mlflow: {self.experiment} {self.invocation}: {self.trials} trials; created {self.created} runs, "
                f"filled {self.steps} epochs, closed {self.closed} runs, tagged {self.tagged}, "
                f"removed {self.duplicates} duplicates (parent run {self.parent_run_id}){skipped}")


def sync_mlflow(experiment: str, workdir: WorkDir, invocation: str | None = None,
                tracking_uri: str | None = None) -> SyncResult:
    """`mixbench sync-mlflow`: sync one invocation (default: the latest) into the tracking URI it
    was run with (or `tracking_uri`). ValueError if there is no such run; TrackingStoreError (one
    line) if MLflow cannot be opened or reached."""
    invocation = chosen_invocation(workdir, experiment, invocation)
    if invocation is None:
        raise ValueError(f"no run of experiment {experiment!r} in {workdir.root} to sync")
    try:
        record: Invocation | None = Invocation.load(workdir, experiment, invocation)
    except ValueError:
        record = None  # Parquet alone is enough
    uri = tracking_uri or (record.tracking_uri if record else workdir.default_tracking_uri())
    same_store = record is not None and uri == record.tracking_uri
    open_store(uri, experiment, workdir.root)
    if invocation_trials(workdir.results, experiment, invocation).empty:
        raise ValueError(f"no trials of {experiment!r} invocation {invocation} in {workdir.results} to sync")
    tracking = Tracking.for_workdir(uri, workdir)
    try:
        tracking.ping()
    except Exception as exc:
        raise TrackingStoreError(f"MLflow at {display_uri(uri)} cannot be reached ({first_line(exc)}); "
                                 f"nothing was synced, try again when it is back") from None
    finished = record is None or record.status == INVOCATION_FINISHED
    result = sync_invocation(tracking, workdir, experiment, invocation, record.parent_run_id if same_store else None,
                             finished=finished)
    if same_store and record.parent_run_id != result.parent_run_id and latest_id(workdir, experiment) == invocation:
        record.parent_run_id = result.parent_run_id  # a rebuilt store: the record names the new parent
        record.save(workdir)
    return result


def sync_invocation(tracking: Tracking, workdir: WorkDir, experiment: str, invocation: str,
                    parent_run_id: str | None = None, *, finished: bool = False,
                    trial_ids: Iterable[str] | None = None, parent_tags: dict[str, str] | None = None) -> SyncResult:
    """Bring MLflow in line with Parquet for one invocation (or only `trial_ids`); `finished`: the
    invocation has ended, so its parent run is closed too."""
    result = SyncResult(experiment, invocation)
    trials = invocation_trials(workdir.results, experiment, invocation)
    if trial_ids is not None and not trials.empty:
        trials = trials[trials["trial_id"].isin(set(trial_ids))]
    tags = {"mixbench.experiment": experiment, **(parent_tags or {})}
    parent = tracking.parent_run(experiment, invocation, f"{experiment} {invocation}", tags, known_id=parent_run_id)
    result.parent_run_id = parent
    if not trials.empty:
        epochs = invocation_epochs(workdir, experiment, invocation)
        by_trial = {}
        for run in tracking.children(parent):
            by_trial.setdefault(run.data.tags.get(TRIAL_TAG), []).append(run)
        experiment_id = tracking.client.get_run(parent).info.experiment_id
        groups = dict(tuple(epochs.groupby("trial_id"))) if not epochs.empty else {}
        for row in trials.to_dict("records"):
            result.trials += 1
            mine = groups.get(row["trial_id"], pd.DataFrame())
            try:
                _sync_trial(tracking, experiment_id, parent, row, by_trial.get(row["trial_id"], []), mine, result)
            except Exception as exc:
                if not is_permanent(exc):
                    raise  # MLflow is failing: the whole sync is tried again (it is idempotent)
                result.notes.append(f"trial {row['trial_id']}: {first_line(exc)}")
    if finished and tracking.client.get_run(parent).info.status != RUN_FINISHED:
        tracking.set_status(parent, RUN_FINISHED)
        result.closed += 1
    return result


def invocation_epochs(workdir: WorkDir, experiment: str, invocation: str) -> pd.DataFrame:
    """The epoch rows of one invocation (only its folders are read)."""
    return epochs_table(workdir.results).read(experiment, invocation)


def _sync_trial(tracking: Tracking, experiment_id: str, parent: str, row: dict[str, Any], runs: list,
                epochs: pd.DataFrame, result: SyncResult) -> None:
    trial_id, status = row["trial_id"], row.get("status")
    config = trial_config(row)
    if not runs and status == LOST:
        return  # its config ran again as another trial; nothing to show
    run = _one_run(tracking, runs, row, result)
    if run is None:
        tags = child_tags(row["experiment"], row["invocation"], row.get("stage") or "", config)
        run_id = tracking.create_child(experiment_id, parent, trial_id, trial_name(config, trial_id), tags, config)
        result.created += 1
        have_metrics, present, run_status, run_tags = {}, set(), RUN_RUNNING, {}
    else:
        run_id, have_metrics, run_status, run_tags = run.info.run_id, run.data.metrics, run.info.status, run.data.tags
        present = None
    rows = metric_rows(epochs, config)
    if rows:
        if present is None:
            present = tracking.metric_steps(run_id, step_key(have_metrics, rows))
        missing = [r for r in rows if r[0] not in present]
        if missing:
            tracking.log_metrics(run_id, missing)
            result.steps += len(missing)
    wanted = RUN_STATUS_OF.get(status)
    if wanted is None:
        return
    tags = {"mixbench.status": status}
    if isinstance(row.get("error"), str) and row["error"]:
        tags["mixbench.error"] = row["error"]
    retries = next((row[c] for c in RETRIES_COLUMNS if _is_number(row.get(c))), None)
    if retries is not None:
        tags[RETRIES_TAG] = str(int(retries))
    changed = {k: v for k, v in tags.items() if run_tags.get(k) != str(v)[:5000]}
    if changed:
        tracking.set_tags(run_id, changed)
        result.tagged += 1
    if run_status != wanted:
        tracking.set_status(run_id, wanted)
        result.closed += 1


def _one_run(tracking: Tracking, runs: list, row: dict[str, Any], result: SyncResult):
    """The trial's run among `runs`; the others (duplicates) are deleted."""
    if not runs:
        return None
    recorded = row.get("mlflow_run_id")

    def rank(run) -> tuple:
        return (run.info.run_id == recorded, run.data.metrics.get("epoch", -1), -(run.info.start_time or 0))

    keep = max(runs, key=rank)
    for run in runs:
        if run is not keep:
            tracking.delete_run(run.info.run_id)
            result.duplicates += 1
    return keep


def trial_config(row: dict[str, Any]) -> dict[str, Any]:
    """The trial's config as recorded in its trials row (the `config` JSON column)."""
    try:
        config = json.loads(row.get("config") or "{}")
    except (TypeError, ValueError):
        config = {}
    return config if isinstance(config, dict) else {}


def metric_rows(epochs: pd.DataFrame, config: dict[str, Any]) -> list[MetricRow]:
    """[(epoch, {metric: value}, timestamp_s)] of one trial's epoch rows: the numeric columns that are
    neither the row's identity nor its config, without the NaNs of columns other rows have."""
    if epochs.empty:
        return []
    numeric = [c for c in epochs.select_dtypes("number").columns if c not in ROW_COLUMNS]
    if config:
        columns = [c for c in numeric if c not in config]
    else:  # no config recorded: the metric columns by name
        columns = [c for c in numeric if c == "epoch" or is_metric(c)]
    rows = []
    for record in epochs.sort_values("epoch").to_dict("records"):
        values = {c: float(record[c]) for c in columns if _is_number(record.get(c))}
        timestamp = record.get("timestamp")
        if values:
            rows.append((int(record["epoch"]), values, float(timestamp) if _is_number(timestamp) else None))
    return rows


def step_key(run_metrics: dict[str, float], rows: list[MetricRow]) -> str:
    """The key whose steps stand for the run's: `epoch` if the run has it (or has no metrics yet),
    else a key both the run and the rows have."""
    if "epoch" in run_metrics or not run_metrics:
        return "epoch"
    shared = sorted(set(run_metrics) & {k for _, values, _ in rows for k in values})
    return shared[0] if shared else "epoch"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
