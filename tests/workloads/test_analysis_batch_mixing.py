"""mix_dataset: shuffled batches through the training mixers; γ = 0 and γ > 0 draw alike."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workloads.analysis.batch_mixing import MixSpec, batch_slices, mix_dataset, one_hot_np, zeta_gamma_grid
from workloads.mixing.base import apply_weights
from workloads.mixing.zeta import GAMMA_MIN, zeta_weights


def eye_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Features = identity: x_mix[i] is then output i's weight row over the inputs."""
    return np.eye(n, dtype=np.float64), np.ones((n, 1))


def test_original_is_an_unchanged_copy():
    x, y = eye_data(5)
    xm, ym = mix_dataset(x, y, MixSpec("original"))
    assert np.array_equal(xm, x) and np.array_equal(ym, y) and xm is not x


@pytest.mark.parametrize("gamma", [GAMMA_MIN, 2.8, 6.0])
def test_zeta_output_is_dominated_by_its_own_input(gamma):
    x, y = eye_data(70)
    w, _ = mix_dataset(x, y, MixSpec("zeta", gamma=gamma), batch_size=32)
    assert np.allclose(w.sum(axis=1), 1.0)
    diag = np.diag(w)
    off = w.sum(axis=1) - diag
    assert np.all(diag == w.max(axis=1)) and np.all(diag > off)


def test_batches_never_mix_across_batches():
    x, y = eye_data(64)
    w, _ = mix_dataset(x, y, MixSpec("zeta", gamma=2.0), batch_size=16, seed=1)
    support = w > 0
    # Each output mixes exactly its batch: 16 inputs, and the supports form 4 disjoint blocks.
    assert np.all(support.sum(axis=1) == 16)
    blocks = {tuple(np.flatnonzero(row)) for row in support}
    assert len(blocks) == 4 and sum(len(b) for b in blocks) == 64


def test_gamma_zero_is_uniform_within_each_batch():
    x, y = eye_data(40)
    w, _ = mix_dataset(x, y, MixSpec("zeta", gamma=0.0), batch_size=16)
    sizes = sorted({int((row > 0).sum()) for row in w})
    assert sizes == [8, 16]  # batches of 16, 16 and the last 8
    assert np.allclose(w[w > 0], 1.0 / (w > 0).sum(axis=1, keepdims=True).repeat(40, 1)[w > 0])


def test_zeta_weights_path_draws_exactly_as_the_mixer():
    # γ = 0 goes through zeta_weights + apply_weights; for γ > 0 that path equals the mixer's.
    x, y = eye_data(50)
    got, _ = mix_dataset(x, y, MixSpec("zeta", gamma=2.8), batch_size=16, seed=5)
    g = torch.Generator().manual_seed(5)
    perm = torch.randperm(50, generator=g)
    want = np.empty_like(x)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    for s in batch_slices(50, 16):
        idx = perm[s]
        w = zeta_weights(len(idx), 2.8, generator=g, dtype=torch.float64)
        want[idx.numpy()] = apply_weights(w, xt[idx], yt[idx])[0].numpy()
    assert np.array_equal(got, want)


def test_group_size_t_mixes_groups_of_t():
    x, y = eye_data(64)
    w, _ = mix_dataset(x, y, MixSpec("zeta", gamma=2.4, t=4), batch_size=32)
    assert np.all((w > 0).sum(axis=1) == 4)


def test_mixup_mixes_pairs_with_one_lambda_per_batch():
    x, y = eye_data(64)
    w, _ = mix_dataset(x, y, MixSpec("mixup"), batch_size=32, seed=3)
    assert np.all((w > 0).sum(axis=1) <= 2) and np.allclose(w.sum(axis=1), 1.0)
    lams = np.diag(w)
    assert len(np.unique(np.round(lams[lams < 1], 12))) <= 2  # two batches, one λ each


def test_labels_are_mixed_by_the_same_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3))
    labels = rng.integers(0, 4, 48)
    xm, ym = mix_dataset(np.hstack([x, one_hot_np(labels, 4)]), one_hot_np(labels, 4), MixSpec("zeta", gamma=2.4))
    assert np.allclose(xm[:, 3:], ym, atol=1e-6) and np.allclose(ym.sum(axis=1), 1.0)


def test_same_seed_same_output_other_seed_other_output():
    x = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    y = np.ones((40, 1), dtype=np.float32)
    a = mix_dataset(x, y, MixSpec("mixup"), seed=1)[0]
    assert np.array_equal(a, mix_dataset(x, y, MixSpec("mixup"), seed=1)[0])
    assert not np.array_equal(a, mix_dataset(x, y, MixSpec("mixup"), seed=2)[0])


def test_batch_slices_merge_a_single_leftover():
    assert batch_slices(65, 32) == [slice(0, 32), slice(32, 65)]
    assert batch_slices(66, 32) == [slice(0, 32), slice(32, 64), slice(64, 66)]
    assert batch_slices(5, 32) == [slice(0, 5)]


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "cutmix"}, "method must be one of"),
    ({"method": "zeta"}, "gamma >= 0"),
    ({"method": "zeta", "gamma": -1.0}, "gamma >= 0"),
    ({"method": "zeta", "gamma": 0.0, "t": 4}, "t=None"),
    ({"method": "mixup", "gamma": 2.0}, "zeta only"),
])
def test_mixspec_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MixSpec(**kwargs)


def test_gamma_grid_spans_zero_to_fifteen_with_gamma_min():
    grid = zeta_gamma_grid()
    assert grid[0] == 0.0 and grid[-1] == 15.0 and GAMMA_MIN in grid and grid == sorted(set(grid))
    assert len(grid) == 32
