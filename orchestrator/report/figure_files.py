"""Writing report figures: PNG through matplotlib's Agg backend (files only: no display, no browser
engine) and interactive HTML through plotly, its JS embedded in each file so that the page opens from
file:// and from MLflow's artifact viewer without a network."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot():
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: Path, dpi: int = 120, title: str | None = None) -> Path:
    """Lay out, write and close a matplotlib figure; returns `path`."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def save_html(figure: Any, path: Path) -> Path:
    """A plotly figure as a self-contained HTML page; returns `path`."""
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path
