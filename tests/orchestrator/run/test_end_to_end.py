"""End to end with the real things: `mixbench` in a subprocess, a local Ray on 2 CPUs, MLflow on
SQLite (and a real `mlflow server`), Parquet files read back with pandas."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient

from orchestrator.record.results import read_table
from tests.orchestrator.conftest import mixbench

pytestmark = pytest.mark.e2e

GRID_VARIANTS = ["erm", "mixup", "zeta-2.4", "zeta-2.8", "zeta-4.0"]
SMOKE_TRIALS = len(GRID_VARIANTS) + 3  # the grid at one seed + the demo's 3 smoke sweep trials


def read(workdir: Path, table: str) -> pd.DataFrame:
    """The table as a user reads it: safe while a run writes it, and with its key columns and the
    trials' `status` even before the first row."""
    return read_table(workdir, table)


def child_runs(client: MlflowClient, experiment: str) -> tuple[list, list]:
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return parents, children


def test_demo_smoke_parquet_mlflow_and_report_agree(tmp_path):
    workdir = tmp_path / "runs"
    done = mixbench("run", "demo", "--smoke", "--workdir", str(workdir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    trials, epochs = read(workdir, "trials"), read(workdir, "epochs")
    assert len(trials) == SMOKE_TRIALS
    assert set(trials["status"]) == {"TERMINATED"}
    assert sorted(trials.loc[trials["stage"] == "grid", "variant"]) == sorted(GRID_VARIANTS)
    assert len(epochs) == SMOKE_TRIALS * 2  # --smoke: 2 epochs each, every (trial, epoch) once
    assert not epochs.duplicated(["trial_id", "epoch"]).any()
    assert {"gamma", "weight_decay", "lr", "seed", "test_acc", "val_loss", "train_loss"} <= set(epochs.columns)
    # Every finished classifier trial: one predictions row per test sample it was scored on, agreeing with
    # the test confusion matrix it reported, and the final model beside them in Tune's last checkpoint.
    predictions = read(workdir, "predictions")
    assert set(predictions["trial_id"]) == set(trials["trial_id"])
    for row in trials.itertuples():
        mine = predictions[predictions["trial_id"] == row.trial_id]
        reported = json.loads(row.test_confusion)  # 10 x 10, row = true class
        assert sorted(mine["sample"]) == list(range(sum(map(sum, reported)))) and (mine["variant"] == row.variant).all()
        confusion = pd.crosstab(mine["label"], mine["predicted"]).reindex(index=range(10), columns=range(10),
                                                                          fill_value=0)
        assert confusion.values.tolist() == reported
        (folder,) = set(mine["checkpoint"])
        assert (workdir / folder / "state.pt").is_file() and (workdir / folder / "predictions.npz").is_file()

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    parents, children = child_runs(client, "demo")
    assert len(parents) == 1 and len(children) == SMOKE_TRIALS
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    by_trial = {c.data.tags["mixbench.trial_id"]: c for c in children}
    assert set(by_trial) == set(trials["trial_id"])
    for row in trials.itertuples():
        run = by_trial[row.trial_id]
        assert run.info.status == "FINISHED" and run.info.run_id == row.mlflow_run_id
        assert run.data.params["variant"] == row.variant and run.data.tags["mixbench.dataset"] == "digits"
        history = client.get_metric_history(run.info.run_id, "test_acc")
        assert sorted(m.step for m in history) == [1, 2]
        mine = epochs[epochs["trial_id"] == row.trial_id].set_index("epoch")["test_acc"]
        assert {m.step: m.value for m in history} == pytest.approx(mine.to_dict())

    invocation = trials["invocation"].iloc[0]
    folder = workdir / "reports" / "demo" / invocation  # this run's report, and the latest
    assert os.readlink(workdir / "reports" / "demo" / "latest") == invocation
    report = (folder / "report.md").read_text()
    for variant in GRID_VARIANTS:  # one seed under --smoke: the cell is that trial's final accuracy
        value = trials.loc[(trials["stage"] == "grid") & (trials["variant"] == variant), "test_acc"].item()
        assert f"{value * 100:.2f}" in report
    assert (folder / "sweep-parallel.html").stat().st_size > 10_000
    assert (folder / "sweep-parallel.png").read_bytes()[:4] == b"\x89PNG"
    artifacts = client.list_artifacts(parents[0].info.run_id, "report")
    assert "report/report.md" in {a.path for a in artifacts}
    assert "report.md" in done.stdout and "mixbench ui" in done.stdout
    assert f"  report    {folder}/  (this invocation's" in done.stdout
    # A quiet console: a line per trial start and end and a few progress lines, no Tune boxes.
    lines = done.stdout.splitlines()
    assert "Configuration for experiment" not in done.stdout and "tensorboard" not in done.stdout.lower()
    assert sum(line.startswith("[grid] start ") for line in lines) == len(GRID_VARIANTS)
    assert sum(line.startswith("[sweep] done ") for line in lines) == SMOKE_TRIALS - len(GRID_VARIANTS)
    assert len(lines) < 150 and len(done.stderr.splitlines()) < 20, done.stderr[-2000:]


def test_run_records_into_a_real_mlflow_server(tmp_path, mlflow_server):
    workdir = tmp_path / "runs"
    done = mixbench("run", "demo", "--smoke", "--set", "epochs=1", "--workdir", str(workdir),
                    "--tracking-uri", mlflow_server, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (workdir / "mlflow.db").exists()  # everything went to the server
    client = MlflowClient(mlflow_server)
    parents, children = child_runs(client, "demo")
    trials = read(workdir, "trials")
    assert len(parents) == 1 and len(children) == len(trials) == SMOKE_TRIALS
    assert {c.info.run_id for c in children} == set(trials["mlflow_run_id"])
    assert all(len(client.get_metric_history(c.info.run_id, "test_acc")) == 1 for c in children)


def result_lines(workdir: Path) -> dict[str, int]:
    """Ray's own per-trial result log: one line per reported result, across every restart."""
    counts = {}
    for path in (workdir / "ray" / "demo").glob("*/*/*/result.json"):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if lines:
            counts[lines[0]["trial_id"]] = len(lines)
    return counts


def test_a_killed_driver_resumes_without_rerunning_or_duplicating(tmp_path):
    workdir = tmp_path / "runs"
    epochs_per_trial = 3
    args = [sys.executable, "-m", "orchestrator.cli", "run", "demo", "--smoke", "--workdir", str(workdir),
            "--set", f"epochs={epochs_per_trial}", "--max-concurrent", "1"]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    finished_before = pd.DataFrame()
    while time.time() < deadline:
        time.sleep(1)
        try:
            trials = read(workdir, "trials")
        except (OSError, ValueError):
            continue
        finished_before = trials[trials["status"] == "TERMINATED"]
        if len(finished_before) >= 2:
            break
    assert driver.poll() is None, "the run ended before it could be interrupted"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started, as in a crash
    driver.wait()
    assert len(finished_before) >= 2

    resumed = mixbench("resume", "demo", "--workdir", str(workdir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    recorded, epochs = read(workdir, "trials"), read(workdir, "epochs")
    # A trial the driver started after Tune's last state snapshot is run again under a new id; its
    # first row is marked LOST (never left RUNNING) and does not count.
    assert set(recorded["status"]) <= {"TERMINATED", "LOST"}, recorded[["trial_id", "status"]]
    trials = recorded[recorded["status"] == "TERMINATED"]
    assert len(trials) == SMOKE_TRIALS
    assert sorted(trials.loc[trials["stage"] == "grid", "variant"]) == sorted(GRID_VARIANTS)
    done_epochs = epochs[epochs["trial_id"].isin(trials["trial_id"])]
    assert len(done_epochs) == SMOKE_TRIALS * epochs_per_trial
    assert not epochs.duplicated(["trial_id", "epoch"]).any()
    # Predictions of every finished trial, stored once: the parts hold no row twice across the two drivers.
    predictions = read(workdir, "predictions")
    assert set(predictions["trial_id"]) == set(trials["trial_id"])
    stored = sum(pq.read_metadata(f).num_rows for f in (workdir / "results" / "predictions").rglob("part-*.parquet"))
    assert stored == len(predictions)
    lines = result_lines(workdir)
    for trial_id in finished_before["trial_id"]:  # finished trials were not run again
        assert lines[trial_id] == epochs_per_trial
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    parents, children = child_runs(client, "demo")
    children = [c for c in children if c.info.status != "KILLED"]
    assert len(parents) == 1 and len(children) == SMOKE_TRIALS
    for child in children:
        steps = [m.step for m in client.get_metric_history(child.info.run_id, "test_acc")]
        assert sorted(steps) == list(range(1, epochs_per_trial + 1))


def test_a_truncated_epochs_part_is_reported_then_rebuilt_from_rays_logs_on_resume(tmp_path):
    workdir = tmp_path / "runs"
    done = mixbench("run", "demo", "--smoke", "--workdir", str(workdir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    before = read(workdir, "epochs").set_index(["trial_id", "epoch"])
    assert len(before) == SMOKE_TRIALS * 2
    (part,) = (workdir / "results" / "epochs" / "demo").glob("*/grid/part-*.parquet")  # compacted: one per stage
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])

    report = mixbench("report", "demo", "--workdir", str(workdir), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-3000:]
    assert "Damaged results store: 1 unreadable Parquet part(s) were skipped" in report.stdout
    assert part.name in report.stdout

    resumed = mixbench("resume", "demo", "--workdir", str(workdir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after = read(workdir, "epochs").set_index(["trial_id", "epoch"])
    assert after.attrs["damaged"] == [] and not after.index.duplicated().any()
    assert sorted(after.index) == sorted(before.index)
    assert after["test_acc"].to_dict() == pytest.approx(before["test_acc"].to_dict())
    assert (part.parent / f"_{part.name}.damaged").exists()
    assert "Damaged results store" not in (workdir / "reports" / "demo" / "latest" / "report.md").read_text()


def test_failing_trials_are_recorded_and_the_sweep_goes_on(tmp_path):
    workdir = tmp_path / "runs"
    # lr=1e30 makes every zeta/mixup/erm loss non-finite: each trial fails, none takes the run down.
    done = mixbench("run", "demo", "--smoke", "--set", "epochs=1", "--set", "lr=1e30", "--max-failures", "0",
                    "--workdir", str(workdir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = read(workdir, "trials")
    assert len(trials) == SMOKE_TRIALS and set(trials["status"]) == {"ERROR"}
    assert trials["error"].str.contains("non-finite training loss").all()
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    _, children = child_runs(client, "demo")
    assert {c.info.status for c in children} == {"FAILED"}
    assert all("non-finite" in c.data.tags["mixbench.error"] for c in children)
    assert f"{SMOKE_TRIALS} trials, {SMOKE_TRIALS} failed." in done.stdout
    assert "missing" in (workdir / "reports" / "demo" / "latest" / "report.md").read_text()
