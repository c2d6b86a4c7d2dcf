"""The driver's data: real where it is, a stand-in only where allowed, one line naming what is missing."""
from __future__ import annotations

import pytest

from orchestrator.plan.expand import plan_experiment
from orchestrator.run.data import load_for_plans
from search_spaces import get_experiment
from workloads.data.types import MissingDataError


def test_smoke_runs_on_a_stand_in_where_the_data_is_missing_and_says_which(tmp_path, monkeypatch):
    monkeypatch.delenv("MIXBENCH_DATA", raising=False)
    plans = plan_experiment(get_experiment("zeta-table8"), smoke=True)
    loaded = load_for_plans(plans, tmp_path / "cache", smoke=True)
    assert loaded.standins == ["cifar100"]
    data = loaded.arrays["cifar100"]
    assert data.num_classes == 100 and data.channels == 3 and data.image_size == (32, 32)


def test_a_full_run_needs_the_real_data_and_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MIXBENCH_DATA", raising=False)
    plans = plan_experiment(get_experiment("zeta-table8"))
    with pytest.raises(MissingDataError, match=r"cifar100: no data root given .*mixbench data download cifar100"
                                               r".*`--smoke` runs on a generated stand-in"):
        load_for_plans(plans, tmp_path / "cache", smoke=False)


def test_packaged_data_is_never_replaced(tmp_path):
    loaded = load_for_plans(plan_experiment(get_experiment("demo"), smoke=True), tmp_path / "cache", smoke=True)
    assert loaded.standins == [] and len(loaded.arrays["digits"].splits["test"]) == 359
