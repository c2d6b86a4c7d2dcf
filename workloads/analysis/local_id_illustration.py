"""Fig. 7 of the ζ-mixup paper: why local PCA can give ζ-mixup's output a lower ID than the data,
and why a test point's neighbourhood carries fewer wrong labels under ζ-mixup than under mixup.

On the CRESCENTS (2^9 points), for the original points, mixup's output and ζ-mixup's output:
- (d, e) local-PCA ellipses: at a few anchor locations, the covariance ellipse of the `k_pca` (8,
  as in Fig. 6) nearest points of that set, with their Fukunaga–Olsen ID (alpha = 0.05);
- (f, g) the k = 8 and k = 16 nearest training points of a test point and their labels.

Test points are a held-out crescents draw (`n_test` points, seed + 1), not picked by hand: the panel
shows test point `show` (default the first), and `neighbour_table` reports the label agreement —
the fraction of a test point's k nearest training points whose soft label's larger class is the
test point's class — for every held-out point. Anchors: `n_anchors` original points drawn with a
NumPy generator seeded with `seed`. ζ-mixup's γ is not stated for Fig. 7; we default to 2.8.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from workloads.analysis.batch_mixing import MixSpec
from workloads.analysis.local_id import ALPHA_FO
from workloads.analysis.point_sets import SEED, point_set
from workloads.analysis.synthetic_mixing import BATCH_SIZE, MixedSet, mix_point_set

FIG7_KS = (8, 16)
K_PCA = 8


@dataclass(frozen=True)
class Ellipse:
    """A neighbourhood's covariance ellipse: center `(2,)`, full axis lengths width >= height at
    `n_std` standard deviations (data units), angle of the width axis in degrees, and the
    neighbourhood's Fukunaga–Olsen local ID."""

    center: np.ndarray
    width: float
    height: float
    angle: float
    local_id: int


@dataclass(frozen=True)
class Fig7Panel:
    """One method's panel: its points (`MixedSet`), ellipses at the anchors, the held-out test points
    `(M, 2)` with labels `(M,)`, and for each k the neighbour indices `(M, k)` into `points.x`."""

    points: MixedSet
    anchors: np.ndarray
    ellipses: list[Ellipse]
    test_x: np.ndarray
    test_y: np.ndarray
    neighbours: dict[int, np.ndarray]
    show: int


def neighbourhood_ellipse(points: np.ndarray, n_std: float = 2.0, alpha: float = ALPHA_FO) -> Ellipse:
    """Covariance ellipse and FO local ID of 2-D `points` `(k, 2)` (k >= 2)."""
    cov = np.cov(points, rowvar=False)
    ev, vec = np.linalg.eigh(cov)  # ascending
    major = vec[:, 1]
    return Ellipse(
        center=points.mean(axis=0),
        width=float(2 * n_std * np.sqrt(max(ev[1], 0.0))),
        height=float(2 * n_std * np.sqrt(max(ev[0], 0.0))),
        angle=float(np.degrees(np.arctan2(major[1], major[0]))),
        local_id=int((ev > alpha * ev[1]).sum()),
    )


def fig7(
    dataset: str = "crescents",
    *,
    gamma: float = 2.8,
    ks: Sequence[int] = FIG7_KS,
    k_pca: int = K_PCA,
    n_anchors: int = 3,
    n_test: int = 64,
    show: int = 0,
    n: int | None = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
) -> list[Fig7Panel]:
    """Panels for the original points, mixup and ζ-mixup(γ), in that order (see the module docstring)."""
    specs = [MixSpec("original"), MixSpec("mixup"), MixSpec("zeta", gamma=gamma)]
    sets = mix_point_set(dataset, specs, n=n, batch_size=batch_size, seed=seed)
    test_x, test_y = point_set(dataset, n=n_test, seed=seed + 1)
    if not 0 <= show < n_test:
        raise ValueError(f"show must index the {n_test} test points, got {show}")
    anchors = np.random.default_rng(seed).choice(len(sets[0].x), size=n_anchors, replace=False)
    anchor_xy = sets[0].x[anchors]
    panels = []
    for m in sets:
        nn = NearestNeighbors(n_neighbors=max(max(ks), k_pca)).fit(m.x)
        _, near_anchor = nn.kneighbors(anchor_xy, n_neighbors=k_pca)
        ellipses = [neighbourhood_ellipse(m.x[idx].astype(np.float64)) for idx in near_anchor]
        neighbours = {int(k): nn.kneighbors(test_x, n_neighbors=int(k))[1] for k in ks}
        panels.append(Fig7Panel(m, anchors, ellipses, test_x, test_y, neighbours, show))
    return panels


def _class_of(m: MixedSet) -> np.ndarray:
    return (m.p1 > 0.5).astype(np.int64) if m.p1 is not None else m.labels


def neighbour_table(panels: Sequence[Fig7Panel]) -> pd.DataFrame:
    """Label agreement of every held-out test point's k-NN: columns method, gamma, k, test_index,
    test_label, agreement (fraction of the k neighbours whose soft label's larger class is the
    test label), shown (the test point drawn in the figure)."""
    rows = []
    for p in panels:
        cls = _class_of(p.points)
        gamma = float(p.points.spec.gamma) if p.points.spec.gamma is not None else np.nan
        for k, idx in p.neighbours.items():
            agree = (cls[idx] == p.test_y[:, None]).mean(axis=1)
            for i in range(len(p.test_y)):
                rows.append({"method": p.points.spec.method, "gamma": gamma, "k": k, "test_index": i,
                             "test_label": int(p.test_y[i]), "agreement": float(agree[i]), "shown": i == p.show})
    return pd.DataFrame(rows)


def ellipse_table(panels: Sequence[Fig7Panel]) -> pd.DataFrame:
    """The ellipses drawn: columns method, gamma, anchor (index of the original point), cx, cy,
    width, height, angle (degrees), local_id."""
    rows = []
    for p in panels:
        gamma = float(p.points.spec.gamma) if p.points.spec.gamma is not None else np.nan
        for a, e in zip(p.anchors, p.ellipses):
            rows.append({"method": p.points.spec.method, "gamma": gamma, "anchor": int(a),
                         "cx": float(e.center[0]), "cy": float(e.center[1]), "width": e.width,
                         "height": e.height, "angle": e.angle, "local_id": e.local_id})
    return pd.DataFrame(rows)
