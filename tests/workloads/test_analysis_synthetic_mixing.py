"""Fig. 2 arrays, tables and PNGs on small point sets."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workloads.analysis.plots_synthetic import plot_fig2a, plot_fig2b, plot_fig2c
from workloads.analysis.synthetic_mixing import fig2a, fig2b, fig2c, points_table, summary_table


@pytest.fixture(scope="module")
def two_d():
    return fig2a(gammas=(2.4, 12.0), n=128)


def test_fig2a_panels_in_order_with_soft_labels(two_d):
    assert [(m.dataset, m.spec.label) for m in two_d] == [
        (d, s) for d in ("crescents", "spirals") for s in ("original", "zeta γ=2.4", "zeta γ=12", "mixup")
    ]
    for m in two_d:
        assert m.x.shape == (128, 2) and m.p1.shape == (128,) and np.all((0 <= m.p1) & (m.p1 <= 1))
    orig = two_d[0]
    assert np.array_equal(orig.p1, orig.labels.astype(float))


def test_large_gamma_stays_on_the_data_and_keeps_labels(two_d):
    s = summary_table(two_d).set_index(["dataset", "method", "gamma"], drop=False)
    for d in ("crescents", "spirals"):
        near = s.loc[(d, "zeta", 12.0)]
        assert near["mean_nn_distance"] < 1e-3 and near["label_error"] == 0.0
    orig = s[s.method == "original"]
    assert (orig.mean_nn_distance == 0).all() and orig.label_error.isna().all()


def test_points_table_holds_every_point(two_d):
    t = points_table(two_d)
    assert len(t) == 8 * 128
    assert {"dataset", "method", "gamma", "t", "index", "x0", "x1", "label", "p_class1"} <= set(t.columns)
    assert t[t.method == "mixup"].gamma.isna().all()


def test_fig2b_and_fig2c_on_a_small_helix():
    b = fig2b(gammas=(2.0, 6.0), n=256)
    assert [m.spec.label for m in b] == ["original", "zeta γ=2", "zeta γ=6", "mixup"]
    assert all(m.x.shape == (256, 3) and m.p1 is None for m in b)
    dist = summary_table(b).set_index("gamma", drop=False)
    # γ = 6 lands much closer to the helix than γ = 2 (the paper's "almost perfectly on" it).
    assert dist.loc[6.0, "mean_nn_distance"] < dist.loc[2.0, "mean_nn_distance"] / 5
    c = fig2c(ts=(2, 8), gammas=(2.0, 6.0), n=256)
    assert [(m.spec.t, m.spec.gamma) for m in c[1:]] == [(2, 2.0), (2, 6.0), (8, 2.0), (8, 6.0)]
    assert np.array_equal(c[0].x, b[0].x)


def test_pngs_are_written(tmp_path, two_d):
    a = plot_fig2a(two_d, tmp_path / "a.png", dpi=40)
    b = plot_fig2b(fig2b(gammas=(4.0,), n=64), tmp_path / "sub" / "b.png", dpi=40)
    c = plot_fig2c(fig2c(ts=(2, 4), gammas=(2.0,), n=64), tmp_path / "c.png", dpi=40)
    for p in (a, b, c):
        with Image.open(p) as im:
            assert im.format == "PNG" and min(im.size) > 40
            assert np.asarray(im.convert("L")).std() > 1  # something was drawn
