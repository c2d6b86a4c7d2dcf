"""Fig. 8 analysis on small fabricated features and predictions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.spatial.distance import cdist

from workloads.analysis.neighbourhoods import (
    agreement_summary, cosine_knn, fig8_candidates, neighbourhood_analysis, neighbourhood_tsne,
)
from workloads.analysis.plots_neighbourhoods import plot_fig8


def test_candidates_are_missed_by_erm_and_mixup_and_hit_by_every_zeta():
    y = np.array([0, 1, 2, 0, 1, 2])
    preds = {
        "erm":        np.array([1, 0, 2, 1, 0, 0]),
        "mixup":      np.array([1, 0, 2, 1, 1, 0]),
        "zeta γ=2.4": np.array([0, 1, 2, 0, 1, 1]),
        "zeta γ=2.8": np.array([0, 1, 0, 0, 1, 2]),
    }
    # 0 and 3: both wrong, both ζ right; 1: ERM and mixup wrong, both ζ right; 5: ζ 2.4 wrong.
    assert list(fig8_candidates(y, preds)) == [0, 1, 3]
    assert list(fig8_candidates(y, preds, zeta=["zeta γ=2.8"])) == [0, 1, 3, 5]
    with pytest.raises(ValueError, match="missing"):
        fig8_candidates(y, {"erm": y, "mixup": y})
    with pytest.raises(ValueError, match="shape"):
        fig8_candidates(y, {**preds, "mixup": y[:3]})


def test_cosine_knn_matches_scipy_and_ignores_scale():
    rng = np.random.default_rng(0)
    q, f = rng.normal(size=(7, 5)), rng.normal(size=(40, 5))
    idx, dist = cosine_knn(q, f, 6)
    want = np.argsort(cdist(q, f, "cosine"), axis=1, kind="stable")[:, :6]
    assert np.array_equal(idx, want)
    assert np.allclose(dist, np.take_along_axis(cdist(q, f, "cosine"), want, axis=1))
    assert np.array_equal(cosine_knn(3 * q, 0.5 * f, 6)[0], idx)
    _, d0 = cosine_knn(np.zeros((1, 5)), f, 3)
    assert np.allclose(d0, 1.0)
    with pytest.raises(ValueError, match="k must be"):
        cosine_knn(q, f, 41)


def clusters(rng, labels_wrong: float) -> tuple[np.ndarray, np.ndarray]:
    """300 synthesised samples around the 3 axes of R^3; a fraction carries a wrong label."""
    cls = np.repeat(np.arange(3), 100)
    feats = np.eye(3)[cls] + 0.05 * rng.normal(size=(300, 3))
    lab = cls.copy()
    flip = rng.random(300) < labels_wrong
    lab[flip] = (lab[flip] + 1) % 3
    soft = np.eye(3)[lab] * 0.7 + 0.1
    return feats, soft


def test_neighbourhood_analysis_counts_correctly_labelled_neighbours():
    rng = np.random.default_rng(1)
    test_y = np.array([0, 1, 2, 0])
    test_f = np.eye(3)[test_y] + 0.01
    fm, sm = clusters(rng, 0.4)
    fz, sz = clusters(rng, 0.0)
    table, nb = neighbourhood_analysis(
        test_y, np.array([0, 2, 3]), {"mixup": test_f, "zeta": test_f},
        {"mixup": fm, "zeta": fz}, {"mixup": sm, "zeta": sz}, k=50,
    )
    assert list(table.columns) == ["method", "test_index", "test_label", "k", "n_correct", "agreement", "mean_distance"]
    assert nb["mixup"].shape == (3, 50) and len(table) == 6
    z = table[table.method == "zeta"]
    assert (z.n_correct == 50).all() and (z.agreement == 1.0).all()
    m = table[table.method == "mixup"]
    # The 50 nearest are the test class's own cluster, of which ~60 % keep their label.
    assert m.agreement.between(0.4, 0.8).all()
    want = [(sm.argmax(1)[nb["mixup"][j]] == test_y[t]).sum() for j, t in enumerate([0, 2, 3])]
    assert list(m.n_correct) == want

    summary = agreement_summary(table).set_index("method")
    total_m = int(m.n_correct.sum())
    assert summary.loc["zeta", "total_correct"] == 150
    assert np.isclose(summary.loc["zeta", "pct_more_than_reference"], 100 * (150 / total_m - 1))
    assert summary.loc["zeta", "n_more_than_reference"] == 3 and summary.loc["mixup", "n_more_than_reference"] == 0
    with pytest.raises(ValueError, match="reference"):
        agreement_summary(table, reference="erm")


def test_tsne_and_plot(tmp_path):
    rng = np.random.default_rng(2)
    test_y = np.array([0, 1, 2])
    fz, sz = clusters(rng, 0.1)
    test_f = {"zeta": np.eye(3)[test_y] + 0.02}
    _, nb = neighbourhood_analysis(test_y, np.arange(3), test_f, {"zeta": fz}, {"zeta": sz}, k=10)
    emb = neighbourhood_tsne(test_y, np.arange(3), test_f, {"zeta": fz}, {"zeta": sz}, nb, max_iter=250, seed=0)
    assert list(emb.columns) == ["method", "kind", "sample", "label", "x", "y"]
    assert (emb.kind == "test").sum() == 3 and (emb.kind == "train").sum() == len(np.unique(nb["zeta"]))
    assert np.isfinite(emb[["x", "y"]].to_numpy()).all()
    again = neighbourhood_tsne(test_y, np.arange(3), test_f, {"zeta": fz}, {"zeta": sz}, nb, max_iter=250, seed=0)
    pd.testing.assert_frame_equal(emb, again)
    path = plot_fig8(emb, tmp_path / "fig8.png", class_names=["MEL", "NEV", "SK"], dpi=40)
    with Image.open(path) as im:
        assert im.format == "PNG"
