"""Where a trial keeps its dataset: on the training device, or in host memory with a copy per batch.

Small-image datasets live on the device as uint8 tensors (DESIGN.md, "Data on the device"): no copies
in the training loop. A dataset that would not fit falls back to host memory: each batch is gathered
into pinned (page-locked) host memory and copied to the device asynchronously (`non_blocking`), so
the host gathers batch i + 1 while the device still computes on batch i.

The decision (`keep_on_device`) is taken once per trial, from `torch.cuda.mem_get_info` when the trial
starts: the data stays on a CUDA device when it takes at most `DEVICE_DATA_FRACTION` of the free
memory, leaving the rest for the model, its optimizer state and activations. Trials packed onto one
GPU (Ray's fractional `--gpus-per-trial`) start together and each sees the memory the others are
about to take; the scheduler says what share of the device the trial holds through the environment
variable `MIXBENCH_DEVICE_SHARE` (a number in (0, 1]; the orchestrator sets it from the trial's GPU
resources), and the data then also has to fit in `DEVICE_DATA_FRACTION` of that share of the total.

Only the batch is pinned, never the whole set: pinning a copy of the dataset would page-lock
gigabytes of host memory per trial and duplicate the array the trials share zero-copy through Ray's
object store. PyTorch's caching host allocator keeps a pinned block busy until the copy that reads it
has finished, so a fresh pinned batch per step is safe and cheap.
"""
from __future__ import annotations

import os
from typing import Optional

import torch

DEVICE_DATA_FRACTION = 0.5
SHARE_ENV = "MIXBENCH_DEVICE_SHARE"


def device_share() -> float:
    """The share of the device this process holds (`MIXBENCH_DEVICE_SHARE`, default 1)."""
    text = os.environ.get(SHARE_ENV, "")
    try:
        share = float(text) if text else 1.0
    except ValueError:
        raise ValueError(f"{SHARE_ENV} must be a number in (0, 1], got {text!r}") from None
    if not 0.0 < share <= 1.0:
        raise ValueError(f"{SHARE_ENV} must be a number in (0, 1], got {text!r}")
    return share


def device_memory(device: torch.device) -> Optional[tuple[int, int]]:
    """(free, total) bytes of a CUDA device, None for other devices (their data is host memory anyway)."""
    if device.type != "cuda":
        return None
    return torch.cuda.mem_get_info(device)


def keep_on_device(nbytes: int, device: torch.device, memory: Optional[tuple[int, int]] = None,
                   share: Optional[float] = None) -> bool:
    """True when a dataset of `nbytes` should live on `device`.

    CPU and MPS (unified memory): always. CUDA: when `nbytes <= DEVICE_DATA_FRACTION * budget`, the
    budget being the free memory, capped at `share * total` (`memory` = (free, total) bytes and `share`
    default to the device's figures and `device_share()`; tests inject them).
    """
    if device.type != "cuda":
        return True
    free, total = memory if memory is not None else device_memory(device)
    budget = min(free, (device_share() if share is None else share) * total)
    return nbytes <= DEVICE_DATA_FRACTION * budget


def host_batch(x: torch.Tensor, idx: torch.Tensor, pin: bool) -> torch.Tensor:
    """`x[idx]` for host-memory `x` and CPU `idx`, written into a fresh (pinned when `pin`) buffer."""
    out = torch.empty((len(idx), *x.shape[1:]), dtype=x.dtype, pin_memory=pin)
    return torch.index_select(x, 0, idx, out=out)


def gather(x: torch.Tensor, idx: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`x[idx]` on `device`. `x` on the device: plain indexing (`idx` on the device too). `x` in host
    memory: gathered into pinned memory (on a CUDA target) and copied asynchronously (`idx` on the CPU)."""
    if x.device.type == device.type:  # (torch.device("cuda") != a tensor's cuda:0, so compare types)
        return x[idx]
    return host_batch(x, idx, pin=device.type == "cuda").to(device, non_blocking=True)


def rows(x: torch.Tensor, start: int, stop: int, device: torch.device) -> torch.Tensor:
    """`x[start:stop]` on `device`, staged through pinned memory as in `gather` when `x` is in host memory."""
    if x.device.type == device.type:
        return x[start:stop]
    return host_batch(x, torch.arange(start, min(stop, len(x))), pin=device.type == "cuda").to(device, non_blocking=True)
