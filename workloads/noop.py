"""Trainables that train nothing: they exercise all of the orchestration (scheduling, Parquet rows,
MLflow runs, reports) at no compute cost. Used to measure orchestration overhead and to show that
large expansions schedule (benchmarks/orchestrator.py, tests/orchestrator/test_scale.py)."""
from __future__ import annotations

import random
import time
from typing import Any, Callable, Mapping

import numpy as np

DEFAULTS = {"dataset": "digits", "epochs": 3, "gamma": 2.8, "weight_decay": 5e-4, "seed": 0, "hold_s": 0.0}


class Config:
    """The noop config: defaults filled in; any other key is carried along untouched (these trainables
    read few, and run any experiment's configs)."""

    def __init__(self, flat: Mapping[str, Any]) -> None:
        self.flat = {**DEFAULTS, **flat}

    @classmethod
    def keys(cls) -> frozenset[str]:
        return frozenset(DEFAULTS)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return dict(DEFAULTS)

    @classmethod
    def from_flat(cls, flat: Mapping[str, Any]) -> "Config":
        return cls(flat)

    def to_flat(self) -> dict[str, Any]:
        return dict(self.flat)


def train(config: dict[str, Any], report: Callable, checkpoint: str | None = None, *, data=None) -> dict:
    """Reports `epochs` results of a made-up accuracy; `hold_s` keeps the trial alive (memory probe)."""
    rng = random.Random(config["seed"])
    metrics: dict[str, Any] = {}
    for epoch in range(1, int(config["epochs"]) + 1):
        metrics = {"epoch": epoch, "train_loss": rng.random()}
        for split in ("val", "test"):  # every metric an experiment may be judged on
            acc = rng.random()
            metrics.update({f"{split}_acc": acc, f"{split}_err": 1 - acc, f"{split}_loss": rng.random(),
                            **{f"{split}_{m}": rng.random() for m in ("bacc", "f1_macro", "f1_micro", "auc")}})
        report(metrics, None)
    return metrics


def touch_data(config: dict[str, Any], report: Callable, checkpoint: str | None = None, *, data=None) -> dict:
    """Reads every byte of the shared dataset as the trainable's data path does, then holds it."""
    import torch

    total = 0
    for split in data.splits.values():
        tensor = torch.from_numpy(np.asarray(split.images))  # zero-copy, as workloads.classify does
        total += int(tensor[:, 0, 0, 0].sum()) + int(tensor.view(-1)[:: 4096].sum())
        total += int(np.asarray(split.images).sum(dtype=np.uint64))
    time.sleep(float(config["hold_s"]))
    metrics = {"epoch": 1, "test_acc": float(total % 97) / 97}
    report(metrics, None)
    return metrics
