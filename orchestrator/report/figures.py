"""Which figures a report draws, and their numbers, from the tables and trials of an experiment.

Rules (data-driven, so a user's own experiment gets the same figures as the paper's):
- a grid stage with at least `MIN_GAMMAS` fixed-γ ζ-mixup columns: the metric against γ, one panel
  per row, the baseline column as a horizontal line with a ± std band (Fig. 10 a/b);
- an experiment whose grid stages all compare the same two variants: paired dots of the two per
  row and metric (Fig. 9; Table 5's CutMix pair gets one too);
- every Bayesian stage: parallel coordinates of its search space and the metric, γ < γ_min grey
  (Fig. 10 c/d and the demo's sweep).
Numbers come from the same `Table` cells as the printed tables (finished trials only).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestrator.report.plots import GammaPanel, PairPanel, gamma_curves, paired_dots, parallel_coordinates
from orchestrator.record.status import TERMINATED
from orchestrator.report.layout import ReportStage
from orchestrator.report.tables import Table
from search_spaces import methods
from search_spaces.experiment import GAMMA_MIN

MIN_GAMMAS = 4  # Tables 4 and the demo (3 γ) are tables, not curves


def fixed_gamma(label: str) -> float | None:
    """γ of a fixed-γ ζ-mixup column label ("zeta-2.0" -> 2.0); None for any other column."""
    try:
        method = methods.get(label)
    except ValueError:
        return None
    gamma = method.params.get("gamma")
    return float(gamma) if method.method == "zeta" and gamma is not None else None


def gamma_columns(table: Table) -> list[tuple[float, str]]:
    """(γ, column) of the table's fixed-γ ζ-mixup columns, by γ."""
    found = [(fixed_gamma(c), c) for c in table.columns]
    return sorted((g, c) for g, c in found if g is not None)


def gamma_figure(table: Table, out_stem: Path, title: str) -> list[Path]:
    """The metric against γ per row (see module docstring); [] if the table has too few γ or no
    finished cell yet."""
    columns = gamma_columns(table)
    if len(columns) < MIN_GAMMAS:
        return []
    panels = []
    for row in table.rows:
        done = [(g, table.cells[(row, c)]) for g, c in columns if table.cells[(row, c)].n > 0]
        base = table.cells.get((row, table.baseline)) if table.baseline else None
        if not done:
            continue
        panels.append(GammaPanel(row, [g for g, _ in done], [c.mean for _, c in done], [c.std for _, c in done],
                                 [c.n for _, c in done], table.baseline or "",
                                 (base.mean, base.std, base.n) if base is not None and base.n > 0 else None))
    if not panels:
        return []
    label = table.metric.replace("test_", "") + " (%)"
    return gamma_curves(panels, label, out_stem, title)


def paired_variants(tables: list[Table]) -> tuple[str, str] | None:
    """The two variants every grid table compares, or None."""
    pairs = {tuple(t.columns) for t in tables}
    if len(pairs) != 1:
        return None
    pair = next(iter(pairs))
    return (pair[0], pair[1]) if len(pair) == 2 else None


def paired_figure(tables_by_metric: dict[str, list[Table]], out_stem: Path, title: str) -> list[Path]:
    """Paired dots of the two variants per metric (panels) and row (across every grid stage);
    [] if the experiment does not compare exactly two variants or nothing has finished."""
    every = [t for tables in tables_by_metric.values() for t in tables]
    pair = paired_variants(every) if every else None
    if pair is None:
        return []
    panels = []
    for metric, tables in tables_by_metric.items():
        rows, a, b = [], [], []
        for t in tables:
            for row in t.rows:
                rows.append(row)
                ca, cb = t.cells[(row, pair[0])], t.cells[(row, pair[1])]
                a.append(ca.mean if ca.n else None)
                b.append(cb.mean if cb.n else None)
        if any(x is not None for x in a + b):
            panels.append(PairPanel(metric.replace("test_", ""), rows, a, b, tables[0].higher_is_better))
    title = f"{title} (dotted: green where {pair[1]} is better, red where worse)"
    return paired_dots(panels, pair, out_stem, title) if panels else []


def sweep_figure(stage: ReportStage, trials: pd.DataFrame, out_stem: Path, title: str) -> tuple[list[Path], list[str]]:
    """Parallel coordinates of a Bayesian stage's finished trials: (files, lines for the report).

    Only TERMINATED trials are drawn: an early-stopped trial's metric is not that of a full run.
    """
    metric = stage.metric
    done = trials[trials["status"] == TERMINATED] if len(trials) and "status" in trials else trials.iloc[0:0]
    missing = [c for c in (*stage.space, metric) if c not in done]
    if len(done) < 2 or missing:
        return [], [f"{len(done)} finished trials: not enough to plot."]
    axes = [(p, p.replace("_", " "), param.kind == "loguniform") for p, param in stage.space.items()]
    axes.append((metric, metric, False))
    grey = ("gamma", GAMMA_MIN) if "gamma" in stage.space else None
    note = f" (grey: γ < {GAMMA_MIN})" if grey else ""
    paths = parallel_coordinates(done, axes, metric, grey, out_stem, f"{title}: {len(done)} trials{note}")
    best = done.sort_values(metric, ascending=stage.mode == "min").iloc[0]
    params = ", ".join(f"{p}={best[p]:.4g}" for p in stage.space)
    lines = [f"Best {metric} = {best[metric]:.4f} at {params}."]
    twin = "test_" + metric[len("val_"):] if metric.startswith("val_") else None
    if twin in best and pd.notna(best[twin]):  # selected on validation; its test score, reported, not chosen on
        lines[0] = lines[0][:-1] + f"; that trial's {twin} = {best[twin]:.4f}."
    if grey:
        below = int((done["gamma"].astype(float) < GAMMA_MIN).sum())
        lines.append(f"{below} of {len(done)} trials have γ < {GAMMA_MIN} (grey).")
    return paths, lines
