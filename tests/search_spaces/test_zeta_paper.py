"""The ζ-mixup paper's experiments: names, trial counts, methods, recipes and the Theorem-1 constant."""
from __future__ import annotations

import json
import math

import pytest

from search_spaces import methods
from search_spaces.datasets import get_dataset_spec
from search_spaces.experiment import GAMMA_MIN, Bayesian, Experiment, Grid, Method
from search_spaces.published import PUBLISHED
from search_spaces.zeta_paper import CIFAR_STYLE_MAX_PX, EXPERIMENTS, PUBLISHED_ARCH, VERMA_CIFAR_RECIPE

DATASETS = {
    "cifar10", "cifar100", "fashion-mnist", "stl10", "imagenette", "imagewoof",
    "isic2016", "isic2017", "isic2018", "msk", "uda", "dermofit", "derm7pt-clinical",
    "derm7pt-dermoscopic", "ph2", "mednode",
    "pathmnist", "dermamnist", "octmnist", "pneumoniamnist", "bloodmnist", "tissuemnist",
    "breastmnist", "organamnist", "organcmnist", "organsmnist",
}
SKIN = DATASETS & {"isic2016", "isic2017", "isic2018", "msk", "uda", "dermofit",
                   "derm7pt-clinical", "derm7pt-dermoscopic", "ph2", "mednode"}
MEDMNIST = {d for d in DATASETS if d.endswith("mnist") and d != "fashion-mnist"}
TIMM = {"resnet18", "resnet50"}
CIFAR_STYLE = {"cifar_resnet18", "cifar_resnet50", "cifar_preact_resnet18", "cifar_mobilenetv2_100",
               "cifar_efficientnet_b0"}
ARCHS = TIMM | CIFAR_STYLE
# config keys a method's cell may carry besides its mixer's parameters (a recipe of its own)
RECIPE_KEYS = {"epochs", "epochs_factor", "lr", "milestones", "lr_decay", "weight_decay", "batch_size",
               "momentum", "nesterov"}
TRAINABLE_METRICS = {"test_err", "test_acc", "test_bacc", "test_f1_micro", "test_f1_macro",
                     "test_auc"}

# What the issue implies: datasets x archs x methods x seeds (Bayesian: samples per stage).
EXPECTED_TRIALS = {
    "zeta-table4": 6 * 1 * 5 * 3,  # 4 sets on the CIFAR-style ResNet-18 + 2 on timm's
    "zeta-table5": 2 * 4 * 2 * 3,
    "zeta-table6": 10 * 2 * 5 * 3,  # the issue's own example: 300
    "zeta-table7": 10 * 1 * 3 * 3,
    "zeta-table8": 1 * 1 * 4 * 3,
    # 2 methods x 3 seeds x (2 CIFAR sets on PreActResNet-18 + 3 MedMNIST on ResNet-18 + 4 skin on
    # ResNet-18/50)
    "zeta-fig9": 2 * 3 * (2 * 1 + 3 * 1 + 4 * 2),
    "zeta-fig10-sensitivity": 2 * 1 * (17 + 1) * 3,
    "zeta-fig10-sweep": 2 * 200,
}


def trials(stage: Grid | Bayesian) -> int:
    if isinstance(stage, Grid):
        return len(stage.datasets) * len(stage.methods) * len(stage.archs) * len(stage.seeds)
    return stage.num_samples


def cells(e: Experiment) -> list[tuple[str, str, str, int]]:
    """(dataset, variant, arch, seed) of every grid trial."""
    return [(d, mt.label, a, s) for st in e.stages if isinstance(st, Grid)
            for d in st.datasets for mt in st.methods for a in st.archs for s in st.seeds]


def stage_methods(e: Experiment) -> list[Method]:
    return [mt for st in e.stages
            for mt in (st.methods if isinstance(st, Grid) else (st.method,))]


def test_names_are_exactly_the_issues():
    assert set(EXPERIMENTS) == set(EXPECTED_TRIALS)
    assert all(name == e.name for name, e in EXPERIMENTS.items())


@pytest.mark.parametrize("name", sorted(EXPECTED_TRIALS))
def test_trial_count(name):
    assert sum(trials(st) for st in EXPERIMENTS[name].stages) == EXPECTED_TRIALS[name]


def test_table6_is_the_issues_300_trials():
    (stage,) = EXPERIMENTS["zeta-table6"].stages
    assert set(stage.datasets) == SKIN and len(stage.datasets) == 10
    assert stage.archs == ("resnet18", "resnet50")
    assert [mt.label for mt in stage.methods] == ["erm", "mixup", "zeta-2.4", "zeta-2.8",
                                                  "zeta-4.0"]
    assert trials(stage) == 300


@pytest.mark.parametrize("name", sorted(EXPECTED_TRIALS))
def test_experiment_is_well_formed(name):
    e = EXPERIMENTS[name]
    assert e.paper.startswith("zeta-mixup ")
    # Selection on validation, tables on test: the selection metric is a reported metric's val twin.
    assert e.metric.startswith("val_") and "test_" + e.metric[len("val_"):] in e.report_metrics
    assert set(e.report_metrics) <= TRAINABLE_METRICS
    assert e.mode == ("min" if e.metric == "val_err" else "max")
    labels = {mt.label for mt in stage_methods(e)}
    assert e.baseline in labels or (e.baseline == "" and name == "zeta-fig10-sweep")
    stage_names = [st.name for st in e.stages]
    assert len(set(stage_names)) == len(stage_names)
    for st in e.stages:
        ds = st.datasets if isinstance(st, Grid) else (st.dataset,)
        archs = st.archs if isinstance(st, Grid) else (st.arch,)
        assert set(ds) <= DATASETS, set(ds) - DATASETS
        assert set(archs) <= ARCHS
        if isinstance(st, Grid):
            assert st.seeds == (0, 1, 2)  # the paper reports 3 runs per cell
    # no cell is run twice (two stages must not overlap)
    assert len(cells(e)) == len(set(cells(e)))


@pytest.mark.parametrize("name", sorted(EXPECTED_TRIALS))
def test_every_method_is_a_shared_column_with_json_params(name):
    for mt in stage_methods(EXPERIMENTS[name]):
        shared = methods.get(mt.label)
        # the shared column itself, or it with a recipe of its own (Fig. 9's Verma et al. on CIFAR)
        assert mt == shared or (
            mt.method == shared.method
            and {k: v for k, v in mt.params.items() if k not in RECIPE_KEYS}
            == {k: v for k, v in shared.params.items() if k not in RECIPE_KEYS})
        assert mt.label.isascii()
        assert json.loads(json.dumps(mt.config())) == mt.config()  # lists, not tuples


@pytest.mark.parametrize("name", sorted(EXPECTED_TRIALS))
def test_smoke_adds_only_experiment_specific_overrides(name):
    smoke = dict(EXPERIMENTS[name].smoke)
    # the orchestrator picks the smoke model from the data's shape: one arch override for all
    # trials would also be wrong for a multi-arch grid
    assert "arch" not in smoke
    assert smoke == ({"epochs_factor": 1} if name == "zeta-fig9" else {})


@pytest.mark.parametrize("name", sorted(EXPECTED_TRIALS))
def test_networks_fit_the_image_size(name):
    # 28-96 px sets run CIFAR-style stems (no 32 px image shrunk to 1x1), larger ones timm's
    for st in EXPERIMENTS[name].stages:
        ds = st.datasets if isinstance(st, Grid) else (st.dataset,)
        archs = st.archs if isinstance(st, Grid) else (st.arch,)
        for d in ds:
            small = get_dataset_spec(d).image_size <= CIFAR_STYLE_MAX_PX
            assert set(archs) <= (CIFAR_STYLE if small else TIMM), (d, archs)


def test_published_numbers_have_a_network_for_every_arch_run():
    # every arch of a table with published numbers maps to the network name the paper prints
    for name in ("zeta-table4", "zeta-table5", "zeta-table6", "zeta-table7", "zeta-table8"):
        keyed = {(p.dataset, p.arch) for p in PUBLISHED if p.table == name}
        assert keyed
        for d, _, arch, _ in cells(EXPERIMENTS[name]):
            assert (d, PUBLISHED_ARCH[arch]) in keyed, (name, d, arch)


def test_table4_recipe_and_methods():
    e = EXPERIMENTS["zeta-table4"]
    small, large = e.stages
    assert small.datasets + large.datasets == ("cifar10", "cifar100", "fashion-mnist", "stl10",
                                               "imagenette", "imagewoof")
    assert small.archs == ("cifar_resnet18",) and large.archs == ("resnet18",)
    assert small.methods == large.methods
    stage = small
    assert [mt.config() for mt in stage.methods] == [
        {"variant": "erm", "method": "erm"},
        {"variant": "mixup", "method": "mixup", "alpha": 1.0},
        {"variant": "zeta-2.4", "method": "zeta", "gamma": 2.4},
        {"variant": "zeta-2.8", "method": "zeta", "gamma": 2.8},
        {"variant": "zeta-4.0", "method": "zeta", "gamma": 4.0},
    ]
    assert e.report_metrics == ("test_err",)


def test_table5_cutmix_recipe():
    e = EXPERIMENTS["zeta-table5"]
    # "trained for 200 epochs with an initial learning rate of 0.1, which is decayed by a
    # multiplicative factor of 0.2 at 100th and 150th epochs"
    assert dict(e.fixed) == {"epochs": 200, "lr": 0.1, "milestones": [100, 150], "lr_decay": 0.2}
    assert e.baseline == "cutmix" and e.paper == "zeta-mixup Table 5"
    (stage,) = e.stages
    assert stage.archs == ("cifar_resnet18", "cifar_resnet50", "cifar_mobilenetv2_100",
                           "cifar_efficientnet_b0")
    cutmix, both = stage.methods
    assert cutmix.config() == {"variant": "cutmix", "method": "cutmix", "alpha": 1.0}
    # "we sample a new gamma in U[1.72865, 4.0] for each mini-batch"
    assert both.method == "cutmix+zeta" and both.params["gamma_range"] == [GAMMA_MIN, 4.0]


def test_table7_and_table8():
    t7 = EXPERIMENTS["zeta-table7"]
    assert set(t7.stages[0].datasets) == MEDMNIST and len(MEDMNIST) == 10
    assert [mt.label for mt in t7.stages[0].methods] == ["erm", "mixup", "zeta-2.8"]
    assert t7.report_metrics == ("test_auc", "test_acc")
    t8 = EXPERIMENTS["zeta-table8"]
    assert t8.stages[0].datasets == ("cifar100",) and t8.fixed["batch_size"] == 128
    assert [mt.config() for mt in t8.stages[0].methods] == [
        {"variant": "mixup", "method": "mixup", "alpha": 1.0},
        {"variant": "zeta-pair", "method": "zeta-pair", "gamma": 2.8},
        {"variant": "dirichlet-batch", "method": "dirichlet-batch", "concentration": 1.0},
        {"variant": "zeta-2.8", "method": "zeta", "gamma": 2.8},
    ]


def test_fig9_datasets_methods_and_epochs():
    e = EXPERIMENTS["zeta-fig9"]
    # "CIFAR-10, CIFAR-100 ... BreastMNIST, PathMNIST, TissueMNIST ... derm7point: Clinical, MSK,
    # ISIC 2017, DermoFit"
    assert {d for d, *_ in cells(e)} == {"cifar10", "cifar100", "breastmnist", "pathmnist",
                                         "tissuemnist", "derm7pt-clinical", "msk", "isic2017",
                                         "dermofit"}
    assert e.baseline == "manifold-mixup"
    cifar, medmnist, skin = e.stages
    assert cifar.datasets == ("cifar10", "cifar100") and cifar.archs == ("cifar_preact_resnet18",)
    assert set(medmnist.datasets) == {"breastmnist", "pathmnist", "tissuemnist"}
    assert medmnist.archs == ("cifar_resnet18",)
    assert set(skin.datasets) == {"derm7pt-clinical", "msk", "isic2017", "dermofit"}
    assert skin.archs == ("resnet18", "resnet50")
    # each stage pairs the two columns on one network, so each report table holds both; zeta trains
    # with its group's recipe everywhere (no stage-wide fixed values)
    for st in e.stages:
        assert [mt.label for mt in st.methods] == ["zeta-2.8", "manifold-mixup"] and dict(st.fixed) == {}
        assert st.methods[0] == methods.ZETA_28
    # "All models trained with manifold mixup are optimized for 10x the number of epochs"; alpha 2
    # as in Verma et al.
    assert methods.MANIFOLD_MIXUP.params == {"alpha": 2.0, "epochs_factor": 10}
    assert medmnist.methods[1] == skin.methods[1] == methods.MANIFOLD_MIXUP
    assert e.smoke["epochs_factor"] == 1


def test_fig9_cifar_manifold_mixup_follows_verma_et_al():
    # manifold_mixup/supervised/README.md, CIFAR-10 and CIFAR-100 "Manifold mixup Preactresnet18":
    # --learning_rate 0.1 --momentum 0.9 --decay 0.0001 --epochs 2000 --schedule 500 1000 1500
    # --gammas 0.1 0.1 0.1 --mixup_alpha 2.0; batch size 100 is main.py's default
    cifar = EXPERIMENTS["zeta-fig9"].stages[0]
    manifold = cifar.methods[1]
    assert manifold.method == "manifold-mixup"
    assert dict(manifold.params) == {"alpha": 2.0, **VERMA_CIFAR_RECIPE}
    assert VERMA_CIFAR_RECIPE == {"epochs": 2000, "epochs_factor": 1, "lr": 0.1,
                                  "milestones": [500, 1000, 1500], "lr_decay": 0.1,
                                  "weight_decay": 1e-4, "batch_size": 100, "momentum": 0.9,
                                  "nesterov": True}
    # 10x the epochs of the zeta column beside it, which keeps the CIFAR recipe (200 epochs)
    from search_spaces.recipes import recipe_for

    assert manifold.params["epochs"] == 10 * recipe_for("cifar10")["epochs"]


def test_fig10_sensitivity_gammas():
    e = EXPERIMENTS["zeta-fig10-sensitivity"]
    (stage,) = e.stages
    labels = [mt.label for mt in stage.methods]
    # "we vary the hyperparameter gamma by choosing values from [1.8, 2.0, 2.2, ..., 5.0]"
    assert labels == ["mixup"] + [f"zeta-{g / 10:.1f}" for g in range(18, 51, 2)]
    assert [mt.params["gamma"] for mt in stage.methods[1:]] == [g / 10 for g in range(18, 51, 2)]
    assert stage.datasets == ("cifar10", "cifar100") and stage.archs == ("cifar_resnet18",)
    # the shared columns are reused, so Table 4's zeta-2.8 and this one are the same method
    assert methods.ZETA_28 in stage.methods


def test_fig10_sweep_space():
    e = EXPERIMENTS["zeta-fig10-sweep"]
    assert [st.dataset for st in e.stages] == ["cifar10", "cifar100"]
    for st in e.stages:
        assert isinstance(st, Bayesian) and st.num_samples == 200 and st.arch == "cifar_resnet18"
        assert st.method.method == "zeta" and "gamma" not in st.method.params
        g, wd = st.space["gamma"], st.space["weight_decay"]
        assert (g.kind, g.low, g.high) == ("uniform", 1, 6)
        assert (wd.kind, wd.low, wd.high) == ("loguniform", 5e-5, 1e-3)
    assert e.smoke_samples < 200


def _zeta(s: float, n: int = 64) -> float:
    """Riemann zeta(s) for s > 1 by Euler-Maclaurin (error far below 1e-12 at n = 64)."""
    head = math.fsum(k ** -s for k in range(1, n))
    tail = n ** (1 - s) / (s - 1) + n ** -s / 2
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30)
    rising, power = s, n ** (-s - 1)
    for j, b in enumerate(bernoulli):
        tail += b / math.factorial(2 * j + 2) * rising * power
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power /= n * n
    return head + tail


def test_theorem1_bound_constant():
    assert abs(_zeta(2.0) - math.pi ** 2 / 6) < 1e-12  # the approximation itself
    # Theorem 1: dominance iff zeta(gamma) < 2; gamma_min = 1.72865 is that root to 5 decimals
    assert GAMMA_MIN == 1.72865
    assert _zeta(GAMMA_MIN) < 2 < _zeta(GAMMA_MIN - 1e-5)
    # and it holds for a finite batch: w_1 = 1 exceeds the sum of the other T-1 terms
    for t in (2, 128, 4096):
        assert 1 > math.fsum(i ** -GAMMA_MIN for i in range(2, t + 1))
    assert 1 < math.fsum(i ** -1.5 for i in range(2, 4097))  # below the bound it fails
    assert methods.ZETA_RANDOM.params["gamma_range"][0] == GAMMA_MIN


def test_methods_module():
    assert set(methods.METHODS) >= {"erm", "mixup", "zeta-2.4", "zeta-2.8", "zeta-4.0",
                                     "zeta-random", "cutmix", "cutmix+zeta", "zeta-pair",
                                     "dirichlet-batch", "manifold-mixup", "mmixup"}
    assert methods.METHODS["mmixup"].params == {"a_dominant": 2.0, "a_other": 1.0}
    assert methods.zeta(2.8) is methods.ZETA_28
    assert methods.zeta(2).label == "zeta-2.0" and methods.get("zeta-2.0") == methods.zeta(2.0)
    assert methods.get("zeta-1.85").params == {"gamma": 1.85}
    for bad in ("zeta", "zeta-", "zeta-x", "zeta-2.00", "zeta--1.0", "Mixup"):
        with pytest.raises(ValueError, match="valid choices"):
            methods.get(bad)
    for bad in (0, -1.0, math.inf, math.nan, "2.8", True):
        with pytest.raises(ValueError, match="gamma"):
            methods.zeta(bad)
