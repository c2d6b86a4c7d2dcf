"""Fig. 8 (b–e) of the ζ-mixup paper: t-SNE maps of synthesised training samples (circles, coloured
by their soft label's class) around the test images (squares, coloured by their true class)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure


def plot_fig8(
    tsne: pd.DataFrame,
    path: str | Path,
    *,
    class_names: Optional[Sequence[str]] = None,
    dpi: int = 130,
) -> Path:
    """One panel per method of `neighbourhood_tsne`'s table (columns method, kind, label, x, y)."""
    methods = list(dict.fromkeys(tsne["method"]))
    k = int(tsne["label"].max()) + 1 if class_names is None else len(class_names)
    names = list(class_names) if class_names is not None else [str(c) for c in range(k)]
    cmap = colormaps["tab10" if k <= 10 else "tab20"]
    fig = Figure(figsize=(4.2 * len(methods), 4.4), layout="constrained")
    axes = fig.subplots(1, len(methods), squeeze=False)[0]
    for ax, m in zip(axes, methods):
        g = tsne[tsne["method"] == m]
        train, test = g[g["kind"] == "train"], g[g["kind"] == "test"]
        for c in range(k):
            tc = train[train["label"] == c]
            ax.scatter(tc["x"], tc["y"], s=10, color=cmap(c), alpha=0.6, label=names[c])
        ax.scatter(test["x"], test["y"], s=70, marker="s", c=[cmap(int(c)) for c in test["label"]],
                   edgecolors="k", linewidths=1.2)
        ax.set_title(m.replace("zeta", "ζ-mixup"), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(fontsize=7, loc="best", title="class (squares: test images)", title_fontsize=7)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
