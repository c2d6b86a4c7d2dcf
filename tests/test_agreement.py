"""Constants two packages keep on purpose: `search_spaces` names things as plain data and imports
nothing of `workloads`, so where both need a value each holds it, and these tests keep them equal."""
from __future__ import annotations

from search_spaces import get_experiment
from search_spaces.datasets import get_dataset_spec
from search_spaces.experiment import GAMMA_MIN as PLANNED_GAMMA_MIN
from workloads.artifacts import SET_NAMES, TRAIN_SOURCES
from workloads.data.cifar import CIFAR10_CLASSES
from workloads.mixing.zeta import GAMMA_MIN


def test_theorem_1s_gamma_min_is_one_number():
    assert PLANNED_GAMMA_MIN == GAMMA_MIN == 1.72865


def test_cifar10_class_names_are_one_list():
    assert get_dataset_spec("cifar10").class_names == CIFAR10_CLASSES


def test_gemix_setups_and_report_sections_name_the_sets_the_stages_write():
    experiment = get_experiment("gemix-table1")
    setups = [m.params["train_sources"] for s in experiment.stages for m in s.methods if "train_sources" in m.params]
    assert {name for setup in setups for name in setup.split("+")} == set(TRAIN_SOURCES)
    samples = next(s for s in experiment.sections if s.name == "gemix-samples")
    assert tuple(samples.params["sets"]) == SET_NAMES
