"""Fixtures shared by the workloads tests."""
from __future__ import annotations

import pytest
import torch

from workloads.data import DatasetArrays, load_dataset


@pytest.fixture(scope="module", autouse=True)
def restore_threads():
    """Trainables set torch's thread count (`num_threads`); each test module leaves it as it found it."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits() -> DatasetArrays:
    """The packaged digits dataset (8x8 grey, 10 classes)."""
    return load_dataset("digits")


@pytest.fixture(scope="module")
def ct_toy() -> DatasetArrays:
    """The built-in tiny 3-class grey CT stand-in GeMix's smoke runs use."""
    return load_dataset("ct-toy")
