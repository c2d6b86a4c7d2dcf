"""Dataset specs and recipes: one spec per reader, valid fields, the papers' recipes."""
from __future__ import annotations


import pytest

from search_spaces.datasets import DATASET_SPECS, GROUPS, dataset_names, get_dataset_spec
from search_spaces.recipes import recipe_for


def test_every_spec_has_a_loader_and_every_loader_a_spec():
    from workloads.data import DATASETS

    assert set(DATASET_SPECS) == set(DATASETS.names())
    assert "digits" in DATASET_SPECS


def test_paper_counts():
    assert len(dataset_names("natural")) == 8  # the paper's 7 plus digits
    assert len(dataset_names("skin")) == 10 and len(dataset_names("medmnist")) == 10
    assert dataset_names("ct") == ["covidx-ct3", "covidx-ct3-box", "ct-toy"] and len(dataset_names("synthetic")) == 4


def test_unknown_names_list_the_valid_choices():
    with pytest.raises(ValueError, match="unknown dataset 'cifar11'; valid choices: digits, mnist"):
        get_dataset_spec("cifar11")
    with pytest.raises(ValueError, match="valid choices: natural, skin"):
        dataset_names("nature")


@pytest.mark.parametrize("name", list(DATASET_SPECS))
def test_spec_fields(name):
    spec = get_dataset_spec(name)
    assert spec.group in GROUPS
    assert spec.num_classes == len(spec.class_names) >= 2 and len(set(spec.class_names)) == spec.num_classes
    assert spec.channels >= 1 and spec.image_size >= 1 and spec.layout and spec.source and spec.metrics
    assert set(spec.metrics) <= {"acc", "err", "bacc", "f1_macro", "f1_micro", "auc", "precision_macro"}
    assert spec.splits.startswith(("official", "stratified"))


def test_direct_download_flags_match_the_download_table():
    from workloads.data.download import DOWNLOADS

    assert {n for n, s in DATASET_SPECS.items() if s.download} == set(DOWNLOADS)


def test_recipes_follow_the_papers():
    assert recipe_for("cifar10") == recipe_for("cifar100")
    cifar = recipe_for("cifar10")
    assert (cifar["epochs"], cifar["batch_size"], cifar["lr"], cifar["milestones"], cifar["lr_decay"]) == (
        200, 128, 0.1, [80, 120, 160], 0.2)
    assert (cifar["momentum"], cifar["nesterov"], cifar["weight_decay"], cifar["optimizer"]) == (0.9, True, 5e-4, "sgd")
    assert recipe_for("fashion-mnist")["batch_size"] == 32
    assert (recipe_for("stl10")["epochs"], recipe_for("stl10")["milestones"]) == (120, [80])
    assert (recipe_for("imagewoof")["lr"], recipe_for("imagewoof")["milestones"]) == (0.01, [25, 50, 65])
    assert (recipe_for("ph2")["epochs"], recipe_for("ph2")["milestones"], recipe_for("ph2")["lr_decay"]) == (50, [10, 20, 30, 40], 0.1)
    assert (recipe_for("isic2018")["epochs"], recipe_for("isic2018")["milestones"]) == (20, [4, 8, 12, 16])
    assert (recipe_for("bloodmnist")["lr"], recipe_for("bloodmnist")["batch_size"]) == (0.01, 128)
    ct = recipe_for("covidx-ct3")
    assert (ct["optimizer"], ct["lr"], ct["loss"], ct["epochs"], ct["batch_size"]) == ("adam", 1e-4, "bce", 5, 64)


def test_recipe_is_a_fresh_copy():
    recipe_for("cifar10")["milestones"].append(999)
    assert recipe_for("cifar10")["milestones"] == [80, 120, 160]


@pytest.mark.parametrize("name", list(DATASET_SPECS))
def test_recipe_keys_are_trainable_config_keys(name):
    from workloads.config import LOSSES, OPTIMIZERS, ClassifyConfig

    recipe = recipe_for(name)
    assert set(recipe) <= ClassifyConfig.keys()
    assert recipe["optimizer"] in OPTIMIZERS and recipe["loss"] in LOSSES
