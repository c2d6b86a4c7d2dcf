"""The MLflow side of one invocation as the recorder and the runner use it: every method only queues
work on the process's background worker for the tracking URI (`mlflow_worker`) and returns at once.

Runs are named by what the driver knows without asking MLflow: a child run by its trial id, the
parent by the invocation. The worker resolves them (find by tag, else create) when it gets there,
so a trial whose run could not be opened during an outage gets it, and every metric queued behind
it, when MLflow answers again; the queue keeps each run's calls in order. One worker per tracking
URI and process, shared by the runner (parent run) and every stage's recorder (child runs).

The driver learns a child run's id only once the worker has opened it (`run_id`, never waited for
on Tune's loop): the recorder names it in the trials table when the trial ends or, if it was not
open yet, when the stage's queue has drained; during an outage the column stays empty and the run
is found by its `mixbench.trial_id` tag.
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from orchestrator.record.mlflow_store import open_store
from orchestrator.record.mlflow_sync import SyncResult, sync_invocation
from orchestrator.record.mlflow_worker import MlflowWorker
from orchestrator.record.status import RUN_RUNNING
from orchestrator.record.tracking import MetricRow, Tracking, reference_key
from orchestrator.workdir import WorkDir


class Connection:
    """One tracking URI's store, opened (schema, timeouts) on first use, in the worker thread."""

    def __init__(self, tracking_uri: str, workdir: WorkDir, experiment: str) -> None:
        self.tracking_uri, self.workdir, self.experiment = tracking_uri, workdir, experiment
        self._tracking: Tracking | None = None
        self._lock = threading.Lock()

    @property
    def tracking(self) -> Tracking:
        with self._lock:
            if self._tracking is None:
                open_store(self.tracking_uri, self.experiment, self.workdir.root)
                self._tracking = Tracking.for_workdir(self.tracking_uri, self.workdir)
            return self._tracking

    def ping(self) -> None:
        self.tracking.ping()


class InvocationRuns:
    """The parent run and the trials' child runs of one invocation, written in the background."""

    def __init__(self, worker: MlflowWorker, connection: Connection, workdir: WorkDir, experiment: str,
                 invocation: str, parent_run_id: str = "") -> None:
        self.worker, self.connection, self.workdir = worker, connection, workdir
        self.experiment, self.invocation = experiment, invocation
        self._parent_hint = parent_run_id or None
        self._parent: str | None = None
        self._parent_args: tuple[str, dict[str, str]] = (f"{experiment} {invocation}", {})
        self._open_args: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        self._run_ids: dict[str, str] = {}  # written by the worker, read by the driver
        self._steps: dict[str, set[int]] = {}  # the worker's own: steps each run holds

    @property
    def tracking(self) -> Tracking:
        return self.connection.tracking

    # -- parent run (the runner) ------------------------------------------------------------

    def start_parent(self, run_name: str, tags: Mapping[str, str]) -> None:
        """Find or create the parent run and mark it RUNNING (a resumed invocation's was ended)."""
        self._parent_args = (run_name, dict(tags))

        def start() -> None:
            run_id = self._parent_id()
            if self.tracking.client.get_run(run_id).info.status != RUN_RUNNING:
                self.tracking.set_status(run_id, RUN_RUNNING)

        self.worker.submit("opening the parent run", start)

    def parent_run_id(self, timeout: float = 0.0) -> str | None:
        """The parent run's id once the worker has resolved it (waiting at most `timeout` s)."""
        if timeout > 0:
            self.worker.wait(lambda: self._parent is not None, timeout)
        return self._parent

    def end_parent(self, status: str) -> None:
        self.worker.submit("closing the parent run", lambda: self.tracking.set_status(self._parent_id(), status))

    def log_parent_artifacts(self, directory: Path, artifact_path: str) -> None:
        self.worker.submit(f"attaching {directory.name} to the parent run", rebuildable=False,
                           fn=lambda: self.tracking.log_artifacts(self._parent_id(), directory, artifact_path))

    def _parent_id(self) -> str:
        if self._parent is None:
            name, tags = self._parent_args
            self._parent = self.tracking.parent_run(self.experiment, self.invocation, name, tags, self._parent_hint)
        return self._parent

    # -- child runs (the recorder) ----------------------------------------------------------

    def open_run(self, trial_id: str, run_name: str, tags: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        self._open_args.setdefault(trial_id, (run_name, dict(tags), dict(params)))
        self.worker.submit(f"opening the run of trial {trial_id}", lambda: self._open(trial_id))

    def run_id(self, trial_id: str) -> str | None:
        """The trial's run id if the worker has opened it (None until then)."""
        return self._run_ids.get(trial_id)

    def log_metrics(self, trial_id: str, rows: list[MetricRow]) -> None:
        """[(epoch, {metric: value}, result timestamp in s)], in epoch order; epochs the run already
        holds (a retried trial reporting an epoch again) are skipped."""
        if rows:
            self.worker.submit(f"logging epochs {rows[0][0]}-{rows[-1][0]} of trial {trial_id}",
                               lambda: self._log(trial_id, rows))

    def log_dataset(self, trial_id: str, card: Mapping[str, Any]) -> None:
        card = dict(card)
        self.worker.submit(f"logging the dataset of trial {trial_id}", rebuildable=False,
                           fn=lambda: self.tracking.log_dataset(self._open(trial_id), card))

    def log_parent_dict(self, payload: Any, name: str) -> None:
        self.worker.submit(f"attaching {name} to the parent run", rebuildable=False,
                           fn=lambda: self.tracking.log_dict(self._parent_id(), payload, name))

    def log_dict(self, trial_id: str, payload: Any, name: str) -> None:
        self.worker.submit(f"logging {name} of trial {trial_id}", rebuildable=False,
                           fn=lambda: self.tracking.log_dict(self._open(trial_id), payload, name))

    def log_picture(self, trial_id: str, data: bytes, filename: str, artifact_path: str) -> None:
        """A file's bytes (read now: the checkpoint holding it may be pruned before the worker runs)."""
        def log() -> None:
            with tempfile.TemporaryDirectory(prefix="mixbench-artifact-") as tmp:
                path = Path(tmp) / filename
                path.write_bytes(data)
                self.tracking.log_artifact(self._open(trial_id), path, artifact_path)

        self.worker.submit(f"logging {filename} of trial {trial_id}", log, rebuildable=False)

    def set_tags(self, trial_id: str, tags: Mapping[str, Any]) -> None:
        tags = dict(tags)
        self.worker.submit(f"tagging the run of trial {trial_id}", lambda: self.tracking.set_tags(self._open(trial_id), tags))

    def end_run(self, trial_id: str, status: str, run_id_hint: str | None = None) -> None:
        """Close the trial's run with `status`, also a run an earlier driver opened (found by tag)."""
        def end() -> None:
            run_id = self._run_ids.get(trial_id) or run_id_hint
            if run_id is None and trial_id in self._open_args:
                run_id = self._open(trial_id)
            if run_id is None:
                run_id = self.tracking.find_child_run(self._parent_id(), trial_id)
            if run_id is not None:
                self.tracking.set_status(run_id, status)

        self.worker.submit(f"closing the run of trial {trial_id}", end)

    def _open(self, trial_id: str) -> str:
        if trial_id not in self._run_ids:
            name, tags, params = self._open_args[trial_id]
            run_id, created = self.tracking.child_run(self._parent_id(), trial_id, name, tags, params)
            if created:
                self._steps[trial_id] = set()
            self._run_ids[trial_id] = run_id
        return self._run_ids[trial_id]

    def _log(self, trial_id: str, rows: list[MetricRow]) -> None:
        run_id = self._open(trial_id)
        steps = self._steps.get(trial_id)
        if steps is None:
            key = reference_key(rows[0][1])
            steps = self._steps[trial_id] = self.tracking.metric_steps(run_id, key) if key else set()
        todo = [row for row in rows if row[0] not in steps]
        if todo:
            self.tracking.log_metrics(run_id, todo)
            steps.update(row[0] for row in todo)

    # -- rebuilding from Parquet, waiting for the queue -------------------------------------

    def sync(self, trial_ids: Iterable[str] | None = None, finished: bool = False) -> None:
        """Queue a sync from Parquet (`mlflow_sync`) of the invocation (or of `trial_ids`)."""
        ids = None if trial_ids is None else list(trial_ids)

        def run() -> SyncResult:
            result = sync_invocation(self.tracking, self.workdir, self.experiment, self.invocation,
                                     self._parent_id(), finished=finished, trial_ids=ids)
            self._steps.clear()  # the sync logged behind the recorder's back: ask MLflow again
            return result

        self.worker.submit("rebuilding MLflow from Parquet", run)

    def drain(self, timeout: float) -> int:
        """Wait for the queued calls (at most `timeout` s, not at all during an outage); returns the
        number left, which keep trying in the background."""
        return self.worker.drain(timeout)


_LOCK = threading.Lock()
_WORKERS: dict[str, tuple[MlflowWorker, Connection]] = {}
_RUNS: dict[tuple[str, str, str, str], InvocationRuns] = {}


def invocation_runs(tracking_uri: str, workdir: WorkDir, experiment: str, invocation: str,
                    parent_run_id: str = "") -> InvocationRuns:
    """This process's MLflow writer for one invocation (created on first use; one worker per URI)."""
    from orchestrator.record.mlflow_store import display_uri

    with _LOCK:
        worker, connection = _WORKERS.get(tracking_uri, (None, None))
        if worker is None or worker.closed:
            connection = Connection(tracking_uri, workdir, experiment)
            worker = MlflowWorker(connection.ping, name=display_uri(tracking_uri))
            _WORKERS[tracking_uri] = (worker, connection)
            for key in [k for k in _RUNS if k[0] == tracking_uri]:
                del _RUNS[key]
        key = (tracking_uri, str(workdir.root), experiment, invocation)
        if key not in _RUNS:
            _RUNS[key] = InvocationRuns(worker, connection, workdir, experiment, invocation, parent_run_id)
        return _RUNS[key]


def close_worker(tracking_uri: str, timeout: float = 2.0) -> int:
    """Stop the URI's worker (after the call in progress); returns the calls it leaves undone."""
    with _LOCK:
        worker, _ = _WORKERS.pop(tracking_uri, (None, None))
        for key in [k for k in _RUNS if k[0] == tracking_uri]:
            del _RUNS[key]
    return worker.close(timeout) if worker is not None else 0
