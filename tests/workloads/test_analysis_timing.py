"""Table 9 (b): local synthetic instances (ref. 57) and the one-call timing table."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workloads.analysis.lsi import local_synthetic_instances
from workloads.analysis.timing import TABLE9_METHODS, augmentation_timings


def test_lsi_weights_are_p_series_over_a_random_subset_with_p_swept():
    n, s, m = 6, 12, 4
    x = torch.eye(n, dtype=torch.float64).view(n, n, 1, 1)  # output = its weight row over inputs
    y = torch.eye(n, dtype=torch.float64)
    xs, ys = local_synthetic_instances(x, y, p_range=(1.0, 3.0), num_weighted=m, num_synthetic=s,
                                       generator=torch.Generator().manual_seed(0))
    w = xs.view(s, n).numpy()
    assert xs.shape == (s, n, 1, 1) and ys.shape == (s, n)
    assert np.allclose(w, ys.numpy()) and np.allclose(w.sum(axis=1), 1.0)
    assert np.all((w > 0).sum(axis=1) == m)
    ranks = np.arange(1, m + 1)
    for i in range(s):
        p = 1.0 + (i / s) * 2.0
        want = ranks**-p / (ranks**-p).sum()
        assert np.allclose(np.sort(w[i])[::-1][:m], want)
    # The dominant sample varies: instances are centred on different inputs.
    assert len(set(w.argmax(axis=1))) > 1


def test_lsi_is_reproducible_and_validates():
    x, y = torch.rand(5, 2, 3, 3), torch.eye(5)
    a = local_synthetic_instances(x, y, generator=torch.Generator().manual_seed(1))
    b = local_synthetic_instances(x, y, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[0].shape == x.shape
    with pytest.raises(ValueError, match="num_weighted"):
        local_synthetic_instances(x, y, num_weighted=6)
    with pytest.raises(ValueError, match="p_range"):
        local_synthetic_instances(x, y, p_range=(2.0, 1.0))


def test_timings_have_one_positive_row_per_method():
    df = augmentation_timings("cpu", shape=(4, 3, 8, 8), warmup=1, repeats=3)
    assert list(df.method) == list(TABLE9_METHODS)
    assert (df.device == "cpu").all() and (df.batch_shape == "4x3x8x8").all() and (df.repeats == 3).all()
    assert (df.median_ms > 0).all() and (df.min_ms <= df.median_ms).all() and (df.q25_ms <= df.q75_ms).all()
    assert df.device_name.str.len().gt(0).all()
    with pytest.raises(ValueError, match="method must be one of"):
        augmentation_timings("cpu", methods=("mixup", "manifold"), shape=(4, 3, 8, 8), repeats=1)
