"""GeMix's preparatory trainables (gan-train, gemix-sets), their configs, and the ct-toy smoke dataset."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from workloads.data import load_dataset
from workloads.gan.sets import is_set, load_set
from workloads.artifacts import SET_NAMES, TRAIN_SOURCES, generator_dir, set_dir
from workloads.gemix import gan_stage, sets_stage
from workloads.gemix.gan_stage import GanStageConfig, balanced_subset, export_generator
from workloads.gemix.sets_stage import SetsStageConfig

train_gan_stage, make_sets = gan_stage.train, sets_stage.train

TINY = dict(gan_resolution=32, gan_channel_base=256, gan_channel_max=16, gan_z_dim=16, gan_w_dim=16,
            gan_batch_size=8, gan_steps=4, gan_report_every=2, gan_images_per_class=20, gan_ema_kimg=0.01)
# The keys every GeMix stage shares (the planner gives each stage only its own trainable's keys).
ORCHESTRATED = dict(dataset="ct-toy", arch="small_cnn", method="gan", variant="gan", seed=0, data_root=None,
                    device="cpu")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, ct_toy):
    """A gan-train run through a report callback that keeps every checkpoint (as Tune does)."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    reports, kept = [], []

    def report(metrics, directory):
        reports.append(metrics)
        if directory:
            copy = artifacts.parent / f"ckpt-{len(kept)}"
            shutil.copytree(directory, copy)
            kept.append(copy)

    config = {**ORCHESTRATED, **TINY, "artifacts_dir": str(artifacts)}
    final = train_gan_stage(config, report, data=ct_toy)
    return artifacts, config, reports, kept, final


# -- ct-toy ---------------------------------------------------------------------------------------

def test_ct_toy_is_deterministic_balanced_grey_32(ct_toy):
    again = load_dataset("ct-toy")
    assert ct_toy.class_names == ("normal", "pneumonia", "COVID-19")
    sizes = {name: len(split) for name, split in ct_toy.splits.items()}
    assert sizes == {"train": 267, "val": 39, "test": 78}
    for name, split in ct_toy.splits.items():
        assert split.images.shape[1:] == (32, 32, 1) and split.images.dtype == np.uint8
        assert np.array_equal(split.images, again.splits[name].images)
        assert np.array_equal(split.labels, again.splits[name].labels)
        assert np.bincount(split.labels).tolist() == [sizes[name] // 3] * 3


def test_ct_toy_classes_differ_in_what_the_body_holds(ct_toy):
    """Pneumonia has the brightest pixels (one consolidation); normal is the flattest inside the body."""
    train = ct_toy.splits["train"]
    peak = [np.percentile(train.images[train.labels == k].reshape(-1, 1024).max(1), 50) for k in range(3)]
    assert peak[1] > peak[2] > peak[0]


# -- gan-train ------------------------------------------------------------------------------------

def test_gan_stage_trains_on_a_balanced_subset_and_exports_the_final_generator(trained):
    from workloads.checkpoint import load_checkpoint
    from workloads.gan.sample import load_generator

    artifacts, config, reports, kept, final = trained
    assert [r["step"] for r in reports] == [2, 4] and final["step"] == 4
    assert all(r["images_per_class"] == 20 for r in reports)
    target = generator_dir(artifacts)
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "samples.png", "state.pt"]
    assert (target / "state.pt").read_bytes() == (kept[-1] / "state.pt").read_bytes()
    assert load_checkpoint(target)["step"] == 4
    assert not [p for p in artifacts.iterdir() if p.name.startswith(".")]  # no temporary folders left
    G = load_generator(target)
    assert (G.z_dim, G.c_dim, G.img_resolution) == (16, 3, 32)


def test_gan_stage_resumes_from_its_checkpoint_and_exports_again(trained, ct_toy, tmp_path):
    _, config, reports, kept, _ = trained
    config = {**config, "artifacts_dir": str(tmp_path)}
    resumed = []
    train_gan_stage(config, lambda m, d: resumed.append(m), str(kept[0]), data=ct_toy)
    assert [r["step"] for r in resumed] == [4]
    assert resumed[0]["g_loss"] == pytest.approx(reports[-1]["g_loss"], rel=1e-5)
    # Resumed from the last checkpoint (stopped after its report): nothing to train, still exported.
    other = tmp_path / "other"
    train_gan_stage({**config, "artifacts_dir": str(other)}, lambda m, d: None, str(kept[-1]), data=ct_toy)
    assert (generator_dir(other) / "state.pt").read_bytes() == (kept[-1] / "state.pt").read_bytes()


def test_export_replaces_an_earlier_generator(trained, tmp_path):
    _, _, _, kept, _ = trained
    export_generator(kept[0], tmp_path)
    export_generator(kept[1], tmp_path)
    assert (generator_dir(tmp_path) / "state.pt").read_bytes() == (kept[1] / "state.pt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator"]


def test_balanced_subset_caps_every_class_at_the_smallest(ct_toy):
    train = ct_toy.splits["train"]
    uneven = type(train)(train.images[5:], train.labels[5:])  # class 0 loses 5 images
    sub = balanced_subset(uneven, 3, 1000, seed=0)
    smallest = int(np.bincount(uneven.labels).min())
    assert np.bincount(sub.labels).tolist() == [smallest] * 3
    assert np.bincount(balanced_subset(train, 3, 10, seed=1).labels).tolist() == [10, 10, 10]
    with pytest.raises(ValueError, match="missing \\[2\\]"):
        balanced_subset(type(train)(train.images[:10], np.zeros(10, np.int64) + (np.arange(10) % 2)), 3, 5, 0)


# -- configs --------------------------------------------------------------------------------------

def test_stage_configs_keep_their_own_keys_and_refuse_the_others(tmp_path):
    gan = GanStageConfig.from_flat({**ORCHESTRATED, **TINY, "artifacts_dir": str(tmp_path)})
    assert gan.gan.steps == 4 and gan.gan.lr == 0.0025 and gan.gan.dataset == gan.dataset == "ct-toy"
    flat = gan.to_flat()
    assert flat["gan_steps"] == 4 and flat["gan_lr"] == 0.0025 and "lr" not in flat and "gan_dataset" not in flat
    assert GanStageConfig.from_flat(flat) == gan  # the flat form round-trips
    sets = SetsStageConfig.from_flat({**ORCHESTRATED, "sets_images": 64, "subset": 96, "artifacts_dir": str(tmp_path)})
    assert (sets.sets_images, sets.sets_mixup_alpha, sets.subset) == (64, 0.4, 96)
    json.dumps(flat), json.dumps(sets.to_flat())  # flat JSON values
    with pytest.raises(ValueError, match="unknown gan-train config key\\(s\\) lr, sets_images"):
        GanStageConfig.from_flat({**ORCHESTRATED, "lr": 1e-4, "sets_images": 64, "artifacts_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="unknown gemix-sets config key\\(s\\) gan_steps"):
        SetsStageConfig.from_flat({**ORCHESTRATED, "gan_steps": 4, "artifacts_dir": str(tmp_path)})


validate_gan_stage, validate_sets_stage = GanStageConfig.from_flat, SetsStageConfig.from_flat


@pytest.mark.parametrize("validate,extra,message", [
    (validate_gan_stage, {"gan_stepz": 3}, "unknown gan-train config key\\(s\\) gan_stepz; valid keys: .*gan_steps"),
    (validate_sets_stage, {"sets_n": 3}, "unknown gemix-sets config key\\(s\\) sets_n; valid keys: .*sets_images"),
    (validate_gan_stage, {"gan_steps": 0}, "gan_steps must be an integer"),
    (validate_gan_stage, {"gan_resolution": 48}, "gan_resolution must be one of"),
    (validate_gan_stage, {"gan_images_per_class": 0}, "gan_images_per_class must be an integer >= 1"),
    (validate_gan_stage, {"dataset": "ct-toys"}, "unknown dataset 'ct-toys'; valid choices: .*ct-toy"),
    (validate_sets_stage, {"sets_mixup_alpha": 0}, "sets_mixup_alpha must be a number in \\(0.0, inf\\)"),
    (validate_sets_stage, {"sets_images": None}, "sets_images must be an integer >= 1"),
    (validate_sets_stage, {"artifacts_dir": "relative/dir"}, "artifacts_dir must be an absolute folder path"),
    (validate_sets_stage, {"device": "tpu"}, "device must be one of"),
])
def test_bad_stage_config_names_the_key(validate, extra, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        validate({**ORCHESTRATED, "artifacts_dir": str(tmp_path), **extra})


# -- gemix-sets -----------------------------------------------------------------------------------

def test_the_stage_writes_every_offline_train_source_where_the_classifier_reads_it(tmp_path):
    assert SET_NAMES == ("mixup", "mmixup", "gemix") and set(TRAIN_SOURCES) == {"real", *SET_NAMES}
    assert set_dir(tmp_path, "gemix") == tmp_path / "sets" / "gemix"


def test_sets_stage_writes_three_sets_and_skips_existing_ones(trained, ct_toy):
    artifacts, _, _, _, _ = trained
    config = {**ORCHESTRATED, "artifacts_dir": str(artifacts), "method": "sets", "variant": "sets", "subset": 96,
              "sets_images": 24}
    reports = []
    assert make_sets(config, lambda m, d: reports.append((m, d)), data=ct_toy)["sets_written"] == 3
    assert reports == [({"images": 24, "epoch": 1, "sets_written": 3}, None)]
    made = {name: load_set(set_dir(artifacts, name)) for name in ("mixup", "mmixup", "gemix")}
    for name, soft in made.items():
        assert soft.images.shape == (24, 32, 32, 1) and soft.soft_labels.shape == (24, 3), name
        assert soft.meta["kind"] == name and soft.meta["dataset"] == "ct-toy"
    assert made["mixup"].meta["alpha"] == 0.4 and made["mixup"].meta["same_class_ratio"] == 0.5
    assert made["gemix"].meta["noise_mode"] == "const"  # the authors' defaults
    import hashlib

    sha = hashlib.sha256((generator_dir(artifacts) / "state.pt").read_bytes()).hexdigest()
    assert made["gemix"].meta["generator_sha256"] == sha
    # MMixup mixes one image of each class: no label is one-hot; mixup labels are two-class mixtures.
    assert made["mmixup"].soft_labels.max(1).max() < 1 and (made["mmixup"].soft_labels > 0).all()
    assert ((made["mixup"].soft_labels > 1e-6).sum(1) <= 2).all()

    stamps = {name: (set_dir(artifacts, name) / "images.npy").stat().st_mtime_ns for name in made}
    (set_dir(artifacts, "mixup") / "meta.json").unlink()  # an interrupted write: not a set any more
    assert make_sets(config, lambda m, d: None, data=ct_toy)["sets_written"] == 1
    assert is_set(set_dir(artifacts, "mixup"))
    for name in ("mmixup", "gemix"):
        assert (set_dir(artifacts, name) / "images.npy").stat().st_mtime_ns == stamps[name]
    assert np.array_equal(load_set(set_dir(artifacts, "mixup")).images, made["mixup"].images)  # same seed
    assert make_sets(config, lambda m, d: None, data=ct_toy)["sets_written"] == 0

    current = dict(config)

    def state(name: str) -> tuple:
        # The meta text tells a rewrite apart even within one tick of the file system's clock.
        directory = set_dir(artifacts, name)
        return (directory / "images.npy").stat().st_mtime_ns, (directory / "meta.json").read_text()

    def rewritten(**change) -> set[str]:
        before = {name: state(name) for name in SET_NAMES}
        current.update(change)
        make_sets(current, lambda m, d: None, data=ct_toy)
        return {name for name in SET_NAMES if state(name) != before[name]}

    # A resumed stage with another recipe (changes accumulate) redoes exactly the sets that recipe makes.
    assert rewritten(sets_mixup_alpha=0.5) == {"mixup"}
    assert load_set(set_dir(artifacts, "mixup")).meta["alpha"] == 0.5
    assert rewritten(sets_a_other=0.5) == {"mmixup", "gemix"}
    assert rewritten(sets_a_dominant=3.0) == {"mmixup", "gemix"}
    assert rewritten(sets_batch_size=7) == {"gemix"}
    assert rewritten(sets_same_class_ratio=0.3) == {"mixup"}
    assert load_set(set_dir(artifacts, "mixup")).meta["same_class_ratio"] == 0.3
    assert rewritten(sets_noise_mode="random") == {"gemix"}
    assert load_set(set_dir(artifacts, "gemix")).meta["noise_mode"] == "random"
    assert rewritten(subset=90) == {"mixup", "mmixup"}
    assert rewritten(seed=1) == set(SET_NAMES)
    assert rewritten() == set()
    assert make_sets({**config, "sets_images": 12}, lambda m, d: None, data=ct_toy)["sets_written"] == 3


def test_sets_stage_needs_the_generator(ct_toy, tmp_path):
    config = {**ORCHESTRATED, "artifacts_dir": str(tmp_path), "sets_images": 8}
    with pytest.raises(ValueError, match="no generator at .*generator: the gan-train stage must finish first"):
        make_sets(config, lambda m, d: None, data=ct_toy)
    assert is_set(set_dir(tmp_path, "mixup")) and not is_set(set_dir(tmp_path, "gemix"))


def test_gemix_images_are_resized_to_the_real_images(trained, tmp_path):
    """A 32-pixel generator on 8-pixel digits: the GeMix set comes out at 8x8 and stacks with the reals."""
    from workloads.gan.sets import as_training_source

    artifacts, _, _, _, _ = trained
    shutil.copytree(generator_dir(artifacts), generator_dir(tmp_path))
    digits = load_dataset("digits")
    three = type(digits)("digits", digits.class_names[:3],
                         {k: type(s)(s.images[s.labels < 3], s.labels[s.labels < 3]) for k, s in digits.splits.items()})
    config = {**ORCHESTRATED, "dataset": "digits", "artifacts_dir": str(tmp_path), "sets_images": 10}
    make_sets(config, lambda m, d: None, data=three)
    gemix = load_set(set_dir(tmp_path, "gemix"))
    assert gemix.images.shape == (10, 8, 8, 1) and gemix.meta["resized_from"] == [32, 32]
    images, labels = as_training_source([three.splits["train"], set_dir(tmp_path, "gemix")], 3)
    assert images.shape[1:] == (8, 8, 1) and len(labels) == len(three.splits["train"]) + 10
