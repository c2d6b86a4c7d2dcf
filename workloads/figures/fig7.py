"""Fig. 7 of the ζ-mixup paper as a trainable ("figure-fig7"): the 2-D illustration on the crescents.

For the original points, mixup's output and ζ-mixup's output (γ = `gamma`, 2.8: the paper does not
state it): local-PCA ellipses of the `k_pca` (8) nearest points at `n_anchors` anchors with their
Fukunaga–Olsen IDs (d–e), and the `ks` (8, 16) nearest training points of held-out test points with
their labels (f–g). Test points are a second crescents draw (`n_test`, seed + 1); the figure shows
test point `show`, the tables cover them all (`workloads.analysis.local_id_illustration`). The
pointwise local ID (k = `k_pca`) of every point of each set is measured too: the paper's point is
that ζ-mixup's more compact output can have a lower local ID than the data itself.

Writes into `{artifacts_dir}/fig7/<dataset>/`: `fig7.png`, `neighbours.csv`, `ellipses.csv`,
`local_id.csv` and `summary.json`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional

import pandas as pd

from workloads.analysis import local_id_illustration as ill
from workloads.analysis.local_id import local_id
from workloads.analysis.plots_synthetic import plot_fig7
from workloads.figures.base import FigureConfig, Summary, fmt, write_csv
from workloads.figures.point_sets import DESCRIPTION, analysed_set
from workloads.trainable import Report
from workloads.validate import check_float, check_int

DATASETS = ("crescents", "spirals")


@dataclass(frozen=True)
class Fig7Config(FigureConfig):
    TRAINABLE = "figure-fig7"
    FOLDER: ClassVar[str] = "fig7"

    gamma: float = 2.8
    ks: tuple[int, ...] = ill.FIG7_KS
    k_pca: int = ill.K_PCA
    n_anchors: int = 3
    n_test: int = 64
    show: int = 0
    points: Optional[int] = None
    mix_batch_size: int = 32

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        if cfg["dataset"] not in DATASETS:
            raise ValueError(f"figure-fig7 draws a 2-D set; dataset must be one of {', '.join(DATASETS)}, "
                             f"got {cfg['dataset']!r}")
        check_float(cfg, "gamma", 0.0, 100.0, lo_open=True)
        ks = cfg["ks"]
        if not isinstance(ks, (list, tuple)) or not ks or any(isinstance(k, bool) or not isinstance(k, (int, float))
                                                              or int(k) != k or k < 1 for k in ks):
            raise ValueError(f"ks must be a non-empty list of neighbour counts >= 1 (e.g. [8, 16]), got {ks!r}")
        cfg["ks"] = tuple(sorted({int(k) for k in ks}))
        check_int(cfg, "k_pca", 2)
        check_int(cfg, "n_anchors", 1)
        check_int(cfg, "n_test", 1)
        check_int(cfg, "show", 0, cfg["n_test"] - 1 if isinstance(cfg["n_test"], int) else 0)
        check_int(cfg, "points", 32, optional=True)
        check_int(cfg, "mix_batch_size", 2)


Config = Fig7Config


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Draw Fig. 7, write its tables and summary.json; report the key numbers once."""
    cfg = Fig7Config.from_flat(config)
    cfg.setup()
    name = analysed_set(cfg.dataset, "auto")
    panels = ill.fig7(name, gamma=cfg.gamma, ks=cfg.ks, k_pca=cfg.k_pca, n_anchors=cfg.n_anchors, n_test=cfg.n_test,
                      show=cfg.show, n=cfg.points, batch_size=cfg.mix_batch_size, seed=cfg.seed)
    out = cfg.out_dir
    summary = Summary("Fig. 7", f"local PCA and test-point neighbourhoods on {name}", cfg.dataset, cfg.label)
    png = plot_fig7(panels, out / "fig7.png")
    summary.figure_file(png, f"Fig. 7: top, the original points, mixup and ζ-mixup (γ = {cfg.gamma:g}) with the "
                             f"local-PCA ellipses of the {cfg.k_pca} nearest points at {cfg.n_anchors} anchors and their "
                             f"local IDs; bottom, test point {cfg.show} (green) and its k = {', '.join(map(str, cfg.ks))} "
                             "nearest training points")
    neighbours = ill.neighbour_table(panels)
    ellipses = ill.ellipse_table(panels)
    ids = pd.DataFrame([{"method": p.points.spec.method, "gamma": p.points.spec.gamma, "k": cfg.k_pca,
                         "mean": float(v.mean()), "std": float(v.std()), "n": len(v)}
                        for p in panels for v in [local_id(p.points.x, cfg.k_pca)]])
    summary.table_file(write_csv(neighbours, out / "neighbours.csv"),
                       "per method, k and held-out test point: the label agreement of its k nearest training points")
    summary.table_file(write_csv(ellipses, out / "ellipses.csv"), "the ellipses drawn and their local IDs")
    summary.table_file(write_csv(ids, out / "local_id.csv"), f"pointwise local ID (k = {cfg.k_pca}) of every set")

    agree = neighbours.groupby(["method", "k"])["agreement"].mean()
    for k in cfg.ks:
        summary.claim(f"a test point's k = {k} nearest training points carry its label more often under ζ-mixup than "
                      "under mixup (rule: mean label agreement over the held-out test points higher for ζ)",
                      "Fig. 7f–g (one test point shown)",
                      f"mean agreement over {cfg.n_test} test points: original {fmt(agree['original', k])}, mixup "
                      f"{fmt(agree['mixup', k])}, ζ {fmt(agree['zeta', k])}", bool(agree["zeta", k] > agree["mixup", k]))
        for method in ("original", "mixup", "zeta"):
            summary.metric(f"k{k}_{method}_agreement", agree[method, k])
    by = ids.set_index("method")["mean"]
    summary.claim(f"ζ-mixup's output is more compact, so its local ID (k = {cfg.k_pca}) can be lower than the original "
                  "data's (rule: ζ's mean pointwise local ID below the original's)",
                  "Fig. 7d–e ('may sometimes be lower than the original dataset')",
                  f"mean local ID: original {fmt(by['original'], 4)}, mixup {fmt(by['mixup'], 4)}, ζ {fmt(by['zeta'], 4)}",
                  bool(by["zeta"] < by["original"]))
    for method, value in by.items():
        summary.metric(f"{method}_local_id", value)
    summary.choices += [
        f"points: {DESCRIPTION[name]}" + (f", capped at {cfg.points}" if cfg.points else ""),
        f"ζ-mixup γ = {cfg.gamma:g} (the paper does not state it); batches of {cfg.mix_batch_size} (T = the batch), "
        f"seed {cfg.seed}",
        f"{cfg.n_test} held-out test points (a second draw, seed {cfg.seed + 1}); anchors drawn at random (seed "
        f"{cfg.seed}); a neighbour agrees when its soft label's larger class is the test point's class",
    ]
    summary.write(out)
    return summary.report_once(report)
