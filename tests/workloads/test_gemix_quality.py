"""GeMix's quality stage ("gemix-quality"): the oracle's metrics per set, the t-SNE of Fig. 3, its config,
and the report section that shows both."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from workloads.artifacts import quality_dir as quality_path
from workloads.gemix import gan_stage, quality_stage, sets_stage
from workloads.gemix.quality_stage import QualityStageConfig, classifier_head, penultimate_features, tsne_coords

TINY_GAN = dict(gan_resolution=32, gan_channel_base=256, gan_channel_max=16, gan_z_dim=16, gan_w_dim=16,
                gan_batch_size=8, gan_steps=2, gan_report_every=2, gan_images_per_class=16, gan_ema_kimg=0.01)
# gemix-table1's keys under --smoke; each stage takes its own (`own`, as the planner does).
ORCHESTRATED = dict(dataset="ct-toy", arch="small_cnn", method="quality", variant="quality", seed=0, data_root=None,
                    device="cpu", epochs=1, subset=96, batch_size=32, lr=1e-3, optimizer="adam", momentum=0.0,
                    nesterov=False, loss="bce", pretrained=False, train_sources="real", sets_images=40, **TINY_GAN)
QUALITY = dict(quality_epochs=2, quality_samples=30, quality_tsne_samples=12)
SOURCES = ("real", "mixup", "gemix")


def own(stage, config: dict) -> dict:
    """The keys of `config` that the stage's trainable takes (what the planner hands it)."""
    return {k: v for k, v in config.items() if k in stage.Config.keys()}


def measure_quality(config: dict, report, data=None) -> dict:
    return quality_stage.train(own(quality_stage, config), report, data=data)


@pytest.fixture(scope="module")
def measured(tmp_path_factory, ct_toy):
    """A tiny generator trained here, the sets written from it, then the quality stage."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    config = {**ORCHESTRATED, **QUALITY, "artifacts_dir": str(artifacts)}
    gan_stage.train(own(gan_stage, config), lambda m, d: None, data=ct_toy)
    sets_stage.train(own(sets_stage, config), lambda m, d: None, data=ct_toy)
    reports = []
    final = measure_quality(config, lambda m, d: reports.append((m, d)), data=ct_toy)
    return artifacts, config, reports, final


def test_quality_json_holds_bounded_metrics_for_every_set(measured):
    artifacts, _, _, _ = measured
    summary = json.loads((quality_path(artifacts) / "quality.json").read_text())
    sets = summary["sets"]
    assert list(sets) == ["real", "mixup", "mmixup", "gemix", "gemix_onehot"]
    fidelity = sets["gemix"]["label_fidelity"]
    assert isinstance(fidelity, float) and 0.0 <= fidelity <= 1.0
    assert fidelity == sets["gemix_onehot"]["label_fidelity"]
    assert sets["gemix_onehot"]["n"] == sets["gemix_onehot"]["n_onehot"] == 30  # 10 per class, one-hot
    assert sets["real"]["n"] == 30 and sets["mixup"]["n"] == 30 and sets["mmixup"]["n_onehot"] == 0
    for name, metrics in sets.items():
        assert metrics["mean_entropy"] >= 0.0 and metrics["mean_entropy"] <= math.log(3) + 1e-9, name
        assert math.isfinite(metrics["soft_label_ce"]), name
        assert 0.0 <= metrics["dominant_agreement"] <= 1.0, name
    # Without torch-fidelity's Inception weights on disk FID/KID are null and one notice line says why.
    if sets["gemix"]["fid"] is None:
        assert isinstance(summary["fid_notice"], str) and "\n" not in summary["fid_notice"]
        assert all(m["fid"] is None and m["kid_mean"] is None for m in sets.values())
    assert summary["oracle"]["arch"] == "small_cnn" and summary["oracle"]["epochs"] == 2
    assert summary["oracle"]["train_images"] == 96
    # The real row's label fidelity is the oracle's accuracy on (the first 30 of) the test split.
    assert 0.0 <= summary["oracle"]["test_acc"] <= 1.0


def test_tsne_has_one_row_per_sampled_image_with_its_source_and_class(measured, ct_toy):
    artifacts, _, _, _ = measured
    summary = json.loads((quality_path(artifacts) / "quality.json").read_text())
    with np.load(quality_path(artifacts) / "tsne.npz", allow_pickle=False) as data:
        coords, source, label, names = data["coords"], data["source"], data["label"], data["class_names"]
    assert coords.shape == (36, 2) and coords.dtype == np.float32 and np.isfinite(coords).all()
    assert source.tolist() == ["real"] * 12 + ["mixup"] * 12 + ["gemix"] * 12
    assert label.shape == (36,) and label.min() >= 0 and label.max() < 3
    assert names.tolist() == list(ct_toy.class_names)
    assert summary["tsne"]["per_source"] == {s: 12 for s in SOURCES}
    assert summary["tsne"]["perplexity"] == pytest.approx(35 / 3)  # capped at (N - 1) / 3
    # Real points keep their own class: the labels of the sampled real images are ct-toy's labels.
    assert set(label[:12].tolist()) <= {0, 1, 2} and len(set(label[:12].tolist())) > 1
    assert sorted(p.name for p in quality_path(artifacts).iterdir()) == ["quality.json", "tsne.npz"]


def test_reports_the_metrics_once_matching_quality_json(measured):
    artifacts, _, reports, final = measured
    assert len(reports) == 1 and reports[0][1] is None and reports[0][0] == final
    summary = json.loads((quality_path(artifacts) / "quality.json").read_text())
    assert final["epoch"] == 1
    assert final["gemix_label_fidelity"] == summary["sets"]["gemix"]["label_fidelity"]
    assert final["gemix_mean_entropy"] == summary["sets"]["gemix"]["mean_entropy"]
    assert final["mixup_mean_entropy"] == summary["sets"]["mixup"]["mean_entropy"]
    assert final["oracle_test_acc"] == summary["oracle"]["test_acc"]
    assert "mmixup_label_fidelity" not in final  # null metrics are not reported
    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in final.values())


def test_the_report_section_renders_a_table_and_fig3_png(measured, tmp_path):
    from orchestrator.report.doc import Doc
    from orchestrator.report.sections.gemix_quality import quality_section

    artifacts, _, _, _ = measured
    doc = Doc("gemix-table1")
    files = quality_section(doc, quality_path(artifacts), tmp_path, file="fig3-tsne.png")
    assert [f.name for f in files] == ["fig3-tsne.png"]
    png = files[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    markdown = doc.markdown()
    row = next(line for line in markdown.splitlines() if line.startswith("| gemix |"))
    assert len(row.split("|")) == 2 + 8  # set + 7 columns
    assert "Fig. 3" in markdown and "small_cnn" in markdown

    empty = Doc("gemix-table1")
    assert quality_section(empty, tmp_path / "nothing", tmp_path) == []
    assert "has not finished" in empty.markdown()


def test_a_missing_generator_is_a_value_error_naming_the_gan_stage(tmp_path, ct_toy):
    config = {**ORCHESTRATED, **QUALITY, "quality_epochs": 1, "artifacts_dir": str(tmp_path)}
    with pytest.raises(ValueError, match="gan-train stage must finish"):
        measure_quality(config, lambda m, d: None, data=ct_toy)


# -- config ---------------------------------------------------------------------------------------

def validate_quality_stage(config: dict) -> dict:
    return QualityStageConfig.from_flat(config).to_flat()


def test_quality_config_keeps_its_keys_and_the_oracles_recipe(tmp_path):
    config = own(quality_stage, {**ORCHESTRATED, **QUALITY, "artifacts_dir": str(tmp_path), "quality_epochs": 3.0})
    cfg = QualityStageConfig.from_flat(config)
    assert cfg.quality_epochs == 3 and isinstance(cfg.quality_epochs, int)
    assert cfg.lr == 1e-3 and cfg.optimizer == "adam" and cfg.loss == "bce"
    assert not any(key.startswith(("gan_", "sets_")) for key in cfg.to_flat()) and "epochs" not in cfg.to_flat()
    oracle = cfg.oracle
    assert oracle["epochs"] == 3 and oracle["method"] == "erm" and oracle["lr"] == 1e-3 and oracle["arch"] == "small_cnn"
    assert "momentum" in oracle and "flip" not in oracle  # only the recipe keys that are set
    assert validate_quality_stage({"artifacts_dir": str(tmp_path)})["quality_samples"] == 2000


@pytest.mark.parametrize("key, value, match", [
    ("quality_arch", "vgg", "quality_arch"),
    ("quality_epochs", 0, "quality_epochs"),
    ("quality_tsne_samples", 1, "quality_tsne_samples"),
    ("quality_perplexity", -1, "quality_perplexity"),
    ("quality_bogus", 1, "unknown gemix-quality config key"),
    ("optimizer", "rmsprop", "optimizer"),
])
def test_quality_config_rejects_bad_values_naming_the_key(tmp_path, key, value, match):
    with pytest.raises(ValueError, match=match):
        validate_quality_stage({**own(quality_stage, ORCHESTRATED), "artifacts_dir": str(tmp_path), key: value})


# -- features and t-SNE ---------------------------------------------------------------------------

def test_penultimate_features_are_the_heads_input():
    from workloads.models import build_model

    torch.manual_seed(0)
    model = build_model("small_cnn", 1, 3, (16, 16)).eval()
    images = np.random.default_rng(0).integers(0, 256, (5, 16, 16, 1), dtype=np.uint8)
    feats = penultimate_features(model, images, lambda x: x * 2 - 1, batch_size=2)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 * 2 - 1
    with torch.no_grad():
        assert np.allclose(feats, model.features(x).numpy(), atol=1e-5)
    assert classifier_head(model) is model.head
    assert classifier_head(build_model("resnet18", 1, 3, (32, 32))).out_features == 3


def test_tsne_is_deterministic_per_seed_and_needs_four_points():
    feats = np.random.default_rng(1).normal(size=(20, 8)).astype(np.float32)
    a, perplexity = tsne_coords(feats, perplexity=30, seed=3)
    b, _ = tsne_coords(feats, perplexity=30, seed=3)
    assert a.shape == (20, 2) and perplexity == pytest.approx(19 / 3) and np.array_equal(a, b)
    with pytest.raises(ValueError, match="quality_tsne_samples"):
        tsne_coords(feats[:3])
