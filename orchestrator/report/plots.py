"""Drawing the report figures from already-aggregated numbers: interactive HTML (plotly, its JS
embedded in each file so that the page opens from file:// and from MLflow's artifact viewer without a
network) and PNG (matplotlib's Agg backend: no browser engine, no kaleido).

Figures: parallel coordinates of a Bayesian sweep (Fig. 10 c/d), a metric against γ with a
baseline band (Fig. 10 a/b), and paired dots of two variants per dataset and metric (Fig. 9).
Data reach plotly as plain lists (not numpy arrays, which plotly would encode as base64), so every
number is readable in the HTML.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from orchestrator.report.figure_files import pyplot, save_html, save_png

GREY = "#c8c8c8"
BETTER, WORSE = "#2ca02c", "#d62728"  # paired dots: the second variant better / worse


def _floats(values) -> list[float]:
    return [float(v) for v in values]


# -- parallel coordinates (Fig. 10 c/d) ------------------------------------------------------------

def _axis_values(values: pd.Series, log: bool) -> np.ndarray:
    data = np.log10(values.astype(float)) if log else values.astype(float)
    low, high = float(np.min(data)), float(np.max(data))
    return (data - low) / (high - low) if high > low else np.full(len(data), 0.5)


def parallel_coordinates(frame: pd.DataFrame, axes: list[tuple[str, str, bool]], metric: str,
                         grey_below: tuple[str, float] | None, out_stem: Path, title: str) -> list[Path]:
    """Write `<out_stem>.html` and `<out_stem>.png`.

    axes: (column, label, log scale) in display order; the metric is coloured (viridis) and lines
    whose `grey_below[0]` column is below `grey_below[1]` are drawn grey (e.g. gamma < gamma_min).
    """
    import plotly.graph_objects as go

    frame = frame.dropna(subset=[c for c, _, _ in axes]).reset_index(drop=True)
    greyed = frame[grey_below[0]].astype(float) < grey_below[1] if grey_below else pd.Series(False, index=frame.index)
    score = frame[metric].astype(float)
    lo, hi = colour_range(score, greyed)
    # Plotly colours lines through one colour scale: valid lines map to [0.1, 1], greyed ones to 0.
    shade = 0.1 + 0.9 * ((score - lo) / (hi - lo) if hi > lo else pd.Series(0.5, index=score.index))
    shade[greyed] = 0.0
    scale = [[0.0, GREY], [0.0999, GREY], [0.1, "#440154"], [0.4, "#31688e"], [0.7, "#35b779"], [1.0, "#fde725"]]
    dims = []
    for column, label, log in axes:
        values = frame[column].astype(float)
        if log:
            ticks = np.linspace(np.log10(values.min()), np.log10(values.max()), 5)
            dims.append(dict(label=label, values=_floats(np.log10(values)), tickvals=_floats(ticks),
                             ticktext=[f"{10**t:.1e}" for t in ticks]))
        else:
            dims.append(dict(label=label, values=_floats(values)))
    figure = go.Figure(go.Parcoords(line=dict(color=_floats(shade), colorscale=scale, cmin=0, cmax=1), dimensions=dims))
    figure.update_layout(title=title)
    html_path, png_path = out_stem.with_suffix(".html"), out_stem.with_suffix(".png")
    save_html(figure, html_path)
    _parallel_png(frame, axes, score, greyed, png_path, title)
    return [html_path, png_path]


def colour_range(score: pd.Series, greyed: pd.Series) -> tuple[float, float]:
    """The metric range the colour scale spans: that of the coloured lines only, so one poor greyed
    trial does not wash every coloured line into the same colour."""
    shown = score[~greyed] if (~greyed).any() else score
    return float(shown.min()), float(shown.max())


def _parallel_png(frame, axes, score, greyed, path: Path, title: str) -> None:
    plt = pyplot()
    positions = np.arange(len(axes))
    normalized = np.stack([_axis_values(frame[c], log) for c, _, log in axes], axis=1)
    fig, ax = plt.subplots(figsize=(2.4 * len(axes) + 2, 4.5))
    cmap = plt.get_cmap("viridis")
    lo, hi = colour_range(score, greyed)
    order = np.argsort(~greyed.to_numpy(), kind="stable")  # grey lines first, coloured on top
    for i in order:
        colour = GREY if greyed.iloc[i] else cmap(float(np.clip((score.iloc[i] - lo) / (hi - lo), 0, 1)) if hi > lo else 0.5)
        ax.plot(positions, normalized[i], color=colour, alpha=0.85, linewidth=1.4)
    for p, (column, label, log) in zip(positions, axes):
        ax.axvline(p, color="black", linewidth=0.8)
        values = frame[column].astype(float)
        for y, v in ((0, values.min()), (1, values.max())):
            ax.text(p + 0.03, y, f"{v:.2e}" if log else f"{v:.3g}", fontsize=8, va="center")
    ax.set_xticks(positions, [label for _, label, _ in axes])
    ax.set_yticks([])
    ax.set_title(title)
    save_png(fig, path)


# -- a metric against γ with a baseline band (Fig. 10 a/b) ------------------------------------------

@dataclass
class GammaPanel:
    """One dataset: mean ± std (fractions) over seeds at each γ, and the baseline's (mean, std, n)."""

    title: str
    gammas: list[float]
    mean: list[float]
    std: list[float]
    n: list[int]
    baseline_label: str = ""
    baseline: tuple[float, float, int] | None = None


def gamma_curves(panels: list[GammaPanel], y_label: str, out_stem: Path, title: str, scale: float = 100.0) -> list[Path]:
    """One subplot per panel: the metric against γ (error bars: std over seeds), the baseline as a
    horizontal line with a ± std band. Writes `<out_stem>.html` and `.png`."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[p.title for p in panels])
    for k, p in enumerate(panels, start=1):
        mean, std = [m * scale for m in p.mean], [s * scale for s in p.std]
        hover = [f"{p.title} γ={g:g}: {m:.2f} ± {s:.2f} (n={n})" for g, m, s, n in zip(p.gammas, mean, std, p.n)]
        figure.add_trace(go.Scatter(x=_floats(p.gammas), y=mean, error_y=dict(type="data", array=std),
                                    mode="lines+markers", name=f"{p.title}: ζ-mixup", hovertext=hover,
                                    hoverinfo="text"), row=1, col=k)
        if p.baseline is not None and p.gammas:
            b, s, n = p.baseline[0] * scale, p.baseline[1] * scale, p.baseline[2]
            x = [min(p.gammas), max(p.gammas)]
            label = f"{p.title}: {p.baseline_label} {b:.2f} ± {s:.2f} (n={n})"
            figure.add_trace(go.Scatter(x=x + x[::-1], y=[b + s, b + s, b - s, b - s], fill="toself",
                                        fillcolor="rgba(214,39,40,0.15)", line=dict(width=0), hoverinfo="skip",
                                        showlegend=False), row=1, col=k)
            figure.add_trace(go.Scatter(x=x, y=[b, b], mode="lines", line=dict(color=WORSE, dash="dash"),
                                        name=label, hovertext=[label, label], hoverinfo="text"), row=1, col=k)
        figure.update_xaxes(title_text="γ", row=1, col=k)
        figure.update_yaxes(title_text=y_label, row=1, col=k)
    figure.update_layout(title=title)
    html_path, png_path = out_stem.with_suffix(".html"), out_stem.with_suffix(".png")
    save_html(figure, html_path)

    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, p in zip(axes[0], panels):
        ax.errorbar(p.gammas, [m * scale for m in p.mean], yerr=[s * scale for s in p.std], marker="o",
                    capsize=3, label="ζ-mixup")
        if p.baseline is not None:
            b, s = p.baseline[0] * scale, p.baseline[1] * scale
            ax.axhline(b, color=WORSE, linestyle="--", label=p.baseline_label)
            ax.axhspan(b - s, b + s, color=WORSE, alpha=0.15, linewidth=0)
        ax.set_title(p.title)
        ax.set_xlabel("γ")
        ax.set_ylabel(y_label)
        ax.legend(fontsize=8)
    save_png(fig, png_path, title=title)
    return [html_path, png_path]


# -- paired dots of two variants (Fig. 9) -----------------------------------------------------------

@dataclass
class PairPanel:
    """One metric: per row, the two variants' means (fractions; None where missing)."""

    metric: str
    rows: list[str]
    a: list[float | None]
    b: list[float | None]
    higher_is_better: bool = True


def paired_dots(panels: list[PairPanel], labels: tuple[str, str], out_stem: Path, title: str,
                scale: float = 100.0) -> list[Path]:
    """One subplot per metric, one line per row joining variant a's dot to variant b's, green where
    b is better, red where it is worse (the paper's Fig. 9 colours). Writes `.html` and `.png`."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[p.metric for p in panels], shared_yaxes=True)
    for k, p in enumerate(panels, start=1):
        for row, a, b in zip(p.rows, p.a, p.b):
            if a is None or b is None:
                continue
            better = (b > a) == p.higher_is_better
            figure.add_trace(go.Scatter(x=[a * scale, b * scale], y=[row, row], mode="lines",
                                        line=dict(color=BETTER if better else WORSE, dash="dot"),
                                        hoverinfo="skip", showlegend=False), row=1, col=k)
        for name, values, symbol in ((labels[0], p.a, "circle"), (labels[1], p.b, "square")):
            points = [(r, v * scale) for r, v in zip(p.rows, values) if v is not None]
            figure.add_trace(go.Scatter(x=[v for _, v in points], y=[r for r, _ in points], mode="markers",
                                        marker=dict(symbol=symbol, size=9), name=name, legendgroup=name,
                                        showlegend=k == 1,
                                        hovertext=[f"{r} {name} {p.metric}: {v:.2f}" for r, v in points],
                                        hoverinfo="text"), row=1, col=k)
    figure.update_layout(title=title, height=max(350, 40 * max(len(p.rows) for p in panels) + 150))
    html_path, png_path = out_stem.with_suffix(".html"), out_stem.with_suffix(".png")
    save_html(figure, html_path)

    plt = pyplot()
    height = max(3.0, 0.35 * max(len(p.rows) for p in panels) + 1.5)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels) + 1.5, height), sharey=True, squeeze=False)
    rows = panels[0].rows
    for ax, p in zip(axes[0], panels):
        for i, (a, b) in enumerate(zip(p.a, p.b)):
            if a is not None and b is not None and not (math.isnan(a) or math.isnan(b)):
                better = (b > a) == p.higher_is_better
                ax.plot([a * scale, b * scale], [i, i], linestyle=":", color=BETTER if better else WORSE)
        for name, values, marker in ((labels[0], p.a, "o"), (labels[1], p.b, "s")):
            points = [(i, v * scale) for i, v in enumerate(values) if v is not None]
            ax.scatter([v for _, v in points], [i for i, _ in points], marker=marker, label=name, zorder=3)
        ax.set_title(p.metric)
        ax.set_yticks(range(len(rows)), rows)
        ax.invert_yaxis()
    axes[0][0].legend(fontsize=8)
    save_png(fig, png_path, title=title)
    return [html_path, png_path]
