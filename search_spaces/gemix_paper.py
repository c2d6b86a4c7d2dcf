"""GeMix's Table I as one resumable experiment in four stages (Carlesso, Patulea et al., "GeMix: Conditional GAN-Based Mixup for Improved Medical Image Augmentation").

Data (the paper's protocol, "Experimental setup"; `workloads.gemix.protocol`): before any stage runs the
driver draws from COVIDx CT-3A (whole slices, grey, resized to 128x128: dataset "covidx-ct3"; the
box-cropped "covidx-ct3-box" is the other choice) three disjoint class-balanced subsets with split_seed 0:
the GAN's (10,000 per class from the official train split), the classifiers' (10,000 per class from the
rest of the official train split, patient-disjoint from the GAN's where file names name the patient,
cut 80/20 per image into 24K train and 6K val) and a test set (1,000 per class from the official test
split). They are written to `{artifacts_dir}/splits/{gan,train,val,test}.txt` and read back on resume;
every stage reads them (`split="gemix"` and the `split_*` sizes, keys of every stage).

1. `gan`: the conditional StyleGAN2-ADA-style GAN ("gan-train") on the GAN subset, one-hot labels; the
   final generator is exported to `{artifacts_dir}/generator/`.
2. `sets`: the offline training sets ("gemix-sets"), 30K images each (the most a setup adds): GeMix
   (Algorithm 1, Dirichlet 2 at the dominant class and 1 elsewhere, the generator's constant noise as the
   authors sample it), plain mixup of the classifier's train split (lambda ~ Beta(0.4, 0.4), half of the
   pairs from one class: the authors' baseline) and MMixup, in `{artifacts_dir}/sets/{gemix,mixup,mmixup}/`.
3. `quality`: an oracle classifier ("gemix-quality", the first arch below, trained on the classifier's
   real train split only) measures the sets and one-hot GeMix samples (label fidelity, mean entropy,
   soft-label cross-entropy, FID/KID where torch-fidelity's weights are local) and embeds real, mixup
   and GeMix images with t-SNE (Fig. 3), into `{artifacts_dir}/quality/`.
4. `classify`: the 8 training-set setups of Table I x ResNet-50, ResNet-101, EfficientNet-B0,
   ImageNet-pretrained (timm's weights, from this machine only), grey slices fed as RGB normalized with
   mean = std = 0.5 as the authors do, with the authors' recipe (the "ct" group's: 5 epochs, batch 64,
   Adam 1e-4, BCE with logits on soft labels). Each setup adds the first `set_images` of a set: 24K for
   Mixup, MMixup, GeMix (alone) and Real+MMixup+GeMix (24K of each), 30K for Real+Mixup, Real+MMixup and
   Real+GeMix; validation and test stay real. 24 cells x 3 seeds = 72 trials (the paper prints no std).

Stage keys: `gan_*` (every GAN setting, e.g. `--set gan_steps=50000`), `sets_*` (`sets_images`,
`sets_same_class_ratio`, `sets_noise_mode`, ...), `quality_*` (`quality_epochs`, `quality_samples`, ...);
see the `Config` of each module in workloads/gemix/. Weights are never downloaded at run time: without
them locally a run stops before Ray starts with one line saying how to provide them (timm's caches, or
`--set pretrained_path=/dir/{arch}.pth`); `--set pretrained=false` trains from scratch and the report
says its numbers are not comparable. `--smoke` runs on ct-toy (the protocol split too, tiny), from scratch.
The paper does not state the GAN's training length; `gan_steps` (25,000 x batch 32 = 800 kimg) is ours.
"""
from __future__ import annotations

from search_spaces.experiment import Experiment, Grid, Method, Section
from workloads.registry import Registry

VARIANTS = ("real", "mixup", "mmixup", "gemix", "real+mixup", "real+mmixup", "real+gemix", "real+mmixup+gemix")
ARCHS = ("resnet50", "resnet101", "efficientnet_b0")
METRICS = ("test_precision_macro", "test_recall_macro", "test_f1_macro")
# GeMix, "Training setups": how many images of each generated / mixed set a setup adds to (or uses
# instead of) the 24K real training images.
SET_IMAGES = {"mixup": 24000, "mmixup": 24000, "gemix": 24000, "real+mixup": 30000, "real+mmixup": 30000,
              "real+gemix": 30000, "real+mmixup+gemix": 24000}
SETS_IMAGES = max(SET_IMAGES.values())  # the sets stage writes the largest; each setup takes its first N

# Each setup trains on the "+"-joined sources; non-real sources are the sets stage's directories.
SETUPS = tuple(Method(label, "erm", {"train_sources": label, **({"set_images": SET_IMAGES[label]}
                                                                  if label in SET_IMAGES else {})})
               for label in VARIANTS)

# The paper's data protocol (every stage reads its split; see the module docstring).
PROTOCOL_SPLIT = {"split": "gemix", "split_gan_per_class": 10000, "split_classifier_per_class": 10000,
                  "split_val_fraction": 0.2, "split_test_per_class": 1000, "split_seed": 0}

GAN_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("gan", "gan"),), archs=("stylegan2",), seeds=(0,),
    # All of the protocol's GAN subset (already 10K per class); 128x128 slices.
    fixed={"gan_images_per_class": None, "gan_resolution": 128},
    name="gan", trainable="gan-train", metric="g_loss", mode="min", report=False,
)
SETS_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("sets", "sets"),), archs=("none",), seeds=(0,),
    fixed={"sets_images": SETS_IMAGES, "sets_mixup_alpha": 0.4, "sets_same_class_ratio": 0.5,
           "sets_a_dominant": 2.0, "sets_a_other": 1.0, "sets_noise_mode": "const"},
    name="sets", trainable="gemix-sets", metric="images", mode="max", report=False,
)
QUALITY_STAGE = Grid(
    datasets=("covidx-ct3",), methods=(Method("quality", "quality"),), archs=ARCHS[:1], seeds=(0,),
    name="quality", trainable="gemix-quality", metric="gemix_label_fidelity", mode="max", report=False,
)
CLASSIFY_STAGE = Grid(datasets=("covidx-ct3",), methods=SETUPS, archs=ARCHS, seeds=(0, 1, 2), name="classify")

# --smoke (about two minutes on 2 CPUs): a fabricated 3-class grey 32x32 set (workloads.data.ct_toy)
# instead of COVIDx CT-3, split by the same protocol at 40 / 40 (32 train + 8 val) / 20 images per
# class, a tiny GAN for 30 steps, 64-image sets (every setup takes all of each), a 3-epoch oracle; the
# orchestrator adds 1 epoch, small_cnn (the oracle's too), no pretrained weights and one seed.
SMOKE = {
    "dataset": "ct-toy",
    "split_gan_per_class": 40, "split_classifier_per_class": 40, "split_test_per_class": 20,
    "gan_resolution": 32, "gan_channel_base": 256, "gan_channel_max": 16, "gan_z_dim": 16, "gan_w_dim": 16,
    "gan_batch_size": 16, "gan_steps": 30, "gan_report_every": 10,
    "gan_ema_kimg": 0.01, "gan_ada_kimg": 1.0,
    "sets_images": 64, "set_images": None,
    "quality_epochs": 3, "quality_samples": 64, "quality_tsne_samples": 32,
}

PROTOCOL = (
    "COVIDx CT-3A whole slices, grey, resized to 128x128; three disjoint class-balanced subsets drawn once per "
    "run (split_seed 0, files in the run's artifacts/splits/): the GAN's 10K per class from the official train "
    "split; the classifiers' 10K per class from the rest of it, patient-disjoint from the GAN's (patients from "
    "the file names), cut per image 80/20 into 24K train and 6K val; a test set of 1K per class from the official "
    "test split (the official val split is unused, as the authors'). The GAN trains on its subset only; mixup "
    "(Beta(0.4, 0.4), half the pairs within a class) and MMixup mix the 24K classifier train images; GeMix samples "
    "the generator with Dirichlet(2, 1, 1) soft labels and constant noise. Setups add the first 24K (Mixup, MMixup, "
    "GeMix, Real+MMixup+GeMix) or 30K (Real+Mixup, Real+MMixup, Real+GeMix) images of a 30K set to the 24K real "
    "ones (X-only setups train on the 24K generated alone). ResNet-50/101 and EfficientNet-B0, ImageNet-pretrained "
    "where weights are local (stated above the table), grey fed as RGB normalized with mean = std = 0.5, 5 epochs "
    "of Adam 1e-4, batch 64, BCE on soft labels; val and test are real for every setup. Cells: macro precision, recall (= accuracy: the "
    "test set is balanced) and F1 on the test set at each trial's best-validation-accuracy epoch (the checkpoint "
    "the authors test; the final epoch's table follows), mean ± std over 3 seeds."
)

# What still differs from the paper (the footnote under Table I, in every format it is written in).
DEVIATIONS = (
    "Deviations that remain: the GAN is mixbench's re-implementation of conditional StyleGAN2-ADA, not NVIDIA's "
    "code: bilinear instead of FIR up/downsampling, one w for all layers (no style mixing regularization), no "
    "path-length regularization, ADA limited to x-flips, integer translation and colour (brightness, contrast, "
    "saturation) transforms; its length, gan_steps = 25,000 x 32 = 800 kimg, is ours (the paper states none).",
    "Validation is real for every setup; the authors' code validates the X-only setups on 20 % of the generated "
    "set, and its released config cuts the real set 50/50 (we follow the paper's 80/20).",
    "ImageNet weights are timm's defaults (e.g. resnet50.a1_in1k), not the torchvision V1 weights the authors "
    "load; pretrained_path can name others.",
    "GAN and classifier subsets are patient-disjoint here (the authors only exclude the GAN's file names); "
    "train and val are cut per image as the authors' random_split, so a patient may be in both.",
    "The authors' public mixup script multiplies 0-255 pixels by 255 before its uint8 cast (its images wrap "
    "around); ours keeps mixed pixels in range.",
)

TABLE1 = Experiment(
    name="gemix-table1",
    description="GeMix Table I: COVIDx CT-3, ResNet-50/101 and EfficientNet-B0 trained on real, mixup, "
                "MMixup and GeMix (conditional GAN + Dirichlet soft labels) images and their combinations; "
                "macro precision, recall, F1",
    stages=(GAN_STAGE, SETS_STAGE, QUALITY_STAGE, CLASSIFY_STAGE),
    metric="val_acc",  # the authors keep the best-validation-accuracy checkpoint
    mode="max",
    report_metrics=METRICS,
    # "All models are pretrained on ImageNet" (from local weights only); the authors' input: RGB, Normalize(0.5, 0.5).
    fixed={"pretrained": True, "grey_to_rgb": True, "norm_mean": 0.5, "norm_std": 0.5, **PROTOCOL_SPLIT},
    smoke=SMOKE,
    baseline="real+mixup",  # the paper's core comparison: Real+GeMix against Real+Mixup
    paper="GeMix Table I",
    trainable="classify",
    artifacts=True,
    protocol=PROTOCOL,
    table_rows="methods",  # Table I: setups as rows, architectures x (P, R, F1) as columns
    reported_epoch="best",  # the epoch best on val_acc, as the authors' checkpoint; the last epoch's beside
    table_notes=DEVIATIONS,
    plan_keys=("split", "split_gan_per_class", "split_classifier_per_class", "split_val_fraction",
               "split_test_per_class", "split_seed", "gan_images_per_class", "sets_images", "sets_same_class_ratio",
               "sets_noise_mode", "set_images", "pretrained", "grey_to_rgb", "norm_mean", "norm_std"),
    sections=(
        # Above Table I: where the classifiers' ImageNet weights came from, or that there were none.
        Section("pretrained", {"stage": "classify"}, place="top"),
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
