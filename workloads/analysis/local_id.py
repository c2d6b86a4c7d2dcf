"""Local intrinsic dimension (ζ-mixup paper, Fig. 6): pointwise local PCA, Fukunaga–Olsen rule.

The paper estimates, for every point, the ID of its k-nearest neighbourhood (k = 8 and 128) with
scikit-dimension's `lPCA` (ver="FO": the number of PCA eigenvalues larger than alpha = 5 % of the
largest) applied pointwise (`fit_pw`), then plots the mean and standard deviation over points for
the original data, mixup's output, and ζ-mixup's output on a γ grid over [0, 15].

Two backends compute the same numbers:
- `backend="skdim"`: `skdim.id.lPCA(ver="FO", alphaFO=alpha).fit_pw(x, n_neighbors=k)`, the
  library call itself (one scikit-learn PCA per point: ~0.5 ms each on a CPU).
- `backend="torch"` (default): the same neighbourhoods (the k nearest OTHER points, Euclidean, as
  `fit_pw` takes them from scikit-learn's `kneighbors()`) and the same spectra, batched: the
  eigenvalues of each neighbourhood's covariance (D <= k) or of its centred Gram matrix (D > k;
  same non-zero eigenvalues; read from one global Gram matrix when N is small enough), counted
  against alpha x the largest. Runs on any torch device, so the whole CIFAR train sets fit on a
  GPU. Tests check both backends give identical estimates.
Estimates are integers. A neighbourhood of copies of one point has ID 0 (the torch backend says so
explicitly, rather than counting the eigenvalues of rounding noise). ζ-mixup at γ = 0 makes every
output of a batch the batch's mean, so its small-k neighbourhoods are such copies.

On a CPU, give torch no more threads than free cores: batched `eigvalsh` under OpenMP
oversubscription ran 15x slower in our measurements.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Optional

import numpy as np
import pandas as pd
import torch

from workloads.analysis.batch_mixing import MixSpec, mix_dataset, zeta_gamma_grid

BACKENDS = ("torch", "skdim")
ALPHA_FO = 0.05
"""Fukunaga–Olsen threshold: an eigenvalue counts if it exceeds 5 % of the largest (the paper's)."""
KS = (8, 128)
"""Neighbourhood sizes of Fig. 6."""


def knn_indices(x: torch.Tensor, k: int, *, chunk_elems: int = 2**25) -> torch.Tensor:
    """The k nearest other points of every point: int64 `(N, k)` on x's device, nearest first.

    x: `(N, D)` float (float64 keeps the neighbour order of near-ties stable), Euclidean distance.
    On the CPU this is scikit-learn's `NearestNeighbors(n_neighbors=k).fit(x).kneighbors()`, the
    very call `fit_pw` makes (a k-d tree in low dimension); on an accelerator, exact brute force
    in blocks of about `chunk_elems` distances (`knn_brute_force`).
    """
    n = x.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and N-1={n - 1}, got {k}")
    if x.device.type != "cpu":
        return knn_brute_force(x, k, chunk_elems=chunk_elems)
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=k).fit(x.numpy()).kneighbors()
    return torch.as_tensor(idx, dtype=torch.long)


def knn_brute_force(x: torch.Tensor, k: int, *, chunk_elems: int = 2**25) -> torch.Tensor:
    """Exact k nearest other points by blocks of squared distances: int64 `(N, k)`, nearest first."""
    n = x.shape[0]
    sq = (x * x).sum(dim=1)
    rows = max(1, chunk_elems // n)
    out = torch.empty(n, k, dtype=torch.long, device=x.device)
    for a in range(0, n, rows):
        b = min(a + rows, n)
        d2 = sq[a:b, None] + sq[None, :] - 2.0 * (x[a:b] @ x.T)
        # The point itself is never its own neighbour (scikit-learn's kneighbors() without X).
        d2[torch.arange(b - a, device=x.device), torch.arange(a, b, device=x.device)] = float("inf")
        out[a:b] = torch.topk(d2, k, dim=1, largest=False, sorted=True).indices
    return out


def fo_dimension_from_neighbourhoods(
    x: torch.Tensor,
    knn: torch.Tensor,
    alpha: float = ALPHA_FO,
    *,
    gram: Optional[torch.Tensor] = None,
    chunk_elems: int = 2**25,
) -> torch.Tensor:
    """Fukunaga–Olsen ID of each neighbourhood: int64 `(N,)`.

    x: `(N, D)` float; knn: int64 `(N, k)` neighbour indices (k >= 2). For point i the local PCA
    spectrum of `x[knn[i]]` is taken (centred, as scikit-learn's PCA) and the eigenvalues larger
    than `alpha` x the largest are counted. gram: optionally `x @ x.T` `(N, N)`; for D > k the
    neighbourhoods' centred Gram matrices are then read from it (k^2 per point instead of k^2 D).
    """
    n, d = x.shape
    k = knn.shape[1]
    if k < 2:
        raise ValueError(f"a neighbourhood needs k >= 2 points, got k={k}")
    eps = torch.finfo(x.dtype).eps
    use_gram = gram is not None and d > k
    rows = max(1, chunk_elems // (k * k if use_gram else k * d))
    out = torch.empty(n, dtype=torch.long, device=x.device)
    for a in range(0, n, rows):
        idx = knn[a : a + rows]
        if use_gram:
            g = gram[idx[:, :, None], idx[:, None, :]]  # (b, k, k) uncentred
            m = g - g.mean(dim=1, keepdim=True) - g.mean(dim=2, keepdim=True) + g.mean(dim=(1, 2), keepdim=True)
            # Squared distances to the neighbourhood mean vs the rounding error of centring.
            spread2 = m.diagonal(dim1=1, dim2=2).amax(dim=1)
            degenerate = spread2 <= 1e3 * eps * g.diagonal(dim1=1, dim2=2).amax(dim=1)
        else:
            raw = x[idx]  # (b, k, D)
            nb = raw - raw.mean(dim=1, keepdim=True)
            # Same non-zero eigenvalues either way; the smaller matrix is cheaper.
            m = nb.transpose(1, 2) @ nb if d <= k else nb @ nb.transpose(1, 2)
            degenerate = nb.abs().amax(dim=(1, 2)) <= 64 * eps * raw.abs().amax(dim=(1, 2))
        ev = torch.linalg.eigvalsh(m / (k - 1))  # ascending
        count = (ev > alpha * ev[:, -1:]).sum(dim=1)
        # Copies of one point (ζ with γ = 0 makes a batch's outputs identical) leave only rounding
        # noise after centring, whose "spectrum" is arbitrary: such a neighbourhood has ID 0.
        out[a : a + rows] = torch.where(degenerate, torch.zeros_like(count), count)
    return out


def local_id(
    x: np.ndarray | torch.Tensor,
    k: int,
    *,
    alpha: float = ALPHA_FO,
    backend: str = "torch",
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float64,
) -> np.ndarray:
    """Pointwise local ID of `x` `(N, D)` (D >= 2) from its k nearest neighbours: int64 `(N,)`.

    backend "skdim": `skdim.id.lPCA(ver="FO", alphaFO=alpha).fit_pw(x, n_neighbors=k)`; "torch":
    the batched equivalent on `device` in `dtype` (see the module docstring).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if backend == "skdim":
        import skdim

        arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        est = skdim.id.lPCA(ver="FO", alphaFO=alpha).fit_pw(arr.astype(np.float64), n_neighbors=k, n_jobs=1)
        return np.asarray(est.dimension_pw_, dtype=np.int64)
    xt = torch.as_tensor(x).to(device=device, dtype=dtype)
    return local_id_multi_k(xt, (k,), alpha=alpha)[k]


def local_id_multi_k(
    x: torch.Tensor, ks: Sequence[int], *, alpha: float = ALPHA_FO, gram_max_points: int = 16384
) -> dict[int, np.ndarray]:
    """Pointwise local ID for several k at once (one k-NN search at max(ks)): {k: int64 `(N,)`}.

    x: `(N, D)` float tensor on the device to compute on. The k nearest neighbours are the first k
    of the max(ks) nearest, so every k sees exactly the neighbourhood a separate search would give.
    For high-dimensional points (D > k) and N <= gram_max_points the Gram matrix `x @ x.T` (N^2
    floats: 2 GiB at the default in float64) is formed once and every neighbourhood's spectrum read
    from it, which costs N^2 D once instead of N k^2 D (16x less for CIFAR at N = 1,000, k = 128).
    """
    kmax = max(ks)
    knn = knn_indices(x, kmax)
    n, d = x.shape
    gram = x @ x.T if n <= gram_max_points and d > min(ks) else None
    return {k: fo_dimension_from_neighbourhoods(x, knn[:, :k], alpha, gram=gram).cpu().numpy() for k in ks}


def images_as_points(
    images: np.ndarray, n: Optional[int] = None, seed: int = 0
) -> np.ndarray:
    """uint8 images `(N, H, W, C)` -> float32 points `(n, H*W*C)` in [0, 1] (CIFAR: 3,072-D).

    n: a random subset of n images (without replacement, NumPy generator seeded with `seed`, kept
    in their original order); None keeps all (the paper uses the whole 50,000-image train sets).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    if n is not None:
        if not 2 <= n <= len(images):
            raise ValueError(f"n must be between 2 and {len(images)}, got {n}")
        idx = np.sort(np.random.default_rng(seed).choice(len(images), size=n, replace=False))
        images = images[idx]
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def local_id_sweep(
    datasets: Mapping[str, np.ndarray],
    *,
    ks: Sequence[int] = KS,
    gammas: Optional[Sequence[float]] = None,
    batch_size: int = 32,
    seed: int = 42,
    alpha: float = ALPHA_FO,
    backend: str = "torch",
    device: str | torch.device = "cpu",
) -> pd.DataFrame:
    """Fig. 6's numbers: local ID of the original data, of mixup's and of ζ-mixup's output.

    datasets: name -> float points `(N, D)` (`point_set(...)[0]`, `images_as_points(...)`).
    gammas: ζ's γ values (default `zeta_gamma_grid()`: 0, 0.5, ..., 15 and γ_min); γ = 0 is
    uniform weights. Each method's output is made once by `mix_dataset` (shuffled batches of
    `batch_size`, T = the batch; one torch generator seeded with `seed` per (dataset, method, γ))
    and measured at every k.
    Returns one row per (dataset, k, method, gamma): columns dataset, k, method ("original",
    "mixup", "zeta"), gamma (NaN unless zeta), mean, std (over points, ddof 0), n (points).
    """
    gammas = zeta_gamma_grid() if gammas is None else [float(g) for g in gammas]
    specs = [MixSpec("original"), MixSpec("mixup")] + [MixSpec("zeta", gamma=g) for g in gammas]
    rows = []
    for name, x in datasets.items():
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"dataset {name!r} must be points (N, D), got shape {x.shape}")
        ones = np.ones((len(x), 1), dtype=np.float32)
        for spec in specs:
            xm, _ = mix_dataset(x, ones, spec, batch_size=batch_size, seed=seed)
            if backend == "torch":
                xt = torch.as_tensor(xm).to(device=device, dtype=torch.float64)
                ids = local_id_multi_k(xt, ks, alpha=alpha)
            else:
                ids = {k: local_id(xm, k, alpha=alpha, backend=backend) for k in ks}
            for k in ks:
                rows.append({
                    "dataset": name,
                    "k": int(k),
                    "method": spec.method,
                    "gamma": float(spec.gamma) if spec.gamma is not None else float("nan"),
                    "mean": float(ids[k].mean()),
                    "std": float(ids[k].std()),
                    "n": int(len(ids[k])),
                })
    return pd.DataFrame(rows, columns=["dataset", "k", "method", "gamma", "mean", "std", "n"])
