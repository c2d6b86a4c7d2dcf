"""--storage: which URIs are taken, credentials kept out of the record and of pickles, Ray's logs read
through the storage's filesystem; and what is pickled or recorded names no folder of the work directory."""
from __future__ import annotations

import json
import os
import pickle

import pytest

from orchestrator.record.callback import TrialRecorder, record_into
from orchestrator.record.invocation import Invocation, RunOptions
from orchestrator.record.ray_logs import logged_epochs
from orchestrator.record.storage import Storage, check_storage, normalize
from orchestrator.workdir import WorkDir


@pytest.mark.parametrize("uri", ["s3://bucket/prefix", "gs://bucket", "hdfs://namenode:8020/runs", "/mnt/shared/runs",
                                 "file:///mnt/shared", "relative/folder",
                                 "s3://bucket/p?endpoint_override=127.0.0.1:9000&scheme=http"])
def test_storage_uris_pyarrow_writes_are_taken(uri):
    check_storage(uri)


@pytest.mark.parametrize("uri, words", [
    ("ftp://host/path", "unsupported scheme 'ftp'"),
    ("http://host/path", "unsupported scheme 'http'"),
    ("s3://", "names no bucket"),
    ("", "empty"),
    ("gs://user:hunter2@bucket/x", "in its environment"),
])
def test_a_bad_storage_uri_is_one_line_that_never_shows_a_secret(uri, words):
    with pytest.raises(ValueError) as error:
        check_storage(uri)
    message = str(error.value)
    assert words in message and "\n" not in message and "hunter2" not in message


def test_s3_credentials_move_to_the_environment_and_never_into_the_uri_or_a_pickle(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    uri = normalize("s3://AKIDEXAMPLE:s3cr3tValue@bucket/prefix?endpoint_override=127.0.0.1:9&scheme=http&region=us-east-1")
    assert uri == "s3://bucket/prefix?endpoint_override=127.0.0.1:9&scheme=http&region=us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIDEXAMPLE" and os.environ["AWS_SECRET_ACCESS_KEY"] == "s3cr3tValue"
    storage = Storage(uri, WorkDir.at("/unused").root)
    assert storage.root == "bucket/prefix" and storage.path("ray/x") == "bucket/prefix/ray/x"
    pickled = pickle.dumps(storage.fs)  # what Ray Tune pickles into its state and sends to the nodes
    assert b"s3cr3tValue" not in pickled and b"AKIDEXAMPLE" not in pickled
    assert storage.display("ray/demo/i") == "s3://bucket/prefix/ray/demo/i"


def test_a_local_storage_path_is_recorded_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert normalize("shared/runs") == str(tmp_path / "shared" / "runs")


def test_rays_logs_are_read_through_the_storage_filesystem(tmp_path):
    trial = tmp_path / "store" / "ray" / "demo" / "i" / "grid" / "t1"
    trial.mkdir(parents=True)
    (trial / "result.json").write_text(json.dumps({"trial_id": "t1", "epoch": 1, "test_acc": 0.5, "config": {}}) + "\n")
    storage = Storage(f"file://{tmp_path / 'store'}", tmp_path / "workdir")  # a pyarrow filesystem, not pathlib
    assert storage.fs is not None
    rows = logged_epochs(storage.path("ray/demo/i/grid"), {"experiment": "demo"}, storage)
    assert [(row["trial_id"], row["epoch"], row["test_acc"]) for row, _, _ in rows] == [("t1", 1, 0.5)]
    assert logged_epochs(storage.path("ray/demo/i/none"), {}, storage) == []


def test_a_pickled_recorder_names_no_folder_and_records_into_the_drivers_work_directory(tmp_path):
    original, copy = WorkDir.at(tmp_path / "original"), WorkDir.at(tmp_path / "copy")
    recorder = TrialRecorder("demo", "i", "grid", original, None, "p", stage_path="ray/demo/i/grid")
    assert recorder.workdir == original
    pickled = pickle.dumps(recorder)
    assert str(tmp_path).encode() not in pickled
    restored = pickle.loads(pickled)
    try:
        record_into(copy)  # what the runner does before a resumed stage
        assert restored.workdir == copy
        assert restored._tracking_uri() == copy.default_tracking_uri()
    finally:
        record_into(None)
    with pytest.raises(RuntimeError):
        restored.workdir


def test_the_record_names_the_work_directorys_own_store_relatively(tmp_path):
    original, copy = WorkDir.at(tmp_path / "original"), WorkDir.at(tmp_path / "copy")
    other = f"sqlite:///{tmp_path / 'elsewhere' / 'mlflow.db'}"
    Invocation("demo", "i", RunOptions(), original.default_tracking_uri()).save(original)
    Invocation("demo", "j", RunOptions(tracking_uri=other), other).save(original)
    saved = json.loads(original.invocation_record("demo", "i").read_text())
    assert saved["tracking_uri"] == "sqlite:///mlflow.db" and str(tmp_path) not in json.dumps(saved)
    import shutil

    shutil.copytree(original.root, copy.root)
    assert Invocation.load(copy, "demo", "i").tracking_uri == copy.default_tracking_uri()
    elsewhere = Invocation.load(copy, "demo", "j")
    assert elsewhere.tracking_uri == other and elsewhere.options.tracking_uri == other  # not the work directory's


def test_the_artifacts_of_a_copied_store_are_relocated_into_the_copy(tmp_path):
    import shutil

    from mlflow.tracking import MlflowClient

    from orchestrator.record.mlflow_store import open_store
    from orchestrator.record.tracking import Tracking

    original, copy = WorkDir.at(tmp_path / "original").create(), WorkDir.at(tmp_path / "copy")
    open_store(original.default_tracking_uri(), "demo", original.root)
    tracking = Tracking.for_workdir(original.default_tracking_uri(), original)
    run_id = MlflowClient(original.default_tracking_uri()).create_run(tracking.experiment_id("demo")).info.run_id
    shutil.copytree(original.root, copy.root)

    open_store(copy.default_tracking_uri(), "demo", copy.root)
    client = MlflowClient(copy.default_tracking_uri())
    assert client.get_experiment_by_name("demo").artifact_location == (copy.mlartifacts / "demo").as_uri()
    assert client.get_run(run_id).info.artifact_uri.startswith(copy.mlartifacts.as_uri() + "/demo/")
    assert client.get_experiment("0").artifact_location.startswith(copy.mlartifacts.as_uri())
    before = MlflowClient(original.default_tracking_uri()).get_run(run_id).info.artifact_uri
    assert before.startswith(original.mlartifacts.as_uri())  # the original is not touched


def test_trials_carry_the_artifacts_folder_relative_to_the_work_directory_and_resolve_it_where_they_run(tmp_path):
    from orchestrator.plan.expand import plan_experiment
    from orchestrator.run.runner import carry_artifacts_key
    from orchestrator.run.trial import with_artifacts_dir
    from orchestrator.workdir import artifacts_key
    from search_spaces import get_experiment

    workdir = WorkDir.at(tmp_path / "runs")
    plans = plan_experiment(get_experiment("gemix-table1"), smoke=True, sets={"pretrained": False},
                            artifacts_dir=str(workdir.artifacts("gemix-table1", "i")))
    carry_artifacts_key(plans, artifacts_key("gemix-table1", "i"))
    configs = [config for plan in plans for config in plan.trial_configs]
    assert {config["artifacts_dir"] for config in configs} == {"artifacts/gemix-table1/i"}
    moved = WorkDir.at(tmp_path / "moved")
    resolved = with_artifacts_dir(configs[0], str(moved.root))
    assert resolved["artifacts_dir"] == str(moved.artifacts("gemix-table1", "i"))
    assert with_artifacts_dir({"artifacts_dir": "/abs/a"}, str(moved.root))["artifacts_dir"] == "/abs/a"  # older state
