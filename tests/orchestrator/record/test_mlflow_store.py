"""Opening an MLflow store: the SQLite schema created once under a lock however many processes start
at once, a damaged `mlflow.db` named in one line, timeouts that the user can still override."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient

from orchestrator.record.mlflow_store import HTTP_DEFAULTS, TrackingStoreError, configure_http, display_uri, open_store
from tests.orchestrator.conftest import REPO

FIRST_CLIENT = """
import sys, time
from pathlib import Path
from orchestrator.record.mlflow_store import open_store
from mlflow.tracking import MlflowClient
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
open_store(sys.argv[1])
client = MlflowClient(sys.argv[1])
experiment = client.get_experiment_by_name("race") or client.get_experiment(client.create_experiment("race"))
client.create_run(experiment.experiment_id)
"""


def test_processes_opening_one_fresh_store_at_once_all_succeed(tmp_path):
    """Without the lock one of them dies with `table ... already exists` (MLflow's schema race)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", FIRST_CLIENT, uri, str(go)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    time.sleep(5)  # let every process import MLflow and wait at the start line
    go.touch()
    outcomes = [(proc.wait(600), proc.stderr.read()) for proc in procs]
    assert [rc for rc, _ in outcomes] == [0, 0, 0], [err[-1500:] for _, err in outcomes]
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("race")
    assert len(client.search_runs([experiment.experiment_id])) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_one_line_naming_the_file_and_the_rebuild(tmp_path, damage):
    db = tmp_path / "mlflow.db"
    if damage == "garbage":
        db.write_bytes(b"this is not an MLflow store\n" * 200)
    else:
        open_store(f"sqlite:///{db}")
        db.write_bytes(db.read_bytes()[:20_000])  # the schema pages survive, the tables do not
    with pytest.raises(TrackingStoreError) as caught:
        open_store(f"sqlite:///{db}", "demo", tmp_path)
    message = str(caught.value)
    assert "\n" not in message and str(db) in message
    assert f"mixbench sync-mlflow demo --workdir {tmp_path}" in message and "mv " in message


def test_mlflow_http_timeouts_are_short_unless_the_user_set_them(monkeypatch):
    for name in HTTP_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "42")
    configure_http()
    from mlflow.environment_variables import (MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR, MLFLOW_HTTP_REQUEST_MAX_RETRIES,
                                              MLFLOW_HTTP_REQUEST_TIMEOUT)

    assert MLFLOW_HTTP_REQUEST_TIMEOUT.get() == 42  # the user's
    assert MLFLOW_HTTP_REQUEST_MAX_RETRIES.get() == 2 and MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.get() == 1


def test_messages_name_a_tracking_server_without_its_password():
    assert display_uri("http://alice:s3cret@mlflow.internal:5000") == "http://mlflow.internal:5000"
    assert display_uri("sqlite:////tmp/x/mlflow.db") == "sqlite:////tmp/x/mlflow.db"
