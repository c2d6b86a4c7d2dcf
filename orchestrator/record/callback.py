"""The driver-side Tune callback that records every trial: Parquet rows and MLflow child runs.

Parquet is the source of truth for reports. Epoch rows are buffered and written at most every
FLUSH_SECONDS (a write costs O(new rows): one small part file in the stage's folder of the results
store; buffering keeps the files few, and the stage's parts become one file when it ends); rows a
killed driver had not flushed yet are recovered from Ray's own per-trial result logs when the
stage starts again (`reconcile`), so nothing reported is lost. Each (trial, epoch)
row is written once, also across retries and `mixbench resume`. MLflow is for the comparison UI:
every MLflow call is queued for a background worker (`mlflow_runs`), so a slow or dead tracking
server never holds up Tune's loop; a stage ends by draining that queue for a bounded time, and
`mixbench sync-mlflow` / `resume` rebuild from Parquet whatever MLflow missed.

A classifier trial that ends TERMINATED (every planned epoch) also gets its final model's per-sample
test predictions stored, once, in the `predictions` table: read from the `predictions.npz` in the
trial's last checkpoint (`orchestrator.record.predictions`); a stage's end (also after `resume`) stores
those of finished trials that lack them.
"""
from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any, Iterable

from ray.tune import Callback

from orchestrator.plan.expand import planned_epochs
from orchestrator.record.predictions import READ_ERRORS, predictions_rows
from orchestrator.record.ray_logs import epoch_row, logged_epochs, split_result
from orchestrator.record.results import (epochs_table, higher_is_better, is_metric, predictions_table, trial_name,
                                         trials_table)
from orchestrator.record.status import (ERROR, LOST, RUN_FAILED, RUN_FINISHED, RUN_KILLED, RUNNING, STOPPED_EARLY,
                                        TERMINATED)
from orchestrator.record.mlflow_runs import InvocationRuns, invocation_runs
from orchestrator.record.mlflow_sync import RETRIES_TAG
from orchestrator.record.storage import Storage
from orchestrator.record.tracking import child_tags
from orchestrator.workdir import WorkDir

log = logging.getLogger("mixbench")

FLUSH_SECONDS = 1.0
STAGE_DRAIN_S = 60.0  # at most this long at a stage's end for MLflow to catch up (not at all in an outage);
# what is left keeps going in the background during the next stage, and the run's end waits longer

_DRIVER_WORKDIR: WorkDir | None = None  # the work directory this driver records into (`record_into`)


def record_into(workdir: WorkDir | None) -> None:
    """Every TrialRecorder of this process without a work directory of its own (one Tune unpickled
    from a restored experiment) records into `workdir`: the one the command was given."""
    global _DRIVER_WORKDIR
    _DRIVER_WORKDIR = workdir


def driver_workdir() -> WorkDir:
    """The work directory given to `record_into` (RuntimeError if none was)."""
    if _DRIVER_WORKDIR is None:
        raise RuntimeError("no work directory for this driver: call record_into(workdir) first")
    return _DRIVER_WORKDIR


class TrialRecorder(Callback):
    """Records one stage's trials. Picklable (Tune stores it with the experiment): clients are
    created in `setup`, which Tune calls at the start of every `fit`, also after a restore.
    `predictions`: the stage's trainable leaves `predictions.npz` in its final checkpoint (classify).

    What it pickles names no place of a machine: the work directory is never pickled (the runner gives
    it to every recorder of the driver, `record_into`, also to one Tune unpickles on a restore), the
    stage's Tune folder is a key relative to the work directory or `--storage` (`storage`, a URI
    without credentials), and the work directory's own MLflow store is named by `tracking_uri=None`.
    So a moved or copied work directory resumes into itself."""

    predictions = False  # as a recorder pickled before this key restores

    def __init__(self, experiment: str, invocation: str, stage: str, workdir: str | WorkDir | None,
                 tracking_uri: str | None, parent_run_id: str, stage_path: str | None = None,
                 datasets: dict[str, dict[str, Any]] | None = None, selection: tuple[str, str] | None = None,
                 storage: str | None = None, predictions: bool = False) -> None:
        self.experiment = experiment
        self.predictions = predictions
        self.selection = selection  # (metric, "max"|"min"): the stage's selection metric, for `best_epoch`
        self.datasets = dict(datasets or {})  # name -> dataset card, logged as each run's dataset input
        self.invocation = invocation
        self.stage = stage
        self.stage_path = stage_path  # the stage's Tune folder, relative to the work directory or `storage`
        self.storage = storage
        self.tracking_uri = tracking_uri  # None: the work directory's store (sqlite:///WORKDIR/mlflow.db)
        self.parent_run_id = parent_run_id
        self._runtime_reset()
        self._home = (workdir if isinstance(workdir, WorkDir) else WorkDir.at(workdir)) if workdir else None

    @property
    def workdir(self) -> WorkDir:
        return self._home or driver_workdir()

    def _tracking_uri(self) -> str:
        return self.tracking_uri or self.workdir.default_tracking_uri()

    def _runtime_reset(self) -> None:
        self._home: WorkDir | None = None
        self._storage: Storage | None = None
        self._mlflow: InvocationRuns | None = None
        self._opened: set[str] = set()
        self._unnamed: dict[str, dict[str, Any]] = {}  # trials rows written before their run was open
        self._logged_step: dict[str, int] = {}
        self._pending: dict[str, list[tuple[int, dict[str, float], float | None]]] = {}
        self._epoch_rows: list[dict[str, Any]] = []
        self._last_flush = 0.0
        self._started: dict[str, float] = {}
        self._flushed: dict[str, dict[int, dict[str, Any]]] = {}  # epoch rows this process wrote, per live trial
        self._replayed: set[str] = set()  # trials with epoch rows from Ray's logs: their final metrics read Parquet
        self._checkpoints: dict[str, str] = {}  # trial_id -> its newest checkpoint folder (the final one at its end)
        self._no_predictions: set[str] = set()  # trials whose predictions could not be read (warned once)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key in [k for k in state if k.startswith("_")]:
            del state[key]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._runtime_reset()

    # -- Tune hooks -------------------------------------------------------------------------

    def setup(self, **info: Any) -> None:
        self._mlflow = invocation_runs(self._tracking_uri(), self.workdir, self.experiment, self.invocation,
                                       self.parent_run_id)
        # This stage's folder of each table: writes, and the reads below, touch no other stage's rows.
        self._epochs = epochs_table(self.workdir.results).partition(self.experiment, self.invocation, self.stage)
        self._trials = trials_table(self.workdir.results).partition(self.experiment, self.invocation, self.stage)
        self._predictions = predictions_table(self.workdir.results).partition(self.experiment, self.invocation,
                                                                              self.stage)
        self.reconcile()

    def reconcile(self) -> int:
        """Write what Ray logged but a killed driver had not flushed yet: the missing Parquet epoch
        rows, then (queued) the MLflow runs of those trials synced from Parquet. Returns the rows added."""
        if not self.stage_path:
            return 0
        base = {"experiment": self.experiment, "invocation": self.invocation, "stage": self.stage}
        if self._storage is None:
            self._storage = Storage(self.storage, self.workdir.root)
        logged = logged_epochs(self._storage.path(self.stage_path), base, self._storage)
        added = self._epochs.insert([row for row, _, _ in logged])
        self._replayed.update(row["trial_id"] for row, _, _ in logged)
        if self._mlflow is not None and added:
            self._mlflow.sync(trial_ids={row["trial_id"] for row, _, _ in logged})
        return added

    def on_trial_start(self, iteration: int, trials: list, trial, **info: Any) -> None:
        self._started.setdefault(trial.trial_id, time.time())
        run_id = self._ensure_run(trial)
        self._trials.upsert([self._trial_row(trial, RUNNING, run_id)])

    def on_trial_result(self, iteration: int, trials: list, trial, result: dict, **info: Any) -> None:
        self._ensure_run(trial)  # a trial restored without a start still gets its run
        row, epoch, numbers = epoch_row(self._row_base(trial), result)
        self._epoch_rows.append(row)
        if epoch > self._logged_step.get(trial.trial_id, 0):
            self._pending.setdefault(trial.trial_id, []).append((epoch, numbers, row.get("timestamp")))
            self._logged_step[trial.trial_id] = epoch

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        if (self._pending or self._epoch_rows) and time.time() - self._last_flush > FLUSH_SECONDS:
            self._flush_all()

    def on_checkpoint(self, iteration: int, trials: list, trial, checkpoint, **info: Any) -> None:
        """Pictures a trainable puts in its checkpoint (e.g. the GAN's per-class sample grid) go to
        the trial's MLflow run, one per checkpoint, so the UI shows training progress. The checkpoint
        is read through its own filesystem (local, or `--storage`); its folder is kept: a trial's last
        one holds its final model (and predictions) when the trial ends."""
        if checkpoint is not None:
            self._checkpoints[trial.trial_id] = checkpoint.path
        if trial.trial_id not in self._opened or checkpoint is None:
            return
        for name, read in checkpoint_pictures(checkpoint):
            try:
                step = int((trial.last_result or {}).get("step", (trial.last_result or {}).get("epoch", 0)))
                self._mlflow.log_picture(trial.trial_id, read(), name, f"{Path(name).stem}/{step:08d}")
            except (OSError, ValueError) as exc:
                log.warning("MLflow: could not read %s of trial %s: %s", name, trial.trial_id, exc)

    def on_trial_complete(self, iteration: int, trials: list, trial, **info: Any) -> None:
        self._finish(trial, error=None)

    def on_trial_error(self, iteration: int, trials: list, trial, **info: Any) -> None:
        self._finish(trial, error=error_message(trial))

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._flush_all()
        self.reconcile()
        self._mark_lost({t.trial_id for t in trials})
        self._rebuild_trial_rows(trials)
        self._rebuild_predictions(trials)
        self._epochs.compact(full=True)  # the stage's parts as one file per table (predictions: one per trial)
        self._trials.compact(full=True)
        self._drain_mlflow()

    def _mark_lost(self, known: set[str]) -> None:
        """A trial started after Tune's last state snapshot is unknown to a restored Tuner, which
        hands its config out again as a new trial. Its row (and MLflow run) would stay RUNNING forever:
        mark it LOST so reports skip it, and close its run as KILLED."""
        frame = self._trials.read()
        if frame.empty:
            return
        stale = frame[(frame["experiment"] == self.experiment) & (frame["invocation"] == self.invocation)
                      & (frame["stage"] == self.stage) & (frame["status"] == RUNNING) & ~frame["trial_id"].isin(known)]
        if stale.empty:
            return
        note = "the driver stopped before Ray Tune saved this trial; its config ran again as another trial"
        self._trials.upsert([{**row, "status": LOST, "error": note} for row in stale.to_dict("records")])
        for stale_row in stale.to_dict("records"):
            hint = stale_row.get("mlflow_run_id")
            self._mlflow.end_run(stale_row["trial_id"], RUN_KILLED, hint if isinstance(hint, str) and hint else None)

    # -- helpers ----------------------------------------------------------------------------

    def _row_base(self, trial) -> dict[str, Any]:
        return {"experiment": self.experiment, "invocation": self.invocation, "stage": self.stage,
                "trial_id": trial.trial_id, "trial_number": trial_number(trial), **trial.config}

    def _ensure_run(self, trial) -> str | None:
        """Queue the opening of the trial's run (once per driver); its id if the worker has it yet."""
        if trial.trial_id not in self._opened:
            config = trial.config
            tags = child_tags(self.experiment, self.invocation, self.stage, config)
            self._mlflow.open_run(trial.trial_id, trial_name(config, trial.trial_id), tags, config)
            if config.get("dataset") in self.datasets:
                self._mlflow.log_dataset(trial.trial_id, self.datasets[config["dataset"]])
            self._opened.add(trial.trial_id)
        return self._mlflow.run_id(trial.trial_id)

    def _flush(self, trial_id: str) -> None:
        rows = self._pending.pop(trial_id, [])
        if rows and trial_id in self._opened:
            self._mlflow.log_metrics(trial_id, rows)

    def _flush_rows(self) -> None:
        rows, self._epoch_rows = self._epoch_rows, []
        self._epochs.insert(rows)
        for row in rows:  # the first row per epoch, as the table keeps it: a trial's end needs no read
            self._flushed.setdefault(row["trial_id"], {}).setdefault(row["epoch"], row)

    def _flush_all(self) -> None:
        self._flush_rows()
        for trial_id in list(self._pending):
            self._flush(trial_id)
        self._last_flush = time.time()

    def _finish(self, trial, error: str | None) -> None:
        self._ensure_run(trial)
        self._flush_rows()  # the final and best metrics come from the rows as written
        self._flush(trial.trial_id)
        run_id = self._mlflow.run_id(trial.trial_id)
        row = self._ended_row(trial, run_id, error)
        self._trials.upsert([row])
        if run_id is None:
            self._unnamed[trial.trial_id] = row
        if row["status"] == TERMINATED:
            self._store_predictions(trial)
        self._close_run(trial, row["status"], error)

    def _store_predictions(self, trial) -> None:
        """Store the trial's per-sample test predictions from its final checkpoint, once: nothing when the
        table has rows of the trial already (a retry, a resumed stage). A missing or damaged file costs one
        warning line, never the sweep."""
        if not self.predictions or trial.trial_id in self._no_predictions:
            return
        if trial.trial_id in self._predictions.values("trial_id"):
            return
        directory = self._checkpoints.pop(trial.trial_id, None) or checkpoint_path(trial)
        try:
            if directory is None:
                raise FileNotFoundError("the trial reported no checkpoint")
            table = predictions_rows(directory, self._row_base(trial), self.workdir.root)
        except READ_ERRORS as exc:
            self._no_predictions.add(trial.trial_id)
            log.warning("results store: no per-sample predictions stored for trial %s (%s: %s)", trial.trial_id,
                        type(exc).__name__, exc)
            return
        self._predictions.insert_table(table, group="trial_id")

    def _rebuild_predictions(self, trials: list) -> None:
        """Predictions of the stage's finished trials that the table lacks (the driver died between a
        trial's end and their write, or a damaged part was set aside), from each trial's last checkpoint."""
        if not self.predictions:
            return
        stored = self._trials.read(columns=["trial_id", "status"])
        finished = set(stored.loc[stored["status"] == TERMINATED, "trial_id"]) if not stored.empty else set()
        for trial in trials:
            if trial.trial_id in finished:
                self._store_predictions(trial)

    def _close_run(self, trial, status: str, error: str | None) -> None:
        """Queue the trial's text outputs, its status, error and retry count as tags, and the run's end."""
        _, texts = split_result(trial.last_result or {})
        for key, text in texts.items():
            try:
                self._mlflow.log_dict(trial.trial_id, json.loads(text), f"{key}.json")
            except ValueError:
                log.warning("MLflow: output %s of trial %s is not JSON; not logged", key, trial.trial_id)
        tags = {"mixbench.status": status, RETRIES_TAG: retries(trial)}
        if error:
            tags["mixbench.error"] = error
        self._mlflow.set_tags(trial.trial_id, tags)
        self._mlflow.end_run(trial.trial_id, RUN_FAILED if error else RUN_FINISHED)

    def _drain_mlflow(self) -> None:
        """Give MLflow a bounded time to catch up; what is left keeps trying in the background and
        is rebuilt from Parquet by `mixbench sync-mlflow` (or `resume`) if it never arrives."""
        left = self._mlflow.drain(STAGE_DRAIN_S)
        named = [{**row, "mlflow_run_id": self._mlflow.run_id(trial_id)} for trial_id, row in self._unnamed.items()
                 if self._mlflow.run_id(trial_id)]
        if named:  # the trials rows name the runs the worker opened after their trial ended
            self._trials.upsert(named)
            for row in named:
                self._unnamed.pop(row["trial_id"], None)
        if left and self._mlflow.worker.failing_for() > 0:  # else a slow server: the worker goes on
            log.warning("MLflow: %d calls of stage %s not delivered yet (%s); Parquet holds the record, "
                        "`mixbench sync-mlflow %s` rebuilds MLflow from it", left, self.stage,
                        self._mlflow.worker.status(), self.experiment)

    def _ended_row(self, trial, run_id: str | None, error: str | None) -> dict[str, Any]:
        row = self._trial_row(trial, ERROR if error else TERMINATED, run_id, error)
        if not error and row.get("epochs_done", 0) < planned_epochs(trial.config):
            row["status"] = STOPPED_EARLY
        return row

    def _rebuild_trial_rows(self, trials: list) -> None:
        """Rows of ended trials that the stage's trials table lacks (a damaged part was set aside) or
        still has as RUNNING (the driver died between the trial's end and its row), from Tune's own
        record of each trial and the epochs table (which `reconcile` rebuilt from Ray's logs)."""
        stored = self._trials.read(columns=["trial_id", "status"])
        ended_here = set(stored.loc[stored["status"] != RUNNING, "trial_id"]) if not stored.empty else set()
        ended = [t for t in trials if t.trial_id not in ended_here and t.status in ("TERMINATED", "ERROR")]  # Tune's
        rows = [self._ended_row(t, self._mlflow.run_id(t.trial_id), error_message(t) if t.status == "ERROR" else None)
                for t in ended]
        for trial, row in zip(ended, rows):
            row["runtime_s"] = (trial.last_result or {}).get("time_total_s")  # not timed by this process
        self._trials.upsert(rows)

    def _trial_row(self, trial, status: str, run_id: str | None, error: str | None = None) -> dict[str, Any]:
        row = {**self._row_base(trial), "config": json.dumps(trial.config, sort_keys=True),
               "status": status, "error": error, "mlflow_run_id": run_id, "retries": retries(trial),
               "runtime_s": time.time() - self._started.get(trial.trial_id, time.time())}
        if status != RUNNING:
            row.update(self._final_and_best(trial))
        return row

    def _final_and_best(self, trial) -> dict[str, Any]:
        """Final metrics (the last epoch) and best-so-far (`best_<metric>`), from the epochs table: from
        the rows this process wrote when it wrote them all (O(the trial's rows), no pandas: this runs
        in Tune's loop once per trial), else read back from the stage's folder (a trial with rows from
        an earlier driver or from Ray's logs)."""
        flushed = self._flushed.pop(trial.trial_id, {})
        if flushed and trial.trial_id not in self._replayed and trial.trial_id not in self._epochs.stored_before("trial_id"):
            rows = [flushed[epoch] for epoch in sorted(flushed)]
        else:
            frame = self._epochs.read(where={"trial_id": trial.trial_id})
            rows = frame[frame["experiment"] == self.experiment].sort_values("epoch").to_dict("records") if not frame.empty else []
        if not rows:
            return {"epochs_done": 0}
        _, texts = split_result(trial.last_result or {})
        out: dict[str, Any] = {"epochs_done": int(rows[-1]["epoch"]), **texts}
        columns = dict.fromkeys(c for row in rows for c in row if is_metric(c) and c not in trial.config)
        for column in columns:
            values = [v for v in (row.get(column) for row in rows) if _is_number(v)]
            if values:
                out[column] = float(values[-1])
                out[f"best_{column}"] = float(max(values) if higher_is_better(column) else min(values))
        out.update(at_best_epoch(rows, columns, self.selection))
        return out


def at_best_epoch(rows: list[dict[str, Any]], columns: Iterable[str], selection: tuple[str, str] | None) -> dict[str, Any]:
    """The epoch whose selection metric is best (the first of ties: the checkpoint one would keep) as
    `best_epoch`, every metric at that epoch as `at_best_<metric>`, and the metric as `selected_on`.
    Nothing where the stage has no selection metric or no epoch reported it."""
    if selection is None:
        return {}
    metric, mode = selection
    scored = [(row[metric], position) for position, row in enumerate(rows) if _is_number(row.get(metric))]
    if not scored:
        return {}
    best = max(scored, key=lambda s: (s[0], -s[1])) if mode == "max" else min(scored, key=lambda s: (s[0], s[1]))
    row = rows[best[1]]
    out: dict[str, Any] = {"best_epoch": int(row["epoch"]), "selected_on": metric}
    for column in columns:
        if _is_number(row.get(column)):
            out[f"at_best_{column}"] = float(row[column])
    return out


def _is_number(value: Any) -> bool:
    """A metric value (NaN, None, text and bools are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def checkpoint_path(trial) -> str | None:
    """The folder of Tune's newest checkpoint of the trial (restored with the Tuner), if it has one."""
    checkpoint = getattr(trial, "checkpoint", None)
    return getattr(checkpoint, "path", None)


def checkpoint_pictures(checkpoint) -> list[tuple[str, Any]]:
    """(file name, read() -> bytes) of each PNG directly in a Tune checkpoint, by name."""
    import pyarrow.fs

    fs = checkpoint.filesystem
    try:
        infos = fs.get_file_info(pyarrow.fs.FileSelector(checkpoint.path, allow_not_found=True))
    except OSError:
        return []

    def reader(path: str):
        def read() -> bytes:
            with fs.open_input_stream(path) as stream:
                return stream.read()
        return read

    pngs = sorted((i for i in infos if i.type == pyarrow.fs.FileType.File and i.base_name.endswith(".png")),
                  key=lambda i: i.base_name)
    return [(i.base_name, reader(i.path)) for i in pngs]


def retries(trial) -> int:
    """How often Tune restarted the trial after a failure (from its checkpoint), so far."""
    return int(getattr(trial, "num_failures", 0) or 0)


def trial_number(trial) -> int | None:
    """The trial's position in its stage (1-based, the order the searcher handed configs out)."""
    head = str(getattr(trial, "experiment_tag", "") or "").split("_", 1)[0]
    return int(head) if head.isdigit() else None


def error_message(trial) -> str:
    """The last line of the trial's error (e.g. 'FloatingPointError: non-finite training loss ...')."""
    text = ""
    try:
        error = trial.get_error()
        text = str(error) if error else ""
    except Exception:
        pass
    if not text and trial.error_file and Path(trial.error_file).exists():
        text = Path(trial.error_file).read_text()
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
