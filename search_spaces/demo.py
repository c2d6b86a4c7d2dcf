"""The demo: a real benchmark on scikit-learn's digits that runs on a laptop in minutes."""
from __future__ import annotations

from search_spaces.experiment import Bayesian, Experiment, Grid, Method, Param

DEMO_METHODS = (
    Method("erm", "erm"),
    Method("mixup", "mixup", {"alpha": 1.0}),
    Method("zeta-2.4", "zeta", {"gamma": 2.4}),
    Method("zeta-2.8", "zeta", {"gamma": 2.8}),
    Method("zeta-4.0", "zeta", {"gamma": 4.0}),
)

DEMO = Experiment(
    name="demo",
    description="digits with 60 training images (6 per class) + small_cnn: erm, mixup, zeta "
    "(3 gammas) x 3 seeds, then a 16-trial Bayesian gamma x weight-decay sweep",
    stages=(
        Grid(datasets=("digits",), methods=DEMO_METHODS, archs=("small_cnn",), seeds=(0, 1, 2), name="grid"),
        Bayesian(
            dataset="digits",
            method=Method("zeta", "zeta", {"gamma": 2.8}),
            arch="small_cnn",
            space={"gamma": Param("uniform", 1.0, 6.0), "weight_decay": Param("loguniform", 5e-5, 1e-3)},
            num_samples=16,
            name="sweep",
        ),
    ),
    metric="val_acc",  # the sweep searches on validation accuracy; the tables report test metrics
    mode="max",
    report_metrics=("test_acc", "test_f1_macro"),
    # A limited-data regime (the full 1,259 training images take every method to 100 %): val and
    # test stay whole (179 and 359 images), so the differences between methods are measurable.
    fixed={"train_subset": 60, "epochs": 40, "batch_size": 32, "lr": 0.05, "weight_decay": 5e-4,
           "milestones": [27], "lr_decay": 0.1},
    smoke={"epochs": 2},
    protocol="scikit-learn's digits with its fixed train/val/test split; 60 training images (6 per class), "
             "validation (179) and test (359) whole; every trial trains its full 40 epochs and the tables report "
             "the last epoch's test metrics; the Bayesian sweep selects on validation accuracy.",
    smoke_samples=3,
    paper="",
)
