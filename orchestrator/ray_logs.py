"""Reading Ray Tune's own per-trial logs (`<trial dir>/result.json`, one JSON result per line,
flushed by the driver as each result arrives): the record Parquet rows are recovered from."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator


def ray_results(stage_path: Path) -> Iterator[dict[str, Any]]:
    """Every result line of every trial of one Tune experiment folder (a torn last line is skipped)."""
    for path in sorted(stage_path.glob("*/result.json")):
        for line in path.read_text().splitlines():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # the driver died mid-write: that result was not durable


def epoch_rows_from_ray_logs(stage_path: Path, base: dict[str, Any],
                             split_result: Callable[[dict], tuple[dict, dict]]) -> list[dict[str, Any]]:
    """Epoch-table rows (as the recorder writes them) rebuilt from Ray's result logs."""
    rows = []
    for result in ray_results(stage_path):
        numbers, _ = split_result(result)
        epoch = int(numbers.get("epoch", result.get("training_iteration", 0)))
        rows.append({**base, "trial_id": result["trial_id"], "trial_number": None, **result.get("config", {}),
                     "epoch": epoch, **numbers, "wall_time_s": result.get("time_total_s"),
                     "timestamp": result.get("timestamp")})
    return rows
