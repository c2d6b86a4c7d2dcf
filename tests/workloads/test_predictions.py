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


def write_part(workdir, experiment, invocation, seq, trial_id, probs, variant="mixup"):
    """One part of the predictions table as the README documents it (plain pyarrow, no orchestrator);
    `probs[i]` is sample i's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(probs)
    folder = workdir / "results" / "predictions" / experiment / invocation / "grid"
    folder.mkdir(parents=True, exist_ok=True)
    probs = probs[::-1]  # rows in any order: a reader sorts by sample
    columns = {"experiment": experiment, "invocation": invocation, "stage": "grid", "trial_id": trial_id,
               "sample": list(range(n))[::-1], "label": [0] * n, "predicted": [int(np.argmax(p)) for p in probs],
               "probs": pa.array(probs, pa.list_(pa.float32())), "dataset": "digits", "arch": "mlp",
               "method": "mixup", "variant": variant, "seed": 0, "epoch": 2,
               "checkpoint": f"ray/{experiment}/{invocation}/grid/{trial_id}/c"}
    table = pa.table({k: v if isinstance(v, (list, pa.Array)) else [v] * n for k, v in columns.items()})
    pq.write_table(table, folder / f"part-{seq:020d}-L0.parquet")


def test_the_table_reader_follows_the_documented_layout_in_write_order_first_rows_counting(tmp_path):
    from workloads.predictions_table import read_table_predictions

    write_part(tmp_path, "zeta-table6", "inv-b", 2, "t2", [[0.1, 0.9], [0.8, 0.2]])
    write_part(tmp_path, "zeta-table6", "inv-a", 1, "t1", [[0.3, 0.7]])
    write_part(tmp_path, "zeta-table6", "inv-b", 3, "t2", [[0.5, 0.5], [0.5, 0.5]])  # written twice: the first counts
    write_part(tmp_path, "zeta-table6", "inv-b", 4, "t3", [[0.6, 0.4]], variant="erm")
    every = read_table_predictions(tmp_path, {"dataset": "digits", "seed": 0})
    assert [p.directory.relative_to(tmp_path).parts[2] for p in every] == ["inv-a", "inv-b", "inv-b"]  # oldest first
    t2 = every[1]
    assert list(t2.test_index) == [0, 1] and np.allclose(t2.probs, [[0.1, 0.9], [0.8, 0.2]])  # by sample
    assert list(t2.predicted) == [1, 0] and t2.config == {"dataset": "digits", "arch": "mlp", "method": "mixup",
                                                           "variant": "mixup", "seed": 0}
    assert t2.directory == tmp_path / "ray" / "zeta-table6" / "inv-b" / "grid" / "t2" / "c"
    one = read_table_predictions(tmp_path / "ray" / "zeta-table6" / "inv-b", {"variant": "erm"})
    assert [p.directory.parent.name for p in one] == ["t3"]
    assert read_table_predictions(tmp_path / "elsewhere", {}) == []
    assert read_table_predictions(tmp_path, {"seed": 1}) == []
