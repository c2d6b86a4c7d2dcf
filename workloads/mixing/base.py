"""The mixer base class and the two ways a mixer touches pixels: a weight matrix or a pair lerp.

A mixer is configured once (`get_mixer(name, **params)`) and then called per batch:
`x_mix, y_mix = mixer(x, y, generator=g)`. Subclasses implement `_mix` on a validated batch; all
their randomness comes from `generator` (None: torch's global generator on CPU, which
`torch.manual_seed` seeds). Small random draws (permutations, weights) happen on the generator's
device in float64 and only the finished weights move to x's device.
"""
from __future__ import annotations

import inspect
from typing import Any, ClassVar, Optional

import torch
from torch import Tensor

from workloads.mixing.validation import check_batch


def _label_dtype(x: Tensor) -> torch.dtype:
    # Labels are (N, K): mixing them in at least float32 costs nothing and keeps rows summing to 1.
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def to_device(t: Tensor, device: torch.device) -> Tensor:
    """Move a small CPU draw to `device` without stalling the host on a CUDA queue.

    A plain `.to("cuda")` from pageable memory waits for the copy, hence for all queued GPU work;
    from pinned memory the copy is asynchronous and ordered on the stream like any kernel.
    """
    if t.device == device:
        return t
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def apply_weights(weights: Tensor, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Mix a batch by a row-stochastic matrix: `x_mix[k] = Σ_i W[k, i] x[i]`, same for labels.

    weights: `(N, N)`, row k holds output k's weights (any float dtype/device; float64 preferred).
    x: `(N, ...)` floating; y: `(N, K)` floating. Pixels are ONE matrix product
    `W @ x.view(N, -1)` in x's dtype (W rounded to it: for bfloat16/float16 the pixel weights carry
    that dtype's ~3 significant digits while the labels use the float32 weights).
    """
    n = x.shape[0]
    weights = to_device(weights, x.device)
    x_mix = torch.mm(weights.to(x.dtype), x.reshape(n, -1)).view(x.shape)
    ld = _label_dtype(x)
    y_mix = torch.mm(weights.to(ld), y.to(ld)).to(x.dtype)
    return x_mix, y_mix


def mix_pairs(x: Tensor, y: Tensor, partner: Tensor, lam: float) -> tuple[Tensor, Tensor]:
    """`x_mix[k] = lam · x[k] + (1 − lam) · x[partner[k]]`, labels alike.

    A gather and an in-place lerp touch the batch ~5 times: on CPU that is ~2x faster than the
    (N, N) matrix product, whose N^2 D multiply-adds are mostly zeros for a pair mix.
    """
    partner = to_device(partner, x.device)
    x_mix = x.index_select(0, partner).lerp_(x, lam)
    ld = _label_dtype(x)
    y_l = y.to(ld)
    y_mix = y_l.index_select(0, partner).lerp_(y_l, lam).to(x.dtype)
    return x_mix, y_mix


class BatchMixer:
    """Base of every registered mixer: validation, the call contract, repr, equality, pickling.

    Subclasses set `name` (the registry key), `image_only` (needs `(N, C, H, W)`), store their
    normalised constructor arguments in `self._params` (same names as the `__init__` parameters)
    and implement `_mix(x, y, generator)`.
    """

    name: ClassVar[str] = ""
    image_only: ClassVar[bool] = False

    _params: dict[str, Any]

    def __call__(
        self, x: Tensor, y: Tensor, generator: Optional[torch.Generator] = None
    ) -> tuple[Tensor, Tensor]:
        """Mix a batch. x: floating `(N, C, H, W)` (any `(N, ...)` unless image_only); y: `(N, K)`
        probabilities. Returns `(x_mix, y_mix)` with the same shapes, on x's device and dtype."""
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")
        # Label values are checked on every CPU call; on an accelerator (where reading the check
        # back stalls the host) once per mixer and device, which catches a wrong label format.
        checked = self.__dict__.setdefault("_checked_devices", set())
        values = x.device.type == "cpu" or x.device not in checked
        y = check_batch(x, y, image=self.image_only, values=values)
        if values:
            checked.add(x.device)
        return self._mix(x, y, generator)

    def _mix(
        self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]
    ) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Accepted parameter names and their defaults, read from `__init__`'s signature."""
        sig = inspect.signature(cls.__init__)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }

    @property
    def params(self) -> dict[str, Any]:
        """The normalised parameters this mixer was built with."""
        return dict(self._params)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self._params.items())
        return f"get_mixer({self.name!r}{args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._params == self._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self._params.items())))
