"""workloads.device.resolve_device: auto picks cuda, mps, cpu in that order; a device the machine
lacks is a ValueError naming the way out, not a torch error later."""
from __future__ import annotations

import pytest
import torch

from workloads import classify
from workloads.device import resolve_device
from workloads.gan import train as gan_train

MISSING = "is not available on this machine; use device=auto or cpu"


def fake_machine(monkeypatch: pytest.MonkeyPatch, cuda: int, mps: bool) -> None:
    """Pretend the machine has `cuda` CUDA devices and MPS or not."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize("cuda,mps,expected", [(0, False, "cpu"), (0, True, "mps"), (2, True, "cuda")])
def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    fake_machine(monkeypatch, cuda, mps)
    assert resolve_device("auto") == torch.device(expected)


def test_explicit_devices_must_exist(monkeypatch):
    fake_machine(monkeypatch, 0, False)
    assert resolve_device("cpu") == torch.device("cpu")
    for name in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match=f"^device {name} {MISSING}$"):
            resolve_device(name)
    fake_machine(monkeypatch, 2, True)
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    assert resolve_device("mps") == torch.device("mps")
    with pytest.raises(ValueError, match=f"^device cuda:2 {MISSING}$"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("bad", ["gpu", "cpu:0", "tpu", None])
def test_bad_spellings_name_the_choices(bad):
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda, cuda:N, mps"):
        resolve_device(bad)


def test_classifier_and_gan_share_it():
    assert classify.resolve_device is resolve_device and gan_train.resolve_device is resolve_device


def test_trainables_refuse_a_missing_device(monkeypatch):
    from workloads.gan.config import GanConfig

    fake_machine(monkeypatch, 0, False)
    with pytest.raises(ValueError, match=f"^device cuda {MISSING}$"):
        classify.train({"device": "cuda", "epochs": 1, "subset": 20}, lambda metrics, checkpoint: None)
    with pytest.raises(ValueError, match=f"^device cuda:0 {MISSING}$"):
        GanConfig.from_flat({"device": "cuda:0"})
