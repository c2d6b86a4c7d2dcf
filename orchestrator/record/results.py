"""The results tables and their schema: one row per trial x epoch (`epochs`), per trial (`trials`), and
per finished classifier trial x test sample (`predictions`).

Rows are keyed by (experiment, trial_id[, epoch | sample]); every row carries its `invocation` and `stage`, so a
report reads one invocation and a re-run experiment never mixes two. The columns are documented in
the README's "Parquet schema"; the store's layout (one folder of Parquet parts per experiment,
invocation and stage) in `orchestrator.record.store`. Read a whole table with `read_table`. Metrics
are fractions in [0, 1]; `higher_is_better` says which way each one points.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from orchestrator.record.store import ResultsTable
from orchestrator.workdir import WorkDir

EPOCH_KEY = ("experiment", "trial_id", "epoch")
TRIAL_KEY = ("experiment", "trial_id")
PREDICTION_KEY = ("experiment", "trial_id", "sample")
METRIC_PREFIXES = ("train", "val", "test")


def epochs_table(results_dir: Path) -> ResultsTable:
    """Epoch rows: the first written per (experiment, trial_id, epoch) counts (a row recovered from
    Ray's logs after a crash never duplicates the one recorded live)."""
    return ResultsTable(Path(results_dir) / "epochs", "epochs", key=EPOCH_KEY, keep="first")


def trials_table(results_dir: Path) -> ResultsTable:
    """Trial rows: the last written per (experiment, trial_id) counts (RUNNING, then how it ended)."""
    return ResultsTable(Path(results_dir) / "trials", "trials", key=TRIAL_KEY, keep="last", columns=("status",))


def predictions_table(results_dir: Path) -> ResultsTable:
    """Per-sample test predictions of each finished classifier trial's final model: the first written
    per (experiment, trial_id, sample) counts. Written once per trial, as one part, by the stage's
    recorder (`orchestrator.record.predictions`); parts are not merged, as a part already holds a
    trial's whole test split.

    The class probabilities are ONE list column, `probs` (list<float32>, K values, class order of the
    dataset), not `prob_<k>` columns: stages and experiments differ in K (2 to 100 classes) and the
    reader unifies columns by name, so `prob_<k>` columns would give every 2-class row 98 null columns
    in a read across datasets and a schema that changes with the data; one list column has one type
    everywhere. It reads as well: pyarrow `pc.list_element(probs, k)` or
    `probs.flatten().to_numpy().reshape(n, K)` (no copy), DuckDB `probs[k + 1]` (1-based),
    `list_max(probs)`, `unnest(probs)`; a pandas read gives one numpy array per row."""
    return ResultsTable(Path(results_dir) / "predictions", "predictions", key=PREDICTION_KEY, keep="first")


STORES = {"epochs": epochs_table, "trials": trials_table, "predictions": predictions_table}
TABLES = tuple(STORES)


def read_table(workdir: WorkDir | str | os.PathLike, table: str, experiment: str | None = None,
               invocation: str | None = None, stage: str | None = None) -> pd.DataFrame:
    """Every row of the `epochs`, `trials` or `predictions` table of a work directory (or of one
    experiment, invocation or stage), one per key, columns unified across stages by name; safe to call while a
    run writes. The frame always has the key columns, `invocation`, `stage` (and the trials'
    `status`), also when it has no rows. Parts that cannot be read are skipped with a warning and
    listed in `frame.attrs["damaged"]`.

        from orchestrator.record.results import read_table
        epochs = read_table("mixbench-runs", "epochs")
    """
    if table not in TABLES:
        raise ValueError(f"unknown results table {table!r}; valid: {', '.join(TABLES)}")
    root = workdir if isinstance(workdir, WorkDir) else WorkDir.at(workdir)
    store = STORES[table](root.results)
    return store.read(experiment, invocation, stage)


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
    """The trials rows of one invocation of `experiment` (empty if there are none); reads only that
    invocation's folders (and the rows of a legacy single-file table)."""
    if invocation is None:
        return pd.DataFrame()
    return trials_table(results_dir).read(experiment, invocation).reset_index(drop=True)


def damaged_parts(results_dir: Path, experiment: str, invocation: str | None) -> tuple[list[Path], list[Path]]:
    """(unreadable parts, parts set aside as damaged) of one invocation, both tables: what a report says."""
    unreadable: list[Path] = []
    aside: list[Path] = []
    for table in (epochs_table(results_dir), trials_table(results_dir)):
        found = table.damaged(experiment, invocation)
        unreadable += found[0]
        aside += found[1]
    return unreadable, aside
