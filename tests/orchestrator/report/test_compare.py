"""compare_report: two runs of one experiment side by side (A, B, B − A per cell)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestrator.report.compare import compare_report
from orchestrator.report.build import build_report
from orchestrator.workdir import WorkDir
from tests.orchestrator.fakes import grid_rows, metrics, write_trials

BASE = {"erm": 0.9, "mixup": 0.92, "zeta-2.4": 0.93, "zeta-2.8": 0.94, "zeta-4.0": 0.91}


def demo_rows(rng, seeds, sweep_accs):
    rows = grid_rows("grid", [("digits", "small_cnn", v) for v in BASE], seeds, BASE, rng)
    for i, acc in enumerate(sweep_accs):
        rows.append({"stage": "sweep", "dataset": "digits", "arch": "small_cnn", "variant": "zeta", "seed": 0,
                     "gamma": 2.0 + i, "weight_decay": 1e-4, "status": "TERMINATED", **metrics(rng, acc)})
    return rows


def stats(frame, variant, metric="test_acc"):
    values = frame.loc[(frame["stage"] == "grid") & (frame["variant"] == variant), metric].to_numpy(float)
    return values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0


@pytest.fixture
def two_runs(tmp_path):
    rng = np.random.default_rng(1)
    a, b = WorkDir.at(tmp_path / "laptop"), WorkDir.at(tmp_path / "cluster")
    frame_a = pd.DataFrame(write_trials(a, "demo", demo_rows(rng, range(3), [0.8, 0.85]), invocation="a-1"))
    rows_b = [r for r in demo_rows(rng, range(3), [0.9, 0.7, 0.88]) if not (r["variant"] == "erm" and r["seed"] > 0)]
    frame_b = pd.DataFrame(write_trials(b, "demo", rows_b, invocation="b-7"))
    return a, b, frame_a, frame_b


def row_cells(markdown: str, heading: str, row: str) -> list[str]:
    block = markdown.split(heading, 1)[1]
    line = next(line for line in block.splitlines() if line.startswith(f"| {row} |"))
    return [c.strip() for c in line.strip().strip("|").split("|")][1:]


def test_compare_puts_both_runs_and_their_difference_in_each_cell(two_runs):
    a, b, frame_a, frame_b = two_runs
    report = compare_report(a.root, b.root, "demo")
    cells = row_cells(report.markdown, "## grid: test_acc", "digits")
    assert len(cells) == 3 * len(BASE)
    i = list(BASE).index("zeta-2.8") * 3
    (ma, sa), (mb, sb) = stats(frame_a, "zeta-2.8"), stats(frame_b, "zeta-2.8")
    assert cells[i:i + 3] == [f"{ma * 100:.2f} ± {sa * 100:.2f}", f"{mb * 100:.2f} ± {sb * 100:.2f}",
                              f"{(mb - ma) * 100:+.2f}"]
    (ma, _), (mb, _) = stats(frame_a, "erm"), stats(frame_b, "erm")
    assert cells[1] == f"{mb * 100:.2f} (1/3)" and cells[2] == f"{(mb - ma) * 100:+.2f}"  # B is incomplete there
    assert "| | erm laptop | erm cluster | erm B − A |" in report.markdown.replace("|  |", "| |")
    assert "A: 2 finished, best val_acc" in report.markdown and "B: 3 finished, best val_acc" in report.markdown
    best_b = frame_b.loc[frame_b["stage"] == "sweep", "val_acc"].max()
    assert f"B: 3 finished, best val_acc {best_b:.4f}" in report.markdown
    assert "invocation a-1" in report.markdown and "invocation b-7" in report.markdown


def test_compare_is_written_under_b_and_linked_from_b_index(two_runs):
    a, b, _, _ = two_runs
    build_report("demo", b)
    report = compare_report(str(a.root), b, "demo")
    md, html = b.reports / "demo" / "compare-laptop.md", b.reports / "demo" / "compare-laptop.html"
    assert report.directory == b.reports / "demo" and md in report.files and html in report.files
    assert md.read_text() == report.markdown
    page = html.read_text()
    assert "B − A" in page and 'colspan="3"' in page and 'href="../index.html"' in page
    index = (b.reports / "index.html").read_text()
    assert 'href="demo/compare-laptop.html"' in index and 'href="demo/index.html"' in index
    assert not (a.reports / "demo" / "compare-cluster.md").exists()


def test_a_run_missing_on_one_side_shows_missing_and_no_difference(two_runs, tmp_path):
    a, _, _, _ = two_runs
    empty = WorkDir.at(tmp_path / "fresh")
    empty.root.mkdir()
    report = compare_report(a, empty, "demo")
    cells = row_cells(report.markdown, "## grid: test_acc", "digits")
    assert cells[1] == "missing" and cells[2] == "–" and cells[0] != "missing"
    assert "B: 0 finished, best val_acc –" in report.markdown


def test_bad_input_raises_value_errors(two_runs, tmp_path):
    a, b, _, _ = two_runs
    with pytest.raises(ValueError, match="WORKDIR_A .*nowhere.* is not a directory"):
        compare_report(tmp_path / "nowhere", b, "demo")
    with pytest.raises(ValueError, match="valid choices"):
        compare_report(a, b, "no-such-experiment")
