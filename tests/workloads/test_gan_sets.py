"""Image sets on disk, the mixup / MMixup baseline sets, GeMix sets and training sources."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from workloads.data.types import Split
from workloads.gan.config import GanConfig
from workloads.gan.sets import (
    SoftSet,
    as_training_source,
    gemix_set,
    is_set,
    load_set,
    mixup_set,
    mmixup_set,
    save_set,
)
from workloads.gan.train import GanTraining

K = 3
LEVELS = np.array([0.0, 100.0, 250.0])  # class k images are constant LEVELS[k]


def constant_real(per_class: int = 20, size: int = 8) -> Split:
    """Class k images are filled with LEVELS[k], so a mixed pixel reveals the mixing weights."""
    labels = np.repeat(np.arange(K), per_class)
    images = np.broadcast_to(LEVELS[labels][:, None, None, None], (len(labels), size, size, 1)).astype(np.uint8)
    return Split(images.copy(), labels)


def assert_distributions(labels: np.ndarray) -> None:
    assert labels.dtype == np.float32
    assert (labels >= -1e-7).all() and np.allclose(labels.sum(1), 1, atol=1e-5)


def assert_pixels_mixed_by_labels(s: SoftSet) -> None:
    """Every pixel equals sum_k y_k LEVELS[k] up to uint8 rounding: images and labels share the weights."""
    expected = s.soft_labels.astype(np.float64) @ LEVELS
    pixels = s.images.reshape(len(s), -1).astype(np.float64)
    assert np.abs(pixels - expected[:, None]).max() <= 0.5 + 1e-3


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    labels = rng.dirichlet(np.ones(K), size=5).astype(np.float32)
    d = tmp_path / "set"
    assert not is_set(d)
    save_set(d, images, labels, {"kind": "test", "seed": 4})
    assert is_set(d)
    s = load_set(d)
    assert np.array_equal(s.images, images) and np.array_equal(s.soft_labels, labels)
    assert s.meta["kind"] == "test" and s.meta["n"] == 5 and s.meta["num_classes"] == K
    assert s.meta["image_shape"] == [4, 4, 3]
    assert np.array_equal(load_set(d, mmap=True).images, images)
    assert json.loads((d / "meta.json").read_text())["seed"] == 4


def test_invalid_sets_are_refused(tmp_path):
    images = np.zeros((2, 4, 4, 1), np.uint8)
    with pytest.raises(ValueError, match="probability"):
        save_set(tmp_path / "a", images, np.array([[0.5, 0.6], [1.0, 0.0]]), {})
    with pytest.raises(ValueError, match="uint8"):
        save_set(tmp_path / "b", images.astype(np.float32), np.eye(2), {})
    with pytest.raises(ValueError, match="not a mixbench image set"):
        load_set(tmp_path / "missing")


def test_mixup_set_uses_beta_weights_on_pixels_and_labels():
    s = mixup_set(constant_real(), K, 400, alpha=0.4, seed=1)
    assert s.images.shape == (400, 8, 8, 1) and s.meta["kind"] == "mixup" and s.meta["alpha"] == 0.4
    assert_distributions(s.soft_labels)
    assert ((s.soft_labels > 1e-6).sum(1) <= 2).all()  # two images per sample
    assert_pixels_mixed_by_labels(s)
    # Beta(0.4, 0.4) is U-shaped: many samples lie close to one of the two images.
    top = s.soft_labels.max(1)
    assert (top > 0.9).mean() > 0.3
    again = mixup_set(constant_real(), K, 400, alpha=0.4, seed=1)
    assert np.array_equal(again.images, s.images) and np.array_equal(again.soft_labels, s.soft_labels)


def test_mmixup_set_mixes_one_image_per_class():
    s = mmixup_set(constant_real(), K, 70, seed=0, batch_size=30)
    assert s.images.shape == (70, 8, 8, 1) and s.meta["kind"] == "mmixup"
    assert_distributions(s.soft_labels)
    assert ((s.soft_labels > 0).sum(1) == K).all()  # every class contributes
    assert_pixels_mixed_by_labels(s)
    # Dirichlet weights are soft: no sample is a copy of one real image.
    assert (s.soft_labels.max(1) < 1.0).all()
    again = mmixup_set(constant_real(), K, 70, seed=0, batch_size=30)
    assert np.array_equal(again.soft_labels, s.soft_labels)


def test_gemix_set_records_generator_hash(tmp_path):
    cfg = GanConfig.from_flat(dict(resolution=16, channel_base=128, channel_max=16, z_dim=8, w_dim=8,
                                   batch_size=4, device="cpu", grid_cols=1))
    real = constant_real(4, 16)
    run = GanTraining(cfg, real.images, real.labels, K)
    ckpt = tmp_path / "ckpt"
    run.write_checkpoint(ckpt)
    s = gemix_set(ckpt, K, 12, seed=5, batch_size=5, progress=False)
    assert s.images.shape == (12, 16, 16, 1)
    assert_distributions(s.soft_labels)
    assert s.meta["generator_sha256"] == hashlib.sha256((ckpt / "state.pt").read_bytes()).hexdigest()
    assert s.meta["seed"] == 5 and s.meta["a_dominant"] == 2.0 and s.meta["a_other"] == 1.0
    assert s.meta["batch_size"] == 5 and s.meta["z_dim"] == 8 and s.meta["generator"] == str(ckpt.resolve())
    # num_classes=None takes the generator's c_dim; the same seed and batch size give the same set.
    again = gemix_set(ckpt, None, 12, seed=5, batch_size=5, progress=False)
    assert np.array_equal(again.images, s.images) and np.array_equal(again.soft_labels, s.soft_labels)
    d = save_set(tmp_path / "gemix", s.images, s.soft_labels, s.meta)
    assert load_set(d).meta["generator_sha256"] == s.meta["generator_sha256"]


def test_as_training_source_concatenates_real_and_sets(tmp_path):
    real = constant_real(5)
    mix = mixup_set(real, K, 7, seed=0)
    d = save_set(tmp_path / "mix", mix.images, mix.soft_labels, mix.meta)
    images, labels = as_training_source([real, d, mix], K)
    assert images.dtype == np.uint8 and images.shape == (15 + 7 + 7, 8, 8, 1)
    assert labels.dtype == np.float32 and labels.shape == (29, K)
    assert np.array_equal(labels[:15], np.eye(K, dtype=np.float32)[real.labels])
    assert np.array_equal(labels[15:22], mix.soft_labels) and np.array_equal(images[22:], mix.images)
    other = SoftSet(np.zeros((2, 4, 4, 1), np.uint8), np.full((2, K), 1 / K, np.float32))
    with pytest.raises(ValueError, match="image shape"):
        as_training_source([real, other], K)
    with pytest.raises(ValueError, match="num_classes"):
        as_training_source([mix], K + 1)
    # The arrays feed a float (N, C, H, W) batch and soft targets, as a classifier trains on them.
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    assert x.shape == (29, 1, 8, 8)


def test_mixup_set_pairs_half_of_its_images_within_a_class_as_the_authors():
    """Same-class pairs keep a one-hot label (lam e_k + (1 - lam) e_k); the others mix two classes."""
    real = constant_real(per_class=10)
    s = mixup_set(real, K, 4000, alpha=0.4, seed=3, same_class_ratio=0.5)
    one_hot_rows = np.isclose(s.soft_labels.max(1), 1.0, atol=1e-6)
    two_classes = (s.soft_labels > 1e-6).sum(1) == 2
    assert 0.47 < one_hot_rows.mean() < 0.53 and s.meta["same_class_pairs"] == pytest.approx(one_hot_rows.mean(), abs=0.01)
    assert (one_hot_rows | two_classes).all() and s.meta["same_class_ratio"] == 0.5
    assert_pixels_mixed_by_labels(s)
    # Partners of a same-class pair are two different images (distinct rows of a class's images).
    from workloads.gan.sets import mixup_pairs

    i, j, same = mixup_pairs(real.labels, K, 2000, 0.5, torch.Generator().manual_seed(0))
    assert (i[same] != j[same]).all() and (real.labels[i] == real.labels[j]).tolist() == same.tolist()
    # Classes are drawn uniformly in both kinds of pairs (not in proportion to their images).
    uneven = Split(real.images[5:], real.labels[5:])
    i, j, _ = mixup_pairs(uneven.labels, K, 6000, 0.5, torch.Generator().manual_seed(1))
    assert np.allclose(np.bincount(uneven.labels[i], minlength=K) / 6000, 1 / K, atol=0.03)
    uniform = mixup_set(real, K, 4000, alpha=0.4, seed=3)  # None: both images uniform over the split
    assert 0.30 < np.isclose(uniform.soft_labels.max(1), 1.0, atol=1e-6).mean() < 0.37


def test_gemix_set_samples_with_the_noise_mode_asked_for(tmp_path):
    cfg = GanConfig.from_flat(dict(resolution=16, channel_base=128, channel_max=16, z_dim=8, w_dim=8,
                                   batch_size=4, device="cpu", grid_cols=1))
    real = constant_real(4, 16)
    run = GanTraining(cfg, real.images, real.labels, K)
    with torch.no_grad():  # noise that shows: a fresh generator's noise strength is zero
        for name, param in run.G_ema.named_parameters():
            if name.endswith("noise_strength"):
                param.fill_(2.0)
    run.write_checkpoint(tmp_path / "ckpt")
    const = gemix_set(tmp_path / "ckpt", K, 8, seed=5, batch_size=8, progress=False, noise_mode="const")
    const_small = gemix_set(tmp_path / "ckpt", K, 8, seed=5, batch_size=3, progress=False, noise_mode="const")
    random_noise = gemix_set(tmp_path / "ckpt", K, 8, seed=5, batch_size=8, progress=False, noise_mode="random")
    assert const.meta["noise_mode"] == "const" and random_noise.meta["noise_mode"] == "random"
    assert np.array_equal(const.images, const_small.images)  # fixed noise: the batch size no longer matters
    assert not np.array_equal(const.images, random_noise.images)
