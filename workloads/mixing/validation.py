"""Validation at the edge: mixer parameters (they arrive from JSON configs) and mixer batches.

Every failure raises `ValueError` naming the parameter and its valid range; nothing is asserted.
Parameters are normalised on the way in: ints are accepted where floats are expected, lists where
pairs are expected (JSON has no tuples), and bools are refused (`True` is an `int` in Python).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any, Optional

import torch
from torch import Tensor


def as_positive_float(name: str, value: Any) -> float:
    """`value` as a finite float > 0, else `ValueError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or out <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return out


def as_gamma_range(value: Any) -> tuple[float, float]:
    """`value` as `(low, high)` with 0 < low <= high < inf; lists (from JSON) are accepted."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(
            f"gamma_range must be a pair (low, high) with 0 < low <= high, got {value!r}"
        )
    low = as_positive_float("gamma_range[0]", value[0])
    high = as_positive_float("gamma_range[1]", value[1])
    if low > high:
        raise ValueError(f"gamma_range must have low <= high, got {value!r}")
    return (low, high)


def resolve_gamma(
    gamma: Any, gamma_range: Any, default: float
) -> tuple[Optional[float], Optional[tuple[float, float]]]:
    """ζ's exponent: a fixed `gamma`, or a `gamma_range` drawn from per batch; never both.

    Returns `(gamma, None)` or `(None, (low, high))`; neither given means `(default, None)`.
    """
    if gamma is not None and gamma_range is not None:
        raise ValueError(
            f"give gamma or gamma_range, not both (got gamma={gamma!r}, gamma_range={gamma_range!r})"
        )
    if gamma_range is not None:
        return None, as_gamma_range(gamma_range)
    return as_positive_float("gamma", default if gamma is None else gamma), None


def as_group_size(value: Any) -> Optional[int]:
    """ζ's group size `t`: None (the whole batch) or an integer >= 2 (checked against N per call)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
        raise ValueError(f"t must be None (whole batch) or an integer >= 2, got {value!r}")
    t = int(value)
    if t < 2:
        raise ValueError(f"t must be None (whole batch) or an integer >= 2, got {value!r}")
    return t


def _row_sum_tolerance(dtype: torch.dtype) -> float:
    # Labels that went through half precision carry ~3 significant digits.
    if dtype == torch.float64:
        return 1e-6
    if dtype == torch.float32:
        return 1e-4
    return 2e-2


def check_batch(x: Any, y: Any, *, image: bool = False, values: bool = True) -> Tensor:
    """Check a mixer's batch and return `y` as a floating tensor (integer one-hot rows are cast).

    x: floating tensor `(N, ...)`, `(N, C, H, W)` when `image`; N >= 2.
    y: `(N, K)` class probabilities on x's device: rows >= 0 that sum to 1. Checking the values
    reads one flag back to the host; `values=False` checks only shapes, dtypes and devices.
    """
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise ValueError(
            f"x and y must be torch tensors, got {type(x).__name__} and {type(y).__name__}"
        )
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating tensor (float16/bfloat16/float32/float64), got {x.dtype}")
    if image and x.dim() != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {tuple(x.shape)}")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (N, ...) with at least 2 dims, got {tuple(x.shape)}")
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"x: a batch of {n} cannot be mixed; the batch size N must be >= 2")
    if y.dim() != 2:
        raise ValueError(
            f"y must be (N, K) class probabilities (use workloads.losses.one_hot for integer "
            f"labels), got shape {tuple(y.shape)}"
        )
    if y.shape[1] < 1:
        raise ValueError(f"y must have at least one class column, got shape {tuple(y.shape)}")
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} rows but x has N={n} samples; they must match")
    if y.device != x.device:
        raise ValueError(f"y is on {y.device} but x is on {x.device}; put both on one device")
    if y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"y must hold real class probabilities, got dtype {y.dtype}")
    if not y.is_floating_point():
        y = y.to(torch.float32)
    if not values:
        return y
    tol = _row_sum_tolerance(y.dtype)
    # One host sync for the whole check; NaN fails both comparisons and is caught by the `~`.
    ok = (y.min() >= -tol) & ((y.sum(dim=1, dtype=torch.float64) - 1).abs().max() <= tol)
    if not bool(ok):
        raise ValueError(
            "y rows must be probability distributions (entries >= 0, each row summing to 1)"
        )
    return y
