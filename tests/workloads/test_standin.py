"""Stand-in data: a real dataset's shape, channels and classes, generated, learnable, the same everywhere."""
from __future__ import annotations

import numpy as np

from workloads.data.standin import PER_CLASS, standin


def test_the_shape_channels_classes_and_splits_are_the_real_datasets():
    data = standin("cifar100", tuple(f"c{i}" for i in range(100)), 3, 32)
    assert data.num_classes == 100 and data.channels == 3 and data.image_size == (32, 32)
    for split, n in PER_CLASS.items():
        s = data.splits[split]
        assert s.images.dtype == np.uint8 and s.images.shape == (100 * n, 32, 32, 3)
        assert np.bincount(s.labels, minlength=100).tolist() == [n] * 100
    vectors = standin("helix-12d", ("a", "b"), 12, 1)
    assert vectors.splits["train"].images.dtype == np.float32 and vectors.splits["train"].images.shape == (48, 12)


def test_the_same_arguments_give_the_same_arrays():
    a, b = (standin("mnist", tuple("0123456789"), 1, 28) for _ in range(2))
    assert all(np.array_equal(a.splits[s].images, b.splits[s].images) for s in PER_CLASS)
    other = standin("fashion-mnist", tuple("0123456789"), 1, 28)
    assert not np.array_equal(a.splits["train"].images, other.splits["train"].images)


def test_classes_differ_so_a_model_has_something_to_learn():
    data = standin("stl10", tuple("abcdefghij"), 3, 24)
    train, test = data.splits["train"], data.splits["test"]
    flat = lambda s: s.images.reshape(len(s), -1).astype(np.float64)  # noqa: E731
    means = np.stack([flat(train)[train.labels == k].mean(0) for k in range(10)])
    predicted = ((flat(test)[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (predicted == test.labels).mean() > 0.5  # nearest class mean: chance is 0.1
