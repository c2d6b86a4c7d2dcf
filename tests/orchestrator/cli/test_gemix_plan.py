"""`mixbench plan gemix-table1` shows the paper's data and set sizes; without the ImageNet weights it
still shows them and says `run` would stop, and `run` stops before Ray starts with one line."""
from __future__ import annotations

import json

from tests.orchestrator.conftest import mixbench


def empty_caches(tmp_path) -> dict[str, str]:
    return {"HF_HOME": str(tmp_path / "hf"), "TORCH_HOME": str(tmp_path / "torch"), "HF_HUB_CACHE": str(tmp_path / "hf")}


def test_plan_shows_the_split_and_the_24k_and_30k_set_sizes(tmp_path):
    done = mixbench("plan", "gemix-table1", "--json", cwd=tmp_path, timeout=180, env=empty_caches(tmp_path))
    assert done.returncode == 0, done.stderr
    stages = {s["name"]: s for s in json.loads(done.stdout)["stages"]}
    assert stages["gan"]["shown"]["split"] == "gemix"
    assert {k: stages["classify"]["shown"][f"split_{k}"] for k in ("gan_per_class", "classifier_per_class",
                                                                     "val_fraction", "test_per_class")} == \
        {"gan_per_class": 10000, "classifier_per_class": 10000, "val_fraction": 0.2, "test_per_class": 1000}
    assert stages["sets"]["shown"]["sets_images"] == 30000 and stages["sets"]["shown"]["sets_same_class_ratio"] == 0.5
    assert stages["classify"]["shown"]["set_images"] == {
        "real": None, "mixup": 24000, "mmixup": 24000, "gemix": 24000, "real+mixup": 30000, "real+mmixup": 30000,
        "real+gemix": 30000, "real+mmixup+gemix": 24000}
    assert stages["classify"]["shown"]["pretrained"] is True  # as `run` would use it
    warning = done.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("mixbench: warning: `mixbench run gemix-table1` would stop")
    assert "pretrained weights for resnet50 not found locally" in warning[0]

    text = mixbench("plan", "gemix-table1", cwd=tmp_path, timeout=180, env=empty_caches(tmp_path)).stdout
    assert "set_images                 real null, mixup 24000, mmixup 24000, gemix 24000, real+mixup 30000" in text
    assert "split_classifier_per_class 10000" in text and text.count("split_classifier_per_class") == 1


def test_run_without_the_weights_stops_before_ray_with_one_line_saying_how_to_get_them(tmp_path):
    workdir = tmp_path / "runs"
    done = mixbench("run", "gemix-table1", "--workdir", str(workdir), cwd=tmp_path, timeout=180,
                    env=empty_caches(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mixbench: error: pretrained weights for resnet50 not found")
    assert "timm.create_model('resnet50', pretrained=True)" in lines[0] and "pretrained=false" in lines[0]
    assert not workdir.exists()  # nothing started
