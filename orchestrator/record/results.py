"""The results tables and their schema: one row per trial x epoch (`epochs`) and per trial (`trials`).

Rows are keyed by (experiment, trial_id[, epoch]); every row carries its `invocation` and `stage`, so a
report reads one invocation and a re-run experiment never mixes two. The columns are documented in
the README's "Parquet schema". Metrics are fractions in [0, 1]; `higher_is_better` says which way
each one points.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from orchestrator.record.parquet_table import ParquetTable

EPOCH_KEY = ("experiment", "trial_id", "epoch")
TRIAL_KEY = ("experiment", "trial_id")
METRIC_PREFIXES = ("train", "val", "test")


def epochs_table(results_dir: Path) -> ParquetTable:
    return ParquetTable(Path(results_dir) / "epochs", "epochs", key=EPOCH_KEY)


def trials_table(results_dir: Path) -> ParquetTable:
    return ParquetTable(Path(results_dir) / "trials", "trials", key=TRIAL_KEY)


def higher_is_better(metric: str) -> bool:
    return not (metric.endswith("loss") or metric.endswith("err"))


def is_metric(column: str) -> bool:
    """A split's metric column (`train_loss`, `val_acc`, `test_f1_macro`, ...)."""
    return column.split("_")[0] in METRIC_PREFIXES


def trial_name(config: Mapping[str, Any], trial_id: str) -> str:
    """`<dataset>-<variant or method>-s<seed>-<trial id>`: Tune's trial folders and MLflow's run names."""
    label = config.get("variant") or config.get("method")
    return f"{config.get('dataset')}-{label}-s{config.get('seed')}-{trial_id}"


def invocation_trials(results_dir: Path, experiment: str, invocation: str | None) -> pd.DataFrame:
    """The trials rows of one invocation of `experiment` (empty if there are none)."""
    frame = trials_table(results_dir).read()
    if frame.empty or "experiment" not in frame or invocation is None:
        return pd.DataFrame()
    mine = frame[(frame["experiment"] == experiment) & (frame["invocation"] == invocation)]
    return mine.reset_index(drop=True)
