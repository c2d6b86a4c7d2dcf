"""The synthetic point sets of the ζ-mixup paper's analysis figures (Figs. 2, 6, 7), by name.

| name | points | source |
|---|---|---|
| `crescents` | 2^9 = 512 in R^2, σ = 0.1, 2 classes | `workloads.data.synthetic.crescents` (scikit-learn's make_moons) |
| `spirals` | 2^9 = 512 in R^2, σ = 0.1, 2 classes | `workloads.data.synthetic.spirals` |
| `helix` | 2^13 = 8,192 on a 1-D helix in R^3 | scikit-dimension's `M13b_Spiral`: (100 cos t, 100 sin t, t), t ~ U[0, 10π) |
| `helix-torus` | 2^13 = 8,192 on a 1-D helix in R^3 | `workloads.data.synthetic.helix` (Hein & Audibert's Helix1d, wound around a torus) |
| `paraboloid-12d` | 2^13 = 8,192 on a 3-D manifold in R^12 | scikit-dimension's `Mp1_Paraboloid` |

Why these:
- `helix` is what the authors' own demo for the helix figure generates
  (`demo/demo_3d_spirals.py`: `BenchmarkManifolds(random_state=42).generate("M13b_Spiral", n=8192,
  dim=3, d=1)`); with seed 42 these are the demo's exact points. `helix-torus` (the set
  `synthetic.py` registers for training) is kept as an alternative: the paper's text says only
  "a 1-D helix embedded in R^3".
- The 12-D set: the "Synthetic data" section says "a 1-D helix in R^12", but the Fig. 6 caption and
  panels (c, d) say "a 3D highly curved manifold in a 12D embedding space", and the introduction
  and the conclusion say "3-D manifolds in 12-D". We build the 3-D one: scikit-dimension (the
  library the paper uses for Fig. 6) has exactly one benchmark manifold of ID 3 in R^12,
  `Mp1_Paraboloid` (a 3-D paraboloid nonlinearly embedded in R^12). A 1-D helix mapped into R^12
  by an orthonormal matrix (`synthetic.helix(dim=12)`) would give Fig. 6 (c, d) identical to
  (a, b): k-NN distances and local PCA spectra are invariant under an isometry (a test shows it).
- Seeds: 42 everywhere, the seed of the authors' demos. `crescents(seed=42)` reproduces the demo's
  `make_moons` points (the demo seeds NumPy's global generator with 42 right before it).

Labels: the 2-D sets have their two classes; the helices and the paraboloid have no classes in the
paper, so they get one class (all zeros) and their one-hot labels are a single column of ones.
"""
from __future__ import annotations

import numpy as np

from workloads.data import synthetic

SEED = 42
"""The authors' demo seed (`Config.SEED` in both demo scripts)."""
TWO_D_POINTS = 2**9
HELIX_POINTS = 2**13
NOISE = 0.1

POINT_SETS = ("crescents", "spirals", "helix", "helix-torus", "paraboloid-12d")


def _skdim_benchmark(name: str, n: int, dim: int, d: int, seed: int) -> np.ndarray:
    import skdim

    bench = skdim.datasets.BenchmarkManifolds(random_state=seed)
    return np.asarray(bench.generate(name=name, n=n, dim=dim, d=d), dtype=np.float64)


def point_set(name: str, n: int | None = None, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Points and integer labels of set `name` (see the module table).

    Returns x float32 `(n, D)` (D = 2, 3 or 12; arbitrary units) and y int64 `(n,)`.
    n: number of points (default: the paper's, 512 for the 2-D sets, 8,192 otherwise).
    """
    if name not in POINT_SETS:
        raise ValueError(f"point set must be one of {', '.join(POINT_SETS)}, got {name!r}")
    if name in ("crescents", "spirals"):
        n = TWO_D_POINTS if n is None else n
        make = synthetic.crescents if name == "crescents" else synthetic.spirals
        return make(n=n, noise=NOISE, seed=seed)
    n = HELIX_POINTS if n is None else n
    if name == "helix-torus":
        x, _ = synthetic.helix(n=n, dim=3, seed=seed)
    elif name == "helix":
        x = _skdim_benchmark("M13b_Spiral", n, 3, 1, seed).astype(np.float32)
    else:
        x = _skdim_benchmark("Mp1_Paraboloid", n, 12, 3, seed).astype(np.float32)
    return x, np.zeros(n, dtype=np.int64)
