"""A finished classifier trial's per-sample test predictions as rows of the `predictions` table.

The classify trainable leaves `predictions.npz` beside `state.pt` in its final checkpoint
(`workloads.predictions`); Tune keeps that checkpoint in the trial's folder (the newest is never
removed by `CheckpointConfig(num_to_keep=2)`). The stage's recorder reads the file once per trial,
when the trial ends TERMINATED, and writes its rows as one part (`predictions_rows`). The rows name
the checkpoint folder (`checkpoint`, relative to the work directory when it lies in it), so a reader
finds the final model that made them.

Runs in Tune's driver loop: numpy and pyarrow only (no torch), one file read and one part written
per trial.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow as pa

from workloads.predictions import PREDICTIONS_FILE, load_predictions

# What a damaged or absent predictions.npz raises when read (np.load of a torn zip, a missing field).
READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
LABEL_COLUMNS = ("dataset", "arch", "method", "variant", "seed")


def checkpoint_column(directory: str | os.PathLike, workdir: Path) -> str:
    """The checkpoint folder as the table names it: relative to the work directory when inside it (a
    moved or copied work directory still resolves), else as given."""
    path = Path(directory)
    try:
        return path.resolve().relative_to(workdir.resolve()).as_posix()
    except ValueError:
        return str(directory)


def predictions_rows(checkpoint_dir: str | os.PathLike, base: Mapping[str, Any], workdir: Path) -> pa.Table:
    """The `predictions` rows of the `predictions.npz` in `checkpoint_dir`: one per test sample, with
    `base`'s partition columns and trial_id, and dataset / arch / method / variant / seed from `base`
    (the trial's config) or else the file's config. Raises one of READ_ERRORS for a missing, damaged
    or inconsistent file.

    Columns: experiment, invocation, stage, trial_id (text), sample, label, predicted (int64),
    probs (list<float32>, K per row), dataset, arch, method, variant (text), seed, epoch (int64),
    checkpoint (text)."""
    found = load_predictions(Path(checkpoint_dir) / PREDICTIONS_FILE)
    probs = np.ascontiguousarray(found.probs, dtype=np.float32)
    n = len(found.label)
    if probs.ndim != 2 or probs.shape[0] != n or found.test_index.shape != (n,):
        raise ValueError(f"{PREDICTIONS_FILE} in {checkpoint_dir} has {n} labels, test_index {found.test_index.shape} "
                         f"and probs {probs.shape}: not one row per test sample")
    k = probs.shape[1]
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    columns: dict[str, pa.Array] = {name: pa.array([str(base[name])] * n, pa.string())
                                    for name in ("experiment", "invocation", "stage", "trial_id")}
    columns["sample"] = pa.array(found.test_index, pa.int64())
    columns["label"] = pa.array(found.label, pa.int64())
    columns["predicted"] = pa.array(probs.argmax(axis=1).astype(np.int64), pa.int64())
    columns["probs"] = pa.ListArray.from_arrays(offsets, pa.array(probs.reshape(-1), pa.float32()))
    for name in LABEL_COLUMNS:
        value = base[name] if base.get(name) is not None else found.config.get(name)
        if name == "seed":
            columns[name] = pa.array([None if value is None else int(value)] * n, pa.int64())
        else:
            columns[name] = pa.array([None if value is None else str(value)] * n, pa.string())
    columns["epoch"] = pa.array([found.epoch] * n, pa.int64())
    columns["checkpoint"] = pa.array([checkpoint_column(checkpoint_dir, workdir)] * n, pa.string())
    return pa.table(columns)
