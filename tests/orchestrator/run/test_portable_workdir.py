"""A copied work directory resumes into itself: the copy of a killed run gets the rest of the rows,
runs and report, and the original's Parquet parts, mlflow.db, MLflow artifacts and Tune state stay
byte for byte as they were."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from orchestrator.record.results import read_table
from tests.orchestrator.conftest import mixbench
from tests.orchestrator.run.test_end_to_end import GRID_VARIANTS, SMOKE_TRIALS, child_runs

pytestmark = pytest.mark.e2e


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `root`: (size, mtime_ns, sha256)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def settled(root: Path, quiet_s: float = 5.0, limit_s: float = 120.0) -> dict[str, tuple[int, int, str]]:
    """`snapshot(root)` once it has not changed for `quiet_s`: Ray's worker processes outlive a
    SIGKILLed driver for a moment and may persist a checkpoint or two before they notice."""
    deadline = time.time() + limit_s
    last, since = snapshot(root), time.time()
    while time.time() < deadline:
        time.sleep(0.5)
        now = snapshot(root)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet_s:
            return now
    raise AssertionError(f"{root} kept changing for {limit_s:g} s after the driver was killed")


def test_a_copied_work_directory_resumes_into_itself_and_leaves_the_original_untouched(tmp_path):
    original, copy = tmp_path / "runs", tmp_path / "copied" / "runs"
    epochs_per_trial = 3
    args = [sys.executable, "-m", "orchestrator.cli", "run", "demo", "--smoke", "--workdir", str(original),
            "--set", f"epochs={epochs_per_trial}", "--max-concurrent", "1"]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 400
    done_before = 0
    while time.time() < deadline and driver.poll() is None:
        time.sleep(1)
        try:
            trials = read_table(original, "trials")
        except (OSError, ValueError):
            continue
        done_before = int((trials["status"] == "TERMINATED").sum())
        if done_before >= 2:
            break
    assert driver.poll() is None, "the run ended before it could be interrupted"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started
    driver.wait()
    assert done_before >= 2

    before = settled(original)
    shutil.copytree(original, copy, symlinks=True)
    assert any(name.startswith("results/epochs/") for name in before) and "mlflow.db" in before

    resumed = mixbench("resume", "demo", "--workdir", str(copy), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert snapshot(original) == before  # nothing of the original was written, not even touched
    assert not (original / "reports" / "demo").exists()

    trials, epochs = read_table(copy, "trials"), read_table(copy, "epochs")
    done = trials[trials["status"] == "TERMINATED"]
    assert set(trials["status"]) <= {"TERMINATED", "LOST"}
    assert len(done) == SMOKE_TRIALS and sorted(done.loc[done["stage"] == "grid", "variant"]) == sorted(GRID_VARIANTS)
    assert len(epochs[epochs["trial_id"].isin(done["trial_id"])]) == SMOKE_TRIALS * epochs_per_trial
    assert not epochs.duplicated(["trial_id", "epoch"]).any()
    assert str(original) not in resumed.stdout  # the summary names the copy's files
    assert (copy / "reports" / "demo" / "report.md").exists()

    client = MlflowClient(f"sqlite:///{copy / 'mlflow.db'}")
    parents, children = child_runs(client, "demo")
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert len(parents) == 1 and len(finished) == SMOKE_TRIALS
    for run in (*parents, *children):  # artifacts (the report, plan.json, outputs) land in the copy
        assert run.info.artifact_uri.startswith((copy / "mlartifacts").as_uri()), run.info.artifact_uri
    assert "report/report.md" in {a.path for a in client.list_artifacts(parents[0].info.run_id, "report")}
