"""γ = 0 (uniform weights) is computable for the Fig. 6 analysis; training still refuses γ <= 0."""
from __future__ import annotations

import pytest
import torch

from workloads.mixing import get_mixer
from workloads.mixing.zeta import zeta_weights


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [2, 7, 32])
def test_gamma_zero_gives_uniform_weights(n):
    w = zeta_weights(n, 0, generator=gen(0), dtype=torch.float64, allow_zero_gamma=True)
    assert torch.equal(w, torch.full((n, n), 1.0 / n, dtype=torch.float64))


def test_allow_zero_gamma_changes_nothing_for_positive_gamma():
    a = zeta_weights(9, 2.8, generator=gen(3), dtype=torch.float64)
    b = zeta_weights(9, 2.8, generator=gen(3), dtype=torch.float64, allow_zero_gamma=True)
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), True, "0"])
def test_allow_zero_gamma_still_refuses_negative_and_non_numbers(bad):
    with pytest.raises(ValueError, match="gamma must be"):
        zeta_weights(4, bad, allow_zero_gamma=True)


def test_training_paths_keep_refusing_gamma_zero():
    with pytest.raises(ValueError, match="gamma"):
        zeta_weights(4, 0.0)
    with pytest.raises(ValueError, match="gamma must be"):
        get_mixer("zeta", gamma=0)
