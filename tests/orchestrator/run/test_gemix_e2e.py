"""GeMix Table I end to end: `mixbench run gemix-table1 --smoke` in a subprocess (a local Ray on 2 CPUs,
MLflow on SQLite), then the split, the Parquet trials, the generator, sets and quality files on disk, and
the report; and a run killed in its sets stage, resumed to the same split and sets."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from orchestrator.record.results import read_table
from tests.orchestrator.conftest import mixbench
from workloads.gan.sets import is_set, load_set

pytestmark = pytest.mark.e2e

VARIANTS = ["real", "mixup", "mmixup", "gemix", "real+mixup", "real+mmixup", "real+gemix", "real+mmixup+gemix"]
SMOKE_SET_IMAGES = 64  # search_spaces.gemix_paper.SMOKE
# The smoke protocol split of ct-toy (search_spaces.gemix_paper.SMOKE): images per class of each part.
SPLIT = {"gan": 40, "train": 32, "val": 8, "test": 20}
SMOKE_TRIALS = 3 + len(VARIANTS)  # gan, sets, quality, and one classifier per setup


def split_lists(artifacts: Path) -> dict[str, list[str]]:
    return {part: (artifacts / "splits" / f"{part}.txt").read_text().splitlines() for part in SPLIT}


def test_gemix_table1_smoke_runs_every_stage_on_the_protocol_split(tmp_path):
    workdir = tmp_path / "runs"
    done = mixbench("run", "gemix-table1", "--smoke", "--workdir", str(workdir), cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "--smoke trains the classifiers from scratch" in done.stdout

    trials = read_table(workdir, "trials")
    assert trials.groupby("stage").size().to_dict() == {"gan": 1, "sets": 1, "quality": 1,
                                                        "classify": len(VARIANTS)}
    assert set(trials["status"]) == {"TERMINATED"}, trials[["stage", "variant", "status", "error"]]
    assert len(set(trials["invocation"])) == 1 and set(trials["split"]) == {"gemix"}
    classify = trials[trials["stage"] == "classify"]
    assert sorted(classify["variant"]) == sorted(VARIANTS)
    assert (classify["train_sources"] == classify["variant"]).all()
    assert set(classify["dataset"]) == {"ct-toy"} and set(classify["arch"]) == {"small_cnn"}
    assert not classify["pretrained"].any() and classify["grey_to_rgb"].all()
    for metric in ("test_precision_macro", "test_recall_macro", "test_f1_macro"):
        assert classify[metric].between(0, 1).all(), metric
    for text in classify["test_confusion"]:
        matrix = json.loads(text)
        assert len(matrix) == 3 and [sum(row) for row in matrix] == [SPLIT["test"]] * 3  # the split's balanced test set
    gan = trials[trials["stage"] == "gan"].iloc[0]
    assert gan["gan_steps"] == 30 and "lr" not in json.loads(gan["config"])
    epochs = read_table(workdir, "epochs")
    assert set(epochs.loc[epochs["stage"] == "gan", "images_per_class"]) == {SPLIT["gan"]}  # the GAN's own subset

    invocation = trials["invocation"].iloc[0]
    artifacts = workdir / "artifacts" / "gemix-table1" / invocation
    lists = split_lists(artifacts)
    assert {part: len(ids) for part, ids in lists.items()} == {part: 3 * n for part, n in SPLIT.items()}
    assert not set(lists["gan"]) & set(lists["train"] + lists["val"] + lists["test"])
    assert not set(lists["train"]) & set(lists["val"])
    assert (artifacts / "generator" / "state.pt").is_file()
    for name in ("mixup", "mmixup", "gemix"):
        assert is_set(artifacts / "sets" / name), name
        made = load_set(artifacts / "sets" / name)
        assert made.images.shape == (SMOKE_SET_IMAGES, 32, 32, 1) and made.meta["kind"] == name
    mixup = load_set(artifacts / "sets" / "mixup").meta
    assert mixup["same_class_ratio"] == 0.5 and 0.25 < mixup["same_class_pairs"] < 0.75
    assert load_set(artifacts / "sets" / "gemix").meta["noise_mode"] == "const"
    quality = json.loads((artifacts / "quality" / "quality.json").read_text())
    assert 0.0 <= quality["sets"]["gemix"]["label_fidelity"] <= 1.0
    assert quality["oracle"]["train_images"] == 3 * SPLIT["train"]  # the classifier's split, not ct-toy's 267
    assert (artifacts / "quality" / "tsne.npz").is_file()

    report = workdir / "reports" / "gemix-table1" / invocation
    markdown = (report / "report.md").read_text()
    assert "classify: 8 of 8 cells complete" in markdown
    assert markdown.index("from scratch — not comparable with the published numbers") < \
        markdown.index("### classify: test_precision_macro")
    table = (report / "classify-table.md").read_text()
    for variant in VARIANTS:
        row = next(line for line in table.splitlines() if line.startswith(f"| {variant} |"))
        assert "missing" not in row, row
    assert "Deviations that remain: the GAN is mixbench's re-implementation" in table
    assert (report / "fig3-tsne.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    gan_run = gan["mlflow_run_id"]
    assert client.get_metric_history(gan_run, "g_loss"), "GAN losses reach MLflow"
    grids = [a.path for a in client.list_artifacts(gan_run, "samples")]
    assert grids, "the GAN's per-class sample grids reach MLflow"
    assert any(a.path.endswith("samples.png") for g in grids for a in client.list_artifacts(gan_run, g))


def set_state(directory: Path) -> tuple[int, str]:
    """(images.npy's mtime, meta.json's text): a rewrite changes both, even within one clock tick."""
    return (directory / "images.npy").stat().st_mtime_ns, (directory / "meta.json").read_text()


def test_a_run_killed_in_its_sets_stage_resumes_with_the_same_split_and_sets(tmp_path):
    workdir = tmp_path / "runs"
    # Larger sets keep the stage busy for a few seconds after its first set is complete (the classifiers
    # still take at most `subset` images of each).
    args = [sys.executable, "-m", "orchestrator.cli", "run", "gemix-table1", "--smoke", "--workdir", str(workdir),
            "--set", "sets_images=3000"]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The first complete set (its meta.json is written last) means the sets stage is under way.
        deadline = time.time() + 900
        while time.time() < deadline and driver.poll() is None:
            if list(workdir.glob("artifacts/gemix-table1/*/sets/*/meta.json")):
                break
            time.sleep(0.2)
        assert driver.poll() is None, "the run ended (or failed) before its sets stage could be interrupted"
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started, as in a crash
        driver.wait()
    (artifacts,) = list((workdir / "artifacts" / "gemix-table1").iterdir())
    splits_before = {p.name: p.read_bytes() for p in (artifacts / "splits").iterdir()}
    assert sorted(splits_before) == ["gan.txt", "split.json", "test.txt", "train.txt", "val.txt"]
    generator_before = (artifacts / "generator" / "state.pt").read_bytes()
    sets_before = {d.name: set_state(d) for d in (artifacts / "sets").iterdir() if is_set(d)}
    assert sets_before

    resumed = mixbench("resume", "gemix-table1", "--workdir", str(workdir), cwd=tmp_path, timeout=1500)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "reused from" in resumed.stdout

    # The same split, byte for byte; the GAN not trained again; the complete sets not rewritten.
    assert {p.name: p.read_bytes() for p in (artifacts / "splits").iterdir()} == splits_before
    assert (artifacts / "generator" / "state.pt").read_bytes() == generator_before
    for name, state in sets_before.items():
        assert set_state(artifacts / "sets" / name) == state, f"set {name} was written again"
    assert all(is_set(artifacts / "sets" / name) for name in ("mixup", "mmixup", "gemix"))

    recorded = read_table(workdir, "trials")
    epochs = read_table(workdir, "epochs")
    # A trial the driver started after Tune's last state snapshot runs again under a new id; its first
    # row is marked LOST (never left RUNNING) and does not count.
    assert set(recorded["status"]) <= {"TERMINATED", "LOST"}, recorded[["stage", "trial_id", "status"]]
    trials = recorded[recorded["status"] == "TERMINATED"]
    assert trials.groupby("stage").size().to_dict() == {"gan": 1, "sets": 1, "quality": 1, "classify": len(VARIANTS)}
    assert len(set(recorded["invocation"])) == 1
    assert not epochs.duplicated(["trial_id", "epoch"]).any()
    assert not recorded.duplicated(["trial_id"]).any()
    for text in trials.loc[trials["stage"] == "classify", "test_confusion"]:
        assert [sum(row) for row in json.loads(text)] == [SPLIT["test"]] * 3
    gan_epochs = epochs[epochs["trial_id"].isin(trials.loc[trials["stage"] == "gan", "trial_id"])]
    assert sorted(gan_epochs["epoch"]) == [1, 2, 3]

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("gemix-table1")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    # Runs the killed driver left open may be closed as KILLED; every other child is one finished trial.
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags and r.info.status != "KILLED"]
    assert len(parents) == 1 and len(children) == SMOKE_TRIALS
    assert {c.data.tags["mixbench.trial_id"] for c in children} == set(trials["trial_id"])
    assert all(c.info.status == "FINISHED" for c in children)
