"""Fig. 6 of the ζ-mixup paper: local intrinsic dimension vs γ, one panel per (dataset, k).

Reads `local_id_sweep`'s table. ζ-mixup: its mean as a bold line over γ with a ± std band; mixup
and the original data ("vanilla"): horizontal dash-dotted / dashed lines with their bands (they do
not depend on γ); a dotted vertical line at γ_min = 1.72865 (Theorem 1).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from workloads.mixing.zeta import GAMMA_MIN

STYLE = {
    "zeta": {"color": "#dd1c77", "ls": "-", "lw": 2.0, "label": "ζ-mixup"},
    "mixup": {"color": "#43a2ca", "ls": "-.", "lw": 1.5, "label": "mixup"},
    "original": {"color": "#636363", "ls": "--", "lw": 1.5, "label": "original (vanilla)"},
}


def plot_local_id(table: pd.DataFrame, path: str | Path, *, dpi: int = 120) -> Path:
    """Draw every (dataset, k) of `table` (columns dataset, k, method, gamma, mean, std, n) as one
    panel: rows datasets, columns k. Returns the PNG path."""
    missing = {"dataset", "k", "method", "gamma", "mean", "std"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(sorted(missing))}")
    datasets = list(dict.fromkeys(table["dataset"]))
    ks = sorted(set(int(k) for k in table["k"]))
    fig = Figure(figsize=(4.2 * len(ks), 3.2 * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), len(ks), squeeze=False)
    for r, d in enumerate(datasets):
        for c, k in enumerate(ks):
            ax = axes[r][c]
            sub = table[(table["dataset"] == d) & (table["k"] == k)]
            zeta = sub[sub["method"] == "zeta"].sort_values("gamma")
            lo, hi = (zeta["gamma"].min(), zeta["gamma"].max()) if len(zeta) else (0.0, 15.0)
            for method in ("original", "mixup"):
                row = sub[sub["method"] == method]
                if row.empty:
                    continue
                m, s = float(row["mean"].iloc[0]), float(row["std"].iloc[0])
                st = STYLE[method]
                ax.hlines(m, lo, hi, colors=st["color"], linestyles=st["ls"], lw=st["lw"], label=st["label"])
                ax.fill_between([lo, hi], m - s, m + s, color=st["color"], alpha=0.15, lw=0)
            if len(zeta):
                st = STYLE["zeta"]
                ax.plot(zeta["gamma"], zeta["mean"], color=st["color"], ls=st["ls"], lw=st["lw"], label=st["label"])
                ax.fill_between(zeta["gamma"], zeta["mean"] - zeta["std"], zeta["mean"] + zeta["std"],
                                color=st["color"], alpha=0.2, lw=0)
            ax.axvline(GAMMA_MIN, color="k", ls=":", lw=1.0, label="γ_min")
            n = int(sub["n"].iloc[0]) if "n" in sub and len(sub) else None
            ax.set_title(f"{d} (k = {k}{f', n = {n}' if n else ''})", fontsize=9)
            ax.set_xlabel("γ")
            ax.set_ylabel("local ID (mean ± std)")
    axes[0][0].legend(fontsize=7, loc="best")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
