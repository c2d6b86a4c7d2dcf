"""Pointwise local PCA ID: the batched backend equals scikit-dimension's lPCA.fit_pw, known IDs."""
from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch

from workloads.analysis.batch_mixing import MixSpec, mix_dataset
from workloads.analysis.local_id import (
    images_as_points, knn_brute_force, knn_indices, local_id, local_id_multi_k, local_id_sweep,
)
from workloads.analysis.point_sets import point_set
from workloads.data import synthetic


@cache
def sets() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    helix = point_set("helix", n=300)[0]
    return {
        "helix": helix,
        "paraboloid": point_set("paraboloid-12d", n=300)[0],
        "gauss-20d": rng.normal(size=(200, 20)).astype(np.float32),
        "images-48d": images_as_points(rng.integers(0, 256, size=(150, 4, 4, 3), dtype=np.uint8)),
        "helix-mixup": mix_dataset(helix, np.ones((300, 1)), MixSpec("mixup"))[0],
        "helix-zeta": mix_dataset(helix, np.ones((300, 1)), MixSpec("zeta", gamma=2.8))[0],
    }


@pytest.mark.parametrize("name", list(sets()))
@pytest.mark.parametrize("k", [8, 40])
def test_torch_backend_equals_skdim_fit_pw(name, k):
    x = sets()[name]
    assert np.array_equal(local_id(x, k, backend="torch"), local_id(x, k, backend="skdim"))


@pytest.mark.parametrize("name", ["gauss-20d", "images-48d", "helix-zeta"])
def test_gram_path_equals_per_neighbourhood_path(name):
    x = torch.as_tensor(sets()[name], dtype=torch.float64)
    with_gram = local_id_multi_k(x, (8, 16))
    without = local_id_multi_k(x, (8, 16), gram_max_points=0)
    assert all(np.array_equal(with_gram[k], without[k]) for k in (8, 16))


def test_gram_path_reports_copies_as_id_zero():
    x = torch.as_tensor(np.repeat(np.random.default_rng(3).normal(size=(4, 30)), 10, axis=0) * 1e3)
    assert np.all(local_id_multi_k(x, (8,))[8] == 0)


def test_brute_force_neighbours_equal_scikit_learn():
    x = torch.as_tensor(np.random.default_rng(1).normal(size=(300, 7)))
    assert torch.equal(knn_brute_force(x, 12, chunk_elems=9000), knn_indices(x, 12))


def test_linear_subspaces_have_their_dimension():
    rng = np.random.default_rng(2)
    plane = rng.uniform(size=(400, 2)) @ rng.normal(size=(2, 6))
    line = rng.uniform(size=(400, 1)) @ rng.normal(size=(1, 6))
    assert np.all(local_id(plane, 16) == 2) and np.all(local_id(line, 16) == 1)


def test_copies_of_one_point_have_id_zero():
    x = np.repeat(np.random.default_rng(3).normal(size=(4, 5)), 10, axis=0) * 1e3
    assert np.all(local_id(x, 8) == 0)


def test_an_isometric_embedding_changes_nothing():
    # Why the 12-D set is the 3-D paraboloid: a helix mapped into R^12 by an orthonormal map
    # has exactly the local IDs of the helix in R^3.
    x3, _ = synthetic.helix(n=600, dim=3, seed=4)
    x12, _ = synthetic.helix(n=600, dim=12, seed=4)
    for k in (8, 64):
        assert np.array_equal(local_id(x3.astype(np.float64), k), local_id(x12.astype(np.float64), k))


def test_sweep_rows_and_columns():
    data = {"a": point_set("helix", n=192)[0], "b": point_set("crescents", n=120)[0]}
    df = local_id_sweep(data, ks=(8, 16), gammas=[0.0, 2.8], batch_size=32)
    assert list(df.columns) == ["dataset", "k", "method", "gamma", "mean", "std", "n"]
    assert len(df) == 2 * 2 * 4
    orig = df[df.method == "original"]
    assert orig.gamma.isna().all() and set(df[df.method == "zeta"].gamma) == {0.0, 2.8}
    assert set(df[df.dataset == "b"].n) == {120}
    # The original crescents are noisy 2-D points: their local ID is between 1 and 2.
    assert ((orig["mean"] >= 1) & (orig["mean"] <= 2)).all()
    # γ = 0 collapses each batch (32, 32, ..., last 24) onto its mean: 8-NN of copies, ID 0.
    zero = df[(df.method == "zeta") & (df.gamma == 0.0) & (df.k == 8)]
    assert (zero["mean"] == 0).all()


def test_images_as_points():
    imgs = np.random.default_rng(5).integers(0, 256, size=(50, 4, 4, 3), dtype=np.uint8)
    pts = images_as_points(imgs)
    assert pts.shape == (50, 48) and pts.dtype == np.float32 and 0 <= pts.min() and pts.max() <= 1
    sub = images_as_points(imgs, n=10, seed=1)
    assert sub.shape == (10, 48) and np.array_equal(sub, images_as_points(imgs, n=10, seed=1))
    with pytest.raises(ValueError, match="uint8"):
        images_as_points(imgs.astype(np.float32))


@pytest.mark.parametrize("kwargs, match", [({"backend": "numpy"}, "backend must be one of"), ({"alpha": 1.5}, "alpha")])
def test_local_id_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        local_id(np.zeros((20, 3)), 4, **kwargs)


def test_plot_local_id_draws_every_panel(tmp_path):
    from PIL import Image

    from workloads.analysis.plots_local_id import plot_local_id

    df = local_id_sweep({"helix": point_set("helix", n=96)[0]}, ks=(4, 8), gammas=[0.0, 3.0, 9.0])
    path = plot_local_id(df, tmp_path / "fig6.png", dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > im.size[1]  # two k columns, one dataset row
    with pytest.raises(ValueError, match="lacks column"):
        plot_local_id(df.drop(columns="std"), tmp_path / "x.png")
