"""The ζ-mixup paper's tables and figures as named experiments (Abhishek et al., J. Big Data 2024).

Training recipes (epochs, lr schedule, batch size, weight decay) come from the dataset group's recipe
(`search_spaces.recipes`, the paper's "Datasets and experimental details"); an experiment's `fixed`
only holds what differs from it. Seeds: 3 runs per cell, as the paper reports mean ± std over 3 runs.

Networks. The paper names ResNet-18/-50, MobileNetV2 and EfficientNet-B0, trains the 28-96 px sets
at their native resolution (CIFAR-10/100 32 px, F-MNIST 28 px, STL-10 96 px, MedMNIST 28 px) and
does not publish its networks. The code it builds on uses, at these sizes, stems that keep the
resolution (a 3x3 stride-1 conv, no max-pool): the official mixup code (facebookresearch/mixup-cifar10,
which the paper uses for mixup; its CIFAR-10 numbers fit Table 4's) and MedMNIST's ResNet-18 (28)
(Table 7 follows "the original paper"). An ImageNet stem (7x7 stride 2 + max-pool) leaves 8x8 of a
32 px image after the stem and 1x1 at the last stage. So those sets run the `cifar_*` archs of
`workloads.models`; the 224/256 px sets (Imagenette, Imagewoof, the skin sets) keep timm's ImageNet
networks. `PUBLISHED_ARCH` maps each arch to the network name the paper prints, under which its
numbers are carried (`search_spaces.published`).

Trial counts (datasets x methods x archs x seeds, or Bayesian samples):
zeta-table4 90 (60 + 30), zeta-table5 48, zeta-table6 300, zeta-table7 90, zeta-table8 12,
zeta-fig9 78 (12 + 18 + 48), zeta-fig10-sensitivity 108, zeta-fig10-sweep 400.
"""
from __future__ import annotations

from search_spaces import methods as m
from search_spaces.experiment import Bayesian, Experiment, Grid, Method, Param
from search_spaces.protocols import NATURAL_DEVIATION, recipe_text, zeta_protocol
from search_spaces.recipes import recipe_for
from search_spaces.published import paper_arch

# Images up to this edge (px) run CIFAR-style networks, larger ones timm's ImageNet networks.
CIFAR_STYLE_MAX_PX = 96
RESNET18_SMALL = "cifar_resnet18"  # MedMNIST's ResNet-18 (28); the mixup code's stem, see workloads.models
# The network name the paper prints for each arch, under which published numbers are keyed.
PUBLISHED_ARCH = {arch: paper_arch(arch) for arch in ("cifar_resnet18", "cifar_resnet50", "cifar_mobilenetv2_100",
                                                       "cifar_efficientnet_b0", "resnet18", "resnet50")}

# Table 4: the 28-96 px sets on the CIFAR-style ResNet-18, Imagenette / Imagewoof (224 px) on timm's
NATURAL_NATIVE = ("cifar10", "cifar100", "fashion-mnist", "stl10")
NATURAL_224 = ("imagenette", "imagewoof")
NATURAL = NATURAL_NATIVE + NATURAL_224
# Table 6, in the paper's order; derm7pt is two datasets (clinical and dermoscopic images)
SKIN = ("isic2016", "isic2017", "isic2018", "msk", "uda", "dermofit", "derm7pt-clinical",
        "derm7pt-dermoscopic", "ph2", "mednode")
# Table 7 (the text says "8 datasets" but lists and tabulates these 10)
MEDMNIST = ("pathmnist", "dermamnist", "octmnist", "pneumoniamnist", "bloodmnist", "tissuemnist",
            "breastmnist", "organamnist", "organcmnist", "organsmnist")
# Fig. 9: "2 datasets from NATURAL (CIFAR-10, CIFAR-100), 3 datasets from MEDMNIST (BreastMNIST,
# PathMNIST, TissueMNIST), and 4 datasets from SKIN (derm7point: Clinical, MSK, ISIC 2017, DermoFit)"
FIG9_NATURAL = ("cifar10", "cifar100")
FIG9_MEDMNIST = ("breastmnist", "pathmnist", "tissuemnist")
FIG9_SKIN = ("derm7pt-clinical", "msk", "isic2017", "dermofit")

PAPER_METHODS = (m.ERM, m.MIXUP, m.ZETA_24, m.ZETA_28, m.ZETA_40)
# Table 5 is CIFAR only: the four networks with stems that keep 32 px (see workloads.models.timm_nets
# for the MobileNetV2 / EfficientNet-B0 variant chosen; the authors' networks are not published)
TABLE5_ARCHS = ("cifar_resnet18", "cifar_resnet50", "cifar_mobilenetv2_100", "cifar_efficientnet_b0")
SENSITIVITY_GAMMAS = tuple(round(1.8 + 0.2 * i, 1) for i in range(17))  # 1.8, 2.0, ..., 5.0

# --smoke: the orchestrator's defaults (1 epoch, a small subset, a small model chosen for the data's
# shape, 1 seed) apply to every experiment; an experiment's `smoke` holds only what it adds.

TABLE4 = Experiment(
    name="zeta-table4",
    description="Table 4: error rates on 6 natural image datasets, ResNet-18 (CIFAR-style on the "
                "28-96 px sets, timm's on the 224 px ones), ERM vs mixup vs zeta-mixup (gamma 2.4, "
                "2.8, 4.0)",
    stages=(Grid(datasets=NATURAL_NATIVE, methods=PAPER_METHODS, archs=(RESNET18_SMALL,), name="table4"),
            Grid(datasets=NATURAL_224, methods=PAPER_METHODS, archs=("resnet18",), name="table4-224px")),
    metric="val_err",
    mode="min",
    report_metrics=("test_err",),
    baseline=m.MIXUP.label,
    paper="zeta-mixup Table 4",
    protocol=zeta_protocol(NATURAL, note=NATURAL_DEVIATION),
)

TABLE5 = Experiment(
    name="zeta-table5",
    description="Table 5: CutMix vs CutMix + zeta-mixup (gamma ~ U[1.72865, 4] per batch) on "
                "CIFAR-10/100 with 4 CIFAR-style architectures, 200 epochs, lr 0.1 x0.2 at 100 and 150",
    stages=(Grid(datasets=("cifar10", "cifar100"), methods=(m.CUTMIX, m.CUTMIX_ZETA),
                 archs=TABLE5_ARCHS, name="table5"),),
    metric="val_err",
    mode="min",
    report_metrics=("test_err",),
    fixed={"epochs": 200, "lr": 0.1, "milestones": [100, 150], "lr_decay": 0.2},
    baseline=m.CUTMIX.label,
    paper="zeta-mixup Table 5",
    protocol=zeta_protocol(("cifar10", "cifar100"), {"epochs": 200, "lr": 0.1, "milestones": [100, 150],
                                                    "lr_decay": 0.2}, note=NATURAL_DEVIATION),
)

TABLE6 = Experiment(
    name="zeta-table6",
    description="Table 6: 10 skin lesion datasets, ResNet-18 and ResNet-50, ERM vs mixup vs "
                "zeta-mixup (gamma 2.4, 2.8, 4.0); balanced accuracy, F1 micro, F1 macro",
    stages=(Grid(datasets=SKIN, methods=PAPER_METHODS, archs=("resnet18", "resnet50"),
                 name="table6"),),
    metric="val_bacc",
    mode="max",
    report_metrics=("test_bacc", "test_f1_micro", "test_f1_macro"),
    baseline=m.MIXUP.label,
    paper="zeta-mixup Table 6",
    protocol=zeta_protocol(SKIN, note="Center crop of 0.8 x the shorter side, resized to 256 px, as the paper."),
)

TABLE7 = Experiment(
    name="zeta-table7",
    description="Table 7: 10 MedMNIST datasets, CIFAR-style ResNet-18 (MedMNIST's ResNet-18 (28)), "
                "ERM vs mixup vs zeta-mixup (gamma 2.8); AUC and accuracy",
    stages=(Grid(datasets=MEDMNIST, methods=(m.ERM, m.MIXUP, m.ZETA_28), archs=(RESNET18_SMALL,),
                 name="table7"),),
    metric="val_auc",
    mode="max",
    report_metrics=("test_auc", "test_acc"),
    baseline=m.MIXUP.label,
    paper="zeta-mixup Table 7",
    protocol=zeta_protocol(MEDMNIST, note="28 px as the paper; momentum and weight decay are not stated, so none."),
)

TABLE8 = Experiment(
    name="zeta-table8",
    description="Table 8: CIFAR-100 ablation, CIFAR-style ResNet-18, batch 128: mixup, p-series weights on "
                "pairs, Dirichlet(1) weights on the whole batch, zeta-mixup (gamma 2.8)",
    stages=(Grid(datasets=("cifar100",),
                 methods=(m.MIXUP, m.ZETA_PAIR, m.DIRICHLET_BATCH, m.ZETA_28),
                 archs=(RESNET18_SMALL,), name="table8"),),
    metric="val_err",
    mode="min",
    report_metrics=("test_err",),
    fixed={"batch_size": 128},  # T = m = 128 is part of the ablation, not just the recipe
    baseline=m.MIXUP.label,
    paper="zeta-mixup Table 8",
    protocol=zeta_protocol(("cifar100",), {"batch_size": 128}, note=NATURAL_DEVIATION),
)


# Verma et al.'s CIFAR recipe for manifold mixup (vikasverma1077/manifold_mixup, supervised/README.md,
# "Manifold mixup Preactresnet18" for CIFAR-10 and CIFAR-100, and supervised/main.py's defaults):
# `--arch preactresnet18 --learning_rate 0.1 --momentum 0.9 --decay 0.0001 --epochs 2000
# --schedule 500 1000 1500 --gammas 0.1 0.1 0.1 --mixup_alpha 2.0`, batch size 100 (the default),
# SGD with Nesterov momentum, random crop (padding 4) and horizontal flip -- as the CIFAR recipe.
# Their loss is BCE on softmax outputs; ours stays the paper's soft-label cross entropy.
VERMA_CIFAR_RECIPE = {"epochs": 2000, "epochs_factor": 1, "lr": 0.1, "milestones": [500, 1000, 1500],
                      "lr_decay": 0.1, "weight_decay": 1e-4, "batch_size": 100, "momentum": 0.9,
                      "nesterov": True}
# The manifold-mixup column (same label, mixer and alpha) carrying Verma et al.'s recipe in its cell:
# a stage's `fixed` would retrain the zeta column of the same table with it too.
MANIFOLD_MIXUP_VERMA = Method(m.MANIFOLD_MIXUP.label, m.MANIFOLD_MIXUP.method,
                              {"alpha": m.MANIFOLD_MIXUP.params["alpha"], **VERMA_CIFAR_RECIPE})


def _fig9_stages() -> tuple[Grid, ...]:
    """ζ-mixup (γ 2.8) beside manifold mixup (α 2) on Fig. 9's 9 datasets; each stage pairs the two
    methods on one network, so each report table (and the paired figure) compares them.

    γ 2.8 is the only γ the paper trains on all three groups (Table 7 uses no other); the figure
    does not say which γ it plots. ζ-mixup trains with its group's recipe everywhere.

    - CIFAR-10/100: "we follow the experimental settings of Verma et al.": their PreActResNet-18
      (`cifar_preact_resnet18`, mixing at k in {0, 1, 2}) and their recipe for manifold mixup
      (`VERMA_CIFAR_RECIPE`, 2,000 epochs: 10x the ζ CIFAR recipe's 200, as the paper says). ζ-mixup
      runs on the same PreActResNet-18: the figure draws one line per dataset between the two
      methods and says it spans "two model architectures (ResNet-18, ResNet-50)", i.e. each pair
      shares its network; and a shared network makes the pair a comparison of methods only.
    - MedMNIST: the CIFAR-style ResNet-18 of Table 7; manifold mixup 10x the MedMNIST recipe
      (1,000 epochs, the method's `epochs_factor`, which scales the epochs and milestones).
    - Skin: ResNet-18 and ResNet-50 as in Table 6 (the figure does not say which skin set uses
      which); manifold mixup 10x the skin recipe (500 epochs, x0.1 every 100), as the paper says.
    """
    pair = (m.ZETA_28, m.MANIFOLD_MIXUP)
    return (
        Grid(FIG9_NATURAL, (m.ZETA_28, MANIFOLD_MIXUP_VERMA), ("cifar_preact_resnet18",), name="cifar"),
        Grid(FIG9_MEDMNIST, pair, (RESNET18_SMALL,), name="medmnist"),
        Grid(FIG9_SKIN, pair, ("resnet18", "resnet50"), name="skin"),
    )


FIG9 = Experiment(
    name="zeta-fig9",
    description="Fig. 9: zeta-mixup (gamma 2.8) vs manifold mixup (alpha 2, 10x epochs; CIFAR: "
                "Verma et al.'s PreActResNet-18 and 2000-epoch recipe) on 9 natural, MedMNIST and "
                "skin datasets; the metrics of Tables 4, 6 and 7",
    stages=_fig9_stages(),
    metric="val_acc",
    mode="max",
    # "For all metrics, higher values are better": accuracy rather than Table 4's error rate
    report_metrics=("test_acc", "test_bacc", "test_f1_micro", "test_f1_macro", "test_auc"),
    smoke={"epochs_factor": 1},  # a smoke trial of manifold mixup must not run 10 epochs
    baseline=m.MANIFOLD_MIXUP.label,
    paper="zeta-mixup Fig. 9",
    protocol=zeta_protocol(FIG9_NATURAL + FIG9_MEDMNIST + FIG9_SKIN, note=(
        "Those recipes are zeta-mixup's; manifold mixup runs 10x the epochs (and milestones) on MedMNIST and skin, "
        "and on CIFAR Verma et al.'s PreActResNet-18 recipe: "
        + recipe_text({**recipe_for("cifar10"), **VERMA_CIFAR_RECIPE}) + ". " + NATURAL_DEVIATION.replace("Deviation", "CIFAR deviation"))),
)

FIG10_SENSITIVITY = Experiment(
    name="zeta-fig10-sensitivity",
    description="Fig. 10 a/b: error rate against gamma in {1.8, 2.0, ..., 5.0} on CIFAR-10/100, "
                "CIFAR-style ResNet-18, with mixup as the reference line",
    stages=(Grid(datasets=("cifar10", "cifar100"),
                 methods=(m.MIXUP,) + tuple(m.zeta(g) for g in SENSITIVITY_GAMMAS),
                 archs=(RESNET18_SMALL,), name="sensitivity"),),
    metric="val_err",
    mode="min",
    report_metrics=("test_err",),
    baseline=m.MIXUP.label,
    paper="zeta-mixup Fig. 10 a/b",
    protocol=zeta_protocol(("cifar10", "cifar100"), note=NATURAL_DEVIATION),
)

SWEEP_SPACE = {"gamma": Param("uniform", 1.0, 6.0), "weight_decay": Param("loguniform", 5e-5, 1e-3)}

FIG10_SWEEP = Experiment(
    name="zeta-fig10-sweep",
    description="Fig. 10 c/d: 200 Bayesian (TPE) trials per dataset over gamma ~ U[1, 6] and "
                "weight decay ~ LogU[5e-5, 1e-3], zeta-mixup, CIFAR-style ResNet-18, CIFAR-10/100",
    stages=tuple(
        Bayesian(dataset=d, method=m.ZETA_SWEEP, arch=RESNET18_SMALL, space=SWEEP_SPACE,
                 num_samples=200, name=f"sweep-{d}")
        for d in ("cifar10", "cifar100")
    ),
    metric="val_acc",
    mode="max",
    report_metrics=("test_acc",),
    baseline="",  # a sweep has no baseline column; the plot greys gamma < GAMMA_MIN instead
    paper="zeta-mixup Fig. 10 c/d",
    protocol=zeta_protocol(("cifar10", "cifar100"), note="Weight decay is searched (the recipe's is the default). "
                           + NATURAL_DEVIATION + " The search selects on validation accuracy, never on test."),
)


def _registry(experiments: tuple[Experiment, ...]) -> dict[str, Experiment]:
    table: dict[str, Experiment] = {}
    for e in experiments:
        if e.name in table:
            raise ValueError(f"experiment {e.name!r} is defined twice")
        table[e.name] = e
    return table


EXPERIMENTS: dict[str, Experiment] = _registry(
    (TABLE4, TABLE5, TABLE6, TABLE7, TABLE8, FIG9, FIG10_SENSITIVITY, FIG10_SWEEP)
)
