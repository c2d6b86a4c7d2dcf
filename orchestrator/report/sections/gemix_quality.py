"""Section "gemix-quality": the quality stage's oracle measures per set (`{artifacts}/quality/quality.json`)
and the t-SNE of the oracle's features of real, mixup and GeMix images (`tsne.npz`, GeMix Fig. 3).
Params: `figure` (its caption's name), `file` (the PNG's name)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from orchestrator.report.doc import Doc
from orchestrator.report.figure_files import pyplot, save_png
from orchestrator.report.render import NONE, Tabular, columns
from orchestrator.report.sections.registry import SectionContext, register
from workloads.artifacts import quality_dir

# quality.json columns shown (workloads.gan.quality.oracle_quality, fid_kid), in order.
QUALITY_COLUMNS = ("n", "label_fidelity", "mean_entropy", "soft_label_ce", "dominant_agreement", "fid", "kid_mean")
TSNE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def quality_tabular(sets: dict[str, dict[str, Any]]) -> Tabular:
    def cell(value: Any) -> str:
        if value is None:
            return NONE
        return str(value) if isinstance(value, int) else f"{float(value):.4g}"

    table = Tabular(columns(*QUALITY_COLUMNS), corner="set")
    for name, metrics in sets.items():
        table.add(name, [cell(metrics.get(column)) for column in QUALITY_COLUMNS])
    return table


def tsne_figure(npz: Path, path: Path) -> Path:
    """The t-SNE from tsne.npz: one colour per source (real, mixup, gemix), one marker per class."""
    with np.load(npz, allow_pickle=False) as data:
        coords, source, label, class_names = data["coords"], data["source"], data["label"], list(data["class_names"])
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    colours = plt.get_cmap("tab10")
    for i, name in enumerate(dict.fromkeys(source.tolist())):
        for k in np.unique(label):
            keep = (source == name) & (label == k)
            klass = class_names[k] if k < len(class_names) else str(k)
            ax.scatter(coords[keep, 0], coords[keep, 1], s=14, alpha=0.75, color=colours(i % 10),
                       marker=TSNE_MARKERS[int(k) % len(TSNE_MARKERS)], label=f"{name}: {klass}")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, ncol=len(set(source.tolist())), loc="best", markerscale=1.2)
    return save_png(fig, path, dpi=110)


def quality_section(doc: Doc, folder: Path, directory: Path, figure: str = "Fig. 3",
                    file: str = "tsne.png") -> list[Path]:
    """The oracle measures of `folder`'s quality.json and the t-SNE of its tsne.npz; returns files written."""
    doc.heading("Quality of the generated and mixed sets (oracle trained on real images only)")
    summary_file = folder / "quality.json"
    if not summary_file.is_file():
        doc.text("No quality measurements for this invocation (the quality stage has not finished).")
        return []
    summary = json.loads(summary_file.read_text())
    oracle = summary.get("oracle", {})
    doc.text(f"Oracle: {oracle.get('arch')} trained {oracle.get('epochs')} epochs on {oracle.get('train_images')} real "
             f"images (test accuracy {oracle.get('test_acc', float('nan')):.3f}). label_fidelity: accuracy on "
             "one-hot images (real: test split; gemix: G drawn from one-hot labels); mean_entropy (nats): "
             "realism, lower is more recognisable; soft_label_ce: cross-entropy of the soft labels against "
             "the oracle's predictions; FID/KID against the real train split.")
    doc.table(quality_tabular(summary.get("sets", {})))
    if summary.get("fid_notice"):
        doc.text(summary["fid_notice"])
    npz = folder / "tsne.npz"
    if not npz.is_file():
        return []
    path = tsne_figure(npz, directory / file)
    doc.figure([path], f"{figure}: t-SNE of the oracle's penultimate features of real, mixup and GeMix images "
                       "(colour: source; marker: class, the argmax of the soft label)")
    return [path]


@register("gemix-quality")
def gemix_quality(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    if context.artifacts is None:
        context.doc.heading("Quality of the generated and mixed sets (oracle trained on real images only)")
        context.doc.text("No quality measurements for this invocation (no invocation recorded).")
        return []
    return quality_section(context.doc, quality_dir(context.artifacts), context.directory,
                           params.get("figure", "Fig. 3"), params.get("file", "tsne.png"))
