"""Table 9 (b) of the ζ-mixup paper: the time of ONE augmentation call on a [32, 3, 224, 224] batch.

Methods: mixup, ζ-mixup, CutMix, CutMix + ζ-mixup (the registered training mixers, as training calls
them: one-hot labels, a CPU `torch.Generator`) and local synthetic instances (`lsi.py`, the paper's
ref. 57). The paper reports e.g. 38.7 ms ± 1.33 ms for LSI; its numbers are put beside ours by the
report, not here.

Protocol: the batch (uniform floats, 10 classes) lives on `device`; `warmup` rounds, then `repeats`
rounds; each round calls every method once in a freshly shuffled order (so machine noise falls
evenly on all methods), with `synchronize(device)` before starting and after finishing each call,
so a GPU's queued work is inside the measured wall time. Rows give the median and quartiles over
the repeats in milliseconds.
"""
from __future__ import annotations

import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence

import pandas as pd
import torch

from workloads.analysis.lsi import local_synthetic_instances
from workloads.device import synchronize
from workloads.losses import one_hot
from workloads.mixing import get_mixer

TABLE9_METHODS = ("mixup", "zeta", "cutmix", "cutmix+zeta", "lsi")
TABLE9_SHAPE = (32, 3, 224, 224)


def device_name(device: torch.device) -> str:
    """A human name for the device: the GPU's model, else the CPU's (best effort)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def augmentation_calls(
    x: torch.Tensor, y: torch.Tensor, methods: Sequence[str], *, gamma: float = 2.8, seed: int = 0
) -> dict[str, Callable[[], object]]:
    """One zero-argument callable per method that augments (x, y) once (each with its own generator)."""
    calls: dict[str, Callable[[], object]] = {}
    for name in methods:
        gen = torch.Generator().manual_seed(seed)
        if name == "lsi":
            calls[name] = lambda g=gen: local_synthetic_instances(x, y, generator=g)
        elif name in ("zeta", "cutmix+zeta"):
            mixer = get_mixer(name, gamma=gamma)
            calls[name] = lambda m=mixer, g=gen: m(x, y, generator=g)
        elif name in ("mixup", "cutmix"):
            mixer = get_mixer(name)
            calls[name] = lambda m=mixer, g=gen: m(x, y, generator=g)
        else:
            raise ValueError(f"method must be one of {', '.join(TABLE9_METHODS)}, got {name!r}")
    return calls


def augmentation_timings(
    device: str | torch.device = "cpu",
    *,
    methods: Sequence[str] = TABLE9_METHODS,
    shape: Sequence[int] = TABLE9_SHAPE,
    num_classes: int = 10,
    gamma: float = 2.8,
    warmup: int = 3,
    repeats: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Time one call of each method on a float32 batch of `shape` on `device`.

    Returns one row per method: method, device ("cpu", "cuda:0", ...), device_name, batch_shape
    ("32x3x224x224"), repeats, median_ms, q25_ms, q75_ms, min_ms (wall-clock milliseconds).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(tuple(shape), generator=gen).to(device)
    y = one_hot(torch.randint(num_classes, (shape[0],), generator=gen), num_classes).to(device)
    calls = augmentation_calls(x, y, methods, gamma=gamma, seed=seed)
    times: dict[str, list[float]] = {m: [] for m in calls}
    order = list(calls)
    shuffler = random.Random(seed)
    for round_ in range(warmup + repeats):
        shuffler.shuffle(order)
        for m in order:
            synchronize(device)
            start = time.perf_counter()
            calls[m]()
            synchronize(device)
            if round_ >= warmup:
                times[m].append((time.perf_counter() - start) * 1e3)
    name = device_name(device)
    rows = []
    for m in calls:
        t = sorted(times[m])
        q = statistics.quantiles(t, n=4) if len(t) > 1 else [t[0]] * 3
        rows.append({"method": m, "device": str(device), "device_name": name,
                     "batch_shape": "x".join(str(s) for s in shape), "repeats": len(t),
                     "median_ms": statistics.median(t), "q25_ms": q[0], "q75_ms": q[2], "min_ms": t[0]})
    return pd.DataFrame(rows)
