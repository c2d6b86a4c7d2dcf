"""Plots from Parquet results: parallel coordinates of a Bayesian sweep (interactive HTML via plotly,
PNG via matplotlib, so no browser engine is needed to write images)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

GREY = "#c8c8c8"


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
    lo, hi = float(score.min()), float(score.max())
    # Plotly colours lines through one colour scale: valid lines map to [0.1, 1], greyed ones to 0.
    shade = 0.1 + 0.9 * ((score - lo) / (hi - lo) if hi > lo else 0.5)
    shade[greyed] = 0.0
    scale = [[0.0, GREY], [0.0999, GREY], [0.1, "#440154"], [0.4, "#31688e"], [0.7, "#35b779"], [1.0, "#fde725"]]
    dims = []
    for column, label, log in axes:
        values = frame[column].astype(float)
        if log:
            ticks = np.linspace(np.log10(values.min()), np.log10(values.max()), 5)
            dims.append(dict(label=label, values=np.log10(values), tickvals=ticks, ticktext=[f"{10**t:.1e}" for t in ticks]))
        else:
            dims.append(dict(label=label, values=values))
    figure = go.Figure(go.Parcoords(line=dict(color=shade, colorscale=scale, cmin=0, cmax=1), dimensions=dims))
    figure.update_layout(title=title)
    html_path, png_path = out_stem.with_suffix(".html"), out_stem.with_suffix(".png")
    figure.write_html(html_path, include_plotlyjs=True)
    _parallel_png(frame, axes, score, greyed, png_path, title)
    return [html_path, png_path]


def _parallel_png(frame, axes, score, greyed, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positions = np.arange(len(axes))
    normalized = np.stack([_axis_values(frame[c], log) for c, _, log in axes], axis=1)
    fig, ax = plt.subplots(figsize=(2.4 * len(axes) + 2, 4.5))
    cmap = plt.get_cmap("viridis")
    lo, hi = float(score.min()), float(score.max())
    order = np.argsort(~greyed.to_numpy())  # grey lines first, coloured on top
    for i in order:
        colour = GREY if greyed.iloc[i] else cmap((score.iloc[i] - lo) / (hi - lo) if hi > lo else 0.5)
        ax.plot(positions, normalized[i], color=colour, alpha=0.85, linewidth=1.4)
    for p, (column, label, log) in zip(positions, axes):
        ax.axvline(p, color="black", linewidth=0.8)
        values = frame[column].astype(float)
        for y, v in ((0, values.min()), (1, values.max())):
            ax.text(p + 0.03, y, f"{v:.2e}" if log else f"{v:.3g}", fontsize=8, va="center")
    ax.set_xticks(positions, [label for _, label, _ in axes])
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
