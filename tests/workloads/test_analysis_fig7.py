"""Fig. 7: local-PCA ellipses and a held-out test point's k-NN on the crescents."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workloads.analysis.local_id_illustration import ellipse_table, fig7, neighbour_table, neighbourhood_ellipse
from workloads.analysis.plots_synthetic import plot_fig7


@pytest.fixture(scope="module")
def panels():
    return fig7(n=128, n_test=12, n_anchors=2, gamma=2.8)


def test_ellipse_of_a_line_has_id_one_and_follows_it():
    t = np.linspace(0, 1, 10)
    e = neighbourhood_ellipse(np.stack([t, 2 * t], axis=1))
    assert e.local_id == 1 and e.height < 1e-6 and np.isclose(np.tan(np.radians(e.angle)), 2.0)
    assert np.isclose(e.width, 2 * 2 * np.sqrt(np.var(t, ddof=1) * 5))
    blob = neighbourhood_ellipse(np.random.default_rng(0).normal(size=(50, 2)))
    assert blob.local_id == 2 and blob.width >= blob.height


def test_panels_share_anchors_and_test_points(panels):
    assert [p.points.spec.label for p in panels] == ["original", "mixup", "zeta γ=2.8"]
    for p in panels:
        assert np.array_equal(p.anchors, panels[0].anchors) and np.array_equal(p.test_x, panels[0].test_x)
        assert p.neighbours[8].shape == (12, 8) and p.neighbours[16].shape == (12, 16)
        assert len(p.ellipses) == 2
        # Neighbour lists are nearest first and the 8-NN are the first 8 of the 16-NN.
        d = np.linalg.norm(p.points.x[p.neighbours[16]] - p.test_x[:, None], axis=2)
        assert np.all(np.diff(d, axis=1) >= -1e-6)
        assert np.array_equal(p.neighbours[16][:, :8], p.neighbours[8])


def test_tables(panels):
    nt = neighbour_table(panels)
    assert len(nt) == 3 * 2 * 12 and nt.shown.sum() == 3 * 2
    assert nt.agreement.between(0, 1).all()
    et = ellipse_table(panels)
    assert list(et.columns) == ["method", "gamma", "anchor", "cx", "cy", "width", "height", "angle", "local_id"]
    assert len(et) == 6 and et.local_id.isin([0, 1, 2]).all()


def test_plot(tmp_path, panels):
    path = plot_fig7(panels, tmp_path / "fig7.png", dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > im.size[1]
    with pytest.raises(ValueError, match="show must index"):
        fig7(n=64, n_test=4, show=4)
