"""train_sources: offline soft-label sets from {artifacts_dir}/sets/<name> join the real train split."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workloads.classify import Trainer, train, validate
from workloads.data import DatasetArrays
from workloads.data.resize import resize_images
from workloads.gan.sets import mixup_set, one_hot, save_set
from workloads.train_sources import load_train_sources, set_dir

FAST = {"dataset": "digits", "arch": "small_cnn", "lr": 0.05, "batch_size": 64, "device": "cpu", "num_threads": 1}


@pytest.fixture(scope="module")
def digits(digits: DatasetArrays) -> DatasetArrays:
    """conftest's digits, at most 300 images per split (these tests train a few epochs each)."""
    return digits.subset(300)


def no_report(metrics: dict, checkpoint: str | None) -> None:
    pass


def soft(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(k), size=n).astype(np.float32)


def test_real_alone_keeps_the_one_hot_path(digits: DatasetArrays) -> None:
    cfg = validate({**FAST})
    assert load_train_sources(cfg, digits) is None
    trainer = Trainer(cfg, digits)
    assert trainer.train_soft is None and len(trainer.y["train"]) == len(digits.splits["train"])


def test_sets_are_concatenated_resized_and_soft(tmp_path: Path, digits: DatasetArrays) -> None:
    real = digits.splits["train"]
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (40, 16, 16, 1), dtype=np.uint8)  # 16x16: resized to digits' 8x8
    save_set(set_dir(tmp_path, "mmixup"), big, soft(40, 10, 1), {"kind": "mmixup"})
    gem = rng.integers(0, 256, (25, 8, 8, 1), dtype=np.uint8)
    save_set(set_dir(tmp_path, "gemix"), gem, soft(25, 10, 2), {"kind": "gemix"})
    cfg = validate({**FAST, "train_sources": "real+mmixup+gemix", "artifacts_dir": str(tmp_path)})
    images, labels = load_train_sources(cfg, digits)
    n = len(real)
    assert images.shape == (n + 65, 8, 8, 1) and images.dtype == np.uint8
    assert labels.shape == (n + 65, 10) and labels.dtype == np.float32
    np.testing.assert_array_equal(images[:n], real.images)
    np.testing.assert_array_equal(labels[:n], one_hot(real.labels, 10))
    np.testing.assert_array_equal(images[n : n + 40], resize_images(big, (8, 8)))
    np.testing.assert_allclose(labels[n : n + 40], soft(40, 10, 1))
    np.testing.assert_array_equal(images[n + 40 :], gem)
    np.testing.assert_allclose(labels[n + 40 :], soft(25, 10, 2))

    trainer = Trainer(cfg, digits)
    assert len(trainer.x["train"]) == n + 65 and "train" not in trainer.y
    metrics = trainer.run_epoch()
    assert np.isfinite(metrics["train_loss"])
    assert trainer.x["test"].shape[0] == len(digits.splits["test"])  # val and test stay real


def test_a_set_holding_the_real_split_trains_exactly_like_real(tmp_path: Path, digits: DatasetArrays) -> None:
    # The soft-label path with one-hot rows must compute what the one-hot path computes.
    real = digits.splits["train"]
    save_set(set_dir(tmp_path, "gemix"), real.images, one_hot(real.labels, 10), {"kind": "copy"})
    config = {**FAST, "method": "mixup", "epochs": 2, "flip": True, "crop_padding": 1}
    plain = train(config, no_report, data=digits)
    via_set = train({**config, "train_sources": "gemix", "artifacts_dir": str(tmp_path)}, no_report, data=digits)
    plain.pop("train_images_per_s"), via_set.pop("train_images_per_s")
    assert via_set == plain


def test_soft_labels_steer_training(tmp_path: Path, digits: DatasetArrays) -> None:
    # Every set image labelled "class 3" with certainty: a model trained on it alone predicts 3.
    real = digits.splits["train"]
    labels = np.zeros((len(real), 10), np.float32)
    labels[:, 3] = 1.0
    save_set(set_dir(tmp_path, "mixup"), real.images, labels, {"kind": "all-three"})
    final = train({**FAST, "epochs": 2, "train_sources": "mixup", "artifacts_dir": str(tmp_path), "loss": "bce",
                   "optimizer": "adam", "lr": 1e-2}, no_report, data=digits)
    confusion = np.array(json.loads(final["test_confusion"]))
    assert confusion[:, 3].sum() == confusion.sum()


def test_real_plus_mixup_set_learns(tmp_path: Path, digits: DatasetArrays) -> None:
    soft_set = mixup_set(digits.splits["train"], 10, 300, alpha=0.4, seed=0)
    save_set(set_dir(tmp_path, "mixup"), soft_set.images, soft_set.soft_labels, soft_set.meta)
    final = train({**FAST, "epochs": 4, "train_sources": "real+mixup", "artifacts_dir": str(tmp_path)},
                  no_report, data=digits)
    assert final["test_acc"] > 0.7  # chance is 0.1


def test_missing_set_names_the_expected_path(tmp_path: Path, digits: DatasetArrays) -> None:
    cfg = validate({**FAST, "train_sources": "real+gemix", "artifacts_dir": str(tmp_path)})
    with pytest.raises(ValueError) as info:
        Trainer(cfg, digits)
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "sets" / "gemix") in message and "'gemix' not found" in message


def test_incomplete_set_is_refused(tmp_path: Path, digits: DatasetArrays) -> None:
    set_dir(tmp_path, "gemix").mkdir(parents=True)  # no meta.json: an interrupted write
    cfg = validate({**FAST, "train_sources": "gemix", "artifacts_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="is not a mixbench image set"):
        load_train_sources(cfg, digits)


def test_set_with_other_channels_or_classes_is_refused(tmp_path: Path, digits: DatasetArrays) -> None:
    rgb = np.zeros((4, 8, 8, 3), np.uint8)
    save_set(set_dir(tmp_path, "mixup"), rgb, soft(4, 10, 0), {})
    save_set(set_dir(tmp_path, "gemix"), rgb[..., :1], soft(4, 3, 0), {})
    cfg = validate({**FAST, "train_sources": "real+mixup", "artifacts_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="set 'mixup' at .* has 3-channel images but dataset 'digits' has 1"):
        load_train_sources(cfg, digits)
    cfg = validate({**FAST, "train_sources": "gemix", "artifacts_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="set 'gemix' at .* has 3 classes but dataset 'digits' has 10"):
        load_train_sources(cfg, digits)


def test_subset_caps_each_set(tmp_path: Path, digits: DatasetArrays) -> None:
    save_set(set_dir(tmp_path, "mmixup"), np.zeros((50, 8, 8, 1), np.uint8), soft(50, 10, 0), {})
    cfg = validate({**FAST, "train_sources": "real+mmixup", "artifacts_dir": str(tmp_path), "subset": 20})
    images, labels = load_train_sources(cfg, digits.subset(20))
    assert len(images) == len(labels) == 20 + 20
