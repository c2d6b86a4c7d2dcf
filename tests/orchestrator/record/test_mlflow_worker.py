"""The MLflow worker against real stores: a SQLite store, and a real `mlflow server` killed and
started again on the same port and store."""
from __future__ import annotations

import pytest
from mlflow.entities import Metric

from orchestrator.record.mlflow_runs import close_worker, invocation_runs
from orchestrator.record.mlflow_store import open_store
from orchestrator.record.mlflow_worker import MlflowWorker
from orchestrator.record.tracking import Tracking, child_tags
from orchestrator.workdir import WorkDir
from tests.orchestrator.mlflow_server import restartable_mlflow_server  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def sqlite_tracking(tmp_path_factory):
    """One SQLite store for the module (creating MLflow's schema takes seconds on a loaded machine)."""
    workdir = WorkDir.at(tmp_path_factory.mktemp("store")).create()
    open_store(workdir.default_tracking_uri())
    return Tracking.for_workdir(workdir.default_tracking_uri(), workdir)


def new_run(tracking: Tracking) -> str:
    return tracking.client.create_run(tracking.experiment_id("worker-tests")).info.run_id


def steps(tracking: Tracking, run_id: str, key: str = "m") -> list[int]:
    return [m.step for m in tracking.client.get_metric_history(run_id, key)]


def test_calls_run_in_submission_order_and_each_runs_metrics_arrive_whole(sqlite_tracking):
    tracking = sqlite_tracking
    runs = [new_run(tracking), new_run(tracking)]
    worker = MlflowWorker(tracking.ping, name="test")
    done: list[tuple[int, int]] = []

    def log(run: int, step: int):
        def call():
            tracking.client.log_batch(runs[run], metrics=[Metric("m", float(step), 1000 * step, step)])
            done.append((run, step))
        return call

    submitted = [(run, step) for step in range(1, 21) for run in (0, 1)]
    for run, step in submitted:
        worker.submit(f"step {step} of run {run}", log(run, step))
    assert worker.drain(timeout=300) == 0
    worker.close()
    assert done == submitted
    assert worker.delivered == len(submitted) and worker.dropped == 0
    for run_id in runs:
        assert sorted(steps(tracking, run_id)) == list(range(1, 21))


def test_a_call_mlflow_rejects_is_dropped_and_the_calls_behind_it_go_on(sqlite_tracking):
    tracking = sqlite_tracking
    run_id = new_run(tracking)
    worker = MlflowWorker(tracking.ping, name="test")
    rejected = worker.submit("a metric of a run that does not exist",
                             lambda: tracking.client.log_batch("0" * 32, metrics=[Metric("m", 1.0, 0, 1)]))
    worker.submit("a good metric", lambda: tracking.client.log_batch(run_id, metrics=[Metric("m", 1.0, 0, 1)]))
    assert worker.drain(timeout=300) == 0
    worker.close()
    assert rejected.done.is_set() and rejected.error is not None and rejected.attempts == 1  # no retry
    assert worker.dropped == 1 and worker.delivered == 1
    assert steps(tracking, run_id) == [1]


def test_a_call_that_keeps_failing_while_the_store_answers_is_dropped_after_a_probe(sqlite_tracking):
    tracking = sqlite_tracking
    run_id = new_run(tracking)
    worker = MlflowWorker(tracking.ping, name="test", backoff_s=0.01, probe_after=2)

    def broken():
        raise ConnectionError("this request always fails")

    bad = worker.submit("a broken call", broken)
    worker.submit("a good metric", lambda: tracking.client.log_batch(run_id, metrics=[Metric("m", 2.0, 0, 2)]))
    assert worker.drain(timeout=300) == 0
    worker.close()
    assert bad.attempts == 3  # two failures, the probe answered, one last try
    assert worker.dropped == 1 and steps(tracking, run_id) == [2]


def test_backoff_doubles_from_its_start_to_its_cap():
    worker = MlflowWorker(name="test", backoff_s=0.5, max_backoff_s=30.0)
    worker.close()
    assert [worker.backoff_delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


@pytest.mark.e2e
def test_an_outage_keeps_every_call_in_order_and_delivers_them_when_mlflow_is_back(tmp_path, restartable_mlflow_server):
    """The issue's lost metrics: a trial whose run could not be opened while MLflow was down ended
    with 3 of 60 epochs. Here the run is opened, logged and closed while the server is dead: the
    calls wait (the drain gives up at once instead of hanging), and all arrive once it is back."""
    server = restartable_mlflow_server
    workdir = WorkDir.at(tmp_path / "runs").create()
    runs = invocation_runs(server.url, workdir, "outage", "inv-1")
    runs.worker.backoff_s, runs.worker.max_backoff_s, runs.worker.outage_s = 0.2, 2.0, 3.0
    runs.start_parent("outage inv-1", {})
    assert runs.drain(timeout=300) == 0 and runs.parent_run_id()

    server.kill()
    config = {"dataset": "digits", "variant": "erm", "seed": 0, "lr": 0.1}
    runs.open_run("t1", "digits-erm-s0-t1", child_tags("outage", "inv-1", "grid", config), config)
    for epoch in range(1, 7):
        runs.log_metrics("t1", [(epoch, {"epoch": float(epoch), "test_acc": epoch / 10}, 1000.0 + epoch)])
    runs.set_tags("t1", {"mixbench.status": "TERMINATED"})
    runs.end_run("t1", "FINISHED")
    left = runs.drain(timeout=3600)  # returns once the outage has lasted outage_s, not after an hour
    assert left == 9 and runs.worker.dropped == 0 and runs.worker.failing_for() > 0
    assert runs.run_id("t1") is None

    server.start()
    assert runs.drain(timeout=600) == 0
    assert runs.worker.dropped == 0
    run_id = runs.run_id("t1")
    close_worker(server.url)
    tracking = Tracking(server.url)
    run = tracking.client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags["mixbench.status"] == "TERMINATED"
    assert run.data.tags["mlflow.parentRunId"] == runs.parent_run_id()
    assert steps(tracking, run_id, "test_acc") == [1, 2, 3, 4, 5, 6]
