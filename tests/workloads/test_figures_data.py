"""The figure trainables that read a dataset, on files fabricated in its official layout under a data
root: Fig. 3 on MNIST, Figs. 4 and 5 on ISIC 2017 and ISIC 2018, Fig. 6 on CIFAR-10. Each trial gets its
config and data as a run hands them over (`orchestrator.run.runner.prepare`: the experiment's --smoke
plan, the data read once from the data root; no Ray), and its report is built from what it wrote. With
no data root the same trials run on generated stand-ins, and the console and the report say so."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from orchestrator.record.invocation import Invocation, RunOptions
from orchestrator.record.results import trials_table
from orchestrator.report.build import build_report
from orchestrator.run.runner import prepare
from orchestrator.workdir import WorkDir
from workloads.data import load_dataset
from workloads.figures import fig3, fig6, montages
from workloads.figures.base import SUMMARY_FILE
from tests.workloads.fabricate import fabricate, isic

INVOCATION = "inv-1"
STANDIN_NOTE = "is not on this machine; running on a generated stand-in"
# The realism.csv: method, gamma, n, mean and median entropy, fraction with H < 0.1, mean and median CE.
REALISM_COLUMNS = ["method", "gamma", "n", "mean_entropy", "median_entropy", "frac_entropy_below", "mean_ce",
                   "median_ce"]
GAMMAS = [2.4, 2.8, 4.0]


@pytest.fixture(autouse=True)
def no_default_root(monkeypatch):
    """The data root is only what a test passes (not a MIXBENCH_DATA of the machine running the tests)."""
    monkeypatch.delenv("MIXBENCH_DATA", raising=False)
    torch.set_num_threads(1)  # two shared cores (conftest restores the count)


def prepared(name: str, runs, capsys, **sets):
    """(the plan's trial configs by dataset, the loaded data, the console) of `mixbench run NAME --smoke --set ...`."""
    from orchestrator.run.trial import with_artifacts_dir

    workdir = WorkDir.at(runs)
    plans, loaded = prepare(name, RunOptions(smoke=True, sets=sets), workdir, INVOCATION)
    # As the trial does: the plan's artifacts_dir is a key relative to the work directory.
    configs = {c["dataset"]: with_artifacts_dir(c, str(workdir.root)) for plan in plans for c in plan.trial_configs}
    return configs, loaded, capsys.readouterr().out


def run_trial(module, config, data):
    reports = []
    final = module.train(config, lambda metrics, checkpoint: reports.append(metrics), data=data)
    assert reports == [final]  # reported once
    out = module.Config.from_flat(config).out_dir
    return final, json.loads((out / SUMMARY_FILE).read_text()), out


def report_of(name: str, runs, stage: str, config: dict, loaded, sets: dict) -> str:
    """The invocation's report, its trial recorded as the runner records it (with the stand-ins it used)."""
    workdir = WorkDir.at(runs).create()
    row = {k: v for k, v in config.items() if not isinstance(v, (list, tuple))}
    trials_table(workdir.results).upsert([{**row, "experiment": name, "invocation": INVOCATION, "stage": stage,
                                           "trial_id": "t0000", "status": "TERMINATED"}])
    Invocation(name, INVOCATION, RunOptions(smoke=True, sets=sets), workdir.default_tracking_uri(),
               standins=loaded.standins).save(workdir)
    return build_report(name, workdir).markdown


def claim(summary: dict, start: str) -> dict:
    (found,) = [c for c in summary["claims"] if c["claim"].startswith(start)]
    return found


def claim_row(markdown: str, start: str) -> list[str]:
    """The cells (this run, holds) of the report's claims row whose claim begins with `start`."""
    (line,) = [l for l in markdown.splitlines() if l.startswith(f"| {start}")]
    return [c.strip() for c in line.strip("|").split("|")][-2:]


ENTROPY_CLAIM = "ζ-mixup's outputs are more realistic: lower mean oracle entropy"
ORACLE_CLAIM = "the LeNet-5 oracle is highly accurate"


def test_fig3_reads_mnist_under_the_data_root_and_judges_the_oracle_and_the_entropy_claim(tmp_path, capsys):
    root = tmp_path / "data"
    fabricate("mnist", root / "mnist")  # ROOT/<name>/: torchvision's MNIST/raw/ layout
    sets = {"data_root": str(root), "device": "cpu", "num_threads": 1, "per_class": 2, "realism_batch_size": 10,
            "examples": 2}
    configs, loaded, console = prepared("zeta-fig3", tmp_path / "runs", capsys, **sets)
    config = configs["mnist"]
    # The real files, not a stand-in, and --smoke's shorter work on them.
    assert loaded.standins == [] and STANDIN_NOTE not in console
    assert loaded.cards["mnist"]["source_type"] == "local" and loaded.cards["mnist"]["source"] == str(root)
    data = loaded.arrays["mnist"]
    real = load_dataset("mnist", str(root))
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(data.splits[split].images, real.splits[split].images)
    n_train, n_test = len(data.splits["train"]), len(data.splits["test"])
    assert (n_train, n_test) == (20, 20)  # the fabricated files (a stand-in has 240 and 60)
    assert (config["oracle_epochs"], config["oracle_max_steps"], config["realism_samples"]) == (1, 100, 2000)

    final, summary, out = run_trial(fig3, config, data)

    assert any(f"trained on {n_train} training images" in c and f"test accuracy on {n_test} test images" in c
               for c in summary["choices"])
    assert any(c.startswith(f"realism: {n_train} training images (all)") for c in summary["choices"])
    table = pd.read_csv(out / "realism.csv")
    assert list(table.columns[: len(REALISM_COLUMNS)]) == REALISM_COLUMNS
    assert list(table["method"]) == ["mixup", "zeta", "zeta", "zeta"]  # one row per method x γ
    assert np.isnan(table["gamma"].iloc[0]) and list(table["gamma"].iloc[1:]) == pytest.approx(GAMMAS)
    assert (table["n"] == n_train).all()
    # The oracle's test accuracy is reported and judged against the rule.
    acc = final["oracle_test_acc"]
    assert 0 <= acc <= 1 and claim(summary, ORACLE_CLAIM)["ours"] == f"{100 * acc:.2f} %"
    assert claim(summary, ORACLE_CLAIM)["holds"] is (acc >= fig3.ORACLE_CRITERION)
    # ζ's lower mean entropy: judged (True or False, never left open) from realism.csv's numbers.
    mixup_h = table["mean_entropy"].iloc[0]
    assert claim(summary, ENTROPY_CLAIM)["holds"] is bool((table["mean_entropy"].iloc[1:] < mixup_h).all())
    assert final["mixup_mean_entropy"] == pytest.approx(mixup_h)
    assert [f["file"] for f in summary["figures"]] == ["fig3abc.png", "fig3de.png", "fig3fg.png"]
    for item in summary["figures"]:
        with Image.open(out / item["file"]) as png:
            assert png.width > 100 and png.height > 100

    markdown = report_of("zeta-fig3", tmp_path / "runs", "fig3", config, loaded, sets)
    assert "Stand-in data" not in markdown and "(stand-in data)" not in markdown
    assert claim_row(markdown, ORACLE_CLAIM) == [f"{100 * acc:.2f} %", "yes" if acc >= 0.99 else "no"]
    assert claim_row(markdown, ENTROPY_CLAIM)[1] in ("yes", "no")
    assert "mnist-fig3fg.png" in markdown


def test_fig3_without_the_data_runs_on_a_stand_in_and_says_so(tmp_path, capsys):
    sets = {"device": "cpu", "num_threads": 1, "per_class": 1, "realism_batch_size": 10, "realism_samples": 40,
            "oracle_max_steps": 2, "examples": 1}
    configs, loaded, console = prepared("zeta-fig3", tmp_path / "runs", capsys, **sets)
    assert loaded.standins == ["mnist"] and f"note: mnist {STANDIN_NOTE}" in console
    assert loaded.cards["mnist"]["source_type"] == "stand-in"
    config = configs["mnist"]
    assert config.get("data_root") is None

    final, summary, out = run_trial(fig3, config, loaded.arrays["mnist"])

    assert any("trained on 240 training images" in c for c in summary["choices"])  # the stand-in's train split
    assert len(pd.read_csv(out / "realism.csv")) == 1 + len(GAMMAS)
    assert claim(summary, ENTROPY_CLAIM)["holds"] in (True, False)
    markdown = report_of("zeta-fig3", tmp_path / "runs", "fig3", config, loaded, sets)
    assert "Stand-in data: mnist were not on the machine that ran this" in markdown
    assert claim_row(markdown, ENTROPY_CLAIM)[1].endswith("(stand-in data)")


def filled_cells(png_path, edge: int, pad: int = 2, ncols: int = 10) -> int:
    """Cells of a full-resolution montage (`workloads.analysis.montage.save_montage`) that hold an image:
    any pixel other than the white padding (the fabricated lesions and their mixtures are darker)."""
    grid = np.asarray(Image.open(png_path))
    rows = (grid.shape[0] - pad) // (edge + pad)
    assert grid.shape[:2] == (rows * (edge + pad) + pad, ncols * (edge + pad) + pad)
    filled = 0
    for r in range(rows):
        for q in range(ncols):
            top, left = pad + r * (edge + pad), pad + q * (edge + pad)
            filled += bool((grid[top: top + edge, left: left + edge] != 255).any())
    return filled


PANELS = ["original", "mixup", *(f"zeta-{g:g}" for g in GAMMAS)]


@pytest.mark.parametrize("experiment, dataset, figure, train_per", [("zeta-fig4", "isic2017", "fig4", 34),
                                                                    ("zeta-fig5", "isic2018", "fig5", 17)])
def test_montages_of_100_isic_images_read_under_the_data_root(tmp_path, capsys, experiment, dataset, figure,
                                                              train_per):
    root = tmp_path / "data"
    counts = isic(dataset, root / dataset, train_per=train_per)  # enough training images for 100 cells
    assert counts["train"] >= 100
    sets = {"data_root": str(root), "device": "cpu", "num_threads": 1}
    configs, loaded, console = prepared(experiment, tmp_path / "runs", capsys, **sets)
    assert loaded.standins == [] and STANDIN_NOTE not in console
    assert loaded.cards[dataset]["source"] == str(root)
    data = loaded.arrays[dataset]
    assert len(data.splits["train"]) == counts["train"]
    config = configs[dataset]
    assert config["montage_images"] == 100 and list(config["gammas"]) == GAMMAS

    final, summary, out = run_trial(montages, config, data)

    edge = data.splits["train"].images.shape[1]  # --smoke decodes at 64 px, below the 128-px cell
    assert summary["figure"] == {"fig4": "Fig. 4", "fig5": "Fig. 5"}[figure]
    files = [f["file"] for f in summary["figures"]]
    assert files == [f"{figure}{letter}-{panel}.png" for letter, panel in zip("abcde", PANELS)] + [f"{figure}-overview.png"]
    for name in files[:-1]:
        assert filled_cells(out / name, edge) == 100, name
    assert (out / files[-1]).stat().st_size > 0
    soft = pd.read_csv(out / "soft_labels.csv")
    assert soft.groupby("panel", sort=False).size().to_dict() == {p: 100 for p in ["original", "mixup",
                                                                                  *(f"zeta γ={g:g}" for g in GAMMAS)]}
    distances = pd.read_csv(out / "distances.csv")
    assert len(distances) == 100 * len(PANELS)
    assert distances.loc[distances["panel"] == "original", "distance"].max() < 1e-6  # each real image is itself
    assert summary["claims"][0]["holds"] in (True, False)
    assert not any("the train split has only" in c for c in summary["choices"])
    markdown = report_of(experiment, tmp_path / "runs", figure, config, loaded, sets)
    assert "Stand-in data" not in markdown and f"{dataset}-{figure}b-mixup.png" in markdown


def test_a_montage_without_the_data_uses_a_stand_in_and_says_so(tmp_path, capsys):
    sets = {"device": "cpu", "num_threads": 1}
    configs, loaded, console = prepared("zeta-fig4", tmp_path / "runs", capsys, **sets)
    assert loaded.standins == ["isic2017"] and f"note: isic2017 {STANDIN_NOTE}" in console
    data = loaded.arrays["isic2017"]
    n = len(data.splits["train"])  # the stand-in's 24 per class: fewer than 100
    final, summary, out = run_trial(montages, configs["isic2017"], data)
    assert any(f"the train split has only {n}" in c for c in summary["choices"])
    assert filled_cells(out / "fig4b-mixup.png", data.splits["train"].images.shape[1]) == n
    markdown = report_of("zeta-fig4", tmp_path / "runs", "fig4", configs["isic2017"], loaded, sets)
    assert "Stand-in data: isic2017" in markdown and "(stand-in data)" in markdown


def test_fig6_reads_cifar10_under_the_data_root(tmp_path, capsys):
    root = tmp_path / "data"
    for name in ("cifar10", "cifar100"):  # the stage's two image sets
        fabricate(name, root / name)
    sets = {"data_root": str(root), "device": "cpu", "num_threads": 1, "ks": [8, 16], "gamma_step": 7.5}
    configs, loaded, console = prepared("zeta-fig6", tmp_path / "runs", capsys, **sets)
    assert loaded.standins == [] and STANDIN_NOTE not in console
    data = loaded.arrays["cifar10"]
    n = len(data.splits["train"])

    final, summary, out = run_trial(fig6, configs["cifar10"], data)

    table = pd.read_csv(out / "local_id.csv")
    assert list(table.columns) == ["dataset", "k", "method", "gamma", "mean", "std", "n"]
    assert set(table["dataset"]) == {"cifar10"} and (table["n"] == n).all()  # every fabricated training image
    assert sorted(set(table.loc[table["method"] == "zeta", "gamma"])) == pytest.approx([0.0, 1.72865, 7.5, 15.0])
    assert any(f"the whole cifar10 train split ({n} images), as 3072-D points" in c for c in summary["choices"])
