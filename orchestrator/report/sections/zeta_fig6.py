"""Section "zeta-fig6": Fig. 6 over every set of the invocation, then each set's own block ("analysis").

The trials (one per set) each wrote `local_id.csv`; here they become one `local_id.csv` (dataset, k,
method, gamma, mean, std, n), one PNG with a panel per (set, k), an interactive HTML of the same curves
(hover for the values), and a table that says plainly, per set and k, for which γ ζ-mixup's mean local
ID lies below, on (within `workloads.figures.fig6.EQUAL_TOL`) or above mixup's and the original data's.
Params: `folder` (the trials' folder under the artifacts, "fig6").
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from orchestrator.report.figure_files import save_html
from orchestrator.report.render import Tabular, columns, write_table
from orchestrator.report.sections.analysis import render_trials, standin_datasets, summaries, trial_status
from orchestrator.report.sections.registry import SectionContext, register
from workloads.analysis.plots_local_id import STYLE, plot_local_id
from workloads.figures.fig6 import EQUAL_TOL, ranges_text, relation_ranges
from workloads.mixing.zeta import GAMMA_MIN


def relation_tabular(table: pd.DataFrame, standins: set[str]) -> Tabular:
    """Per (set, k): mixup's and the original's mean local ID and where ζ's lies against each."""
    out = Tabular(columns("n", "original", "mixup", "ζ-mixup vs mixup", "ζ-mixup vs original"), corner="set, k")
    for (name, k), sub in table.groupby(["dataset", "k"], sort=False):
        zeta = sub[sub["method"] == "zeta"].sort_values("gamma")
        mixup = float(sub.loc[sub["method"] == "mixup", "mean"].iloc[0])
        original = float(sub.loc[sub["method"] == "original", "mean"].iloc[0])
        g, z = zeta["gamma"].to_numpy(), zeta["mean"].to_numpy()
        out.add(f"{name}, k = {k}" + (" (stand-in)" if name in standins else ""),
                [str(int(sub["n"].iloc[0])), f"{original:.3g}", f"{mixup:.3g}",
                 ranges_text(relation_ranges(g, z, mixup)), ranges_text(relation_ranges(g, z, original))])
    out.notes.append(f"Means over points; 'equal' within {EQUAL_TOL:g} (both are means of integer IDs); "
                     f"γ_min = {GAMMA_MIN}.")
    return out


def interactive(table: pd.DataFrame, path: Path) -> Path:
    """The curves of Fig. 6 as one plotly page: a panel per (set, k), mean and ± std per method."""
    from plotly.subplots import make_subplots

    keys = list(dict.fromkeys(zip(table["dataset"], table["k"])))
    fig = make_subplots(rows=len(keys), cols=1, subplot_titles=[f"{d}, k = {k}" for d, k in keys],
                        vertical_spacing=0.3 / max(len(keys), 1))
    for row, (d, k) in enumerate(keys, start=1):
        sub = table[(table["dataset"] == d) & (table["k"] == k)]
        zeta = sub[sub["method"] == "zeta"].sort_values("gamma")
        xs = [float(g) for g in zeta["gamma"]]
        for method in ("original", "mixup", "zeta"):
            st = STYLE[method]
            if method == "zeta":
                ys, sd = [float(v) for v in zeta["mean"]], [float(v) for v in zeta["std"]]
            else:
                picked = sub[sub["method"] == method]
                ys = [float(picked["mean"].iloc[0])] * len(xs)
                sd = [float(picked["std"].iloc[0])] * len(xs)
            fig.add_scatter(x=xs, y=ys, mode="lines", name=st["label"], line={"color": st["color"]},
                            error_y={"type": "data", "array": sd, "visible": True, "thickness": 0.6},
                            legendgroup=method, showlegend=row == 1, row=row, col=1)
        fig.add_vline(x=GAMMA_MIN, line_dash="dot", line_color="black", row=row, col=1)
        fig.update_xaxes(title_text="γ", row=row, col=1)
        fig.update_yaxes(title_text="local ID", row=row, col=1)
    fig.update_layout(height=320 * len(keys), title="Fig. 6: local ID against γ (mean ± std over points)")
    return save_html(fig, path)


@register("zeta-fig6")
def zeta_fig6(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    doc, directory = context.doc, context.directory
    folder = params.get("folder", "fig6")
    doc.heading("Fig. 6: local intrinsic dimension against γ")
    doc.text(trial_status(context))
    found = summaries(context, folder)
    frames = [pd.read_csv(path / "local_id.csv") for path, _ in found if (path / "local_id.csv").is_file()]
    files: list[Path] = []
    if frames:
        table = pd.concat(frames, ignore_index=True)
        csv = directory / "local_id.csv"
        table.to_csv(csv, index=False)
        png = plot_local_id(table, directory / "fig6.png")
        html = interactive(table, directory / "fig6.html")
        files += [csv, png, html]
        doc.figure([png, html], "Fig. 6, every set: mean ± std of the local ID of ζ-mixup's output against γ (bold), of "
                                "mixup's (dash-dotted) and of the original data (dashed); dotted: γ_min")
        doc.figure([csv], "local_id.csv: dataset, k, method, gamma, mean, std, n")
        doc.text("Where ζ-mixup's local ID falls below mixup's, and where it does not (measured; each set's block "
                 "below judges the paper's statements):")
        relations = relation_tabular(table, standin_datasets(context))
        files += write_table(relations, directory / "fig6-relations")
        doc.table(relations)
    files += render_trials(context, found)
    return files
