"""The analysis point sets: sizes, dimensions, and the authors' demo points reproduced."""
from __future__ import annotations

import numpy as np
import pytest

from workloads.analysis.point_sets import POINT_SETS, point_set


@pytest.mark.parametrize("name, n, d", [
    ("crescents", 512, 2), ("spirals", 512, 2), ("helix", 8192, 3), ("helix-torus", 8192, 3),
    ("paraboloid-12d", 8192, 12),
])
def test_default_sizes_and_dimensions(name, n, d):
    x, y = point_set(name)
    assert x.shape == (n, d) and x.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64


def test_crescents_are_the_authors_demo_points():
    from sklearn.datasets import make_moons

    np.random.seed(42)  # what demo_2d_halfmoons.py does before make_moons(512, noise=0.1)
    demo, labels = make_moons(n_samples=512, noise=0.1)
    x, y = point_set("crescents")
    assert np.allclose(x, demo, atol=1e-6) and np.array_equal(y, labels)


def test_helix_is_the_demo_spiral_curve():
    x, _ = point_set("helix", n=500)
    # (100 cos t, 100 sin t, t): radius 100 around the z axis, t = z in [0, 10π).
    assert np.allclose(np.hypot(x[:, 0], x[:, 1]), 100.0, rtol=1e-5)
    assert x[:, 2].min() >= 0 and x[:, 2].max() < 10 * np.pi
    assert np.allclose(np.arctan2(x[:, 1], x[:, 0]), np.angle(np.exp(1j * x[:, 2])), atol=1e-4)


def test_paraboloid_is_three_dimensional_in_r12():
    x, _ = point_set("paraboloid-12d", n=400)
    base = x[:, :3]
    # Every coordinate is a function of the first three (the manifold is 3-D).
    assert np.allclose(x[:, 3], (base**2).sum(axis=1), rtol=1e-5)
    assert np.allclose(x[:, 4:8], np.sin(x[:, :4]), atol=1e-6)
    assert np.allclose(x[:, 8:12], x[:, :4] ** 2, rtol=1e-5)


def test_seed_changes_the_points_and_names_are_checked():
    assert not np.array_equal(point_set("spirals", seed=1)[0], point_set("spirals", seed=2)[0])
    with pytest.raises(ValueError, match="point set must be one of"):
        point_set("moons")
    assert set(POINT_SETS) == {"crescents", "spirals", "helix", "helix-torus", "paraboloid-12d"}
