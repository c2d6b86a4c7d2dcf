"""The driver's data: real where it is, a stand-in only where allowed, one line naming what is missing."""
from __future__ import annotations

import numpy as np
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


def gemix_smoke_plans(tmp_path, sets=None):
    return plan_experiment(get_experiment("gemix-table1"), smoke=True, sets=sets, artifacts_dir=str(tmp_path / "art"))


def test_a_protocol_split_is_drawn_once_and_each_stage_reads_its_view(tmp_path):
    plans = gemix_smoke_plans(tmp_path)
    loaded = load_for_plans(plans, tmp_path / "cache", smoke=True, artifacts_dir=tmp_path / "art")
    assert sorted(loaded.arrays) == ["ct-toy@classifier", "ct-toy@gan"] and loaded.standins == []
    assert loaded.for_stage("gan", ["ct-toy"]) == {"ct-toy": "ct-toy@gan"}
    assert {s: loaded.for_stage(s, ["ct-toy"])["ct-toy"] for s in ("sets", "quality", "classify")} == \
        dict.fromkeys(("sets", "quality", "classify"), "ct-toy@classifier")
    gan, classifier = loaded.arrays["ct-toy@gan"], loaded.arrays["ct-toy@classifier"]
    assert list(gan.splits) == ["train"] and len(gan.splits["train"]) == 120
    assert {s: len(v) for s, v in classifier.splits.items()} == {"train": 96, "val": 24, "test": 60}
    splits = tmp_path / "art" / "splits"
    lists = {p: (splits / f"{p}.txt").read_text().splitlines() for p in ("gan", "train", "val", "test")}
    assert {p: len(ids) for p, ids in lists.items()} == {"gan": 120, "train": 96, "val": 24, "test": 60}
    assert not set(lists["gan"]) & set(lists["train"] + lists["val"]) and all(i.startswith("test/") for i in lists["test"])
    assert any("ct-toy on the GeMix protocol split" in line and "written to" in line for line in loaded.notes)
    # A resumed run reads the same files back, byte for byte untouched, and gets the same arrays.
    before = {p.name: p.read_bytes() for p in splits.iterdir()}
    again = load_for_plans(plans, tmp_path / "cache", smoke=True, artifacts_dir=tmp_path / "art")
    assert {p.name: p.read_bytes() for p in splits.iterdir()} == before
    assert np.array_equal(again.arrays["ct-toy@gan"].splits["train"].images, gan.splits["train"].images)
    assert any("reused from" in line for line in again.notes)


def test_official_splits_keep_one_shared_dataset_per_name(tmp_path):
    plans = gemix_smoke_plans(tmp_path, sets={"split": "official"})
    loaded = load_for_plans(plans, tmp_path / "cache", smoke=True, artifacts_dir=tmp_path / "art")
    assert list(loaded.arrays) == ["ct-toy"] and loaded.for_stage("gan", ["ct-toy"]) == {"ct-toy": "ct-toy"}
    assert not (tmp_path / "art" / "splits").exists()


def test_stages_asking_for_two_splits_of_one_dataset_are_refused(tmp_path):
    import dataclasses

    plans = gemix_smoke_plans(tmp_path)
    classify = plans[-1]
    plans[-1] = dataclasses.replace(classify, configs=[{**c, "split_seed": 1} for c in classify.configs])
    with pytest.raises(ValueError, match="ask for two splits of ct-toy"):
        load_for_plans(plans, tmp_path / "cache", smoke=True, artifacts_dir=tmp_path / "art")
