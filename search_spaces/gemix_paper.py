"""GeMix's Table I as one resumable experiment in four stages (Carlesso, Patulea et al., "GeMix: Conditional GAN-Based Mixup for Improved Medical Image Augmentation").

1. `gan`: the conditional StyleGAN2-ADA-style GAN ("gan-train") on its own balanced subset of the real
   train split (10,000 images per class, as the paper), one-hot labels; the final generator is
   exported to `{artifacts_dir}/generator/`.
2. `sets`: the offline training sets ("gemix-sets"), 24K images each: GeMix (Algorithm 1, Dirichlet 2 at
   the dominant class and 1 elsewhere), plain mixup (lambda ~ Beta(0.4, 0.4), the authors' baseline) and
   MMixup, in `{artifacts_dir}/sets/{gemix,mixup,mmixup}/`.
3. `quality`: an oracle classifier ("gemix-quality", the first arch below, trained on the real train
   split only) measures the sets and one-hot GeMix samples (label fidelity, mean entropy, soft-label
   cross-entropy, FID/KID where torch-fidelity's weights are local) and embeds real, mixup and GeMix
   images with t-SNE (Fig. 3), into `{artifacts_dir}/quality/`.
4. `classify`: the 8 training-set setups of Table I x ResNet-50, ResNet-101, EfficientNet-B0, with the
   authors' recipe (the "ct" group's: 5 epochs, batch 64, Adam 1e-4, BCE with logits on soft labels);
   validation and test stay real. 24 cells x 3 seeds = 72 trials (the paper prints no std).

Stage keys: `gan_*` (every GAN setting, e.g. `--set gan_steps=50000`), `sets_*` (`sets_images`, ...),
`quality_*` (`quality_epochs`, `quality_samples`, ...);
see the `Config` of each module in workloads/gemix/. The paper trains ImageNet-pretrained classifiers; weights cannot be
downloaded at run time, so `pretrained` is false by default: put timm weights where
`workloads.models.find_pretrained` looks and run with `--set pretrained=true`.
The paper does not state the GAN's training length; `gan_steps` (25,000 x batch 32 = 800 kimg) is ours.
"""
from __future__ import annotations

from search_spaces.experiment import Experiment, Grid, Method, Section
from workloads.registry import Registry

VARIANTS = ("real", "mixup", "mmixup", "gemix", "real+mixup", "real+mmixup", "real+gemix", "real+mmixup+gemix")
ARCHS = ("resnet50", "resnet101", "efficientnet_b0")
METRICS = ("test_precision_macro", "test_recall_macro", "test_f1_macro")

# Each setup trains on the "+"-joined sources; non-real sources are the sets stage's directories.
SETUPS = tuple(Method(label, "erm", {"train_sources": label}) for label in VARIANTS)

GAN_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("gan", "gan"),), archs=("stylegan2",), seeds=(0,),
    fixed={"gan_images_per_class": 10000, "gan_resolution": 128},  # the paper's subset; 128x128 slices
    name="gan", trainable="gan-train", metric="g_loss", mode="min", report=False,
)
SETS_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("sets", "sets"),), archs=("none",), seeds=(0,),
    fixed={"sets_images": 24000, "sets_mixup_alpha": 0.4, "sets_a_dominant": 2.0, "sets_a_other": 1.0},
    name="sets", trainable="gemix-sets", metric="images", mode="max", report=False,
)
QUALITY_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("quality", "quality"),), archs=ARCHS[:1], seeds=(0,),
    name="quality", trainable="gemix-quality", metric="gemix_label_fidelity", mode="max", report=False,
)
CLASSIFY_STAGE = Grid(datasets=("covidx-ct3",), methods=SETUPS, archs=ARCHS, seeds=(0, 1, 2), name="classify")

# --smoke (about two minutes on 2 CPUs): a fabricated 3-class grey 32x32 set (workloads.data.ct_toy)
# instead of COVIDx CT-3, a tiny GAN for 30 steps, 64-image sets, a 3-epoch oracle; the orchestrator
# adds 1 epoch, a 96-image subset per split, small_cnn (the oracle's too) and one seed.
SMOKE = {
    "dataset": "ct-toy",
    "gan_resolution": 32, "gan_channel_base": 256, "gan_channel_max": 16, "gan_z_dim": 16, "gan_w_dim": 16,
    "gan_batch_size": 16, "gan_steps": 30, "gan_report_every": 10, "gan_images_per_class": 64,
    "gan_ema_kimg": 0.01, "gan_ada_kimg": 1.0,
    "sets_images": 64,
    "quality_epochs": 3, "quality_samples": 64, "quality_tsne_samples": 32,
}

TABLE1 = Experiment(
    name="gemix-table1",
    description="GeMix Table I: COVIDx CT-3, ResNet-50/101 and EfficientNet-B0 trained on real, mixup, "
                "MMixup and GeMix (conditional GAN + Dirichlet soft labels) images and their combinations; "
                "macro precision, recall, F1",
    stages=(GAN_STAGE, SETS_STAGE, QUALITY_STAGE, CLASSIFY_STAGE),
    metric="val_acc",  # the authors keep the best-validation-accuracy checkpoint
    mode="max",
    report_metrics=METRICS,
    fixed={"pretrained": False},  # no download at run time; see the module docstring
    smoke=SMOKE,
    baseline="real+mixup",  # the paper's core comparison: Real+GeMix against Real+Mixup
    paper="GeMix Table I",
    trainable="classify",
    artifacts=True,
    table_rows="methods",  # Table I: setups as rows, architectures x (P, R, F1) as columns
    sections=(
        Section("covid-fnr", {"stage": "classify", "positive": "COVID-19"}),
        # Fig. 4 compares these two setups' confusion matrices per architecture.
        Section("confusion", {"stage": "classify", "variants": ["real+mmixup", "real+gemix"], "figure": "Fig. 4",
                              "file": "fig4-confusion.png"}),
        Section("gemix-samples", {"sets": ["mixup", "mmixup", "gemix"], "columns": 8, "figure": "Fig. 2",
                                  "file": "fig2-samples.png"}),
        Section("gemix-quality", {"figure": "Fig. 3", "file": "fig3-tsne.png"}),
    ),
)

EXPERIMENTS: Registry[Experiment] = Registry("experiment")
EXPERIMENTS.add(TABLE1.name, TABLE1)
