"""Tests of workloads.losses: soft_cross_entropy against torch's cross-entropy, and one_hot."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from workloads.losses import one_hot, soft_cross_entropy


def test_one_hot_values_and_dtype():
    y = one_hot(torch.tensor([2, 0, 1, 2]), 4)
    assert y.dtype == torch.float32
    assert torch.equal(y, torch.tensor([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.0]]))
    assert one_hot(torch.tensor([1], dtype=torch.int32), 3, dtype=torch.float64).dtype == torch.float64


@pytest.mark.parametrize("labels,k,match", [
    (torch.tensor([0, 3]), 3, r"labels must lie in \[0, 3\)"),
    (torch.tensor([-1, 0]), 3, r"labels must lie in \[0, 3\)"),
    (torch.tensor([0.0, 1.0]), 3, "integer tensor"),
    (torch.tensor([[0, 1]]), 3, "1-D tensor"),
    (torch.tensor([0, 1]), 0, "num_classes must be"),
])
def test_one_hot_rejects_bad_input(labels, k, match):
    with pytest.raises(ValueError, match=match):
        one_hot(labels, k)


class CallLog(torch.overrides.TorchFunctionMode):
    """Records the name of every torch function called under it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


def test_one_hot_without_check_matches_and_reads_nothing_back():
    labels = torch.tensor([2, 0, 1, 2, 3])
    for dtype in (torch.float32, torch.float16, torch.float64):
        assert torch.equal(one_hot(labels, 4, dtype=dtype, check=False), F.one_hot(labels, 4).to(dtype))
    with CallLog() as checked:
        one_hot(labels, 4)
    with CallLog() as unchecked:
        one_hot(labels, 4, check=False)
    # The range check reduces the labels and reads the result back to the host; check=False does neither.
    assert {"min", "max"} <= set(checked.names)
    assert not {"min", "max", "__bool__", "item"} & set(unchecked.names)
    # check=False still refuses bad types; an out-of-range index is then torch's error, not ours.
    with pytest.raises(ValueError, match="integer tensor"):
        one_hot(torch.tensor([0.0]), 3, check=False)
    with pytest.raises(RuntimeError):
        one_hot(torch.tensor([0, 3]), 3, check=False)


def test_soft_cross_entropy_matches_torch_on_hard_and_soft_targets():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 5, generator=g, dtype=torch.float64)
    labels = torch.randint(5, (16,), generator=g)
    hard = soft_cross_entropy(logits, one_hot(labels, 5, dtype=torch.float64))
    assert torch.allclose(hard, F.cross_entropy(logits, labels))
    soft = torch.softmax(torch.randn(16, 5, generator=g, dtype=torch.float64), dim=1)
    expect = -(soft * torch.log_softmax(logits, dim=1)).sum(dim=1)
    assert torch.allclose(soft_cross_entropy(logits, soft), expect.mean())
    assert torch.allclose(soft_cross_entropy(logits, soft, reduction="sum"), expect.sum())
    assert torch.allclose(soft_cross_entropy(logits, soft, reduction="none"), expect)
    assert torch.allclose(soft_cross_entropy(logits, soft), F.cross_entropy(logits, soft))


def test_soft_cross_entropy_gradient_and_low_precision():
    logits = torch.zeros(3, 4, requires_grad=True)
    y = torch.full((3, 4), 0.25)
    loss = soft_cross_entropy(logits, y)
    assert torch.allclose(loss, torch.log(torch.tensor(4.0)))
    loss.backward()
    assert torch.allclose(logits.grad, torch.zeros(3, 4), atol=1e-7)  # softmax already equals y
    out = soft_cross_entropy(torch.randn(3, 4).bfloat16(), y.bfloat16())
    assert out.dtype == torch.float32


@pytest.mark.parametrize("logits,y,kwargs,match", [
    (torch.zeros(3, 4), torch.zeros(3, 5), {}, r"shape \(N, K\)"),
    (torch.zeros(3, 4), torch.zeros(3, dtype=torch.long), {}, r"shape \(N, K\)"),
    (torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 4), {}, "logits must be floating"),
    (torch.zeros(3, 4), torch.zeros(3, 4), {"reduction": "avg"}, "reduction must be one of"),
])
def test_soft_cross_entropy_rejects_bad_input(logits, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        soft_cross_entropy(logits, y, **kwargs)
