"""Fig. 3 of the ζ-mixup paper, the oracle's view: (d, e) mixed digits with their soft labels,
(f) realism (entropy H of the oracle) and (g) label correctness (CE) as density plots.

The paper draws kernel density estimates with normalised areas, lower values better; (f) has an
inset with a logarithmic density axis, (g) an inset restricted to the samples with H < 0.1. We use
scipy's Gaussian KDE (Scott's bandwidth) on each method's values; a method whose values are all
equal is drawn as a vertical line (a KDE of one value is undefined).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workloads.analysis.realism import H_REALISTIC

COLOURS = ("#43a2ca", "#dd1c77", "#7a0177", "#fa9fb5", "#636363", "#31a354")


def _groups(scores: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for (method, gamma), g in scores.groupby(["method", "gamma"], dropna=False, sort=False):
        name = method if pd.isna(gamma) else f"ζ-mixup γ={gamma:g}"
        out.append((name, g))
    return out


def _density(ax, values: np.ndarray, grid: np.ndarray, colour: str, label: str, log: bool = False) -> None:
    from scipy.stats import gaussian_kde

    values = values[np.isfinite(values)]
    if len(values) == 0:
        return
    if len(values) < 2 or np.ptp(values) == 0:
        ax.axvline(float(values[0]), color=colour, label=label)
        return
    dens = gaussian_kde(values)(grid)
    if log:
        dens = np.maximum(dens, 1e-6)
    ax.plot(grid, dens, color=colour, label=label, lw=1.5)
    ax.fill_between(grid, dens, color=colour, alpha=0.15, lw=0)
    if log:
        ax.set_yscale("log")


def plot_realism(
    scores: pd.DataFrame,
    path: str | Path,
    *,
    num_classes: int = 10,
    h_threshold: float = H_REALISTIC,
    dpi: int = 130,
) -> Path:
    """Fig. 3f–g from `realism_scores`' per-sample table (columns method, gamma, entropy, ce)."""
    groups = _groups(scores)
    h_grid = np.linspace(0.0, np.log(num_classes), 400)
    ce_max = max(float(scores["ce"].max()), 1e-3)
    ce_grid = np.linspace(0.0, ce_max, 400)
    real_ce = scores.loc[scores["entropy"] < h_threshold, "ce"]
    real_grid = np.linspace(0.0, max(float(real_ce.max()) if len(real_ce) else 0.0, 1e-3) * 1.05, 400)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_h, ax_ce = fig.subplots(1, 2)
    ins_h = ax_h.inset_axes([0.45, 0.4, 0.5, 0.5])
    ins_ce = ax_ce.inset_axes([0.45, 0.4, 0.5, 0.5])
    for i, (name, g) in enumerate(groups):
        colour = COLOURS[i % len(COLOURS)]
        h = g["entropy"].to_numpy()
        _density(ax_h, h, h_grid, colour, name)
        _density(ins_h, h, h_grid, colour, name, log=True)
        _density(ax_ce, g["ce"].to_numpy(), ce_grid, colour, name)
        _density(ins_ce, g.loc[g["entropy"] < h_threshold, "ce"].to_numpy(), real_grid, colour, name)
    ax_h.set(xlabel="oracle entropy H (nats), lower = more realistic", ylabel="density", title="(f) realism")
    ax_ce.set(xlabel="CE of soft label vs oracle class (nats), lower = correct label", ylabel="density",
              title="(g) label correctness")
    ins_h.set_title("log density", fontsize=8)
    ins_ce.set_title(f"samples with H < {h_threshold:g}", fontsize=8)
    for ax in (ins_h, ins_ce):
        ax.tick_params(labelsize=7)
    ax_h.legend(fontsize=8, loc="upper left")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def pick_examples(scores: pd.DataFrame, method: str, gamma: Optional[float] = None, count: int = 4) -> np.ndarray:
    """The `count` samples of one method the oracle is surest about (lowest H): their input slots.

    The same rule for every method, so Fig. 3d–e compare like with like (the paper hand-picked).
    """
    g = scores[scores["method"] == method]
    g = g[g["gamma"].isna()] if gamma is None else g[np.isclose(g["gamma"], gamma)]
    if g.empty:
        raise ValueError(f"no scores for method={method!r}, gamma={gamma!r}")
    return g.nsmallest(count, "entropy")["index"].to_numpy()


def plot_soft_label_examples(
    mixed: Mapping[str, tuple[np.ndarray, np.ndarray]],
    picks: Mapping[str, Sequence[int]],
    path: str | Path,
    *,
    class_names: Optional[Sequence[str]] = None,
    dpi: int = 130,
) -> Path:
    """Fig. 3d–e: for each panel name in `picks` (keys of `mix_images`' output), its picked images
    with a bar chart of their soft labels underneath."""
    names = list(picks)
    count = max(len(v) for v in picks.values())
    fig = Figure(figsize=(2.0 * count, 3.6 * len(names)), layout="constrained")
    axes = fig.subplots(2 * len(names), count, squeeze=False, gridspec_kw={"height_ratios": [1.4, 1] * len(names)})
    for r, name in enumerate(names):
        imgs, soft = mixed[name]
        k = soft.shape[1]
        labels = list(class_names) if class_names is not None else [str(j) for j in range(k)]
        for c in range(count):
            ax_img, ax_bar = axes[2 * r][c], axes[2 * r + 1][c]
            ax_img.set_axis_off()
            if c >= len(picks[name]):
                ax_bar.set_axis_off()
                continue
            i = int(picks[name][c])
            img = imgs[i]
            ax_img.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
            ax_img.set_title(f"{name.replace('zeta', 'ζ-mixup')} #{i}", fontsize=8)
            ax_bar.bar(range(k), soft[i], color="#636363")
            ax_bar.set_ylim(0, 1)
            ax_bar.set_xticks(range(k), labels, fontsize=6)
            ax_bar.tick_params(axis="y", labelsize=6)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
