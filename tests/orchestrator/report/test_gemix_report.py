"""gemix-table1's report on fabricated trials: where the pretrained weights came from (or that there were
none) above Table I, the protocol at the top, and the deviations that remain under the table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from orchestrator.report.build import build_report
from orchestrator.report.sections.pretrained import FROM_SCRATCH, weights_statement
from orchestrator.workdir import WorkDir
from search_spaces.gemix_paper import ARCHS, VARIANTS
from tests.orchestrator.fakes import grid_rows, write_trials

PRECISION = {variant: 0.9 for variant in VARIANTS}


def table1_rows(pretrained: bool) -> list[dict]:
    rows = grid_rows("classify", [("covidx-ct3", arch, v) for arch in ARCHS for v in VARIANTS], range(3), PRECISION,
                     np.random.default_rng(0))
    for row in rows:
        for metric in ("precision_macro", "recall_macro"):
            row[f"test_{metric}"] = row["test_f1_macro"]
        row["pretrained"] = pretrained
        row["pretrained_path"] = None
        if pretrained:
            row["pretrained_weights"] = f"/weights/{row['arch']}.safetensors"
    return rows


def report(tmp_path, pretrained: bool) -> str:
    workdir = WorkDir.at(tmp_path / "runs")
    write_trials(workdir, "gemix-table1", table1_rows(pretrained))
    return build_report("gemix-table1", workdir).markdown


def test_the_weights_source_is_stated_above_table_1(tmp_path):
    markdown = report(tmp_path, pretrained=True)
    line = next(line for line in markdown.splitlines() if line.startswith("pretrained: "))
    assert line == ("pretrained: ImageNet weights (resnet50: /weights/resnet50.safetensors; resnet101: "
                    "/weights/resnet101.safetensors; efficientnet_b0: /weights/efficientnet_b0.safetensors).")
    assert markdown.index(line) < markdown.index("### classify: test_precision_macro")
    assert FROM_SCRATCH not in markdown


def test_a_run_from_scratch_says_it_is_not_comparable_above_table_1(tmp_path):
    markdown = report(tmp_path, pretrained=False)
    assert markdown.index(FROM_SCRATCH) < markdown.index("### classify: test_precision_macro")
    assert "pretrained: ImageNet" not in markdown


def test_mixed_runs_name_both_and_an_unstarted_one_says_it_does_not_know():
    rows = pd.DataFrame(table1_rows(True)[:3] + table1_rows(False)[-3:])
    text = weights_statement(rows, "classify")
    assert text.startswith("pretrained: ImageNet weights (resnet50: /weights/resnet50.safetensors)")
    assert text.endswith(f"efficientnet_b0 {FROM_SCRATCH}.")
    running = pd.DataFrame([{"stage": "classify", "arch": "resnet50", "pretrained": True, "pretrained_path": None}])
    assert weights_statement(running, "classify") == "pretrained: ImageNet weights (resnet50: timm's local cache)."
    assert "not known yet" in weights_statement(pd.DataFrame(), "classify")


def test_the_protocol_is_at_the_top_and_the_remaining_deviations_under_table_1(tmp_path):
    markdown = report(tmp_path, pretrained=True)
    assert markdown.index("Protocol: COVIDx CT-3A whole slices") < markdown.index("pretrained: ImageNet")
    table_start = markdown.index("### classify: test_precision_macro")
    notes = markdown[table_start:]
    assert "Deviations that remain: the GAN is mixbench's re-implementation" in notes
    assert "bilinear instead of FIR" in notes and "no path-length regularization" in notes
    assert "Cells are the final" not in notes  # the tables report the best-validation epoch, as the authors
    assert "at each trial's best-validation-accuracy epoch" in markdown[:table_start]
    directory = tmp_path / "runs" / "reports" / "gemix-table1" / "latest"  # fakes.write_trials: invocation inv-1
    for suffix in ("md", "html", "tex"):
        assert "no style mixing regularization" in (directory / f"classify-table.{suffix}").read_text(), suffix
