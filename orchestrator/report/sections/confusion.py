"""Sections from the classifiers' test confusion matrices (`test_confusion`: a JSON list of lists in the
trials table, row = true class):

- "covid-fnr": the positive class's false-negative rate per (arch, variant), mean over finished seeds
  (GeMix reports COVID-19's); params: `stage`, `positive` (a class name of the dataset's spec).
- "confusion": the matrices summed over finished seeds, and a figure comparing `variants` per arch
  (GeMix Fig. 4: Real+MMixup vs Real+GeMix); params: `stage`, `variants`, `figure` (its caption's
  name) and `file` (the PNG's name).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from orchestrator.report.figure_files import pyplot, save_png
from orchestrator.report.render import NONE, Tabular, columns
from orchestrator.report.sections.registry import SectionContext, register


def class_names(dataset: str) -> list[str]:
    """The dataset's class names from its spec ([] for a dataset without one)."""
    from search_spaces.datasets import get_dataset_spec

    try:
        return list(get_dataset_spec(dataset).class_names)
    except ValueError:
        return []


def confusion_rows(context: SectionContext, stage: str) -> pd.DataFrame:
    return context.finished(stage, "test_confusion", "arch", "variant")


def false_negative_rates(rows: pd.DataFrame, positive: str) -> dict[tuple[str, str], tuple[float, int]]:
    """(arch, variant) -> (mean false-negative rate of class `positive` over finished seeds, seeds). A
    dataset without that class name counts its last class as the positive one."""
    out: dict[tuple[str, str], list[float]] = {}
    for row in rows.to_dict("records"):
        matrix = np.asarray(json.loads(row["test_confusion"]), dtype=float)
        names = class_names(str(row.get("dataset")))
        c = names.index(positive) if positive in names else len(matrix) - 1
        positives = matrix[c].sum()
        if positives > 0:
            out.setdefault((str(row["arch"]), str(row["variant"])), []).append(1.0 - matrix[c, c] / positives)
    return {key: (float(np.mean(v)), len(v)) for key, v in out.items()}


def summed_confusions(rows: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(arch, variant) -> confusion matrix (row = true class) summed over finished seeds."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for row in rows.to_dict("records"):
        key = (str(row["arch"]), str(row["variant"]))
        matrix = np.asarray(json.loads(row["test_confusion"]), dtype=np.int64)
        out[key] = out[key] + matrix if key in out else matrix
    return out


def fnr_tabular(rates: dict[tuple[str, str], tuple[float, int]], variants: list[str]) -> Tabular:
    table = Tabular(columns(*variants), corner="arch")
    for arch in dict.fromkeys(arch for arch, _ in rates):
        table.add(arch, [f"{100 * rates[(arch, v)][0]:.1f}" if (arch, v) in rates else NONE for v in variants])
    return table


@register("covid-fnr")
def covid_fnr(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    positive = params["positive"]
    context.doc.heading(f"{positive} false-negative rate (%, test set, mean over seeds)")
    rows = confusion_rows(context, params["stage"])
    rates = false_negative_rates(rows, positive)
    if not rates:
        context.doc.text("No finished classifier trial with a test confusion matrix yet.")
        return []
    context.doc.table(fnr_tabular(rates, list(dict.fromkeys(str(v) for v in rows["variant"]))))
    path = context.directory / "covid-fnr.json"
    path.write_text(json.dumps({f"{a} / {v}": {"fnr": r, "seeds": n} for (a, v), (r, n) in rates.items()}, indent=1))
    return [path]


def confusion_figure(matrices: dict[tuple[str, str], np.ndarray], variants: list[str], names: list[str],
                     path: Path) -> Path | None:
    """One row per arch, one column per variant; None if no arch has any of `variants`."""
    archs = list(dict.fromkeys(arch for arch, v in matrices if v in variants))
    if not archs:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(len(archs), len(variants), figsize=(4.2 * len(variants), 3.8 * len(archs)), squeeze=False)
    for i, arch in enumerate(archs):
        for j, variant in enumerate(variants):
            ax = axes[i][j]
            matrix = matrices.get((arch, variant))
            ax.set_title(f"{arch}: {variant}", fontsize=10)
            if matrix is None:
                ax.text(0.5, 0.5, "missing", ha="center", va="center")
                ax.set_axis_off()
                continue
            ax.imshow(matrix, cmap="Blues")
            for (r, c), value in np.ndenumerate(matrix):
                ax.text(c, r, str(value), ha="center", va="center",
                        color="white" if value > matrix.max() / 2 else "black", fontsize=9)
            ticks = list(range(len(matrix)))
            labels = names if len(names) == len(matrix) else [str(t) for t in ticks]
            ax.set_xticks(ticks, labels, fontsize=8)
            ax.set_yticks(ticks, labels, fontsize=8)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
    return save_png(fig, path, dpi=110)


@register("confusion")
def confusion(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    rows = confusion_rows(context, params["stage"])
    matrices = summed_confusions(rows)
    if not matrices:
        return []
    path = context.directory / "confusion-matrices.json"
    path.write_text(json.dumps({f"{a} / {v}": m.tolist() for (a, v), m in matrices.items()}, indent=1))
    variants = list(params["variants"])
    names = class_names(str(rows["dataset"].iloc[0])) if "dataset" in rows else []
    figure = confusion_figure(matrices, variants, names, context.directory / params.get("file", "confusion.png"))
    if figure is None:
        return [path]
    label = params.get("figure", "Confusion matrices")
    context.doc.figure([figure], f"{label}: confusion matrices, {' (left) vs '.join(variants)} (right), "
                                 "summed over seeds (row = true class)")
    return [path, figure]
