"""Which synthetic point set a figure trial analyses, given its `dataset` and its `point_set` key.

The analyses (`workloads.analysis.point_sets`) generate the paper's point sets themselves with the
authors' demo seed, so the trial's `dataset` names the paper's set and `point_set` says which points:

| dataset | point_set "auto" (default) | point_set "data" |
|---|---|---|
| crescents | the demo's `make_moons` points (512, σ 0.1, seed 42) | the registered dataset's 512 points (seed 0) |
| spirals | 512 spirals points (σ 0.1, seed 42) | the registered dataset's points (seed 0) |
| helix-3d | the authors' helix demo's points: scikit-dimension's M13b_Spiral, 8,192 points (seed 42) | the registered helix wound around a torus |
| helix-12d | the 3-D paraboloid in R^12 (scikit-dimension's Mp1_Paraboloid, 8,192 points), the set Fig. 6's caption describes | the registered 1-D helix mapped into R^12 by an orthonormal matrix |

Why the 12-D set is the paraboloid (`workloads.analysis.point_sets`): the paper's "Synthetic data"
section says "a 1-D helix in R^12", its Fig. 6 caption and panels (c, d) "a 3D highly curved manifold
in a 12D embedding space"; a helix mapped isometrically into R^12 has exactly the local ID of the
helix in R^3 (local PCA is invariant under isometries), so it would repeat Fig. 6 (a, b).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from workloads.analysis import point_sets as sets

POINT_SET_CHOICES = ("auto", "data")
AUTO = {"crescents": "crescents", "spirals": "spirals", "helix-3d": "helix", "helix-12d": "paraboloid-12d"}
DESCRIPTION = {
    "crescents": "CRESCENTS: 512 points of two interleaving half-moons, σ = 0.1 (the authors' demo's make_moons points, seed 42)",
    "spirals": "SPIRALS: 512 points of two interleaved spirals, σ = 0.1 (seed 42)",
    "helix": "a 1-D helix in R^3: 8,192 points of scikit-dimension's M13b_Spiral, (100 cos t, 100 sin t, t), "
             "exactly the points of the authors' helix demo (seed 42)",
    "paraboloid-12d": "a 3-D manifold in R^12: 8,192 points of scikit-dimension's Mp1_Paraboloid (the set of Fig. 6's "
                      "caption and panels c, d; the paper's text says 'a 1-D helix in R^12', which, mapped isometrically, "
                      "would only repeat panels a, b)",
}


def check_point_set(cfg: dict[str, Any]) -> None:
    if cfg["point_set"] not in POINT_SET_CHOICES:
        raise ValueError(f"unknown point_set {cfg['point_set']!r}; valid choices: {', '.join(POINT_SET_CHOICES)}")


def analysed_set(dataset: str, point_set: str) -> Optional[str]:
    """The `workloads.analysis.point_sets` name a trial generates, or None when it reads its data."""
    return AUTO.get(dataset) if point_set == "auto" else None


def describe(dataset: str, point_set: str) -> str:
    name = analysed_set(dataset, point_set)
    return DESCRIPTION[name] if name else f"the registered dataset {dataset!r}, all splits"


def trial_points(dataset: str, point_set: str, data: Any, *, n: Optional[int] = None,
                 seed: int = sets.SEED) -> tuple[np.ndarray, np.ndarray, str]:
    """(points float32 `(N, D)`, int64 labels `(N,)`, the set's name) of a synthetic-set trial.

    n caps the number of points (None: the paper's count). With point_set "data" (or a dataset
    without a generated counterpart) the trial's vector dataset is used, all splits joined.
    """
    name = analysed_set(dataset, point_set)
    if name is not None:
        full = sets.TWO_D_POINTS if name in ("crescents", "spirals") else sets.HELIX_POINTS
        x, y = sets.point_set(name, n=min(full, n) if n else None, seed=seed)
        return x, y, name
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(dataset)
    if data.is_image:
        raise ValueError(f"dataset {dataset!r} holds images, not points; this figure needs a synthetic point set "
                         f"({', '.join(AUTO)})")
    x = np.concatenate([np.asarray(s.images, dtype=np.float32) for s in data.splits.values()])
    y = np.concatenate([np.asarray(s.labels, dtype=np.int64) for s in data.splits.values()])
    return (x[:n], y[:n], dataset) if n else (x, y, dataset)
