"""Splits as the papers define them: validation never the test split, derm7pt 70/10/20 as the paper,
ISIC 2018 scored on its official validation set, and split membership saved beside the cache."""
from __future__ import annotations

import json

import numpy as np
import pytest

from search_spaces.datasets import get_dataset_spec
from tests.workloads.fabricate import derm7pt, fabricate
from workloads.data import FILE_DATASETS, SPLITS, DatasetError, load_dataset
from workloads.data.cache import cache_path, load_any, load_prepared, prepare, split_file
from workloads.data.carved import OFFICIAL_TRAIN_TEST
from workloads.data.check import check_dataset
from workloads.data.split import carve_val, stratified_split

DERM7PT_CLASSES = (42, 575, 252, 45, 97)  # BCC, nevus, melanoma, SK, others: the release's 1,011 cases


def rows(images: np.ndarray) -> set[bytes]:
    return {img.tobytes() for img in images}


# ---------------------------------------------------------------- the rules


def test_derm7pt_split_has_the_papers_202_test_cases():
    labels = np.repeat(np.arange(5), DERM7PT_CLASSES)
    splits = stratified_split(labels, exact_totals=True)
    assert {s: len(v) for s, v in splits.items()} == {"train": 708, "val": 101, "test": 202}
    assert sorted(np.concatenate(list(splits.values()))) == list(range(1011))
    for k, n in enumerate(DERM7PT_CLASSES):  # every class within one case of its exact share
        assert abs((labels[splits["test"]] == k).sum() - 0.2 * n) < 1
        assert abs((labels[splits["val"]] == k).sum() - 0.1 * n) < 1
    # Rounding each class on its own loses a case: 201, not a divisor of the paper's F1-micro values.
    assert len(stratified_split(labels)["test"]) == 201


def test_generated_sets_keep_their_per_class_split():
    labels = np.repeat(np.arange(3), 128)  # ct-toy
    assert {s: len(v) for s, v in stratified_split(labels).items()} == {"train": 267, "val": 39, "test": 78}


def test_carved_val_is_stratified_seeded_and_disjoint():
    labels = np.repeat(np.arange(10), 5000)  # CIFAR-10's train split
    rest, val = carve_val(labels)
    assert len(val) == 5000 and len(rest) == 45000
    assert np.bincount(labels[val]).tolist() == [500] * 10
    assert not set(rest) & set(val) and sorted(set(rest) | set(val)) == list(range(50000))
    again_rest, again_val = carve_val(labels)
    np.testing.assert_array_equal(val, again_val)
    assert not np.array_equal(val, carve_val(labels, seed=1)[1])
    uneven = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])  # MNIST
    assert len(carve_val(uneven)[1]) == 6000


# ---------------------------------------------------------------- readers: val is never test


@pytest.mark.parametrize("name", sorted(OFFICIAL_TRAIN_TEST))
def test_array_sets_carve_val_from_the_official_train(name, tmp_path):
    fabricate(name, tmp_path)
    official = OFFICIAL_TRAIN_TEST.get(name)(tmp_path)
    data = load_dataset(name, tmp_path)
    assert len(data.splits["train"]) + len(data.splits["val"]) == len(official.splits["train"])
    assert rows(data.splits["val"].images) <= rows(official.splits["train"].images)
    np.testing.assert_array_equal(data.splits["test"].images, official.splits["test"].images)
    assert data.splits["val"] is not data.splits["test"] and len(data.splits["val"]) > 0
    np.testing.assert_array_equal(load_dataset(name, tmp_path).splits["val"].labels, data.splits["val"].labels)


@pytest.mark.parametrize("name", ["imagenette", "imagewoof", "isic2016", "isic2018"])
def test_image_sets_carve_val_from_the_official_train(name, tmp_path):
    fabricate(name, tmp_path)
    index = FILE_DATASETS.get(name)(tmp_path)
    got = index.split_indices()
    assert set(got["train"]) | set(got["val"]) == set(index.splits["train"]) and not set(got["train"]) & set(got["val"])
    np.testing.assert_array_equal(got["test"], index.splits["test"])


def test_isic2018_test_split_is_the_official_validation_set(tmp_path):
    import shutil

    fabricate("isic2018", tmp_path)
    for part in ("Input", "GroundTruth"):  # the official test set is not needed
        shutil.rmtree(tmp_path / f"ISIC2018_Task3_Test_{part}")
    index = FILE_DATASETS.get("isic2018")(tmp_path)
    splits = index.split_indices()
    assert {index.paths[i].parent.name for i in splits["test"]} == {"ISIC2018_Task3_Validation_Input"}
    assert {index.paths[i].parent.name for s in ("train", "val") for i in splits[s]} == {"ISIC2018_Task3_Training_Input"}
    assert "test: the official validation set (193 images" in get_dataset_spec("isic2018").splits


def test_derm7pt_ignores_the_official_index_and_splits_70_10_20(tmp_path):
    expected = fabricate("derm7pt-clinical", tmp_path)
    assert expected == {"train": 35, "val": 5, "test": 10}
    clinical = FILE_DATASETS.get("derm7pt-clinical")(tmp_path)
    dermoscopic = FILE_DATASETS.get("derm7pt-dermoscopic")(tmp_path)
    assert clinical.splits is None
    for split in SPLITS:  # the two modalities share the split case for case
        np.testing.assert_array_equal(clinical.split_indices()[split], dermoscopic.split_indices()[split])


def test_data_check_on_a_derm7pt_release_reports_70_10_20(tmp_path, capsys):
    from orchestrator.cli import main

    derm7pt("derm7pt-clinical", tmp_path, per_class=DERM7PT_CLASSES, size=(4, 4))
    assert check_dataset("derm7pt-dermoscopic", tmp_path).startswith(
        "708/101/202 train/val/test samples, 5 classes, at ")
    assert main(["data", "check", "--root", str(tmp_path), "derm7pt-clinical", "derm7pt-dermoscopic"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("derm7pt-clinical: found: 708/101/202 train/val/test samples, 5 classes")
    assert out[0].endswith("; split 70.0/10.0/20.0 %") and out[1].endswith("; split 70.0/10.0/20.0 %")


def test_mixbench_train_on_mnist_reports_val_different_from_test(tmp_path, capsys):
    from orchestrator.cli import main

    fabricate("mnist", tmp_path / "data" / "mnist")
    code = main(["train", "--dataset", "mnist", "--method", "erm", "--arch", "small_cnn", "--json",
                 "--workdir", str(tmp_path / "runs"), "--set", f"data_root={tmp_path / 'data'}",
                 "--set", "epochs=1", "--set", "batch_size=8", "--set", "device=cpu", "--set", "num_threads=1"])
    assert code == 0
    final = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert final["val_loss"] != final["test_loss"]


# ---------------------------------------------------------------- membership saved with the cache


def test_carved_val_membership_is_saved_and_reused(tmp_path):
    fabricate("cifar10", tmp_path / "data")
    cache = tmp_path / "cache"
    first = load_prepared("cifar10", tmp_path / "data", cache)
    record = json.loads(split_file("cifar10", cache).read_text())
    assert record["official_train"] == 100 and len(record["val"]) == len(first.splits["val"]) == 10
    assert "stratified 10 %" in record["rule"]
    # Another machine (or a later run) that finds this file follows it rather than re-carving.
    record["val"] = sorted(set(record["val"]) - {record["val"][0]} | {99})
    split_file("cifar10", cache).write_text(json.dumps(record))
    official = OFFICIAL_TRAIN_TEST.get("cifar10")(tmp_path / "data")
    folder = prepare("cifar10", tmp_path / "data", cache, force=True)
    again = load_prepared("cifar10", None, cache)
    assert folder == cache_path("cifar10", cache)
    np.testing.assert_array_equal(again.splits["val"].images, official.splits["train"].images[record["val"]])
    assert len(again.splits["train"]) == 90
    record["official_train"] = 60_000
    split_file("cifar10", cache).write_text(json.dumps(record))
    with pytest.raises(DatasetError, match="made for 60000 official train samples, the data has 100"):
        prepare("cifar10", tmp_path / "data", cache, force=True)


def test_carved_file_split_keeps_the_official_test_split(tmp_path):
    fabricate("isic2016", tmp_path / "data")
    cache = tmp_path / "cache"
    data = load_any("isic2016", tmp_path / "data", cache, size=6, progress=False)
    record = json.loads(split_file("isic2016", cache).read_text())
    assert {s: len(record["splits"][s]) for s in SPLITS} == {s: len(data.splits[s]) for s in SPLITS} == \
        {"train": 4, "val": 2, "test": 4}
    assert all(n.startswith("ISBI2016_ISIC_Part3_Test_Data/") for n in record["splits"]["test"])
    record["splits"]["test"], record["splits"]["val"] = record["splits"]["val"], record["splits"]["test"]
    split_file("isic2016", cache).write_text(json.dumps(record))
    with pytest.raises(DatasetError, match="its test split is not the official test split; delete it to re-split"):
        prepare("isic2016", tmp_path / "data", cache, size=7, progress=False)


def test_load_any_prepares_what_must_be_recorded_and_reads_the_rest(tmp_path):
    for name in ("mnist", "pathmnist"):
        fabricate(name, tmp_path / "data")
    cache = tmp_path / "cache"
    mnist = load_any("mnist", tmp_path / "data", cache)
    assert isinstance(mnist.splits["train"].images, np.memmap) and split_file("mnist", cache).exists()
    pathmnist = load_any("pathmnist", tmp_path / "data", cache)  # official splits: nothing to record
    assert not isinstance(pathmnist.splits["train"].images, np.memmap) and not split_file("pathmnist", cache).exists()
    assert pathmnist.notes and "not MedMNIST v2's" in pathmnist.notes[0]
