"""Fig. 3 pieces on fabricated grey images: the LeNet-5 oracle, realism/CE, montages, plots."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch import nn

from workloads.analysis.batch_mixing import MixSpec
from workloads.analysis.lenet import LeNet5, accuracy, as_model_input, predict_proba, train_lenet
from workloads.analysis.montage import (
    first_per_class, mix_images, montage, plot_montages, sample_indices, save_montage, soft_label_table,
)
from workloads.analysis.plots_realism import pick_examples, plot_realism, plot_soft_label_examples
from workloads.analysis.realism import entropy, label_cross_entropy, realism_scores, realism_table

K = 4


def region(c: int) -> tuple[slice, slice]:
    """Class c lights one 10x10 quadrant-ish block of the 28x28 image."""
    r, q = divmod(c, 2)
    return slice(3 + 12 * r, 13 + 12 * r), slice(3 + 12 * q, 13 + 12 * q)


def fabricate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % K
    x = rng.integers(0, 40, size=(n, 28, 28, 1)).astype(np.uint8)
    for i, c in enumerate(labels):
        x[i][region(c)] = rng.integers(180, 256)
    return x, labels.astype(np.int64)


class RegionOracle(nn.Module):
    """A linear oracle: class c's logit is 40 x the mean brightness of region c."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(40.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * torch.stack([x[:, 0][:, rs, cs].mean(dim=(1, 2)) for rs, cs in map(region, range(K))], 1)


@pytest.fixture(autouse=True)
def one_thread():
    # Two shared cores: one thread avoids oversubscription (conftest restores the count).
    torch.set_num_threads(1)


def test_lenet_learns_and_is_reproducible():
    x, y = fabricate(320, 0)
    xt, yt = fabricate(80, 1)
    model = train_lenet(x, y, epochs=2, batch_size=32, num_classes=K, seed=3)
    assert accuracy(model, xt, yt) > 0.9
    again = train_lenet(x, y, epochs=2, batch_size=32, num_classes=K, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    probs = predict_proba(model, xt)
    assert probs.shape == (80, K) and np.allclose(probs.sum(axis=1), 1.0)
    assert LeNet5()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_model_input_forms_agree():
    x, _ = fabricate(3, 2)
    a = as_model_input(x)
    assert a.shape == (3, 1, 28, 28) and float(a.max()) <= 1.0
    assert torch.equal(a, as_model_input(x[..., 0])) and torch.equal(a, as_model_input(a))
    with pytest.raises(ValueError, match="grey"):
        as_model_input(np.zeros((2, 28, 28, 3), dtype=np.uint8))


def test_entropy_and_label_cross_entropy():
    assert np.allclose(entropy(np.full((2, 10), 0.1)), np.log(10)) and np.allclose(entropy(np.eye(3)), 0)
    probs = np.array([[0.1, 0.9], [0.8, 0.2]])
    soft = np.array([[0.25, 0.75], [0.0, 1.0]])
    assert np.allclose(label_cross_entropy(soft, probs), [-np.log(0.75), -np.log(1e-7)])
    assert np.allclose(label_cross_entropy(soft, probs, eps=1e-3), [-np.log(0.75), -np.log(1e-3)])


def test_realism_scores_align_images_and_labels():
    # A linear oracle reading class c from region c sees exactly the class the soft label weighs
    # most: any misalignment of images and labels would break this.
    x, y = fabricate(120, 4)
    specs = (MixSpec("original"), MixSpec("mixup"), MixSpec("zeta", gamma=2.4), MixSpec("zeta", gamma=4.0))
    scores = realism_scores(RegionOracle(), x, y, specs, num_classes=K, batch_size=40)
    assert len(scores) == 4 * 120
    assert (scores["label_class"] == scores["oracle_class"]).all()
    orig = scores[scores.method == "original"]
    assert (orig["ce"] == 0).all()
    zeta4 = scores[(scores.method == "zeta") & (scores.gamma == 4.0)]
    assert zeta4["ce"].max() < -np.log(0.9)  # dominant weight 1/ζ_40(4) ≈ 0.92


def test_realism_table_columns_and_values():
    x, y = fabricate(80, 5)
    table = realism_table(realism_scores(RegionOracle(), x, y, num_classes=K, batch_size=40))
    assert list(table.columns) == [
        "method", "gamma", "n", "mean_entropy", "median_entropy", "frac_entropy_below", "mean_ce",
        "median_ce", "frac_label_zero", "mean_ce_realistic", "median_ce_realistic", "agreement",
    ]
    assert list(table.method) == ["mixup", "zeta", "zeta", "zeta"] and list(table.gamma[1:]) == [2.4, 2.8, 4.0]
    assert (table.n == 80).all() and (table.agreement == 1.0).all()
    # Larger γ: the soft label concentrates on the dominant class, so CE falls.
    z = table[table.method == "zeta"].set_index("gamma")
    assert z.loc[4.0, "mean_ce"] < z.loc[2.8, "mean_ce"] < z.loc[2.4, "mean_ce"]


def test_first_per_class_and_sample_indices():
    labels = np.array([2, 0, 1, 0, 2, 1, 1, 0, 2])
    assert list(first_per_class(labels, per_class=2)) == [1, 3, 2, 5, 0, 4]
    with pytest.raises(ValueError, match="fewer than per_class"):
        first_per_class(labels, per_class=4)
    idx = sample_indices(1000, 100, seed=1)
    assert len(set(idx)) == 100 and list(idx) == sorted(idx) and np.array_equal(idx, sample_indices(1000, 100, seed=1))


def test_montage_places_image_i_in_cell_i():
    imgs = np.stack([np.full((3, 4, 1), i, dtype=np.uint8) for i in range(7)])
    grid = montage(imgs, ncols=3, pad=1, pad_value=255)
    assert grid.shape == (3 * 4 + 1, 3 * 5 + 1, 1)
    for i in range(7):
        r, q = divmod(i, 3)
        assert (grid[1 + r * 4 : 1 + r * 4 + 3, 1 + q * 5 : 1 + q * 5 + 4] == i).all()
    assert (grid[9:12, 6:10] == 255).all()  # cell 7 of 9 is empty padding


def test_mix_images_keeps_zeta_outputs_in_their_cells(tmp_path):
    x, y = fabricate(40, 6)
    mixed = mix_images(x, y, num_classes=K)
    assert list(mixed) == ["original", "mixup", "zeta γ=2.4", "zeta γ=2.8", "zeta γ=4"]
    for imgs, soft in mixed.values():
        assert imgs.dtype == np.uint8 and imgs.shape == x.shape and soft.shape == (40, K)
    out = mixed["zeta γ=4"][0].reshape(40, -1).astype(float)
    d = ((out[:, None] - x.reshape(40, -1)[None].astype(float)) ** 2).sum(-1)
    assert np.array_equal(d.argmin(axis=1), np.arange(40))
    table = soft_label_table(mixed, y)
    assert len(table) == 5 * 40 and {"panel", "index", "source_label", "label_class", "p_0", "p_3"} <= set(table.columns)
    path = plot_montages(mixed, tmp_path / "m.png", ncols=8, dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 3 * im.size[1]


def test_realism_plots(tmp_path):
    x, y = fabricate(60, 7)
    scores = realism_scores(RegionOracle(), x, y, num_classes=K, batch_size=30)
    flat = pd.DataFrame({"method": "original", "gamma": np.nan, "index": range(5), "entropy": 0.0, "ce": 0.0})
    path = plot_realism(pd.concat([scores, flat], ignore_index=True), tmp_path / "fg.png", num_classes=K, dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG"
    picks = pick_examples(scores, "zeta", 2.8, count=3)
    sub = scores[(scores.method == "zeta") & (scores.gamma == 2.8)]
    assert set(sub.nsmallest(3, "entropy")["index"]) == set(picks)
    mixed = mix_images(x, y, num_classes=K)
    path = plot_soft_label_examples(mixed, {"mixup": [0, 1], "zeta γ=2.8": picks}, tmp_path / "de.png", dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG"
    with pytest.raises(ValueError, match="no scores"):
        pick_examples(scores, "zeta", 9.0)


def test_rgb_montages_at_full_resolution(tmp_path):
    rgb = np.random.default_rng(8).integers(0, 256, size=(12, 9, 7, 3), dtype=np.uint8)
    mixed = mix_images(rgb, np.arange(12) % 3, seed=1)
    assert mixed["zeta γ=4"][0].shape == rgb.shape
    path = save_montage(mixed["mixup"][0], tmp_path / "isic" / "mixup.png", ncols=4, pad=1)
    with Image.open(path) as im:
        assert im.mode == "RGB" and im.size == (4 * 8 + 1, 3 * 10 + 1)
        assert np.array_equal(np.asarray(im), montage(mixed["mixup"][0], ncols=4, pad=1))
    with Image.open(plot_montages(mixed, tmp_path / "all.png", ncols=4, dpi=30)) as im:
        assert im.format == "PNG"
