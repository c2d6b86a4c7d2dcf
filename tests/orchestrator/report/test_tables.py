import pandas as pd
import pytest

from orchestrator.report import render
from orchestrator.report.results_tabular import tabular
from orchestrator.report.tables import build_table


def to_markdown(table):
    return render.to_markdown(tabular(table))


def to_html(table):
    return render.to_html(tabular(table))


def to_latex(table):
    return render.to_latex(tabular(table))


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


def published_table():
    t = build_table(trials(), "test_acc", ["dataset"], {}, True, "mixup", ["erm", "mixup", "zeta-2.8"],
                    rows=["cifar10", "digits"])
    t.source = "zeta-mixup Table 4"
    t.published[("digits", "mixup")] = (0.80, 0.005)
    t.published[("digits", "zeta-2.8")] = (0.9012, None)
    return t


def test_planned_rows_come_first_in_order_and_rows_without_trials_are_missing():
    t = published_table()
    assert t.rows == ["cifar10", "digits"]
    assert all(t.cells[("cifar10", c)].text(100) == "missing" for c in t.columns)
    assert t.incomplete() == [("cifar10", "erm"), ("cifar10", "mixup"), ("cifar10", "zeta-2.8")]


def test_published_values_and_differences_sit_beside_ours_in_every_format():
    t = published_table()
    assert t.difference("digits", "zeta-2.8") == pytest.approx(0.88 - 0.9012)
    assert t.difference("digits", "erm") is None and t.difference("cifar10", "mixup") is None
    md = to_markdown(t)
    # erm is below mixup beyond seed noise (†); ours for mixup agrees with its published mean ± std (✓);
    # the published zeta-2.8 has no std, so no consistency claim is made there.
    assert "| digits | 71.00 ± 1.41 (-12.3%) † | – | – | <u>81.00 ± 1.41</u> | 80.00 ± 0.50 | +1.00 ✓ | " \
           "**88.00 ± 2.83 (+8.6%)** | 90.12 | -2.12 |" in md
    assert "zeta-2.8 (published) | zeta-2.8 Δ |" in md and "published: zeta-mixup Table 4" in md
    html = to_html(t)
    assert "<td>80.00 ± 0.50</td><td>+1.00 ✓</td>" in html and '<th colspan="3">mixup</th>' in html
    assert "<caption>" in html and "<br>published: zeta-mixup Table 4" in html
    latex = to_latex(t)
    assert r"\multicolumn{3}{c}{zeta-2.8}" in latex and r"80.00 $\pm$ 0.50 & +1.00" in latex
    assert r"90.12 & -2.12" in latex and r"\footnotesize published: zeta-mixup Table 4" in latex
    assert r"\begin{tabular}{l" + "c" * 9 + "}" in latex


def test_without_a_source_there_are_no_published_columns():
    t = table()
    assert "(published)" not in to_markdown(t) and "colspan" not in to_html(t)
    assert r"\multicolumn{3}{c}" not in to_latex(t) and "published:" not in to_markdown(t)


def test_a_cell_with_only_running_seeds_says_running():
    frame = pd.concat([trials(), pd.DataFrame([{"dataset": "mnist", "variant": "mixup", "seed": 0, "status": "RUNNING"}])])
    t = build_table(frame, "test_acc", ["dataset"], {("mnist", "mixup"): 3}, True, "mixup", ["erm", "mixup"])
    assert t.cells[("mnist", "mixup")].text(100) == "running" and t.cells[("mnist", "erm")].text(100) == "missing"


def seeds_table(base, other, published=None):
    rows = [{"dataset": "d", "variant": v, "seed": i, "status": "TERMINATED", "test_acc": a}
            for v, accs in (("mixup", base), ("zeta", other)) for i, a in enumerate(accs)]
    t = build_table(pd.DataFrame(rows), "test_acc", ["dataset"], {}, True, "mixup", ["mixup", "zeta"])
    if published:
        t.source = "a paper"
        t.published.update(published)
    return t


def test_only_differences_beyond_seed_noise_are_marked_and_the_rule_is_stated():
    clear = seeds_table([0.80, 0.81, 0.79], [0.90, 0.91, 0.89])
    assert clear.p_vs_baseline("d", "zeta") < 0.05 and "90.00 ± 1.00 (+12.5%) †" in to_markdown(clear)
    noisy = seeds_table([0.80, 0.90, 0.70], [0.85, 0.75, 0.95])
    assert noisy.p_vs_baseline("d", "zeta") > 0.05 and "†" not in to_markdown(noisy).split("\n")[2]
    notes = to_markdown(noisy)
    assert "mean ± std over n = 3 seeds" in notes and "Welch's t-test over seeds, p < 0.05" in notes
    assert seeds_table([0.8], [0.9]).p_vs_baseline("d", "zeta") is None  # one seed: nothing is claimed


def test_ours_is_checked_against_a_published_mean_and_std():
    agrees = seeds_table([0.80, 0.81, 0.79], [0.90, 0.91, 0.89], {("d", "zeta"): (0.905, 0.01)})
    assert "| 90.50 ± 1.00 | -0.50 ✓ |" in to_markdown(agrees)
    differs = seeds_table([0.80, 0.81, 0.79], [0.90, 0.91, 0.89], {("d", "zeta"): (0.95, 0.002)})
    assert "| 95.00 ± 0.20 | -5.00 ✗ |" in to_markdown(differs) and "✓ / ✗" in to_markdown(differs)


def gemix_like_tables():
    """Three metrics x three archs x eight setups with published numbers: GeMix Table I's shape."""
    from orchestrator.report.tables import Table

    setups = ["real", "mixup", "mmixup", "gemix", "real+mixup", "real+mmixup", "real+gemix", "real+mmixup+gemix"]
    rows = [f"covidx-ct3 / {a}" for a in ("resnet50", "resnet101", "efficientnet_b0")]
    frame = pd.DataFrame([{"dataset": r.split(" / ")[0], "arch": r.split(" / ")[1], "variant": v, "seed": s,
                           "status": "TERMINATED", **{m: 0.5 + 0.05 * i + 0.01 * s for m in
                                                       ("test_precision_macro", "test_recall_macro", "test_f1_macro")}}
                          for r in rows for i, v in enumerate(setups) for s in range(3)])
    tables = []
    for metric in ("test_precision_macro", "test_recall_macro", "test_f1_macro"):
        t = build_table(frame, metric, ["dataset", "arch"], {}, True, "real+mixup", setups, rows)
        t.source = "GeMix Table I"
        t.published.update({(r, v): (0.9, None) for r in rows for v in setups})
        tables.append(t)
    assert all(isinstance(t, Table) for t in tables)
    return tables


def test_gemix_table_has_setups_as_rows_and_arch_by_metric_columns_and_fits_the_page():
    from orchestrator.report.results_tabular import MAX_WIDTH_PX, estimated_width, methods_tabular

    table = methods_tabular(gemix_like_tables())
    assert [label for label, _ in table.rows][:2] == ["real", "mixup"] and len(table.rows) == 8
    assert [c.path for c in table.columns[:3]] == [("resnet50", "P"), ("resnet50", "R"), ("resnet50", "F1")]
    assert len(table.columns) == 9 and estimated_width(table) <= MAX_WIDTH_PX
    cell = table.rows[6][1][0].text  # real+gemix, resnet50, P: ours, its gain, published and Δ, a line each
    assert cell.split("\n") == ["81.00 ± 1.00 †", "(+14.1%)", "pub 90.00", "Δ -9.00"]
    html = render.to_html(table)
    assert '<th colspan="3">resnet50</th>' in html and "<br>pub 90.00<br>" in html
    best = [c.text for label, cells in table.rows for c in cells[:1] if c.mark == "best"]
    assert len(best) == 1 and best[0].startswith("86.00")  # real+mmixup+gemix has the highest P here


def test_a_table_that_fits_keeps_published_numbers_in_columns_of_their_own():
    t = published_table()
    assert [c.label for c in tabular(t).columns][:3] == ["erm", "erm (published)", "erm Δ"]
    wide = tabular(t, beside=True)
    assert len(tabular(t, beside=False).columns) == 3 and len(wide.columns) == 9
