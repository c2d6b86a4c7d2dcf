"""Where a trial keeps its dataset (`workloads.placement`): on the device when it fits, else in host
memory with a pinned, asynchronous copy per batch. The decision is tested on the CPU with injected
memory figures; the pinned copies themselves only where CUDA is (tests named `..._cuda`)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from workloads.classify import build_trainer
from workloads.data import DatasetArrays
from workloads.placement import DEVICE_DATA_FRACTION, SHARE_ENV, device_share, gather, host_batch, keep_on_device, rows

from tests.workloads.test_classify import FAST

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
GiB = 2**30
GPU = torch.device("cuda")


def test_data_stays_on_the_device_while_it_takes_at_most_half_the_free_memory() -> None:
    assert DEVICE_DATA_FRACTION == 0.5
    memory = (10 * GiB, 80 * GiB)  # (free, total): another process holds 70 GiB
    assert keep_on_device(5 * GiB, GPU, memory, share=1.0)
    assert not keep_on_device(5 * GiB + 1, GPU, memory, share=1.0)
    assert not keep_on_device(11 * GiB, GPU, memory, share=1.0)  # larger than the free memory: never fails


def test_a_packed_trial_budgets_with_its_share_of_the_device() -> None:
    # 4 trials on one 80 GiB GPU start together and each sees 80 GiB free; each may use half of 20 GiB.
    memory = (80 * GiB, 80 * GiB)
    assert keep_on_device(10 * GiB, GPU, memory, share=0.25)
    assert not keep_on_device(10 * GiB + 1, GPU, memory, share=0.25)
    assert keep_on_device(40 * GiB, GPU, memory, share=1.0)


def test_cpu_and_mps_keep_the_data_where_it_is() -> None:
    for device in ("cpu", "mps"):
        assert keep_on_device(10**15, torch.device(device))


def test_the_share_comes_from_the_environment_and_is_checked(monkeypatch) -> None:
    monkeypatch.delenv(SHARE_ENV, raising=False)
    assert device_share() == 1.0
    monkeypatch.setenv(SHARE_ENV, "0.25")
    assert device_share() == 0.25
    for bad in ("0", "1.5", "half"):
        monkeypatch.setenv(SHARE_ENV, bad)
        with pytest.raises(ValueError, match=f"{SHARE_ENV} must be a number in \\(0, 1\\]"):
            device_share()


def test_the_orchestrator_sets_the_variable_the_workloads_read() -> None:
    from orchestrator.run.trial import DEVICE_SHARE_ENV

    assert DEVICE_SHARE_ENV == SHARE_ENV


def test_host_batches_are_the_rows_asked_for() -> None:
    x = torch.arange(5 * 2 * 3, dtype=torch.uint8).view(5, 2, 3)
    idx = torch.tensor([4, 0, 2])
    assert torch.equal(host_batch(x, idx, pin=False), x[idx])
    assert torch.equal(gather(x, idx, torch.device("cpu")), x[idx])
    assert torch.equal(rows(x, 3, 9, torch.device("cpu")), x[3:])


def test_a_trainer_with_host_resident_data_trains_exactly_as_with_device_resident_data(
        digits: DatasetArrays, monkeypatch) -> None:
    # On the CPU both placements are host memory; this checks that the host path indexes the images
    # with the same (host-side) order as the labels.
    config = {**FAST, "method": "zeta", "subset": 200, "epochs": 1, "flip": True, "crop_padding": 1}
    resident = build_trainer(config, digits)
    monkeypatch.setattr("workloads.classify.keep_on_device", lambda nbytes, device: False)
    host = build_trainer(config, digits)
    assert resident.data_on_device and not host.data_on_device
    a, b = resident.run_epoch(), host.run_epoch()
    assert {k: v for k, v in a.items() if k != "train_images_per_s"} == {k: v for k, v in b.items() if k != "train_images_per_s"}


@cuda
def test_a_dataset_larger_than_the_free_memory_trains_from_pinned_host_memory_cuda(digits: DatasetArrays, monkeypatch) -> None:
    config = {**FAST, "device": "cuda", "method": "zeta", "subset": 200, "epochs": 1, "precision": "fp32",
              "cudnn_benchmark": False}
    monkeypatch.setattr("workloads.placement.device_memory", lambda device: (1024, 80 * GiB))  # 1 KiB free
    host = build_trainer(config, digits)
    assert not host.data_on_device and host.x["train"].device.type == "cpu"
    idx = torch.tensor([3, 1, 2])
    batch = host_batch(host.x["train"], idx, pin=True)
    assert batch.is_pinned()
    copied = gather(host.x["train"], idx, torch.device("cuda"))
    assert copied.is_cuda and torch.equal(copied.cpu(), host.x["train"][idx])
    metrics = host.run_epoch()
    monkeypatch.undo()
    resident = build_trainer(config, digits)
    assert resident.data_on_device and resident.x["train"].is_cuda
    want = resident.run_epoch()
    assert all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))
    assert metrics["train_loss"] == pytest.approx(want["train_loss"], rel=1e-3)


@cuda
def test_the_gan_falls_back_to_host_memory_too_cuda(monkeypatch) -> None:
    from workloads.gan.config import GanConfig
    from workloads.gan.train import GanTraining

    monkeypatch.setattr("workloads.placement.device_memory", lambda device: (1024, 80 * GiB))
    cfg = GanConfig.from_flat(dict(resolution=16, channel_base=64, channel_max=8, z_dim=4, w_dim=4, batch_size=4,
                                   device="cuda", grid_cols=1, precision="fp32"))
    run = GanTraining(cfg, np.zeros((8, 16, 16, 1), np.uint8), np.arange(8) % 2, 2)
    assert not run.data_on_device and run.images.device.type == "cpu"
    assert all(math.isfinite(v) for v in run.train_step().values())
