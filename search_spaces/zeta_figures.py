"""The ζ-mixup paper's analysis figures (Figs. 2–8) and Table 9 as named experiments.

Each stage runs a figure trainable (`workloads/figures/`, one per figure) once per dataset; it writes
its PNGs, CSVs and a summary (the paper's statements beside what it measured) into the invocation's
artifacts folder, and the report's sections (`orchestrator/report/sections/analysis.py` and friends)
copy them into the report. The stages have no results table (`report=False`): their report is the
figures. Every stage selects on `claims_held` (how many of its claims hold, reported by every figure
trainable), which only orders the console.

Seeds: 42, the authors' demo seed (their demos are the only place the paper's analysis settings are
written down), except Fig. 8, whose seed picks the zeta-table6 models it reads (seed 0 of 0, 1, 2).
Trial counts: fig2 3, fig3 1, fig4 1, fig5 1, fig6 4, fig7 1, fig8 2, table9 1.
"""
from __future__ import annotations

from search_spaces.experiment import Experiment, Grid, Method, Section

SEED = 42
METRIC = "claims_held"
NO_ARCH = ("none",)  # the figures train no network (but Fig. 3's oracle and Fig. 8's models, named in their keys)


def _stage(name: str, trainable: str, datasets: tuple[str, ...], archs: tuple[str, ...] = NO_ARCH,
           seeds: tuple[int, ...] = (SEED,), method: str = "") -> Grid:
    method = method or name
    return Grid(datasets=datasets, methods=(Method(method, method),), archs=archs, seeds=seeds, name=name,
                trainable=trainable, metric=METRIC, mode="max", report=False)


def _figure(name: str, description: str, stages: tuple[Grid, ...], trainable: str, sections: tuple[Section, ...],
            protocol: str, paper: str, smoke: dict | None = None, standin_data: bool = True) -> Experiment:
    return Experiment(name=name, description=description, stages=stages, metric=METRIC, mode="max",
                      trainable=trainable, artifacts=True, sections=sections, protocol=protocol, paper=paper,
                      smoke=smoke or {}, standin_data=standin_data, baseline="")


FIG2 = _figure(
    "zeta-fig2",
    "Fig. 2: mixup and ζ-mixup on CRESCENTS and SPIRALS (a), on a 1-D helix in R^3 from three viewpoints (b), "
    "and ζ-mixup for group sizes T x γ (c)",
    (_stage("fig2", "figure-fig2", ("crescents", "spirals", "helix-3d")),),
    "figure-fig2",
    (Section("analysis", {"folder": "fig2"}),),
    "the sets are the authors' demo points (make_moons with seed 42; scikit-dimension's M13b_Spiral helix, "
    "8,192 points); seed 42 and shuffled batches of 32 as their demos (the paper states neither); ζ-mixup "
    "mixes the whole batch (T = 32) in (a) and (b); (a) γ = 3.0 ... 2.0 and (b) γ = 2, 4, 6 are the demos' "
    "values, (c)'s T = 2 ... 32 and γ = 2, 4, 6 are ours (the paper names none). CPU, minutes.",
    "zeta-mixup Fig. 2",
    smoke={"points": 1024},  # the helix at 1,024 points; the 2-D sets keep their 512
)

FIG3 = _figure(
    "zeta-fig3",
    "Fig. 3: MNIST, the first 10 training images per digit mixed into 100 mixup and 100 ζ-mixup images with "
    "their soft labels; a LeNet-5 oracle's entropy (realism) and label cross-entropy (label correctness) of "
    "mixup and ζ-mixup (γ = 2.4, 2.8, 4.0) outputs",
    (_stage("fig3", "figure-fig3", ("mnist",)),),
    "figure-fig3",
    (Section("analysis", {"folder": "fig3"}),),
    "MNIST from the data root (a generated stand-in, said here, where it is absent); the oracle is LeNet-5 "
    "trained here on the train split (Adam 1e-3, batch 128, 10 epochs; the paper names no recipe and reports "
    "99.31 %), scored on the test split; realism over the whole train split mixed in shuffled batches of 100, "
    "seed 42; --smoke: 1 oracle epoch of at most 100 steps and 2,000 images for realism.",
    "zeta-mixup Fig. 3",
    smoke={"oracle_epochs": 1, "oracle_max_steps": 100, "realism_samples": 2000},
)

_MONTAGE_PROTOCOL = ("100 training images drawn at random (seed 42; the paper does not say which), shrunk to 128 px "
                     "and mixed as ONE batch (T = 100, one mixup λ ~ Beta(1, 1)); output i in input i's cell; a "
                     "generated stand-in, said here, where the dataset is absent.")
FIG4 = _figure(
    "zeta-fig4",
    "Fig. 4: 100 ISIC 2017 images mixed by mixup and by ζ-mixup (γ = 2.4, 2.8, 4.0)",
    (_stage("fig4", "figure-montage", ("isic2017",)),),
    "figure-montage",
    (Section("analysis", {"folder": "montage"}),),
    _MONTAGE_PROTOCOL,
    "zeta-mixup Fig. 4",
)
FIG5 = _figure(
    "zeta-fig5",
    "Fig. 5: 100 ISIC 2018 images mixed by mixup and by ζ-mixup (γ = 2.4, 2.8, 4.0)",
    (_stage("fig5", "figure-montage", ("isic2018",)),),
    "figure-montage",
    (Section("analysis", {"folder": "montage"}),),
    _MONTAGE_PROTOCOL,
    "zeta-mixup Fig. 5",
)

FIG6 = _figure(
    "zeta-fig6",
    "Fig. 6: local intrinsic dimension (local PCA, Fukunaga–Olsen, k = 8 and 128) of the original data, mixup's "
    "and ζ-mixup's output for γ in [0, 15], on a 1-D helix in R^3, a 3-D manifold in R^12, CIFAR-10 and CIFAR-100",
    (_stage("fig6", "figure-fig6", ("helix-3d", "helix-12d", "cifar10", "cifar100")),),
    "figure-fig6",
    (Section("zeta-fig6", {"folder": "fig6"}),),
    "helix-3d: the authors' helix demo points (8,192); helix-12d: the 3-D paraboloid in R^12 of the Fig. 6 caption "
    "(scikit-dimension's Mp1_Paraboloid, 8,192 points) - the paper's text says a 1-D helix in R^12, which, mapped "
    "isometrically, has the helix's local ID and would repeat panels a-b (--set point_set=data analyses the "
    "registered helix in R^12 instead); CIFAR-10/100: the train split as 3,072-D points, whole on a GPU and "
    "1,000 random images on a CPU (the paper: all 50,000; --set id_samples=N to choose); γ grid 0, 0.5, ..., 15 and "
    "γ_min; shuffled batches of 32, seed 42. --smoke: γ step 2.5 and at most 512 points per set.",
    "zeta-mixup Fig. 6",
    smoke={"gamma_step": 2.5, "id_samples": 512},
)

FIG7 = _figure(
    "zeta-fig7",
    "Fig. 7: the 2-D illustration on CRESCENTS: local-PCA ellipses and the k = 8, 16 nearest training points of "
    "held-out test points, for the original data, mixup and ζ-mixup",
    (_stage("fig7", "figure-fig7", ("crescents",)),),
    "figure-fig7",
    (Section("analysis", {"folder": "fig7"}),),
    "the authors' crescents (512 points, seed 42), ζ-mixup γ = 2.8 (not stated in the paper), batches of 32; 64 "
    "held-out test points (seed 43) instead of the paper's one hand-picked point; the figure shows the first.",
    "zeta-mixup Fig. 7",
)

FIG8 = _figure(
    "zeta-fig8",
    "Fig. 8: test images ERM and mixup misclassify and ζ-mixup (every γ) gets right; their 128 nearest mixup- "
    "and ζ-synthesised training samples in each model's feature space (ISIC 2017 ResNet-50, derm7pt-clinical "
    "ResNet-18), label agreement and t-SNE; reads a finished zeta-table6 run (--set source=...)",
    (_stage("isic2017", "figure-fig8", ("isic2017",), ("resnet50",), (0,), "fig8"),
     _stage("derm7pt-clinical", "figure-fig8", ("derm7pt-clinical",), ("resnet18",), (0,), "fig8")),
    "figure-fig8",
    (Section("analysis", {"folder": "fig8"}),),
    "the Table 6 models (seed 0) and their per-sample test predictions are read from the zeta-table6 run named by "
    "--set source=<work directory or invocation folder>: the predictions from its results store's predictions table "
    "(from predictions.npz in the final checkpoints for a run recorded before that table), each model from the final "
    "checkpoint its rows name (source=train trains them here); the training split is "
    "mixed by each method as it trained and embedded by that method's model; neighbours by cosine distance. "
    "--smoke trains tiny ERM, mixup and ζ models on the smoke data first (source=train, 1 epoch each).",
    "zeta-mixup Fig. 8",
    smoke={"source": "train", "models_epochs": 1, "synth_samples": 64, "fig8_k": 16, "tsne_max_iter": 250},
    standin_data=False,  # the models' data: a full run reads the real test sets they were scored on
)

TABLE9 = _figure(
    "zeta-table9",
    "Table 9: (a) training wall time per method on CIFAR-100, STL-10 and Imagenette from recorded zeta-table4/5 "
    "runs (--set source=...); (b) one augmentation call on a [32, 3, 224, 224] batch: mixup, ζ-mixup, CutMix, "
    "CutMix + ζ-mixup, local synthetic instances",
    (_stage("table9", "figure-table9", ("crescents",)),),
    "figure-table9",
    (Section("analysis", {"folder": "table9"}),
     Section("zeta-table9-wall-time", {"experiments": ["zeta-table4", "zeta-table5", "zeta-fig9"],
                                       "datasets": ["cifar100", "stl10", "imagenette"]})),
    "(b) runs on the trial's device (--gpus-per-trial 1 for a GPU) on a batch of random numbers (the trial's "
    "dataset is not read); 3 warm-up and 20 timed rounds. (a) reads the per-epoch wall_time_s of the latest "
    "zeta-table4, zeta-table5 and zeta-fig9 invocations under --set source=<work directory> (or one invocation "
    "folder); the paper's times are the authors' (CIFAR-100 200 epochs, STL-10 and Imagenette as their recipes).",
    "zeta-mixup Table 9",
    smoke={"timing_repeats": 3, "timing_warmup": 1},
)

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (FIG2, FIG3, FIG4, FIG5, FIG6, FIG7, FIG8, TABLE9)}
