"""MLflow as its users see it, checked in a real browser: `mixbench ui` links each experiment's runs
(not MLflow 3's GenAI overview), each trial a run with its dataset, and system metrics on the runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from mlflow.tracking import MlflowClient

from tests.orchestrator.conftest import free_port, mixbench

pytestmark = pytest.mark.e2e


def wait_for(url: str, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3):
                return
        except OSError:
            time.sleep(1)
    pytest.fail(f"{url} did not answer within {seconds:.0f} s")


def test_the_ui_opens_on_the_runs_with_their_datasets(tmp_path, browser):
    workdir = tmp_path / "runs"
    done = mixbench("run", "demo", "--smoke", "--set", "epochs=1", "--workdir", str(workdir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "mlruns").exists()  # nothing of mixbench in the caller's folder

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("demo")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    default = client.get_experiment("0")
    assert default.artifact_location.startswith((workdir / "mlartifacts").as_uri())
    children = [r for r in client.search_runs([experiment.experiment_id]) if "mlflow.parentRunId" in r.data.tags]
    assert children and all(r.inputs.dataset_inputs[0].dataset.name == "digits" for r in children)
    digest = children[0].inputs.dataset_inputs[0].dataset.digest
    assert all(r.inputs.dataset_inputs[0].dataset.digest == digest for r in children)  # one dataset, one digest
    parent = next(r for r in client.search_runs([experiment.experiment_id]) if "mlflow.parentRunId" not in r.data.tags)
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {"plan.json", "report"}

    port = free_port()
    printed = tmp_path / "ui.out"
    with printed.open("w") as out:
        ui = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", "ui", "--workdir", str(workdir), "--port", str(port)],
                              cwd=tmp_path, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")  # the links are printed before the server starts
        link = next(line.split(": ", 1)[1] for line in printed.read_text().splitlines() if line.startswith("  demo: "))
        assert link == f"http://127.0.0.1:{port}/#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(link, timeout=120_000)
        # The runs table: the invocation's parent run, expanded to its trials, each with its dataset.
        parent_name = page.get_by_text(parent.info.run_name).first
        parent_name.wait_for(timeout=120_000)
        parent_name.locator("xpath=ancestor::div[@role='gridcell'][1]").locator("button").first.click()
        page.get_by_text(children[0].info.run_name).first.wait_for(timeout=60_000)
        text = page.inner_text("body")
        assert all(r.info.run_name in text for r in children[:3]), text[:2000]
        assert text.count(f"digits ({digest})") >= min(3, len(children))  # the Dataset column: name (digest)
        assert "Token usage" not in text and "Detect issues" not in text  # not the GenAI overview
        page.close()
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(30)


def test_system_metrics_reach_a_trials_run(tmp_path):
    """A trial long enough for a few samples gets MLflow's system/ metrics on its run."""
    workdir = tmp_path / "runs"
    done = mixbench("run", "demo", "--smoke", "--set", "epochs=3", "--max-concurrent", "1",
                    "--workdir", str(workdir), cwd=tmp_path, env={"MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("demo")
    children = [r for r in client.search_runs([experiment.experiment_id]) if "mlflow.parentRunId" in r.data.tags]
    with_system = [r for r in children if any(k.startswith("system/cpu_utilization") for k in r.data.metrics)]
    assert with_system, [sorted(r.data.metrics)[:5] for r in children]
