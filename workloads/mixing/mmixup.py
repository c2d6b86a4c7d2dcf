"""`mmixup`: GeMix's multi-image mixup baseline (Table I of the GeMix paper).

Each output mixes one image of every class present in the batch, each drawn uniformly from that
class's members; the weights over those P classes are Dirichlet(a_dominant at a pivot class drawn
uniformly among the present classes, a_other elsewhere), pivot and members drawn per output.
A sample's class is the argmax of its label row (first on ties), so soft labels are accepted; the
labels are mixed by the same weights as the pixels, which for one-hot labels puts exactly the
Dirichlet weight on each present class. The (N, N) weight matrix has P non-zeros per row and is
applied as one matrix product. With a single class present every output is one member of it.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from workloads.mixing.base import BatchMixer, apply_weights
from workloads.mixing.registry import register
from workloads.mixing.sampling import draw_device, pivot_dirichlet
from workloads.mixing.validation import as_positive_float


def mmixup_weights(
    labels: Tensor, a_dominant: float, a_other: float, generator: Optional[torch.Generator]
) -> Tensor:
    """(N, N) float64 weights on the generator's device for integer class `labels` (N,)."""
    dev = draw_device(generator)
    labels = labels.to(dev)
    n = labels.shape[0]
    present, counts = torch.unique(labels, sorted=True, return_counts=True)
    p = present.shape[0]
    # Members of each present class sit contiguously in `order`, class by class, from `starts`.
    order = torch.argsort(labels, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    u = torch.rand(n, p, generator=generator, dtype=torch.float64, device=dev)
    offset = torch.minimum((u * counts).long(), counts - 1)
    members = order[starts + offset]  # (N, P): output k's image of each present class
    _, weights = pivot_dirichlet(n, p, a_dominant, a_other, generator)
    return torch.zeros(n, n, dtype=torch.float64, device=dev).scatter_add_(1, members, weights)


@register
class MMixup(BatchMixer):
    """Multi-image mixup: one image per present class, weights ~ Dirichlet (a_dominant, a_other > 0)."""

    name = "mmixup"

    def __init__(self, a_dominant: float = 2.0, a_other: float = 1.0) -> None:
        self._params = {
            "a_dominant": as_positive_float("a_dominant", a_dominant),
            "a_other": as_positive_float("a_other", a_other),
        }

    def _mix(self, x: Tensor, y: Tensor, generator: Optional[torch.Generator]) -> tuple[Tensor, Tensor]:
        p = self._params
        w = mmixup_weights(y.argmax(dim=1), p["a_dominant"], p["a_other"], generator)
        return apply_weights(w, x, y)
