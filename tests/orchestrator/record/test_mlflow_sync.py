"""MLflow rebuilt from Parquet: a real SQLite MLflow store and real Parquet tables, damaged the ways
an outage, a lost reply or a lost `mlflow.db` damage them."""
from __future__ import annotations

import json

import pytest
from mlflow.entities import Metric

from orchestrator.record.invocation import Invocation, RunOptions
from orchestrator.record.mlflow_store import open_store
from orchestrator.record.mlflow_sync import sync_invocation, sync_mlflow
from orchestrator.record.results import epochs_table, trials_table
from orchestrator.record.tracking import PARENT_TAG, TRIAL_TAG, Tracking, child_tags
from orchestrator.workdir import WorkDir
from tests.orchestrator.conftest import mixbench

EPOCHS = 4
# trial id -> status in the trials table
TRIALS = {"t-done": "TERMINATED", "t-early": "STOPPED_EARLY", "t-error": "ERROR", "t-lost": "LOST",
          "t-live": "RUNNING", "t-norun": "TERMINATED", "t-dup": "TERMINATED"}


def config(trial_id: str) -> dict:
    return {"dataset": "digits", "variant": "erm", "seed": sorted(TRIALS).index(trial_id), "lr": 0.1}


def write_parquet(workdir: WorkDir, invocation: str = "inv-1") -> None:
    base = {"experiment": "demo", "invocation": invocation, "stage": "grid"}
    epochs, trials = [], []
    for number, (trial_id, status) in enumerate(TRIALS.items(), 1):
        cfg = config(trial_id)
        done = 2 if status in ("STOPPED_EARLY", "ERROR", "RUNNING") else EPOCHS
        for epoch in range(1, done + 1):
            epochs.append({**base, "trial_id": trial_id, "trial_number": number, **cfg, "epoch": epoch,
                           "train_loss": 1 / epoch, "test_acc": epoch / 10 + number / 100,
                           "wall_time_s": float(epoch), "timestamp": 1_700_000_000 + 10 * number + epoch})
        trials.append({**base, "trial_id": trial_id, "trial_number": number, **cfg, "config": json.dumps(cfg),
                       "status": status, "error": "FloatingPointError: boom" if status == "ERROR" else None,
                       "mlflow_run_id": None, "epochs_done": done, "retries": 1 if trial_id == "t-done" else 0})
    epochs_table(workdir.results).insert(epochs)
    trials_table(workdir.results).upsert(trials)


@pytest.fixture
def workdir(tmp_path):
    workdir = WorkDir.at(tmp_path / "runs").create()
    write_parquet(workdir)
    open_store(workdir.default_tracking_uri())
    return workdir


def child_runs(tracking: Tracking, parent: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for run in tracking.children(parent):
        found.setdefault(run.data.tags[TRIAL_TAG], []).append(run)
    return found


def metric_steps(tracking: Tracking, run_id: str, key: str) -> list[int]:
    return sorted(m.step for m in tracking.client.get_metric_history(run_id, key))


def damage_mlflow_as_an_outage_does(tracking: Tracking) -> str:
    """A parent; runs with gaps, left RUNNING, duplicated, missing: what live recording left behind."""
    parent = tracking.parent_run("demo", "inv-1", "demo inv-1", {})
    experiment_id = tracking.client.get_run(parent).info.experiment_id

    def open_run(trial_id: str, epochs: list[int]) -> str:
        cfg = config(trial_id)
        run_id = tracking.create_child(experiment_id, parent, trial_id, trial_id, child_tags("demo", "inv-1", "grid", cfg), cfg)
        number = list(TRIALS).index(trial_id) + 1
        tracking.log_metrics(run_id, [(e, {"epoch": e, "train_loss": 1 / e, "test_acc": e / 10 + number / 100},
                                       1_700_000_000 + 10 * number + e) for e in epochs])
        return run_id

    open_run("t-done", [1, 3])  # epochs 2 and 4 never arrived; left RUNNING
    open_run("t-early", [1, 2])
    open_run("t-error", [1])
    open_run("t-lost", [1])
    open_run("t-live", [1])
    open_run("t-dup", [1, 2, 3, 4])
    open_run("t-dup", [1])  # a create whose reply was lost, made again
    return parent


def test_sync_leaves_one_run_per_trial_with_every_epoch_and_the_status_parquet_gives(workdir):
    tracking = Tracking.for_workdir(workdir.default_tracking_uri(), workdir)
    parent = damage_mlflow_as_an_outage_does(tracking)

    result = sync_invocation(tracking, workdir, "demo", "inv-1", parent, finished=False)
    assert result.parent_run_id == parent
    assert (result.created, result.duplicates) == (1, 1)  # t-norun created, the t-dup copy removed
    assert result.steps == 2 + 0 + 1 + 3 + 1 + EPOCHS + 0  # done, early, error, lost, live, norun, dup

    runs = child_runs(tracking, parent)
    assert sorted(runs) == sorted(TRIALS) and all(len(found) == 1 for found in runs.values())
    statuses = {trial_id: found[0].info.status for trial_id, found in runs.items()}
    assert statuses == {"t-done": "FINISHED", "t-early": "FINISHED", "t-error": "FAILED", "t-lost": "KILLED",
                        "t-live": "RUNNING", "t-norun": "FINISHED", "t-dup": "FINISHED"}
    epochs = epochs_table(workdir.results).read()
    for trial_id, (run,) in runs.items():
        mine = epochs[epochs["trial_id"] == trial_id].set_index("epoch")
        assert metric_steps(tracking, run.info.run_id, "test_acc") == sorted(mine.index)
        history = {m.step: m.value for m in tracking.client.get_metric_history(run.info.run_id, "test_acc")}
        assert history == pytest.approx(mine["test_acc"].to_dict())
        assert "lr" not in run.data.metrics and "seed" not in run.data.metrics  # config is not a metric
    assert runs["t-norun"][0].data.params["lr"] == "0.1"
    assert runs["t-norun"][0].data.tags[PARENT_TAG] == parent
    assert runs["t-error"][0].data.tags["mixbench.error"] == "FloatingPointError: boom"
    assert runs["t-done"][0].data.tags["mixbench.retries"] == "1"
    assert tracking.client.get_run(parent).info.status == "RUNNING"  # the invocation has not ended

    again = sync_invocation(tracking, workdir, "demo", "inv-1", parent, finished=True)
    assert (again.created, again.steps, again.tagged, again.duplicates) == (0, 0, 0, 0)
    assert again.closed == 1 and tracking.client.get_run(parent).info.status == "FINISHED"
    assert sync_invocation(tracking, workdir, "demo", "inv-1", parent, finished=True).changed == 0


def test_a_lost_mlflow_db_is_rebuilt_from_parquet_by_the_command(workdir, tmp_path):
    """`mlflow.db` moved aside as the damaged-store message says, then `mixbench sync-mlflow`."""
    Invocation("demo", "inv-1", RunOptions(), workdir.default_tracking_uri(), parent_run_id="f" * 32,
               status="FINISHED").save(workdir)
    done = mixbench("sync-mlflow", "demo", "--workdir", str(workdir.root), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "created 6 runs" in done.stdout  # every trial but the LOST one, which never had a run

    record = Invocation.load(workdir, "demo", "inv-1")
    assert record.parent_run_id != "f" * 32  # the record names the rebuilt parent
    tracking = Tracking.for_workdir(workdir.default_tracking_uri(), workdir)
    runs = child_runs(tracking, record.parent_run_id)
    assert sorted(runs) == sorted(set(TRIALS) - {"t-lost"})
    assert tracking.client.get_run(record.parent_run_id).info.status == "FINISHED"
    assert sync_mlflow("demo", workdir).changed == 0


def test_epochs_the_live_recorder_logged_are_not_logged_twice(workdir):
    """The recorder and the sync log a row with the same timestamp: MLflow keeps one point."""
    tracking = Tracking.for_workdir(workdir.default_tracking_uri(), workdir)
    parent = tracking.parent_run("demo", "inv-1", "demo inv-1", {})
    sync_invocation(tracking, workdir, "demo", "inv-1", parent)
    run_id = child_runs(tracking, parent)["t-done"][0].info.run_id
    tracking.client.log_batch(run_id, metrics=[Metric("test_acc", 1 / 10 + 1 / 100, (1_700_000_000 + 11) * 1000, 1)])
    rows = epochs_table(workdir.results).read()
    mine = rows[rows["trial_id"] == "t-done"].sort_values("epoch")
    tracking.log_metrics(run_id, [(int(r.epoch), {"test_acc": r.test_acc}, r.timestamp) for r in mine.itertuples()])
    assert metric_steps(tracking, run_id, "test_acc") == list(range(1, EPOCHS + 1))
