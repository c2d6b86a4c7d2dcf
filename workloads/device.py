"""The torch device a trainable runs on, from a config's `device` value.

Configs are validated on the driver, which may have no GPU its workers have, so they check only the
spelling (`workloads.validate.check_device_name`); whether the device exists is checked here, when a
trial starts on its machine.
"""
from __future__ import annotations

import torch

from workloads.validate import check_device_name


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def resolve_device(name: str) -> torch.device:
    """"auto" -> cuda if available, else mps if available, else cpu; "cpu", "cuda", "cuda:N", "mps" as given.

    Raises ValueError for another spelling (naming the valid ones) and for a cuda or mps device this
    machine lacks (rather than a torch error at the first tensor moved there).
    """
    check_device_name(name)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        available = torch.cuda.is_available() and (device.index is None or device.index < torch.cuda.device_count())
    else:
        available = device.type == "cpu" or _mps_available()
    if not available:
        raise ValueError(f"device {name} is not available on this machine; use device=auto or cpu")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on the CPU), so wall-clock timings are true."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
