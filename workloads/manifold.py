"""Manifold mixup (Verma et al., 2019): mixup of hidden states at a random layer inside the model.

The batch mixers of `workloads.mixing` are pure functions of the input batch; manifold mixup needs
the model, so it is a *trainer-level method* instead: it is registered in `TRAINER_METHODS` (not in
`MIXERS`, whose entries every caller may apply to an input batch), `workloads.config` accepts its
name as a `method`, and the classification trainer calls it in place of `mixer(x, y)` + `model(x)`.

Per batch, every draw from the given generator, in this order:
    k   ~ Uniform{0, ..., L}   0 = the input, 1..L = `workloads.models.manifold_layers`, shallow to deep
                               (every ResNet: L = 2, so k in {0, 1, 2} as in Verma et al.'s code)
    lam ~ Beta(alpha, alpha)   alpha = 2.0 by default (Verma et al.'s setting, which the zeta paper follows)
    perm: a random permutation of the batch
then h_k <- lam * h_k + (1 - lam) * h_k[perm] (a forward hook replaces layer k's output) and
y <- lam * y + (1 - lam) * y[perm], with the same lam and perm.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import torch
from torch import Tensor, nn

from workloads.mixing.base import to_device
from workloads.mixing.sampling import draw_device, sample_beta
from workloads.mixing.validation import as_positive_float, check_batch
from workloads.registry import Registry

# name -> class with `param_defaults()`; the methods a trainer implements itself, not via MIXERS.
TRAINER_METHODS: Registry[type] = Registry("trainer method")


@dataclass(frozen=True)
class ManifoldDraw:
    """One batch's draws: `layer` k in [0, L] (0 = input), `lam` in [0, 1], `perm` int64 `(N,)` on CPU."""

    layer: int
    lam: float
    perm: Tensor


def mix_rows(t: Tensor, perm: Tensor, lam: float) -> Tensor:
    """`lam * t + (1 - lam) * t[perm]` along dim 0, as one gather and one in-place lerp (autograd-safe)."""
    return t.index_select(0, to_device(perm, t.device)).lerp_(t, lam)


class ManifoldMixup:
    """Manifold mixup with lam ~ Beta(alpha, alpha); alpha > 0."""

    name = "manifold-mixup"

    def __init__(self, alpha: float = 2.0) -> None:
        self.alpha = as_positive_float("alpha", alpha)

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Accepted parameter names and their defaults (as `BatchMixer.param_defaults`)."""
        sig = inspect.signature(cls.__init__)
        return {p.name: p.default for p in sig.parameters.values() if p.name != "self"}

    @property
    def params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def __repr__(self) -> str:
        return f"ManifoldMixup(alpha={self.alpha!r})"

    def draw(self, n: int, num_layers: int, generator: Optional[torch.Generator] = None) -> ManifoldDraw:
        """Draw k uniform over the input and `num_layers` hidden layers, lam, and a permutation of `n`."""
        device = draw_device(generator)
        layer = int(torch.randint(num_layers + 1, (1,), generator=generator, device=device))
        lam = float(sample_beta(self.alpha, self.alpha, generator)[0])
        perm = torch.randperm(n, generator=generator, device=device).cpu()
        return ManifoldDraw(layer, lam, perm)

    def forward(
        self, model: nn.Module, layers: Sequence[nn.Module], x: Tensor, y: Tensor, draw: ManifoldDraw
    ) -> tuple[Tensor, Tensor]:
        """Logits `(N, K')` of `model` on `x` `(N, ...)` with layer `draw.layer` mixed, and the mixed
        labels `(N, K)` (float32, or float64 for float64 `x`) of `y` `(N, K)` probabilities."""
        if not 0 <= draw.layer <= len(layers):
            raise ValueError(f"layer must lie in [0, {len(layers)}] for {len(layers)} mixable layers, got {draw.layer}")
        label_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
        perm = to_device(draw.perm, x.device)  # one asynchronous copy for labels and hidden state
        y_mix = mix_rows(y.to(label_dtype), perm, draw.lam)
        if draw.layer == 0:
            return model(mix_rows(x, perm, draw.lam)), y_mix

        def replace_output(module: nn.Module, inputs: Any, output: Tensor) -> Tensor:
            return mix_rows(output, perm, draw.lam)

        handle = layers[draw.layer - 1].register_forward_hook(replace_output)
        try:
            logits = model(x)
        finally:
            handle.remove()
        return logits, y_mix

    def __call__(
        self,
        model: nn.Module,
        layers: Sequence[nn.Module],
        x: Tensor,
        y: Tensor,
        generator: Optional[torch.Generator] = None,
    ) -> tuple[Tensor, Tensor]:
        """Draw (see the module docstring) and run `forward`: returns (logits, mixed labels).

        x: floating `(N, ...)`, N >= 2; y: `(N, K)` probabilities on x's device. Label values are
        checked on CPU only (on an accelerator that check would stall the host every step).
        """
        y = check_batch(x, y, values=x.device.type == "cpu")
        return self.forward(model, layers, x, y, self.draw(x.shape[0], len(layers), generator))


TRAINER_METHODS.add(ManifoldMixup.name, ManifoldMixup)


def get_trainer_method(name: str, **params: Any) -> ManifoldMixup:
    """Build trainer method `name` from JSON-style parameters; unknown names or keys raise ValueError."""
    cls = TRAINER_METHODS.get(name)
    unknown = sorted(set(params) - set(cls.param_defaults()))
    if unknown:
        raise ValueError(
            f"method {name!r} got unknown parameter(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(cls.param_defaults())}"
        )
    return cls(**params)
