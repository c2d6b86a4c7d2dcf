"""PNG figures of the synthetic-point analyses: Fig. 2 (a, b, c) and Fig. 7 of the ζ-mixup paper.

Drawn with matplotlib's object API on an Agg canvas (`matplotlib.figure.Figure`), so nothing here
touches pyplot's global state or needs a display. Each function takes the arrays its analysis
module returns and writes one PNG; it returns the path written.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse as EllipsePatch

from workloads.analysis.batch_mixing import MixSpec
from workloads.analysis.local_id_illustration import Fig7Panel
from workloads.analysis.synthetic_mixing import FIG2B_VIEWS, FIG2C_VIEW, MixedSet

CMAP = "coolwarm_r"
"""Class-1 probability colours of the authors' 2-D demo."""
GREY, MIXUP_BLUE, ZETA_PINK = "#636363", "#43a2ca", "#dd1c77"
"""The helix demo's colours: original, mixup, ζ-mixup."""


def _title(spec: MixSpec) -> str:
    if spec.method == "original":
        return "original"
    if spec.method == "mixup":
        return "mixup"
    tail = f", T = {spec.t}" if spec.t is not None else ""
    return f"ζ-mixup (γ = {spec.gamma:g}{tail})"


def _save(fig: Figure, path: str | Path, dpi: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def plot_fig2a(sets: Sequence[MixedSet], path: str | Path, *, dpi: int = 120) -> Path:
    """Fig. 2a: one row per 2-D set, one column per panel (`fig2a`'s order); points coloured by
    the soft label's class-1 probability (originals by their class)."""
    datasets = list(dict.fromkeys(m.dataset for m in sets))
    cols = max(sum(m.dataset == d for m in sets) for d in datasets)
    fig = Figure(figsize=(2.6 * cols + 1.0, 2.6 * len(datasets)))
    axes = fig.subplots(len(datasets), cols, squeeze=False)
    scatter = None
    for r, d in enumerate(datasets):
        row = [m for m in sets if m.dataset == d]
        for c, ax in enumerate(axes[r]):
            ax.set_axis_off()
            if c >= len(row):
                continue
            m = row[c]
            colour = m.p1 if m.p1 is not None else m.labels.astype(float)
            scatter = ax.scatter(m.x[:, 0], m.x[:, 1], c=colour, cmap=CMAP, vmin=0, vmax=1, s=4)
            ax.set_title(_title(m.spec) if r == 0 else "", fontsize=9)
        axes[r][0].text(-0.08, 0.5, d, transform=axes[r][0].transAxes, rotation=90, va="center", ha="right")
    if scatter is not None:
        fig.colorbar(scatter, ax=axes.ravel().tolist(), label="class 1 probability", shrink=0.8)
    return _save(fig, path, dpi)


def _scatter3d(ax, original: np.ndarray, mixed: np.ndarray | None, colour: str, view: tuple[float, float]) -> None:
    ax.scatter(original[:, 0], original[:, 1], original[:, 2], c=GREY, s=0.5, alpha=0.4, depthshade=False)
    if mixed is not None:
        ax.scatter(mixed[:, 0], mixed[:, 1], mixed[:, 2], c=colour, s=0.5, alpha=0.5, depthshade=False)
    ax.view_init(elev=view[0], azim=view[1])
    ax.set_box_aspect((1, 1, 1))
    ax.set_axis_off()


def plot_fig2b(
    sets: Sequence[MixedSet],
    path: str | Path,
    *,
    views: Sequence[tuple[float, float]] = FIG2B_VIEWS,
    dpi: int = 110,
) -> Path:
    """Fig. 2b: one row per (elevation, azimuth) view, one column per panel of `fig2b`; original
    points grey under every panel, mixup blue, ζ-mixup pink."""
    original = next(m.x for m in sets if m.spec.method == "original")
    fig = Figure(figsize=(2.8 * len(sets), 2.8 * len(views)))
    for r, view in enumerate(views):
        for c, m in enumerate(sets):
            ax = fig.add_subplot(len(views), len(sets), r * len(sets) + c + 1, projection="3d")
            mixed = None if m.spec.method == "original" else m.x
            _scatter3d(ax, original, mixed, MIXUP_BLUE if m.spec.method == "mixup" else ZETA_PINK, view)
            ax.set_title(f"{_title(m.spec)}\n(elev {view[0]:g}°, azim {view[1]:g}°)", fontsize=8)
    return _save(fig, path, dpi)


def plot_fig2c(
    sets: Sequence[MixedSet],
    path: str | Path,
    *,
    view: tuple[float, float] = FIG2C_VIEW,
    dpi: int = 110,
) -> Path:
    """Fig. 2c: rows T, columns γ (from `fig2c`), ζ-mixup pink over the grey original points."""
    original = next(m.x for m in sets if m.spec.method == "original")
    mixed = [m for m in sets if m.spec.method == "zeta"]
    ts = list(dict.fromkeys(m.spec.t for m in mixed))
    gammas = list(dict.fromkeys(m.spec.gamma for m in mixed))
    fig = Figure(figsize=(2.8 * len(gammas), 2.8 * len(ts)))
    for m in mixed:
        r, c = ts.index(m.spec.t), gammas.index(m.spec.gamma)
        ax = fig.add_subplot(len(ts), len(gammas), r * len(gammas) + c + 1, projection="3d")
        _scatter3d(ax, original, m.x, ZETA_PINK, view)
        ax.set_title(f"T = {m.spec.t}, γ = {m.spec.gamma:g}", fontsize=9)
    return _save(fig, path, dpi)


def plot_fig7(panels: Sequence[Fig7Panel], path: str | Path, *, dpi: int = 120) -> Path:
    """Fig. 7: top row, each method's points (coloured by class-1 probability) with the local-PCA
    ellipses and their local IDs; bottom row, the shown test point (green square) and its k nearest
    training points for the largest k (rings) and the smallest k (filled), zoomed on the test point."""
    fig = Figure(figsize=(3.4 * len(panels), 6.6), layout="constrained")
    axes = fig.subplots(2, len(panels), squeeze=False)
    scatter = None
    for c, p in enumerate(panels):
        m = p.points
        colour = m.p1 if m.p1 is not None else m.labels.astype(float)
        top, bottom = axes[0][c], axes[1][c]
        scatter = top.scatter(m.x[:, 0], m.x[:, 1], c=colour, cmap=CMAP, vmin=0, vmax=1, s=3)
        for e in p.ellipses:
            top.add_patch(EllipsePatch(e.center, e.width, e.height, angle=e.angle, fill=False, color="k", lw=1.2))
            top.annotate(f"ID {e.local_id}", e.center, fontsize=7, ha="center", va="bottom")
        t = p.test_x[p.show]
        top.scatter([t[0]], [t[1]], marker="s", c="#2ca25f", s=40, edgecolors="k")
        top.set_title(_title(m.spec), fontsize=9)
        top.set_aspect("equal")
        ks = sorted(p.neighbours)
        big, small = p.neighbours[ks[-1]][p.show], p.neighbours[ks[0]][p.show]
        bottom.scatter(m.x[:, 0], m.x[:, 1], c=colour, cmap=CMAP, vmin=0, vmax=1, s=6, alpha=0.35)
        bottom.scatter(m.x[big, 0], m.x[big, 1], facecolors="none", edgecolors="k", s=40, lw=0.8, label=f"k = {ks[-1]}")
        bottom.scatter(m.x[small, 0], m.x[small, 1], c=colour[small], cmap=CMAP, vmin=0, vmax=1, s=40,
                       edgecolors="k", lw=0.8, label=f"k = {ks[0]}")
        bottom.scatter([t[0]], [t[1]], marker="s", c="#2ca25f", s=70, edgecolors="k",
                       label=f"test point (class {int(p.test_y[p.show])})")
        span = np.abs(m.x[big] - t).max() * 1.5 + 1e-6
        bottom.set_xlim(t[0] - span, t[0] + span)
        bottom.set_ylim(t[1] - span, t[1] + span)
        bottom.set_aspect("equal")
        bottom.legend(fontsize=6, loc="lower left")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if scatter is not None:
        fig.colorbar(scatter, ax=axes[0].tolist(), label="class 1 probability", shrink=0.8)
    return _save(fig, path, dpi)
