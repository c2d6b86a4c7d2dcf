"""Ray Tune results as mixbench rows: the trainable's own metrics picked out of a Tune result, and
Ray's per-trial logs (`<trial dir>/result.json`, one JSON result per line, flushed by the driver as
each result arrives) read back, the record Parquet rows are recovered from after a crash."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

# The keys Ray Tune adds to every result (`ray.tune.result.AUTO_RESULT_KEYS`, pinned by a test so an
# upgrade that adds one is noticed) and the bookkeeping ones it adds beside them. Spelled out rather
# than imported: reading the results back (reports, recovery) must not need Ray.
AUTO_RESULT_KEYS = frozenset({
    "checkpoint_dir_name", "config", "date", "episodes_total", "hostname", "iterations_since_restore", "node_ip",
    "pid", "time_since_restore", "time_this_iter_s", "time_total_s", "timestamp", "timesteps_since_restore",
    "timesteps_total", "training_iteration",
})
TUNE_KEYS = AUTO_RESULT_KEYS | {"trial_id", "done", "experiment_tag", "should_checkpoint", "experiment_id"}


def split_result(result: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """The trainable's own metrics from a Tune result: (numbers, texts such as a confusion matrix)."""
    numbers, texts = {}, {}
    for key, value in result.items():
        if key in TUNE_KEYS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            continue
        (texts if isinstance(value, str) else numbers)[key] = value
    return numbers, texts


def epoch_row(base: dict[str, Any], result: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, float]]:
    """(epochs-table row, epoch, metrics) of one result; `base` holds the row's identity and config."""
    numbers, _ = split_result(result)
    epoch = int(numbers.get("epoch", result.get("training_iteration", 0)))
    row = {**base, "epoch": epoch, **numbers, "wall_time_s": result.get("time_total_s"),
           "timestamp": result.get("timestamp")}
    return row, epoch, numbers


def ray_results(stage_path: str | Path, storage: Any = None) -> Iterator[dict[str, Any]]:
    """Every result line of every trial of one Tune experiment folder (a torn last line is skipped).
    `storage`: an `orchestrator.record.storage.Storage` that `stage_path` is relative to (else a local path)."""
    if storage is None:
        texts = (p.read_text() for p in sorted(Path(stage_path).glob("*/result.json")))
    else:
        texts = (storage.read_text(f"{folder}/result.json") for folder in storage.list_dirs(str(stage_path)))
    for text in texts:
        for line in (text or "").splitlines():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # the driver died mid-write: that result was not durable


def logged_epochs(stage_path: str | Path, base: dict[str, Any],
                  storage: Any = None) -> list[tuple[dict[str, Any], int, dict[str, float]]]:
    """`epoch_row` of every result Ray logged in the stage (trial_number unknown there: None)."""
    return [epoch_row({**base, "trial_id": r["trial_id"], "trial_number": None, **r.get("config", {})}, r)
            for r in ray_results(stage_path, storage)]
