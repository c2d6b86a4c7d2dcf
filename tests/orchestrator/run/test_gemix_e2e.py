"""GeMix Table I end to end: `mixbench run gemix-table1 --smoke` in a subprocess (a local Ray on 2 CPUs,
MLflow on SQLite), then the Parquet trials, the generator, sets and quality files on disk, and the report."""
from __future__ import annotations

import json

import pytest

from orchestrator.record.results import read_table
from tests.orchestrator.conftest import mixbench
from workloads.gan.sets import is_set, load_set

pytestmark = pytest.mark.e2e

VARIANTS = ["real", "mixup", "mmixup", "gemix", "real+mixup", "real+mmixup", "real+gemix", "real+mmixup+gemix"]
SMOKE_SET_IMAGES = 64  # search_spaces.gemix_paper.SMOKE


def test_gemix_table1_smoke_runs_every_stage(tmp_path):
    workdir = tmp_path / "runs"
    done = mixbench("run", "gemix-table1", "--smoke", "--workdir", str(workdir), cwd=tmp_path, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]

    trials = read_table(workdir, "trials")
    assert trials.groupby("stage").size().to_dict() == {"gan": 1, "sets": 1, "quality": 1,
                                                        "classify": len(VARIANTS)}
    assert set(trials["status"]) == {"TERMINATED"}, trials[["stage", "variant", "status", "error"]]
    assert len(set(trials["invocation"])) == 1
    classify = trials[trials["stage"] == "classify"]
    assert sorted(classify["variant"]) == sorted(VARIANTS)
    assert (classify["train_sources"] == classify["variant"]).all()
    assert set(classify["dataset"]) == {"ct-toy"} and set(classify["arch"]) == {"small_cnn"}
    for metric in ("test_precision_macro", "test_recall_macro", "test_f1_macro"):
        assert classify[metric].between(0, 1).all(), metric
    for text in classify["test_confusion"]:
        matrix = json.loads(text)
        assert len(matrix) == 3 and sum(map(sum, matrix)) == 78  # ct-toy's test split
    gan = trials[trials["stage"] == "gan"].iloc[0]
    assert gan["gan_steps"] == 30 and "lr" not in json.loads(gan["config"])

    invocation = trials["invocation"].iloc[0]
    artifacts = workdir / "artifacts" / "gemix-table1" / invocation
    assert (artifacts / "generator" / "state.pt").is_file()
    for name in ("mixup", "mmixup", "gemix"):
        assert is_set(artifacts / "sets" / name), name
        made = load_set(artifacts / "sets" / name)
        assert made.images.shape == (SMOKE_SET_IMAGES, 32, 32, 1) and made.meta["kind"] == name
    quality = json.loads((artifacts / "quality" / "quality.json").read_text())
    assert 0.0 <= quality["sets"]["gemix"]["label_fidelity"] <= 1.0
    assert (artifacts / "quality" / "tsne.npz").is_file()

    report = workdir / "reports" / "gemix-table1"
    markdown = (report / "report.md").read_text()
    assert "classify: 8 of 8 cells complete" in markdown
    table = (report / "classify-test_f1_macro.md").read_text()
    assert all(variant in table for variant in VARIANTS)
    row = next(line for line in table.splitlines() if line.startswith("| ct-toy"))
    assert "missing" not in row
    assert (report / "classify-test_precision_macro.md").is_file()
    assert (report / "classify-test_recall_macro.md").is_file()
    assert (report / "fig3-tsne.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    gan_run = gan["mlflow_run_id"]
    assert client.get_metric_history(gan_run, "g_loss"), "GAN losses reach MLflow"
    grids = [a.path for a in client.list_artifacts(gan_run, "samples")]
    assert grids, "the GAN's per-class sample grids reach MLflow"
    assert any(a.path.endswith("samples.png") for g in grids for a in client.list_artifacts(gan_run, g))
