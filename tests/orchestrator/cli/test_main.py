"""The command line as users meet it: real subprocesses, exit codes, one-line errors."""
from __future__ import annotations

import json

import pytest

from tests.orchestrator.conftest import mixbench


@pytest.mark.parametrize("args, needle", [
    (["run", "no-such-experiment"], "unknown experiment 'no-such-experiment'; valid choices: demo, zeta-table4"),
    (["run", "demo", "--set", "nope=1"], "unknown config key(s) nope in --set of experiment 'demo'; valid keys:"),
    (["run", "demo", "--set", "arch=resnet9000"], "unknown arch 'resnet9000'; valid choices:"),
    (["run", "demo", "--set", "gamma=-2"], "gamma"),
    (["run", "demo", "--cpus-per-trial", "0"], "--cpus-per-trial must be a number > 0"),
    (["run", "demo", "--cpus-per-trial", "nan"], "--cpus-per-trial must be a number > 0, got nan"),
    (["run", "demo", "--max-failures", "-5"], "--max-failures must be >= 0"),
    (["run", "demo", "--address", "127.0.0.1:1"], "no Ray cluster answers at 127.0.0.1:1"),
    (["run", "demo", "--tracking-uri", "garbage"], "unsupported scheme"),
    (["run", "demo", "--tracking-uri", "http://u:hunter2@127.0.0.1:1"], "no MLflow server answers at http://127.0.0.1:1 "),
    (["run", "demo", "--set", "epochs"], "--set expects key=value"),
    (["run", "demo", "--storage", "ftp://u:hunter2@host/runs"], "--storage 'ftp://u:***@host/runs': unsupported scheme 'ftp'"),
    (["run", "demo", "--storage", "s3://"], "names no bucket"),
    (["train", "--dataset", "cifar11", "--method", "erm", "--arch", "small_cnn"], "unknown dataset 'cifar11'; valid choices:"),
    (["train", "--dataset", "digits", "--method", "zeta", "--arch", "small_cnn", "--set", "t=1"], "t"),
    (["resume", "demo"], "no run of experiment 'demo'"),
    (["sync-mlflow", "demo"], "no run of experiment 'demo'"),
    (["plan", "demo", "--set", "lr=0"], "lr must be a number in (0.0, inf)"),
    (["plan", "nope"], "unknown experiment 'nope'; valid choices:"),
    (["report", "demo", "--compare", "/nonexistent/a", "/nonexistent/b"], "nonexistent"),
    (["report", "demo", "--invocation", "nope"], "no invocation 'nope' of 'demo'"),
    (["report", "demo", "--invocation", "x", "--compare", "a", "b"], "drop --invocation"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_naming_the_problem_with_exit_code_2(tmp_path, args, needle):
    done = mixbench(*args, "--workdir", str(tmp_path / "runs"), cwd=tmp_path, timeout=120) if args[0] in ("run", "resume") \
        else mixbench(*args, cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mixbench"), done.stderr
    assert needle in lines[0]
    assert "hunter2" not in done.stderr + done.stdout  # credentials never printed


def test_plan_says_what_run_would_do_and_writes_nothing(tmp_path):
    done = mixbench("plan", "gemix-table1", "--smoke", "--json", "--set", "gan_steps=3", "--workdir",
                    str(tmp_path / "runs"), cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["experiment"] == "gemix-table1" and plan["smoke"] is True
    stages = {s["name"]: s for s in plan["stages"]}
    assert list(stages) == ["gan", "sets", "quality", "classify"]
    assert stages["gan"]["set_keys"] == ["gan_steps"] and stages["classify"]["set_keys"] == []
    assert stages["classify"]["trials"] == 8 and stages["classify"]["metric"] == "val_acc"
    assert {"name", "kind", "trials", "metric", "mode", "datasets", "archs", "methods", "epochs"} <= set(stages["sets"])
    assert not (tmp_path / "runs").exists()
    text = mixbench("plan", "demo", cwd=tmp_path, timeout=120)
    assert text.returncode == 0 and text.stdout.startswith("demo: 31 trials, 1240 trial-epochs")


def test_bad_input_leaves_an_existing_work_directory_untouched(tmp_path):
    workdir = tmp_path / "runs"
    (workdir / "results").mkdir(parents=True)
    precious = workdir / "results" / "keep.txt"
    precious.write_text("earlier results")
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    done = mixbench("run", "demo", "--set", "lr=-1", "--workdir", str(workdir), cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before
    assert precious.read_text() == "earlier results"


def test_a_bad_storage_uri_writes_nothing(tmp_path):
    done = mixbench("run", "demo", "--storage", "webdav://host/runs", "--workdir", str(tmp_path / "runs"),
                    cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "unsupported scheme 'webdav'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_list_names_experiments_datasets_methods_and_archs(tmp_path):
    done = mixbench("list", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    for needle in ("demo", "zeta-table6", "zeta-fig10-sweep", "cifar100", "covidx-ct3", "cutmix+zeta", "resnet50", "small_cnn"):
        assert needle in done.stdout


def test_train_runs_one_trial_in_process_and_ends_with_a_json_line(tmp_path):
    done = mixbench("train", "--dataset", "digits", "--method", "zeta", "--arch", "small_cnn",
                    "--set", "epochs=2", "--set", "subset=200", "--set", "gamma=2.8", "--json", cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert sum(line.startswith("epoch=") for line in lines) == 2  # metrics per epoch on the terminal
    final = json.loads(lines[-1])
    assert final["epoch"] == 2 and 0.0 <= final["test_acc"] <= 1.0
    assert abs(final["test_err"] - (1 - final["test_acc"])) < 1e-9


def test_ui_serves_the_work_directorys_mlflow_store_on_loopback(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from mlflow.tracking import MlflowClient

    from tests.orchestrator.conftest import free_port

    workdir = tmp_path / "runs"
    workdir.mkdir()
    MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}").create_experiment("demo")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", "ui", "--workdir", str(workdir), "--port", str(port)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, body = time.time() + 300, ""  # a loaded 2-core machine starts MLflow's server slowly
        while time.time() < deadline and not body:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=demo")
                with urllib.request.urlopen(request, timeout=3) as response:
                    body = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert '"name": "demo"' in body or '"name":"demo"' in body
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_ui_without_a_store_says_so(tmp_path):
    done = mixbench("ui", "--workdir", str(tmp_path / "empty"), cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "no MLflow store" in done.stderr


def test_train_reads_the_data_root_from_MIXBENCH_DATA(tmp_path):
    done = mixbench("train", "--dataset", "cifar10", "--method", "erm", "--arch", "small_cnn", cwd=tmp_path,
                    timeout=120, env={"MIXBENCH_DATA": str(tmp_path / "nowhere")})
    assert done.returncode == 2
    assert str(tmp_path / "nowhere") in done.stderr  # the missing path expected is named


def test_run_summary_names_this_invocations_report_and_the_latest(tmp_path, capsys):
    """What `mixbench run` prints at its end (the runner's RunSummary after build_report)."""
    import numpy as np

    from orchestrator.cli.main import print_summary
    from orchestrator.report.build import build_report
    from orchestrator.run.runner import RunSummary
    from orchestrator.workdir import WorkDir
    from tests.orchestrator.fakes import grid_rows, write_trials

    workdir = WorkDir.at(tmp_path / "runs")
    write_trials(workdir, "demo", grid_rows("grid", [("digits", "small_cnn", "erm")], [0], {"erm": 0.9},
                                            np.random.default_rng(0)), invocation="20260101-000000-1")
    report = build_report("demo", workdir, invocation="20260101-000000-1")
    print_summary(RunSummary("demo", "20260101-000000-1", workdir, workdir.default_tracking_uri(), "run-id", 1, 0,
                             report.directory, report.files))
    out = capsys.readouterr().out
    assert out.startswith(report.markdown)
    assert f"  report    {workdir.reports}/demo/20260101-000000-1/  (this invocation's" in out
    assert f"  latest    {workdir.reports}/demo/index.html" in out
