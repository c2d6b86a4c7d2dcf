"""A 2-node Ray cluster (`ray.cluster_utils.Cluster`: a head with no CPU for trials and one worker node,
both on this machine) driven by `run_experiment` in this process:

- `--storage s3://...` on a local S3-compatible server (moto in server mode on 127.0.0.1): Tune's state,
  the checkpoints and Ray's result logs land in the bucket, nothing of them in the work directory,
  which keeps the record, Parquet and mlflow.db; `resume` restores from the bucket;
- the worker node is removed mid-trial: the trial is retried from its checkpoint on a new node and the
  run ends with every trial TERMINATED, each epoch recorded once, the retry in the trials table and on
  the MLflow run.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from orchestrator.record.invocation import Invocation, RunOptions
from orchestrator.record.mlflow_sync import RETRIES_TAG
from orchestrator.record.results import read_table
from orchestrator.workdir import WorkDir
from search_spaces import EXPERIMENTS, register_experiment
from search_spaces.experiment import Experiment, Grid, Method
from tests.orchestrator.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]  # a cluster that never forms fails, not hangs

NAME = "cluster-tiny"
BUCKET = "mixbench"
SECRET = "mixbench-s3-secret"


def tiny(epochs: int) -> Experiment:
    """Two trials (erm on digits, seeds 0 and 1) of `epochs` epochs: the smallest real experiment."""
    return Experiment(
        name=NAME, description="two small_cnn trials on digits, for the cluster tests",
        stages=(Grid(datasets=("digits",), methods=(Method("erm", "erm"),), archs=("small_cnn",), seeds=(0, 1),
                     name="grid"),),
        metric="val_acc", mode="max",
        fixed={"train_subset": 60, "epochs": epochs, "batch_size": 32, "lr": 0.05, "milestones": [epochs + 1]},
    )


@pytest.fixture
def experiment(request):
    """Registers `tiny(epochs)` for this test only (the registry is the process's)."""
    register_experiment(tiny(request.param))
    yield request.param
    EXPERIMENTS._entries.pop(NAME, None)


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 on 127.0.0.1 with an empty bucket; AWS credentials in the environment the cluster's
    nodes (started after this) inherit."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mixbench-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=f"http://{endpoint}", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def cluster():
    """A head node with no CPU for trials and one worker node with 1 CPU, in a temp dir of their own
    (so no other Ray on this machine finds them). The nodes talk over this machine's own address, as a
    local Ray does: Ray turns a 127.0.0.1 cluster address into that address when a driver connects."""
    import ray
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="mxc", dir="/tmp")  # short: Ray's socket paths live under it
    node = {"temp_dir": temp}
    # No exit hooks: they install a signal handler, which only the main thread may, and the node-loss
    # test adds a node from a thread (the driver holds the main one); `shutdown` below stops every node.
    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, **node}, shutdown_at_exit=False)
    made.add_node(num_cpus=1, **node)
    made.node_args = node
    try:
        yield made
    finally:
        ray.shutdown()
        made.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def bucket_keys(client, prefix: str) -> list[str]:
    keys, token = [], None
    while True:
        page = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        keys += [item["Key"] for item in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return keys
        token = page["NextContinuationToken"]


@pytest.mark.parametrize("experiment", [2], indirect=True)
def test_storage_on_s3_holds_tune_state_and_checkpoints_of_a_two_node_run(tmp_path, experiment, s3, cluster):
    from mlflow.tracking import MlflowClient

    from orchestrator.run.runner import resume_experiment, run_experiment

    endpoint, client = s3
    workdir = WorkDir.at(tmp_path / "runs")
    storage = f"s3://mixbench-key:{SECRET}@{BUCKET}/runs?endpoint_override={endpoint}&scheme=http&region=us-east-1"
    options = RunOptions(address=cluster.address, storage=storage, system_metrics=False)
    summary = run_experiment(NAME, options, workdir)

    assert summary.trials == 2 and summary.errored == 0
    prefix = f"runs/ray/{NAME}/{summary.invocation}/grid/"
    assert summary.tune_state == f"s3://{BUCKET}/runs/ray/{NAME}/{summary.invocation}"
    keys = bucket_keys(client, prefix)
    assert f"{prefix}tuner.pkl" in keys and any(k.startswith(f"{prefix}experiment_state") for k in keys)
    trial_dirs = {k[len(prefix):].split("/")[0] for k in keys if "/checkpoint_" in k}
    assert len(trial_dirs) == 2  # both trials' checkpoints, written by the worker node into the bucket
    for trial_dir in trial_dirs:
        assert any(k.startswith(f"{prefix}{trial_dir}/checkpoint_000001/") for k in keys)
        assert f"{prefix}{trial_dir}/result.json" in keys
    for key in (f"{prefix}tuner.pkl", *(k for k in keys if "experiment_state" in k)):  # no secret pickled
        assert SECRET.encode() not in client.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    # The work directory keeps the record, Parquet and MLflow; no Tune state.
    local = workdir.invocation(NAME, summary.invocation)
    assert sorted(p.name for p in local.iterdir()) == ["mixbench.json"]
    record = local.joinpath("mixbench.json").read_text()
    assert SECRET not in record and "mixbench-key" not in record
    assert Invocation.load(workdir, NAME, summary.invocation).options.storage == storage.replace(f"mixbench-key:{SECRET}@", "")
    trials, epochs = read_table(workdir.root, "trials"), read_table(workdir.root, "epochs")
    assert len(trials) == 2 and set(trials["status"]) == {"TERMINATED"}
    assert len(epochs) == 4 and not epochs.duplicated(["trial_id", "epoch"]).any()
    children = MlflowClient(workdir.default_tracking_uri()).search_runs(
        [MlflowClient(workdir.default_tracking_uri()).get_experiment_by_name(NAME).experiment_id],
        filter_string="tags.`mixbench.stage` = 'grid'")
    assert len(children) == 2 and {c.info.status for c in children} == {"FINISHED"}

    # resume restores the finished stage from the bucket: nothing runs again, nothing is recorded twice.
    resumed = resume_experiment(NAME, workdir)
    assert resumed.trials == 2 and resumed.errored == 0
    again = read_table(workdir.root, "epochs")
    assert len(again) == 4 and not again.duplicated(["trial_id", "epoch"]).any()
    assert sorted(p.name for p in local.iterdir()) == ["mixbench.json"]


EPOCHS_LOST = 30


class NodeLoss(threading.Thread):
    """Removes the cluster's worker node once a trial's checkpoint of epoch 2 is in the stage folder,
    then adds a new worker node (the head has no CPU for trials)."""

    def __init__(self, cluster, stage_parent: Path) -> None:
        super().__init__(daemon=True)
        self.cluster, self.stage_parent = cluster, stage_parent
        self.removed_after: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.time() + 600
            while time.time() < deadline:
                found = sorted(self.stage_parent.glob("*/grid/*/checkpoint_000001"))
                if found:
                    (worker,) = self.cluster.worker_nodes
                    self.removed_after = [str(p) for p in found]
                    self.cluster.remove_node(worker)
                    self.cluster.add_node(num_cpus=1, **self.cluster.node_args)
                    return
                time.sleep(0.2)
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.mark.parametrize("experiment", [EPOCHS_LOST], indirect=True)
def test_a_worker_node_lost_mid_trial_is_retried_from_its_checkpoint(tmp_path, experiment, cluster):
    from mlflow.tracking import MlflowClient

    from orchestrator.run.runner import run_experiment

    workdir = WorkDir.at(tmp_path / "runs")
    loss = NodeLoss(cluster, workdir.ray / NAME)
    loss.start()
    options = RunOptions(address=cluster.address, max_failures=3, max_concurrent=1, system_metrics=False)
    summary = run_experiment(NAME, options, workdir)
    loss.join(timeout=60)
    assert loss.error is None, loss.error
    assert loss.removed_after, "the worker node was never removed"

    assert summary.trials == 2 and summary.errored == 0
    trials, epochs = read_table(workdir.root, "trials"), read_table(workdir.root, "epochs")
    assert len(trials) == 2 and set(trials["status"]) == {"TERMINATED"}, trials[["trial_id", "status", "error"]]
    assert not epochs.duplicated(["trial_id", "epoch"]).any()
    for trial_id in trials["trial_id"]:
        assert sorted(epochs.loc[epochs["trial_id"] == trial_id, "epoch"]) == list(range(1, EPOCHS_LOST + 1))
    retried = trials[trials["retries"] > 0]
    assert len(retried) == 1, trials[["trial_id", "retries"]]
    (trial_id,) = retried["trial_id"]

    # Ray's own log of the retried trial: after the loss it went on from a checkpoint, not from epoch 1.
    (log,) = workdir.invocation(NAME, summary.invocation).glob(f"grid/*{trial_id}*/result.json")
    results = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    restarts = [r for r in results if r["iterations_since_restore"] == 1]
    assert len(restarts) == 2 and restarts[1]["training_iteration"] > 1, [(r["training_iteration"],
                                                                         r["iterations_since_restore"]) for r in results]

    client = MlflowClient(workdir.default_tracking_uri())
    runs = client.search_runs([client.get_experiment_by_name(NAME).experiment_id],
                              filter_string=f"tags.`mixbench.trial_id` = '{trial_id}'")
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert int(runs[0].data.tags[RETRIES_TAG]) >= 1


def test_stage_artifacts_on_s3_reach_the_driver_report_from_the_worker_node(tmp_path, s3, cluster):
    """zeta-fig2's trials (on the worker node) write their figure files to the bucket's artifacts folder,
    the driver copies them into the work directory after the stage, and the report shows them."""
    from orchestrator.run.runner import run_experiment

    endpoint, client = s3
    workdir = WorkDir.at(tmp_path / "runs")
    storage = f"s3://{BUCKET}/runs?endpoint_override={endpoint}&scheme=http&region=us-east-1"
    summary = run_experiment("zeta-fig2", RunOptions(address=cluster.address, storage=storage, smoke=True,
                                                     system_metrics=False), workdir)

    assert summary.trials == 3 and summary.errored == 0
    prefix = f"runs/artifacts/zeta-fig2/{summary.invocation}/"
    in_bucket = {key[len(prefix):] for key in bucket_keys(client, prefix) if not key.endswith("/")}  # no folder markers
    figures = {name for name in in_bucket if name.startswith("fig2/") and name.endswith(".png")}
    assert figures, in_bucket
    local = workdir.artifacts("zeta-fig2", summary.invocation)
    assert in_bucket <= {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    report = (summary.report_dir / "report.md").read_text()
    assert all(Path(name).name in report for name in figures), (sorted(figures), report[:2000])
