"""Fig. 2 of the ζ-mixup paper as a trainable ("figure-fig2"): how mixup and ζ-mixup place synthetic points.

One trial per set: `crescents` and `spirals` draw panel (a) (the original points, ζ-mixup at each
`fig2a_gammas`, mixup; points coloured by the soft label's class-1 probability); `helix-3d` draws
panel (b) (the helix under ζ at each `fig2b_gammas` and mixup, three viewpoints) and panel (c) (ζ for
group sizes `fig2c_ts` x `fig2c_gammas`). The sets are the authors' demo points
(`workloads.figures.point_sets`); seed 42 and shuffled batches of `mix_batch_size` = 32 with T = the
batch, as the authors' demos (`workloads.analysis.synthetic_mixing` records every choice). `points`
caps the number of points (null: the paper's 512 / 8,192; smoke runs use fewer).

Writes into `{artifacts_dir}/fig2/<dataset>/`: the PNGs, `summary.csv` (per panel: distance of the
outputs to the nearest original point, label error), `points.csv.gz` (every plotted point) and
`summary.json` with the paper's statements beside what this run measured.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional

import numpy as np
import pandas as pd

from workloads.analysis import plots_synthetic, synthetic_mixing as sm
from workloads.figures.base import FigureConfig, Summary, check_gammas, fmt, write_csv
from workloads.figures.point_sets import DESCRIPTION, analysed_set
from workloads.trainable import Report
from workloads.validate import check_int

DATASETS = ("crescents", "spirals", "helix-3d")


@dataclass(frozen=True)
class Fig2Config(FigureConfig):
    TRAINABLE = "figure-fig2"
    FOLDER: ClassVar[str] = "fig2"

    mix_batch_size: int = sm.BATCH_SIZE
    points: Optional[int] = None
    fig2a_gammas: tuple[float, ...] = sm.FIG2A_GAMMAS
    fig2b_gammas: tuple[float, ...] = sm.FIG2B_GAMMAS
    fig2c_ts: tuple[int, ...] = sm.FIG2C_TS
    fig2c_gammas: tuple[float, ...] = sm.FIG2C_GAMMAS

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        if cfg["dataset"] not in DATASETS:
            raise ValueError(f"figure-fig2 draws the paper's sets; dataset must be one of {', '.join(DATASETS)}, "
                             f"got {cfg['dataset']!r}")
        check_int(cfg, "mix_batch_size", 2)
        check_int(cfg, "points", 64, optional=True)
        for key in ("fig2a_gammas", "fig2b_gammas", "fig2c_gammas"):
            check_gammas(cfg, key, lo=1e-9)  # γ = 0 is Fig. 6's alone (the mixer refuses it)
        ts = cfg["fig2c_ts"]
        if not isinstance(ts, (list, tuple)) or not ts or any(isinstance(t, bool) or not isinstance(t, (int, float))
                                                              or int(t) != t or t < 2 for t in ts):
            raise ValueError(f"fig2c_ts must be a non-empty list of group sizes >= 2 (e.g. [2, 4, 8]), got {ts!r}")
        cfg["fig2c_ts"] = tuple(int(t) for t in ts)


Config = Fig2Config


def _rows(table: pd.DataFrame, method: str) -> pd.DataFrame:
    return table[table["method"] == method]


def _distance_claims(summary: Summary, table: pd.DataFrame, name: str) -> None:
    zeta = _rows(table, "zeta").sort_values("gamma")
    mixup = float(_rows(table, "mixup")["mean_nn_distance"].iloc[0])
    d = zeta["mean_nn_distance"].to_numpy()
    listing = ", ".join(f"γ={g:g}: {fmt(v)}" for g, v in zip(zeta["gamma"], d))
    summary.claim("ζ-mixup's outputs lie closer to the original points than mixup's, and approach them as γ "
                  "grows (rule: mean distance to the nearest original point below mixup's at every γ and "
                  "non-increasing in γ)",
                  "qualitative (Fig. 2): small γ explores further, large γ approaches the original data",
                  f"{name}: mixup {fmt(mixup)}; ζ {listing}",
                  bool(np.all(d < mixup) and np.all(np.diff(d) <= 1e-12)))


def _panel_a(cfg: Fig2Config, name: str, summary: Summary) -> list[sm.MixedSet]:
    sets = sm.fig2a([name], cfg.fig2a_gammas, n=cfg.points, batch_size=cfg.mix_batch_size, seed=cfg.seed)
    png = plots_synthetic.plot_fig2a(sets, cfg.out_dir / "fig2a.png")
    summary.figure_file(png, f"Fig. 2a, {name}: the original points, ζ-mixup at γ = "
                             f"{', '.join(f'{g:g}' for g in cfg.fig2a_gammas)}, and mixup; colour: class-1 probability "
                             "of the soft label (originals: their class)")
    table = sm.summary_table(sets)
    zeta = _rows(table, "zeta").sort_values("gamma")
    mixup_error = float(_rows(table, "mixup")["label_error"].iloc[0])
    errors = ", ".join(f"γ={g:g}: {100 * e:.1f} %" for g, e in zip(zeta["gamma"], zeta["label_error"]))
    summary.claim("mixup assigns wrong labels ('label error': the soft label's larger class differs from the "
                  "nearest original point's class); ζ-mixup preserves the class boundaries irrespective of γ "
                  "(rule: ζ's label error below mixup's at every γ)",
                  "qualitative (Fig. 2a)",
                  f"{name}: mixup {100 * mixup_error:.1f} %; ζ {errors}",
                  bool(np.all(zeta["label_error"].to_numpy() < mixup_error)))
    _distance_claims(summary, table, name)
    summary.metric("mixup_label_error", mixup_error)
    for g, e, d in zip(zeta["gamma"], zeta["label_error"], zeta["mean_nn_distance"]):
        summary.metric(f"zeta_{g:g}_label_error", e)
        summary.metric(f"zeta_{g:g}_mean_nn_distance", d)
    summary.metric("mixup_mean_nn_distance", float(_rows(table, "mixup")["mean_nn_distance"].iloc[0]))
    return sets


def _panels_bc(cfg: Fig2Config, name: str, summary: Summary) -> list[sm.MixedSet]:
    b = sm.fig2b(cfg.fig2b_gammas, helix=name, n=cfg.points, batch_size=cfg.mix_batch_size, seed=cfg.seed)
    png = plots_synthetic.plot_fig2b(b, cfg.out_dir / "fig2b.png")
    summary.figure_file(png, "Fig. 2b: the helix (grey) under ζ-mixup (pink) at γ = "
                             f"{', '.join(f'{g:g}' for g in cfg.fig2b_gammas)} and mixup (blue), from the (elevation, "
                             "azimuth) viewpoints of the paper's caption")
    c = sm.fig2c(cfg.fig2c_ts, cfg.fig2c_gammas, helix=name, n=cfg.points, batch_size=cfg.mix_batch_size, seed=cfg.seed)
    png = plots_synthetic.plot_fig2c(c, cfg.out_dir / "fig2c.png")
    summary.figure_file(png, f"Fig. 2c: ζ-mixup on the helix for group sizes T = {', '.join(map(str, cfg.fig2c_ts))} "
                             f"(rows) x γ = {', '.join(f'{g:g}' for g in cfg.fig2c_gammas)} (columns); T and γ values "
                             "are ours (the paper names none)")
    table_b = sm.summary_table(b)
    _distance_claims(summary, table_b, name)
    original = next(m for m in b if m.spec.method == "original").x
    from sklearn.neighbors import NearestNeighbors

    spacing = float(np.median(NearestNeighbors(n_neighbors=2).fit(original).kneighbors()[0][:, 1]))
    top = _rows(table_b, "zeta").sort_values("gamma").iloc[-1]
    summary.claim(f"at a large γ (here {top['gamma']:g}) ζ-mixup's samples lie almost on the manifold",
                  "qualitative (Fig. 2b; γ = 6.0 in the text)",
                  f"median distance to the nearest original point {fmt(top['median_nn_distance'])} (mixup "
                  f"{fmt(_rows(table_b, 'mixup')['median_nn_distance'].iloc[0])}; original points' median spacing "
                  f"{fmt(spacing)}; helix radius 100)", None)
    table_c = sm.summary_table(c)
    zc = _rows(table_c, "zeta")
    by = zc.pivot_table(index="t", columns="gamma", values="mean_nn_distance")
    lo_g, hi_g = min(by.columns), max(by.columns)
    grows = bool(np.all(np.diff(by[lo_g].to_numpy()) >= -1e-12))
    spread_lo, spread_hi = float(np.ptp(by[lo_g])), float(np.ptp(by[hi_g]))
    summary.claim(f"larger T explores further from the data, more so at small γ; a large γ overshadows T (rule: at "
                  f"γ={lo_g:g} the mean distance grows with T, and its range over T is larger than at γ={hi_g:g})",
                  "qualitative (Fig. 2c, 'Diversity')",
                  "mean distance by T at γ=" + f"{lo_g:g}: " + ", ".join(f"T={int(t)}: {fmt(v)}" for t, v in by[lo_g].items())
                  + f"; range over T {fmt(spread_lo)} at γ={lo_g:g} vs {fmt(spread_hi)} at γ={hi_g:g}",
                  grows and spread_lo > spread_hi)
    for (t, g), v in zc.set_index(["t", "gamma"])["mean_nn_distance"].items():
        summary.metric(f"t{int(t)}_zeta_{g:g}_mean_nn_distance", v)
    return b + c[1:]


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Draw this trial's panels, write their numbers and summary.json; report the key numbers once."""
    cfg = Fig2Config.from_flat(config)
    cfg.setup()
    name = analysed_set(cfg.dataset, "auto")
    summary = Summary("Fig. 2", "mixup and ζ-mixup on synthetic points", cfg.dataset, cfg.label)
    summary.choices += [
        f"points: {DESCRIPTION[name]}" + (f", capped at {cfg.points}" if cfg.points else ""),
        f"seed {cfg.seed} (the authors' demo seed): one shuffle shared by every method, then batches of "
        f"{cfg.mix_batch_size} (the demos' BATCH_SIZE); ζ mixes the whole batch (T = {cfg.mix_batch_size}) except "
        "in panel (c); mixup draws λ ~ Beta(1, 1) once per batch",
        "distances: from each output to the nearest original point, in the set's units",
    ]
    sets = _panel_a(cfg, name, summary) if name in sm.FIG2A_SETS else _panels_bc(cfg, name, summary)
    table = sm.summary_table([m for m in sets])
    summary.table_file(write_csv(table, cfg.out_dir / "summary.csv"),
                       "per panel: n, mean and median distance to the nearest original point, label error")
    points = sm.points_table(sets)
    summary.table_file(write_csv(points, cfg.out_dir / "points.csv.gz"), "every plotted point (gzip CSV)")
    summary.write(cfg.out_dir)
    return summary.report_once(report)
