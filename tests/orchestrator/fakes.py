"""Fabricated trials Parquet for the report tests (no tests here): rows as the runner's recorder
writes them, and the invocation record (`mixbench.json` and the `latest` marker) the runner saves."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from orchestrator.record.invocation import Invocation, RunOptions
from orchestrator.record.results import trials_table
from orchestrator.workdir import WorkDir

METRICS = ("test_acc", "test_err", "test_bacc", "test_f1_macro", "test_f1_micro", "test_auc")


def split_metrics(split: str, acc: float) -> dict[str, float]:
    return {f"{split}_acc": acc, f"{split}_err": 1 - acc, f"{split}_bacc": acc - 0.02, f"{split}_f1_macro": acc - 0.03,
            f"{split}_f1_micro": acc, f"{split}_auc": min(0.999, acc + 0.05)}


def metrics(rng: np.random.Generator, acc: float) -> dict[str, float]:
    """Final validation and test metrics around accuracy `acc` (fractions; validation a little off the
    test score, as a separate split is), with their best_ twins."""
    acc = float(np.clip(acc + rng.normal(0, 0.01), 0.01, 0.99))
    val = float(np.clip(acc + rng.normal(0, 0.01), 0.01, 0.99))
    out = {**split_metrics("val", val), **split_metrics("test", acc)}
    return {**out, **{f"best_{k}": v for k, v in out.items()}}


def write_trials(workdir: WorkDir, experiment: str, rows: Iterable[dict[str, Any]], invocation: str = "inv-1",
                 smoke: bool | None = None, sets: dict | None = None) -> list[dict[str, Any]]:
    """Upsert `rows` (each with stage, dataset, arch, variant, seed, status, metrics ...) as trials of
    `invocation`, and mark it the experiment's latest as the runner does. Returns the full rows."""
    full = [{"experiment": experiment, "invocation": invocation, "trial_id": f"t{i:04d}", "method": "x",
             "error": None, **row} for i, row in enumerate(rows)]
    trials_table(workdir.results).upsert(full)
    options = RunOptions(smoke=bool(smoke), sets=dict(sets or {}))
    Invocation(experiment, invocation, options, workdir.default_tracking_uri()).save(workdir)
    return full


def grid_rows(stage: str, cells: Iterable[tuple[str, str, str]], seeds: Iterable[int], base_acc: dict[str, float],
              rng: np.random.Generator, status: str = "TERMINATED") -> list[dict[str, Any]]:
    """One finished trial per (dataset, arch, variant) x seed; accuracy around base_acc[variant]."""
    rows = []
    for dataset, arch, variant in cells:
        for seed in seeds:
            values = metrics(rng, base_acc[variant]) if status == "TERMINATED" else {}
            rows.append({"stage": stage, "dataset": dataset, "arch": arch, "variant": variant, "seed": seed,
                         "status": status, **values})
    return rows


class QueuedCalls:
    """Stands in for the recorder's MLflow queue (`InvocationRuns`) in tests of its Parquet side: every
    call is kept in `calls`; no run ever gets an id (as before the background worker opens it)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def run_id(self, trial_id: str) -> None:
        return None

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self.calls.append((name, args))
