"""GeMix's report pieces beyond Table I: the COVID-19 false-negative rate, the confusion matrices of
Fig. 4 (Real+MMixup vs Real+GeMix per architecture), the sample grid of Fig. 2 (mixup, MMixup, GeMix),
the quality stage's oracle metrics per set and Fig. 3 (t-SNE of the oracle's features of real, mixup
and GeMix images; the oracle is the experiment's first arch, ResNet-50 as in the paper).

Read only the trials Parquet rows (`test_confusion` is a JSON list of lists, row = true class) and the
invocation's files in WORKDIR/artifacts/NAME/<invocation>/: the generated sets in sets/, the quality
stage's quality.json and tsne.npz in quality/. Matrices are summed over the finished seeds of a cell;
rates are means over seeds.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestrator.report.index import Doc
from orchestrator.record.status import TERMINATED
from workloads.artifacts import SET_NAMES
from orchestrator.workdir import WorkDir

EXPERIMENTS = ("gemix-table1",)
CLASSIFY_STAGE = "classify"
FIG4_VARIANTS = ("real+mmixup", "real+gemix")  # the paper's Fig. 4 columns
POSITIVE = "COVID-19"
GRID_SETS = SET_NAMES  # the generated and mixed sets, in the order of Fig. 2
GRID_COLUMNS = 8
# quality.json columns shown in the report (workloads.gan.quality.oracle_quality, fid_kid), in order.
QUALITY_COLUMNS = ("n", "label_fidelity", "mean_entropy", "soft_label_ce", "dominant_agreement", "fid", "kid_mean")
TSNE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _finished(trials: pd.DataFrame) -> pd.DataFrame:
    needed = {"stage", "status", "test_confusion", "arch", "variant"}
    if trials.empty or not needed <= set(trials):
        return pd.DataFrame()
    rows = trials[(trials["stage"] == CLASSIFY_STAGE) & (trials["status"] == TERMINATED)]
    return rows[rows["test_confusion"].notna()].reset_index(drop=True)


def _positive_index(dataset: str, num_classes: int) -> int:
    try:
        from search_spaces.datasets import get_dataset_spec

        names = get_dataset_spec(dataset).class_names
        return names.index(POSITIVE) if POSITIVE in names else num_classes - 1
    except ValueError:
        return num_classes - 1


def false_negative_rates(trials: pd.DataFrame) -> dict[tuple[str, str], tuple[float, int]]:
    """(arch, variant) -> (mean COVID-19 false-negative rate over finished seeds, seeds)."""
    out: dict[tuple[str, str], list[float]] = {}
    for row in _finished(trials).to_dict("records"):
        matrix = np.asarray(json.loads(row["test_confusion"]), dtype=float)
        c = _positive_index(str(row.get("dataset")), len(matrix))
        positives = matrix[c].sum()
        if positives > 0:
            out.setdefault((str(row["arch"]), str(row["variant"])), []).append(1.0 - matrix[c, c] / positives)
    return {key: (float(np.mean(v)), len(v)) for key, v in out.items()}


def summed_confusions(trials: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(arch, variant) -> confusion matrix (row = true class) summed over finished seeds."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for row in _finished(trials).to_dict("records"):
        key = (str(row["arch"]), str(row["variant"]))
        matrix = np.asarray(json.loads(row["test_confusion"]), dtype=np.int64)
        out[key] = out[key] + matrix if key in out else matrix
    return out


def _fnr_table(rates: dict[tuple[str, str], tuple[float, int]], variants: list[str]) -> tuple[str, str]:
    import html

    archs = list(dict.fromkeys(arch for arch, _ in rates))
    head = ["arch", *variants]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    body = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows_html = []
    for arch in archs:
        cells = [f"{100 * rates[(arch, v)][0]:.1f}" if (arch, v) in rates else "–" for v in variants]
        lines.append("| " + " | ".join([arch, *cells]) + " |")
        rows_html.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in [arch, *cells]) + "</tr>")
    return "\n".join(lines), f"<table><tr>{body}</tr>{''.join(rows_html)}</table>"


def _confusion_figure(matrices: dict[tuple[str, str], np.ndarray], class_names: list[str], path: Path) -> Path | None:
    archs = list(dict.fromkeys(arch for arch, v in matrices if v in FIG4_VARIANTS))
    if not archs:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(archs), len(FIG4_VARIANTS), figsize=(4.2 * len(FIG4_VARIANTS), 3.8 * len(archs)),
                             squeeze=False)
    for i, arch in enumerate(archs):
        for j, variant in enumerate(FIG4_VARIANTS):
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
            ticks = range(len(matrix))
            names = class_names if len(class_names) == len(matrix) else [str(t) for t in ticks]
            ax.set_xticks(list(ticks), names, fontsize=8)
            ax.set_yticks(list(ticks), names, fontsize=8)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _sample_grid(sets_dir: Path, path: Path) -> Path | None:
    """Fig. 2: one row per set (mixup, MMixup, GeMix), its first GRID_COLUMNS images."""
    from workloads.gan.sets import is_set, load_set

    present = [name for name in GRID_SETS if is_set(sets_dir / name)]
    if not present:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(present), GRID_COLUMNS, figsize=(1.3 * GRID_COLUMNS, 1.5 * len(present)), squeeze=False)
    for i, name in enumerate(present):
        soft = load_set(sets_dir / name, mmap=True)
        for j in range(GRID_COLUMNS):
            ax = axes[i][j]
            ax.set_axis_off()
            if j >= len(soft):
                continue
            image = np.asarray(soft.images[j])
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=255)
            label = soft.soft_labels[j]
            if j == 0:
                ax.set_title(name, fontsize=8, loc="left")
            ax.text(0.5, -0.12, " ".join(f"{p:.2f}" for p in label), transform=ax.transAxes, ha="center",
                    va="top", fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _artifacts_sets(workdir: WorkDir, experiment: str, invocation: str | None) -> Path | None:
    if not invocation:
        return None
    return workdir.artifacts(experiment, invocation) / "sets"


def gemix_sections(doc: Doc, experiment: str, trials: pd.DataFrame, workdir: WorkDir, invocation: str | None,
                   directory: Path) -> list[Path]:
    """Add the GeMix pieces to `doc` (nothing for other experiments); returns the files written."""
    if experiment not in EXPERIMENTS:
        return []
    files: list[Path] = []
    doc.heading("COVID-19 false-negative rate (%, test set, mean over seeds)")
    rates = false_negative_rates(trials)
    if rates:
        variants = list(dict.fromkeys(str(v) for v in _finished(trials)["variant"]))
        doc.table(*_fnr_table(rates, variants))
        path = directory / "covid-fnr.json"
        path.write_text(json.dumps({f"{a} / {v}": {"fnr": r, "seeds": n} for (a, v), (r, n) in rates.items()},
                                   indent=1))
        files.append(path)
    else:
        doc.text("No finished classifier trial with a test confusion matrix yet.")
    matrices = summed_confusions(trials)
    if matrices:
        path = directory / "confusion-matrices.json"
        path.write_text(json.dumps({f"{a} / {v}": m.tolist() for (a, v), m in matrices.items()}, indent=1))
        files.append(path)
        names = _class_names(trials)
        figure = _confusion_figure(matrices, names, directory / "fig4-confusion.png")
        if figure is not None:
            files.append(figure)
            doc.figure([figure], "Fig. 4: confusion matrices, Real+MMixup (left) vs Real+GeMix (right), "
                                 "summed over seeds (row = true class)")
    sets_dir = _artifacts_sets(workdir, experiment, invocation)
    grid = _sample_grid(sets_dir, directory / "fig2-samples.png") if sets_dir is not None else None
    if grid is not None:
        files.append(grid)
        doc.figure([grid], "Fig. 2: generated training images (mixup, MMixup, GeMix) with their soft labels")
    else:
        doc.text("No generated sets found for this invocation (the sets stage has not finished).")
    quality_dir = sets_dir.parent / "quality" if sets_dir is not None else None
    files += quality_section(doc, quality_dir, directory) if quality_dir is not None else []
    return files


def _quality_table(sets: dict[str, dict[str, Any]]) -> tuple[str, str]:
    import html

    def cell(value: Any) -> str:
        if value is None:
            return "–"
        return str(value) if isinstance(value, int) else f"{float(value):.4g}"

    head = ["set", *QUALITY_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows_html = []
    for name, metrics in sets.items():
        cells = [name, *(cell(metrics.get(column)) for column in QUALITY_COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
        rows_html.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    body = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return "\n".join(lines), f"<table><tr>{body}</tr>{''.join(rows_html)}</table>"


def tsne_figure(npz: Path, path: Path) -> Path:
    """Fig. 3 from the quality stage's tsne.npz: one colour per source (real, mixup, gemix), one marker per class."""
    with np.load(npz, allow_pickle=False) as data:
        coords, source, label, class_names = data["coords"], data["source"], data["label"], list(data["class_names"])
    plt = _pyplot()
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def quality_section(doc: Doc, quality_dir: Path, directory: Path) -> list[Path]:
    """The quality stage's oracle metrics per set (quality.json) and Fig. 3 (tsne.npz); returns files written."""
    doc.heading("Quality of the generated and mixed sets (oracle trained on real images only)")
    summary_file = quality_dir / "quality.json"
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
    doc.table(*_quality_table(summary.get("sets", {})))
    if summary.get("fid_notice"):
        doc.text(summary["fid_notice"])
    files: list[Path] = []
    npz = quality_dir / "tsne.npz"
    if npz.is_file():
        figure = tsne_figure(npz, directory / "fig3-tsne.png")
        files.append(figure)
        doc.figure([figure], "Fig. 3: t-SNE of the oracle's penultimate features of real, mixup and GeMix images "
                             "(colour: source; marker: class, the argmax of the soft label)")
    return files


def _class_names(trials: pd.DataFrame) -> list[str]:
    rows: list[dict[str, Any]] = _finished(trials).to_dict("records")
    if not rows:
        return []
    try:
        from search_spaces.datasets import get_dataset_spec

        return list(get_dataset_spec(str(rows[0].get("dataset"))).class_names)
    except ValueError:
        return []
