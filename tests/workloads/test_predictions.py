"""predictions.npz: the classify trainable leaves its final model's per-sample test predictions beside
state.pt in the final checkpoint, and they agree with the metrics it reported."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from workloads.checkpoint import STATE_FILE
from workloads.predictions import PREDICTIONS_FILE, find_predictions, load_predictions

CONFIG = {"dataset": "digits", "arch": "mlp", "method": "mixup", "variant": "mixup", "epochs": 2, "batch_size": 32,
          "subset": 120, "device": "cpu", "seed": 3, "num_threads": 1}


@pytest.fixture(scope="module")
def kept(tmp_path_factory, digits):
    """Every checkpoint folder the trial reported, copied before the trainable deletes it."""
    from workloads.classify import train

    out = tmp_path_factory.mktemp("kept")
    reports = []

    def report(metrics, checkpoint):
        if checkpoint is not None:
            shutil.copytree(checkpoint, out / f"epoch{metrics['epoch']}")
        reports.append(metrics)

    train(CONFIG, report, data=digits)
    return out, reports


def test_only_the_final_checkpoint_holds_predictions_beside_the_model(kept):
    out, _ = kept
    assert (out / "epoch2" / PREDICTIONS_FILE).is_file() and (out / "epoch2" / STATE_FILE).is_file()
    assert not (out / "epoch1" / PREDICTIONS_FILE).exists()


def test_predictions_agree_with_the_reported_test_accuracy(kept, digits):
    out, reports = kept
    p = load_predictions(out / "epoch2")
    test = digits.subset(CONFIG["subset"]).splits["test"]
    assert p.epoch == 2 and len(p.label) == len(test)
    assert np.array_equal(p.label, test.labels) and np.array_equal(p.test_index, np.arange(len(test)))
    assert np.allclose(p.probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(p.predicted == p.label) == pytest.approx(reports[-1]["test_acc"])
    assert (p.config["variant"], p.config["seed"], p.config["subset"]) == ("mixup", 3, 120)
    assert p.class_names == digits.class_names


def test_find_predictions_scans_a_folder_tree_and_refuses_a_missing_one(kept, tmp_path):
    out, _ = kept
    assert [p.directory.name for p in find_predictions(out)] == ["epoch2"]
    with pytest.raises(ValueError, match="not a folder"):
        list(find_predictions(tmp_path / "nope"))
