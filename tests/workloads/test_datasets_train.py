"""One smoke epoch of workloads.classify on every fabricated dataset, passing the arrays read."""
from __future__ import annotations

import math

import pytest

from search_spaces.datasets import get_dataset_spec
from tests.workloads.fabricate import fabricate
from tests.workloads.test_datasets import NAMES, read


@pytest.mark.parametrize("name", NAMES)
def test_one_smoke_epoch(name, tmp_path):
    from workloads.classify import train

    fabricate(name, tmp_path)
    data = read(name, tmp_path)
    spec = get_dataset_spec(name)
    reports = []
    config = {"dataset": name, "arch": "mlp" if spec.group == "synthetic" else "small_cnn", "method": "erm",
              "epochs": 1, "batch_size": 8, "subset": 16, "device": "cpu", "seed": 0, "num_threads": 1}
    final = train(config, lambda metrics, checkpoint: reports.append(metrics), data=data)
    assert len(reports) == 1 and final["epoch"] == 1
    assert math.isfinite(final["train_loss"]) and 0.0 <= final["test_acc"] <= 1.0
