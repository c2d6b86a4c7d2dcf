"""The figure trainables on generated point sets: Fig. 2 (crescents, the helix), Fig. 6 (the helix, an image
set) and Fig. 7, their files, their claims and their configs; the shared summary machinery."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workloads.figures import fig2, fig6, fig7
from workloads.figures.base import SUMMARY_FILE, FigureConfig, Summary, check_gammas
from workloads.figures.fig6 import relation_ranges, ranges_text
from workloads.figures.point_sets import analysed_set, trial_points


def run(module, artifacts, **keys):
    reports = []
    final = module.train({"artifacts_dir": str(artifacts), "device": "cpu", "num_threads": 1, **keys},
                         lambda metrics, checkpoint: reports.append((metrics, checkpoint)))
    config = module.Config.from_flat({"artifacts_dir": str(artifacts), **keys})
    return final, reports, json.loads((config.out_dir / SUMMARY_FILE).read_text()), config.out_dir


def test_a_summary_reports_once_and_counts_the_claims_it_could_judge(tmp_path):
    summary = Summary("Fig. 0", "t", "crescents", "crescents")
    summary.claim("a", "p", "o", True)
    summary.claim("b", "p", "o", False)
    summary.claim("c", "p", "o", None)
    summary.metric("x", 1.5)
    summary.metric("nan", float("nan"))
    reports = []
    metrics = summary.report_once(lambda m, c: reports.append((m, c)))
    assert reports == [(metrics, None)]
    assert metrics == {"epoch": 1, "claims_judged": 2, "claims_held": 1, "x": 1.5}
    data = json.loads(summary.write(tmp_path).read_text())
    assert [c["holds"] for c in data["claims"]] == [True, False, None]


@pytest.mark.parametrize("value, ok", [([2.4, 2.8], True), (3, True), ([], False), ([2.0, 2.0], False),
                                       ([-1.0], False), (["a"], False), ([True], False)])
def test_gamma_lists_are_checked(value, ok):
    cfg = {"g": value}
    if ok:
        check_gammas(cfg, "g")
        assert all(isinstance(g, float) for g in cfg["g"])
    else:
        with pytest.raises(ValueError, match="g must be a non-empty list"):
            check_gammas(cfg, "g")


def test_a_figure_needs_an_absolute_artifacts_folder_and_a_known_dataset():
    with pytest.raises(ValueError, match="artifacts_dir must be an absolute"):
        FigureConfig.from_flat({"artifacts_dir": "relative"})
    with pytest.raises(ValueError, match="unknown dataset"):
        FigureConfig.from_flat({"artifacts_dir": "/tmp/a", "dataset": "nope"})
    with pytest.raises(ValueError, match="dataset must be one of crescents, spirals, helix-3d"):
        fig2.Config.from_flat({"artifacts_dir": "/tmp/a", "dataset": "cifar10"})


def test_the_12d_set_is_the_paraboloid_and_data_mode_reads_the_registered_set():
    assert analysed_set("helix-12d", "auto") == "paraboloid-12d" and analysed_set("helix-3d", "auto") == "helix"
    x, y, name = trial_points("helix-12d", "data", None, n=100)
    assert name == "helix-12d" and x.shape == (100, 12) and y.shape == (100,)


def test_fig2_crescents_writes_panel_a_and_judges_the_label_error_claim(tmp_path):
    final, reports, summary, out = run(fig2, tmp_path, dataset="crescents", fig2a_gammas=[3.0, 2.4])
    assert len(reports) == 1 and reports[0][1] is None
    assert [f["file"] for f in summary["figures"]] == ["fig2a.png"]
    assert {t["file"] for t in summary["tables"]} == {"summary.csv", "points.csv.gz"}
    table = pd.read_csv(out / "summary.csv")
    assert list(table["method"]) == ["original", "zeta", "zeta", "mixup"] and (table["n"] == 512).all()
    mixup_error = float(table.loc[table["method"] == "mixup", "label_error"].iloc[0])
    assert final["mixup_label_error"] == pytest.approx(mixup_error)
    label_claim = summary["claims"][0]
    zeta_errors = table.loc[table["method"] == "zeta", "label_error"]
    assert label_claim["holds"] == bool((zeta_errors < mixup_error).all())
    assert len(pd.read_csv(out / "points.csv.gz")) == 4 * 512


def test_fig2_helix_draws_b_and_c_and_measures_t(tmp_path):
    final, _, summary, out = run(fig2, tmp_path, dataset="helix-3d", points=256, fig2b_gammas=[2.0, 6.0],
                                 fig2c_ts=[2, 8], fig2c_gammas=[2.0, 6.0])
    assert [f["file"] for f in summary["figures"]] == ["fig2b.png", "fig2c.png"]
    assert {"t2_zeta_2_mean_nn_distance", "t8_zeta_6_mean_nn_distance"} <= set(final)
    assert any(c["holds"] is None for c in summary["claims"])  # "almost on the manifold" is not judged by a rule
    assert all((out / f["file"]).stat().st_size > 0 for f in summary["figures"])


def test_relation_ranges_split_the_gamma_axis_into_runs():
    gammas = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    runs = relation_ranges(gammas, np.array([1.0, 3.0, 3.0, 2.5, 2.995]), 3.0)
    assert runs == [("below", 0.0, 0.0), ("equal", 0.5, 1.0), ("below", 1.5, 1.5), ("equal", 2.0, 2.0)]
    assert ranges_text(runs) == "below for γ = 0; equal for γ in [0.5, 1]; below for γ = 1.5; equal for γ = 2"


def test_fig6_on_the_helix_writes_the_local_id_csv_the_issue_asks_for(tmp_path):
    final, _, summary, out = run(fig6, tmp_path, dataset="helix-3d", id_samples=300, ks=[8, 32], gamma_step=5.0)
    table = pd.read_csv(out / "local_id.csv")
    assert list(table.columns) == ["dataset", "k", "method", "gamma", "mean", "std", "n"]
    assert set(table["dataset"]) == {"helix"} and set(table["k"]) == {8, 32} and (table["n"] == 300).all()
    zeta = table[table["method"] == "zeta"]
    assert sorted(set(zeta["gamma"])) == pytest.approx([0.0, 1.72865, 5.0, 10.0, 15.0])
    assert len(summary["claims"]) == 3 * 2  # three statements per k
    original = table[(table["method"] == "original") & (table["k"] == 8)]["mean"].iloc[0]
    assert final["k8_original_local_id"] == pytest.approx(original)
    assert any("300 points" in c for c in summary["choices"])


def test_fig6_subsamples_an_image_set_on_a_cpu_and_says_so(tmp_path):
    from workloads.data.standin import standin

    data = standin("cifar10", tuple(str(i) for i in range(10)), 3, 8)
    reports = []
    fig6.train({"artifacts_dir": str(tmp_path), "device": "cpu", "num_threads": 1, "dataset": "cifar10",
                "cpu_image_samples": 100, "ks": [8, 16], "gamma_step": 7.5}, lambda m, c: reports.append(m), data=data)
    out = tmp_path / "fig6" / "cifar10"
    table = pd.read_csv(out / "local_id.csv")
    assert set(table["dataset"]) == {"cifar10"} and (table["n"] == 100).all()
    choices = json.loads((out / SUMMARY_FILE).read_text())["choices"]
    assert any("100 of the 240 cifar10 training images" in c and "192-D" in c for c in choices)


def test_fig6_refuses_a_sample_no_larger_than_k():
    with pytest.raises(ValueError, match="id_samples must exceed the largest k"):
        fig6.Config.from_flat({"artifacts_dir": "/tmp/a", "id_samples": 100})


def test_fig7_measures_neighbour_agreement_for_every_k(tmp_path):
    final, _, summary, out = run(fig7, tmp_path, dataset="crescents", n_test=16)
    neighbours = pd.read_csv(out / "neighbours.csv")
    assert set(neighbours["k"]) == {8, 16} and len(neighbours) == 3 * 2 * 16
    agree = neighbours.groupby(["method", "k"])["agreement"].mean()
    assert final["k8_zeta_agreement"] == pytest.approx(agree["zeta", 8])
    assert summary["claims"][0]["holds"] == bool(agree["zeta", 8] > agree["mixup", 8])
    assert set(pd.read_csv(out / "local_id.csv")["method"]) == {"original", "mixup", "zeta"}
