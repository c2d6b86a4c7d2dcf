"""zeta-table9's report: (b) one augmentation call per method, timed by the figure-table9 trainable on the
CPU (a tiny batch), with the paper's numbers beside and the device named; (a) the training wall time per
method, read by the "zeta-table9-wall-time" section from the epochs a fabricated zeta-table4/5 work
directory recorded, beside the paper's times."""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from orchestrator.record.results import epochs_table
from orchestrator.report.build import build_report
from orchestrator.workdir import WorkDir
from tests.orchestrator.fakes import write_trials
from workloads.analysis.timing import TABLE9_METHODS
from workloads.figures import table9

# Seconds per epoch of each recorded variant (seed s takes 1 + s/10 times as long), 3 epochs, 3 seeds.
PER_EPOCH = {("zeta-table4", "erm"): 40.0, ("zeta-table4", "mixup"): 40.0, ("zeta-table4", "zeta-2.4"): 40.8,
             ("zeta-table5", "cutmix"): 50.0, ("zeta-table5", "cutmix+zeta"): 60.0}
ARCH = "cifar_resnet18"


def record(workdir: WorkDir, experiment: str, invocation: str, cells: list[tuple[str, str, float]]) -> None:
    """Trials of `experiment` (dataset, variant, seconds per epoch; seeds 0-2) with 3 epoch rows each,
    `wall_time_s` cumulative as Ray Tune's time_total_s, written as the recorder writes them."""
    stage = experiment.split("-")[1]
    rows = [{"stage": stage, "dataset": d, "arch": ARCH, "variant": v, "seed": s, "status": "TERMINATED"}
            for d, v, _ in cells for s in range(3)]
    per = {(d, v): t for d, v, t in cells}
    trials = write_trials(workdir, experiment, rows, invocation=invocation)
    epochs_table(workdir.results).partition(experiment, invocation, stage).insert(
        [{k: t[k] for k in ("trial_id", "dataset", "arch", "variant", "seed")}
         | {"epoch": e, "wall_time_s": e * per[t["dataset"], t["variant"]] * (1 + t["seed"] / 10)}
         for t in trials for e in (1, 2, 3)])


@pytest.fixture
def source(tmp_path) -> WorkDir:
    """A work directory with an older zeta-table4 invocation (10x slower), then the latest of zeta-table4
    (with a CIFAR-10 cell outside Table 9) and of zeta-table5."""
    workdir = WorkDir.at(tmp_path / "source")
    record(workdir, "zeta-table4", "inv-3", [("cifar100", "mixup", 400.0)])
    for experiment in ("zeta-table4", "zeta-table5"):
        cells = [("cifar100", v, t) for (e, v), t in PER_EPOCH.items() if e == experiment]
        record(workdir, experiment, "inv-4", cells + ([("cifar10", "mixup", 5.0)] if experiment == "zeta-table4" else []))
    return workdir


def table9_report(tmp_path, source: str | None, **keys):
    """Run the zeta-table9 trial (b) as its stage would, record it, and build the report."""
    workdir = WorkDir.at(tmp_path / "runs")
    config = {"artifacts_dir": str(workdir.artifacts("zeta-table9", "inv-9")), "device": "cpu", "num_threads": 1,
              "dataset": "crescents", "source": source, "timing_shape": [4, 3, 16, 16], "timing_warmup": 1,
              "timing_repeats": 3, **keys}
    reports = []
    final = table9.train(config, lambda metrics, checkpoint: reports.append(metrics))
    assert reports == [final]
    write_trials(workdir, "zeta-table9", [{"stage": "table9", "dataset": "crescents", "arch": "none",
                                           "variant": "table9", "seed": 42, "status": "TERMINATED", "source": source}],
                 invocation="inv-9")
    report = build_report("zeta-table9", workdir)
    return final, report, table9.Config.from_flat(config).out_dir


def md_rows(markdown: str, after: str) -> dict[str, list[str]]:
    """The first Markdown table after the text `after`: {row label: its cells}."""
    lines = markdown.split(after, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_b_times_every_method_on_the_cpu_with_the_papers_numbers_and_the_device_beside(tmp_path, source):
    torch.set_num_threads(1)
    final, report, out = table9_report(tmp_path, str(source.root))
    timing = pd.read_csv(out / "timing.csv")
    assert list(timing["method"]) == list(TABLE9_METHODS)  # mixup, ζ, CutMix, CutMix + ζ, LSI: one row each
    assert (timing["batch_shape"] == "4x3x16x16").all() and (timing["repeats"] == 3).all()
    assert (timing["device"] == "cpu").all() and timing["device_name"].str.len().gt(0).all()
    assert (timing["median_ms"] > 0).all()
    for method, (mean, std) in table9.PAPER_US.items():
        row = timing[timing["method"] == method].iloc[0]
        assert (row["paper_us"], row["paper_std_us"]) == (mean, std)
        assert final[f"{method}_median_ms"] == pytest.approx(row["median_ms"])
    device = f"cpu ({timing['device_name'].iloc[0]})"

    rows = md_rows(report.markdown, "Table 9 (b), crescents")
    assert f"- device: {device}" in report.markdown
    for method, paper in (("mixup", "745 µs ± 9.55 µs"), ("zeta", "345 µs ± 2.53 µs"), ("cutmix", "176 µs ± 1.4 µs"),
                          ("cutmix+zeta", "169 µs ± 0.757 µs"), ("lsi", "38.7 ms ± 1.3 ms")):
        label = f"{table9.LABELS[method]}: one call on a 4x3x16x16 batch"
        theirs, ours, holds = rows[label]
        assert theirs == f"{paper} (the authors' GPU)" and ours.endswith(f"on {device}") and holds == "–"
    ratios = [cells for label, cells in rows.items() if "(rule:" in label]
    assert len(ratios) == 3 and all(cells[2] in ("yes", "no") and device in cells[1] for cells in ratios)
    assert "Stand-in data" not in report.markdown  # (b) reads no dataset


def test_a_reads_the_latest_recorded_epochs_per_dataset_arch_and_variant_beside_the_paper(tmp_path, source):
    _, report, _ = table9_report(tmp_path, str(source.root))
    text = report.markdown
    assert "Source " + str(source.root) + ": zeta-table4 invocation inv-4, zeta-table5 invocation inv-4." in text
    rows = md_rows(text, "## Table 9 (a)")
    assert list(rows) == [f"{v} ({ARCH})" for _, v in PER_EPOCH]  # CIFAR-10 is not a Table 9 column
    header = text.split("## Table 9 (a)", 1)[1].split("| method (arch) |", 1)[1].splitlines()[0]
    assert [h.strip() for h in header.strip("|").split("|")] == [f"{d} {part}" for d in ("cifar100", "stl10", "imagenette")
                                                                 for part in ("the paper", "this run")]
    # totals 3 x 40 x (1.0, 1.1, 1.2) s: mean 132 s ± 12 s, 44 s an epoch; the older 10x invocation is not read.
    assert rows[f"mixup ({ARCH})"][:2] == ["1h 20m ± 23s<br>(200 epochs)",
                                           "2m 12s ± 12s<br>(3 epochs, 44 s/epoch, 3 seeds)"]
    assert rows[f"mixup ({ARCH})"][2] == "24m 59s ± 16.9s<br>(200 epochs)" and rows[f"mixup ({ARCH})"][3] == "–"
    assert rows[f"cutmix+zeta ({ARCH})"][:2] == ["1h 22m ± 9s<br>(200 epochs)",
                                                 "3m 18s ± 18s<br>(3 epochs, 66 s/epoch, 3 seeds)"]
    assert rows[f"erm ({ARCH})"][0] == "1h 20m<br>(200 epochs)"  # the text's "approximately 1h 20m"
    claims = md_rows(text, "on this machine.")
    assert claims[f"cifar100 ({ARCH}): zeta-2.4 trains in about the time mixup does (rule: per-epoch time within 5 %)"] \
        == ["1x (1h 20m / 1h 20m)", "1.02x per epoch", "yes"]
    assert claims[f"cifar100 ({ARCH}): cutmix+zeta trains in about the time cutmix does (rule: per-epoch time within 5 %)"] \
        == ["1x (1h 22m / 1h 22m)", "1.2x per epoch", "no"]
    trials = pd.read_csv(report.directory / "wall_time.csv")
    assert set(trials["invocation"]) == {"inv-4"} and len(trials) == 3 * (len(PER_EPOCH) + 1)
    assert (trials["epochs"] == 3).all()


def test_a_from_one_invocation_folder_reads_that_invocation_alone(tmp_path, source):
    folder = source.ray / "zeta-table4" / "inv-3"
    assert folder.is_dir()
    _, report, _ = table9_report(tmp_path, str(folder), timing_methods=["zeta"])
    rows = md_rows(report.markdown, "## Table 9 (a)")
    assert list(rows) == [f"mixup ({ARCH})"]
    assert rows[f"mixup ({ARCH})"][1] == "22m 00s ± 120s<br>(3 epochs, 440 s/epoch, 3 seeds)"


def test_a_without_a_source_shows_the_papers_times_and_says_how_to_get_ours(tmp_path):
    _, report, _ = table9_report(tmp_path, None, timing_methods=["zeta"])
    text = report.markdown
    assert "No source named, so no training time of ours is shown" in text
    rows = md_rows(text, "## Table 9 (a)")
    assert rows["mixup (not run)"][:2] == ["1h 20m ± 23s<br>(200 epochs)", "–"]
    assert rows["manifold-mixup (not run)"][0] == "16h 15m<br>(2000 epochs)"
