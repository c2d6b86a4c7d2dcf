import pandas as pd
import pytest

from orchestrator.tables import build_table, to_html, to_latex, to_markdown


def trials():
    rows = []
    for variant, accs in {"mixup": [0.80, 0.82], "zeta-2.8": [0.90, 0.86], "erm": [0.70, 0.72]}.items():
        for seed, acc in enumerate(accs):
            rows.append({"dataset": "digits", "variant": variant, "seed": seed, "status": "TERMINATED", "test_acc": acc})
    rows.append({"dataset": "digits", "variant": "erm", "seed": 2, "status": "ERROR", "test_acc": None})
    return pd.DataFrame(rows)


def table(expected=None):
    return build_table(trials(), "test_acc", ["dataset"], expected or {}, True, "mixup", ["erm", "mixup", "zeta-2.8"])


def test_cells_are_mean_and_sample_std_over_finished_seeds_only():
    cell = table().cells[("digits", "zeta-2.8")]
    assert cell.mean == pytest.approx(0.88) and cell.std == pytest.approx(pd.Series([0.90, 0.86]).std())
    assert table().cells[("digits", "erm")].n == 2  # the errored seed is not averaged in


def test_relative_improvement_over_the_baseline_and_ranking():
    t = table()
    assert t.improvement("digits", "zeta-2.8") == pytest.approx((0.88 - 0.81) / 0.81 * 100)
    assert t.improvement("digits", "mixup") is None
    assert t.ranked("digits") == ["zeta-2.8", "mixup", "erm"]


def test_markdown_bolds_the_best_and_underlines_the_second_and_marks_incomplete_cells():
    t = table(expected={("digits", "erm"): 3})
    md = to_markdown(t)
    assert "**88.00 ± 2.83 (+8.6%)**" in md
    assert "<u>81.00 ± 1.41</u>" in md
    assert "71.00 ± 1.41 (2/3) (-12.3%)" in md


def test_html_and_latex_carry_the_same_numbers():
    t = table()
    assert "<b>88.00 ± 2.83 (+8.6%)</b>" in to_html(t)
    latex = to_latex(t)
    assert r"\textbf{88.00 $\pm$ 2.83 (+8.6\%)}" in latex and r"\underline{81.00 $\pm$ 1.41}" in latex


def test_a_cell_without_results_says_missing():
    frame = trials()
    frame = frame[frame["variant"] != "mixup"]
    t = build_table(frame, "test_acc", ["dataset"], {("digits", "mixup"): 3}, True, "mixup", ["erm", "mixup", "zeta-2.8"])
    assert "missing" in to_markdown(t)
    assert t.improvement("digits", "zeta-2.8") is None  # no baseline to compare with
