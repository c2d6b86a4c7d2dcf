"""The report's figures on fabricated trials: Fig. 10 a/b (metric against γ with the mixup band),
Fig. 10 c/d (parallel coordinates per Bayesian stage) and Fig. 9 (paired dots). Each is an HTML
file with plotly embedded (no network) holding the numbers, and a valid PNG."""
from __future__ import annotations

import json
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from orchestrator.report.build import build_report
from orchestrator.workdir import WorkDir
from search_spaces.experiment import GAMMA_MIN
from search_spaces.zeta_paper import FIG9_MEDMNIST, FIG9_NATURAL, FIG9_SKIN, SENSITIVITY_GAMMAS
from tests.orchestrator.fakes import grid_rows, metrics, write_trials


def assert_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0  # something is drawn


def assert_offline_html(path):
    text = path.read_text()
    assert not re.search(r"<script[^>]*\bsrc=", text)  # nothing to fetch: opens from file://
    assert len(text) > 1_000_000  # plotly.js embedded
    return text


def js(text: str) -> str:
    """`text` as it appears inside plotly's embedded figure JSON (non-ASCII and </> escaped)."""
    return json.dumps(text)[1:-1].replace("/", "\\u002f").replace("<", "\\u003c").replace(">", "\\u003e")


def stats(frame, metric, **where):
    mask = np.ones(len(frame), bool)
    for key, value in where.items():
        mask &= frame[key].to_numpy() == value
    values = frame.loc[mask & (frame["status"] == "TERMINATED").to_numpy(), metric].to_numpy(float)
    return values.mean(), values.std(ddof=1), len(values)


def test_fig10_sensitivity_draws_error_against_gamma_with_the_mixup_baseline(tmp_path):
    rng = np.random.default_rng(10)
    base = {"mixup": 0.95, **{f"zeta-{g:.1f}": 0.95 + 0.004 * np.sin(3 * g) for g in SENSITIVITY_GAMMAS}}
    rows = grid_rows("sensitivity", [(d, "resnet18", v) for d in ("cifar10", "cifar100") for v in base],
                     range(3), base, rng)
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "zeta-fig10-sensitivity", rows))
    report = build_report("zeta-fig10-sensitivity", workdir)
    html_path, png_path = report.directory / "sensitivity-gamma.html", report.directory / "sensitivity-gamma.png"
    assert html_path in report.files and png_path in report.files
    text = assert_offline_html(html_path)
    for dataset in ("cifar10", "cifar100"):
        for gamma in (1.8, 3.4, 5.0):
            mean, std, n = stats(frame, "test_err", dataset=dataset, variant=f"zeta-{gamma:.1f}")
            assert js(f"{dataset} γ={gamma:g}: {mean * 100:.2f} ± {std * 100:.2f} (n={n})") in text
        mean, std, n = stats(frame, "test_err", dataset=dataset, variant="mixup")
        assert js(f"{dataset}: mixup {mean * 100:.2f} ± {std * 100:.2f} (n={n})") in text
    assert_png(png_path)
    page = (report.directory / "index.html").read_text()
    assert '<img src="sensitivity-gamma.png"' in page and 'href="sensitivity-gamma.html"' in page


def test_a_table_with_few_gammas_gets_no_gamma_figure_and_many_variants_no_paired_figure(tmp_path):
    rng = np.random.default_rng(11)
    base = {"erm": 0.9, "mixup": 0.92, "zeta-2.4": 0.93, "zeta-2.8": 0.94, "zeta-4.0": 0.91}
    workdir = WorkDir.at(tmp_path)
    write_trials(workdir, "zeta-table4", grid_rows("table4", [("cifar10", "resnet18", v) for v in base],
                                                   range(3), base, rng))
    report = build_report("zeta-table4", workdir)
    assert not [p for p in report.files if p.suffix == ".png"]


def sweep_rows(rng, stage, dataset, gammas, status="TERMINATED"):
    rows = []
    for i, gamma in enumerate(gammas):
        rows.append({"stage": stage, "dataset": dataset, "arch": "resnet18", "variant": "zeta-sweep", "seed": 0,
                     "gamma": float(gamma), "weight_decay": float(10 ** rng.uniform(np.log10(5e-5), -3)),
                     "status": status, **metrics(rng, 0.93 - 0.01 * gamma)})
    return rows


def test_fig10_sweep_draws_parallel_coordinates_per_bayesian_stage(tmp_path):
    rng = np.random.default_rng(12)
    gammas = rng.uniform(1.0, 6.0, size=14)
    rows = sweep_rows(rng, "sweep-cifar10", "cifar10", gammas)
    rows += sweep_rows(rng, "sweep-cifar10", "cifar10", [2.5], status="STOPPED_EARLY")  # not a full run
    rows += sweep_rows(rng, "sweep-cifar100", "cifar100", [2.0])  # one trial: nothing to draw yet
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "zeta-fig10-sweep", rows))
    report = build_report("zeta-fig10-sweep", workdir)
    text = assert_offline_html(report.directory / "sweep-cifar10-parallel.html")
    assert js("sweep-cifar10: 14 trials (grey: γ < 1.72865)") in text
    done = frame[(frame["stage"] == "sweep-cifar10") & (frame["status"] == "TERMINATED")]
    for value in (done["gamma"].iloc[0], done["val_acc"].iloc[3], np.log10(done["weight_decay"].iloc[5])):
        assert json.dumps(float(value)) in text
    assert_png(report.directory / "sweep-cifar10-parallel.png")
    below = int((gammas < GAMMA_MIN).sum())
    assert f"{below} of 14 trials have γ < {GAMMA_MIN} (grey)" in report.markdown
    assert "sweep-cifar10: Bayesian sweep on cifar10 / cifar_resnet18, 14 of 200 trials finished" in report.markdown
    assert "Other trials: 1 stopped early." in report.markdown
    assert "1 finished trials: not enough to plot." in report.markdown
    assert not (report.directory / "sweep-cifar100-parallel.html").exists()


@pytest.fixture
def fig9(tmp_path):
    """zeta-fig9 where manifold mixup beats ζ-mixup on cifar10 only; pathmnist's manifold cell missing."""
    rng = np.random.default_rng(9)
    pair = ("zeta-2.8", "manifold-mixup")
    # The stages as zeta_paper declares them: CIFAR on PreActResNet-18, MedMNIST on the CIFAR-style
    # ResNet-18, skin on timm's ResNet-18 and ResNet-50.
    stages = [("cifar", d, "cifar_preact_resnet18") for d in FIG9_NATURAL]
    stages += [("medmnist", d, "cifar_resnet18") for d in FIG9_MEDMNIST]
    stages += [("skin", d, a) for d in FIG9_SKIN for a in ("resnet18", "resnet50")]
    rows = []
    for stage, dataset, arch in stages:
        for variant in pair:
            if dataset == "pathmnist" and variant == "manifold-mixup":
                continue
            better = (variant == "manifold-mixup") == (dataset == "cifar10")
            rows += grid_rows(stage, [(dataset, arch, variant)], range(3), {variant: 0.9 if better else 0.85}, rng)
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "zeta-fig9", rows))
    return frame, build_report("zeta-fig9", workdir)


def test_fig9_pairs_zeta_and_manifold_mixup_per_metric_and_dataset(fig9):
    frame, report = fig9
    text = assert_offline_html(report.directory / "paired.html")
    for metric in ("acc", "bacc", "f1_micro", "f1_macro", "auc"):
        for dataset, arch in (("cifar10", "cifar_preact_resnet18"), ("msk", "resnet50")):
            row = dataset if dataset in FIG9_NATURAL else f"{dataset} / {arch}"
            for variant in ("zeta-2.8", "manifold-mixup"):
                mean, _, _ = stats(frame, f"test_{metric}", dataset=dataset, arch=arch, variant=variant)
                assert js(f"{row} {variant} {metric}: {mean * 100:.2f}") in text
    assert "pathmnist zeta-2.8 acc" in text and "pathmnist manifold-mixup acc" not in text
    # dotted lines: green where manifold mixup is higher (cifar10), red elsewhere; per metric panel
    green, red = '{"color":"#2ca02c","dash":"dot"}', '{"color":"#d62728","dash":"dot"}'
    assert text.count(green) == 5 and text.count(red) == 5 * (5 + 8 - 2)  # 13 rows, cifar10 green, pathmnist none
    assert_png(report.directory / "paired.png")
    assert "## Paired comparison" in report.markdown


def test_no_finished_cell_means_no_figure(tmp_path):
    report = build_report("zeta-fig9", WorkDir.at(tmp_path))
    assert not (report.directory / "paired.html").exists() and "Paired comparison" not in report.markdown
