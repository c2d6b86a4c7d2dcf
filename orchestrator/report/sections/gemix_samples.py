"""Section "gemix-samples": a grid of the generated and mixed training images with their soft labels
(GeMix Fig. 2), read from the invocation's `{artifacts}/sets/<name>/`. Params: `sets` (one row each,
in order), `columns` (images per row), `figure` (its caption's name), `file` (the PNG's name)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from orchestrator.report.figure_files import pyplot, save_png
from orchestrator.report.sections.registry import SectionContext, register
from workloads.artifacts import sets_dir


def sample_grid(directory: Path, names: list[str], columns: int, path: Path) -> Path | None:
    """One row per set in `directory` (those present), its first `columns` images; None if none is."""
    from workloads.gan.sets import is_set, load_set

    present = [name for name in names if is_set(directory / name)]
    if not present:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(len(present), columns, figsize=(1.3 * columns, 1.5 * len(present)), squeeze=False)
    for i, name in enumerate(present):
        soft = load_set(directory / name, mmap=True)
        for j in range(columns):
            ax = axes[i][j]
            ax.set_axis_off()
            if j >= len(soft):
                continue
            image = np.asarray(soft.images[j])
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=255)
            if j == 0:
                ax.set_title(name, fontsize=8, loc="left")
            ax.text(0.5, -0.12, " ".join(f"{p:.2f}" for p in soft.soft_labels[j]), transform=ax.transAxes,
                    ha="center", va="top", fontsize=6)
    return save_png(fig, path, dpi=110)


@register("gemix-samples")
def gemix_samples(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    names = list(params["sets"])
    grid = None
    if context.artifacts is not None:
        grid = sample_grid(sets_dir(context.artifacts), names, int(params.get("columns", 8)),
                           context.directory / params.get("file", "samples.png"))
    if grid is None:
        context.doc.text("No generated sets found for this invocation (the sets stage has not finished).")
        return []
    label = params.get("figure", "Samples")
    context.doc.figure([grid], f"{label}: generated training images ({', '.join(names)}) with their soft labels")
    return [grid]
