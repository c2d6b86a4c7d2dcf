"""Fig. 6 of the ζ-mixup paper as a trainable ("figure-fig6"): local intrinsic dimension against γ.

One trial per set. For the original points, mixup's output and ζ-mixup's output at every γ of
`zeta_gamma_grid(gamma_stop, gamma_step)` (0, 0.5, ..., 15 and γ_min; γ = 0 is uniform weights,
allowed for this analysis only), the pointwise local ID at each k of `ks` (8, 128) by local PCA with
the Fukunaga–Olsen rule (α = 0.05; `workloads.analysis.local_id`, the same numbers as scikit-dimension's
`lPCA(ver="FO").fit_pw`); the set is mixed in shuffled batches of `mix_batch_size` (32, T = the batch).

Sets (`workloads.figures.point_sets`): `helix-3d` → the authors' helix demo points (1-D in R^3);
`helix-12d` → the 3-D paraboloid in R^12 (Fig. 6's caption; the paper's text says a 1-D helix in
R^12, which would repeat panels a–b); image datasets (CIFAR-10, CIFAR-100) → their train split as
3,072-D points in [0, 1]. The paper uses the whole 50,000-image train sets; on a CPU that is out of
reach (a neighbourhood spectrum per image and per γ), so without `id_samples` an image set is
subsampled to `cpu_image_samples` (1,000) images on a CPU and used whole on an accelerator; the
summary states the sample size.

Writes into `{artifacts_dir}/fig6/<dataset>/`: `local_id.csv` (dataset, k, method, gamma, mean,
std, n), `fig6.png` and `summary.json`, whose claims say, per k, for which γ ζ-mixup's mean local ID
is below, equal to (within `EQUAL_TOL`) or above mixup's and the original's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional

import numpy as np
import pandas as pd

from workloads.analysis import local_id as lid
from workloads.analysis.batch_mixing import zeta_gamma_grid
from workloads.analysis.plots_local_id import plot_local_id
from workloads.figures.base import FigureConfig, Summary, fmt, write_csv
from workloads.figures.point_sets import analysed_set, check_point_set, describe, trial_points
from workloads.mixing.zeta import GAMMA_MIN
from workloads.trainable import Report
from workloads.validate import check_choice, check_float, check_int

EQUAL_TOL = 0.01
"""Mean local IDs closer than this (dimensions) count as equal: both are means of integers over points."""


@dataclass(frozen=True)
class Fig6Config(FigureConfig):
    TRAINABLE = "figure-fig6"
    FOLDER: ClassVar[str] = "fig6"

    dataset: str = "helix-3d"
    point_set: str = "auto"
    ks: tuple[int, ...] = lid.KS
    gamma_stop: float = 15.0
    gamma_step: float = 0.5
    mix_batch_size: int = 32
    id_samples: Optional[int] = None
    cpu_image_samples: int = 1000
    id_backend: str = "torch"

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        check_point_set(cfg)
        ks = cfg["ks"]
        if not isinstance(ks, (list, tuple)) or not ks or any(isinstance(k, bool) or not isinstance(k, (int, float))
                                                              or int(k) != k or k < 2 for k in ks):
            raise ValueError(f"ks must be a non-empty list of neighbourhood sizes >= 2 (e.g. [8, 128]), got {ks!r}")
        cfg["ks"] = tuple(sorted({int(k) for k in ks}))
        check_float(cfg, "gamma_stop", 0.0, 100.0)
        check_float(cfg, "gamma_step", 0.0, 100.0, lo_open=True)
        check_int(cfg, "mix_batch_size", 2)
        check_int(cfg, "id_samples", 3, optional=True)
        check_int(cfg, "cpu_image_samples", 3)
        check_choice(cfg, "id_backend", lid.BACKENDS)
        if cfg["id_samples"] is not None and cfg["id_samples"] <= max(cfg["ks"]):
            raise ValueError(f"id_samples must exceed the largest k ({max(cfg['ks'])}), got {cfg['id_samples']}")


Config = Fig6Config


def relation_ranges(gammas: np.ndarray, zeta: np.ndarray, ref: float, tol: float = EQUAL_TOL) -> list[tuple[str, float, float]]:
    """Runs of consecutive γ (ascending) over which ζ's mean is "below", "equal" to (within tol) or
    "above" `ref`: [(relation, first γ, last γ)]."""
    runs: list[tuple[str, float, float]] = []
    for g, z in zip(gammas, zeta):
        rel = "equal" if abs(z - ref) <= tol else "below" if z < ref else "above"
        if runs and runs[-1][0] == rel:
            runs[-1] = (rel, runs[-1][1], float(g))
        else:
            runs.append((rel, float(g), float(g)))
    return runs


def ranges_text(runs: list[tuple[str, float, float]]) -> str:
    return "; ".join(f"{rel} for γ = {a:g}" if a == b else f"{rel} for γ in [{a:g}, {b:g}]" for rel, a, b in runs)


def claims(summary: Summary, table: pd.DataFrame) -> None:
    """Per (dataset, k): where ζ's mean local ID falls below mixup's and the original's, and whether it
    drops as γ grows beyond γ_min."""
    for (name, k), sub in table.groupby(["dataset", "k"], sort=False):
        zeta = sub[sub["method"] == "zeta"].sort_values("gamma")
        g, z = zeta["gamma"].to_numpy(), zeta["mean"].to_numpy()
        mixup = float(sub.loc[sub["method"] == "mixup", "mean"].iloc[0])
        original = float(sub.loc[sub["method"] == "original", "mean"].iloc[0])
        above_min = g >= GAMMA_MIN - 1e-9
        summary.claim(f"{name}, k = {k}: ζ-mixup's local ID is lower than mixup's (rule: ζ's mean below mixup's, "
                      f"by more than {EQUAL_TOL:g}, at every γ >= γ_min = {GAMMA_MIN})",
                      "Fig. 6: 'the local ID of ζ-mixup's output is lower than that of mixup'",
                      f"mixup {fmt(mixup)}, original {fmt(original)}; ζ vs mixup: {ranges_text(relation_ranges(g, z, mixup))}",
                      bool(np.all(z[above_min] < mixup - EQUAL_TOL)))
        zs = z[above_min]
        summary.claim(f"{name}, k = {k}: ζ-mixup's local ID drops as γ grows past γ_min (rule: the mean at the "
                      f"largest γ below the mean at γ_min, and no rise larger than {EQUAL_TOL:g} between grid steps)",
                      "Fig. 6 (text: CIFAR-10/100, 'for all values of γ >= γ_min [...] drops dramatically')",
                      f"ζ mean {fmt(zs[0])} at γ_min, {fmt(zs[-1])} at γ = {g[-1]:g}; largest rise between steps "
                      f"{fmt(max(0.0, float(np.max(np.diff(zs)))) if len(zs) > 1 else 0.0)}",
                      bool(len(zs) > 1 and zs[-1] < zs[0] and np.all(np.diff(zs) <= EQUAL_TOL)))
        summary.claim(f"{name}, k = {k}: for large γ ζ-mixup's local ID may fall below the original data's",
                      "'for some datasets [...] may be lower than the local ID of the original dataset'",
                      f"ζ vs original: {ranges_text(relation_ranges(g, z, original))}", None)


def trial_points_for_id(cfg: Fig6Config, data: Any, device: Any) -> tuple[np.ndarray, str, str]:
    """(points float32 `(N, D)`, the set's name, how it was sampled)."""
    if analysed_set(cfg.dataset, cfg.point_set) is not None or (data is not None and not data.is_image):
        x, _, name = trial_points(cfg.dataset, cfg.point_set, data, n=cfg.id_samples, seed=cfg.seed)
        return x, name, f"{describe(cfg.dataset, cfg.point_set)}; {len(x)} points"
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(cfg.dataset, cfg.data_root)
    images = data.splits["train"].images
    cap = cfg.id_samples if cfg.id_samples is not None else None if device.type != "cpu" else cfg.cpu_image_samples
    n = None if cap is None or cap >= len(images) else cap
    x = lid.images_as_points(np.asarray(images), n=n, seed=cfg.seed)
    how = (f"the whole {cfg.dataset} train split ({len(x)} images" if n is None else
           f"{len(x)} of the {len(images)} {cfg.dataset} training images (a random subset, seed {cfg.seed}"
           + (", the CPU default cpu_image_samples" if cfg.id_samples is None else ""))
    return x, cfg.dataset, how + f"), as {x.shape[1]}-D points in [0, 1]"


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Sweep γ, write local_id.csv, fig6.png and summary.json; report the key numbers once."""
    cfg = Fig6Config.from_flat(config)
    device = cfg.setup()
    x, name, how = trial_points_for_id(cfg, data, device)
    if len(x) <= max(cfg.ks):
        raise ValueError(f"{name}: {len(x)} points are too few for k = {max(cfg.ks)}")
    gammas = zeta_gamma_grid(cfg.gamma_stop, cfg.gamma_step)
    table = lid.local_id_sweep({name: x}, ks=cfg.ks, gammas=gammas, batch_size=cfg.mix_batch_size, seed=cfg.seed,
                               backend=cfg.id_backend, device=device)
    out = cfg.out_dir
    summary = Summary("Fig. 6", f"local intrinsic dimension against γ: {name}", cfg.dataset, cfg.label)
    summary.table_file(write_csv(table, out / "local_id.csv"),
                       "local_id.csv: dataset, k, method, gamma, mean, std (over points), n (points)")
    png = plot_local_id(table, out / "fig6.png")
    summary.figure_file(png, f"Fig. 6, {name}: mean ± std of the local ID of ζ-mixup's output against γ (bold), "
                             "mixup's (dash-dotted) and the original data's (dashed); dotted: γ_min")
    summary.choices += [
        f"data: {how}",
        f"local ID: local PCA on the k = {', '.join(map(str, cfg.ks))} nearest other points, Fukunaga–Olsen "
        f"(eigenvalues > 5 % of the largest), backend {cfg.id_backend} on {device}",
        f"γ grid: {', '.join(f'{g:g}' for g in gammas)} (γ = 0: uniform weights)",
        f"mixing: one shuffle, batches of {cfg.mix_batch_size} (T = the batch), mixup λ ~ Beta(1, 1) per batch, "
        f"seed {cfg.seed}; each method's output measured once",
    ]
    claims(summary, table)
    for _, row in table.iterrows():
        method = row["method"] if row["method"] != "zeta" else f"zeta_{row['gamma']:g}"
        summary.metric(f"k{int(row['k'])}_{method}_local_id", row["mean"])
    summary.metric("points", len(x))
    summary.write(out)
    return summary.report_once(report)
