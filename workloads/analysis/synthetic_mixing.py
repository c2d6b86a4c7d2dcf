"""Fig. 2 of the ζ-mixup paper as arrays and tables: how mixup and ζ-mixup place synthetic points.

(a) CRESCENTS and SPIRALS (2^9 points, σ = 0.1) under ζ-mixup at several γ and mixup, points
    coloured by the soft label's class-1 probability; (b) the 1-D helix in R^3 (2^13 points) under
    ζ-mixup and mixup, seen from three viewpoints; (c) the helix under ζ-mixup for group sizes T x γ.

Choices, from the authors' demos (`demo/demo_2d_halfmoons.py`, `demo/demo_3d_spirals.py`; the paper
states no seeds or batch size for Fig. 2):
- seed 42 (`Config.SEED`); one shuffle per set, shared by every method (the demos shuffle once and
  mix each batch with every method), then batches of 32 (`BATCH_SIZE`), T = the batch for ζ;
- (a) γ in (3.0, 2.8, 2.6, 2.4, 2.2, 2.0) (`GAMMA_VALS` of the 2-D demo);
- (b) γ in (2.0, 4.0, 6.0) (`GAMMA_VALS` of the helix demo; the paper's text cites γ = 6.0) and the
  viewpoints (elevation, azimuth) (0°, 0°), (70°, 0°), (90°, 0°) of the Fig. 2b caption;
- (c) T in (2, 4, 8, 16, 32) x γ in (2.0, 4.0, 6.0), viewpoint (0°, 90°) of the Fig. 2c caption. The
  paper names no T or γ values for (c): these are ours. T groups are formed inside each batch of
  32 (`get_mixer("zeta", t=T)`), which is how training applies T.
Our draws cannot repeat the demos' (they use NumPy's and torch's global generators); the input
points can: `point_set("crescents")` and `point_set("helix")` are the demos' points.

Tables: `points_table` holds every plotted point; `summary_table` the two numbers the paper argues
with — how far synthetic points fall from the data (distance to the nearest original point, in the
set's units) and, for the 2-class sets, "label error" (the paper's term for Fig. 2a: a point whose
soft label's larger class differs from the class of the nearest original point).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from workloads.analysis.batch_mixing import MixSpec, mix_dataset, one_hot_np
from workloads.analysis.point_sets import SEED, point_set

BATCH_SIZE = 32
FIG2A_SETS = ("crescents", "spirals")
FIG2A_GAMMAS = (3.0, 2.8, 2.6, 2.4, 2.2, 2.0)
FIG2B_GAMMAS = (2.0, 4.0, 6.0)
FIG2B_VIEWS = ((0.0, 0.0), (70.0, 0.0), (90.0, 0.0))
FIG2C_TS = (2, 4, 8, 16, 32)
FIG2C_GAMMAS = (2.0, 4.0, 6.0)
FIG2C_VIEW = (0.0, 90.0)


@dataclass(frozen=True)
class MixedSet:
    """One panel's points. x: float32 `(N, D)`; p1: float64 `(N,)` soft-label probability of class 1
    (None for one-class sets); labels: the input's int64 `(N,)` classes (kept for the originals)."""

    dataset: str
    spec: MixSpec
    x: np.ndarray
    p1: Optional[np.ndarray]
    labels: np.ndarray


def mix_point_set(
    dataset: str,
    specs: Sequence[MixSpec],
    *,
    n: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
) -> list[MixedSet]:
    """`point_set(dataset)` mixed by each spec (one `MixedSet` per spec, in order).

    Every spec starts from a generator seeded with `seed`, so all see the same shuffle and batches.
    """
    x, labels = point_set(dataset, n=n, seed=seed)
    k = int(labels.max()) + 1
    y = one_hot_np(labels, k)
    out = []
    for spec in specs:
        xm, ym = mix_dataset(x, y, spec, batch_size=batch_size, seed=seed)
        out.append(MixedSet(dataset, spec, xm.astype(np.float32), ym[:, 1] if k > 1 else None, labels))
    return out


def fig2a(
    datasets: Sequence[str] = FIG2A_SETS,
    gammas: Sequence[float] = FIG2A_GAMMAS,
    *,
    n: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
) -> list[MixedSet]:
    """Fig. 2a: per 2-D set, the original points, ζ-mixup at each γ, then mixup (the panel order)."""
    specs = [MixSpec("original")] + [MixSpec("zeta", gamma=g) for g in gammas] + [MixSpec("mixup")]
    return [m for d in datasets for m in mix_point_set(d, specs, n=n, batch_size=batch_size, seed=seed)]


def fig2b(
    gammas: Sequence[float] = FIG2B_GAMMAS,
    *,
    helix: str = "helix",
    n: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
) -> list[MixedSet]:
    """Fig. 2b: the helix, ζ-mixup at each γ and mixup (original first)."""
    specs = [MixSpec("original")] + [MixSpec("zeta", gamma=g) for g in gammas] + [MixSpec("mixup")]
    return mix_point_set(helix, specs, n=n, batch_size=batch_size, seed=seed)


def fig2c(
    ts: Sequence[int] = FIG2C_TS,
    gammas: Sequence[float] = FIG2C_GAMMAS,
    *,
    helix: str = "helix",
    n: Optional[int] = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
) -> list[MixedSet]:
    """Fig. 2c: the helix under ζ-mixup with groups of T inside batches of max(batch_size, T),
    for every (T, γ), T-major; the original points first."""
    out = mix_point_set(helix, [MixSpec("original")], n=n, batch_size=batch_size, seed=seed)
    for t in ts:
        specs = [MixSpec("zeta", gamma=g, t=int(t)) for g in gammas]
        out += mix_point_set(helix, specs, n=n, batch_size=max(batch_size, int(t)), seed=seed)
    return out


def _spec_columns(spec: MixSpec) -> dict:
    return {
        "method": spec.method,
        "gamma": float(spec.gamma) if spec.gamma is not None else np.nan,
        "t": int(spec.t) if spec.t is not None else np.nan,
    }


def points_table(sets: Sequence[MixedSet]) -> pd.DataFrame:
    """Every plotted point: columns dataset, method, gamma, t (NaN when not applicable), index
    (the input slot), x0..x{D-1} (coordinates), label (the input's class), p_class1 (NaN for
    one-class sets)."""
    frames = []
    for m in sets:
        n, d = m.x.shape
        cols = {"dataset": m.dataset, **_spec_columns(m.spec), "index": np.arange(n)}
        cols.update({f"x{j}": m.x[:, j] for j in range(d)})
        cols["label"] = m.labels
        cols["p_class1"] = m.p1 if m.p1 is not None else np.full(n, np.nan)
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def summary_table(sets: Sequence[MixedSet]) -> pd.DataFrame:
    """Per panel: dataset, method, gamma, t, n, mean_nn_distance and median_nn_distance (from each
    point to the nearest ORIGINAL point of its set, in the set's units), label_error (fraction of
    points whose soft label's larger class differs from the nearest original point's class; NaN
    for one-class sets and for the originals)."""
    from sklearn.neighbors import NearestNeighbors

    originals = {m.dataset: m for m in sets if m.spec.method == "original"}
    rows = []
    for m in sets:
        ref = originals.get(m.dataset)
        if ref is None:
            raise ValueError(f"summary_table needs the original points of {m.dataset!r} among the sets")
        dist, idx = NearestNeighbors(n_neighbors=1).fit(ref.x).kneighbors(m.x)
        error = np.nan
        if m.p1 is not None and m.spec.method != "original":
            error = float(np.mean((m.p1 > 0.5).astype(np.int64) != ref.labels[idx[:, 0]]))
        rows.append({
            "dataset": m.dataset, **_spec_columns(m.spec), "n": len(m.x),
            "mean_nn_distance": float(dist.mean()), "median_nn_distance": float(np.median(dist)),
            "label_error": error,
        })
    return pd.DataFrame(rows)
