"""`erm`: no mixing (empirical risk minimisation), the baseline every table compares against."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer
from workloads.mixing.registry import register


@register
class Erm(BatchMixer):
    """Identity: returns `x` itself and `y` in x's dtype; draws nothing from the generator."""

    name = "erm"

    def __init__(self) -> None:
        self._params = {}

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        return x, y.to(x.dtype)
