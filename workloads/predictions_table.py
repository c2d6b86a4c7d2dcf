"""Per-sample test predictions read back from a work directory's results store, by its documented
layout alone (README, "Parquet schema"): pyarrow over

    WORKDIR/results/predictions/<experiment>/<invocation>/<stage>/part-<seq>-L<level>.parquet

`workloads` imports nothing of `orchestrator` (tests/test_layering.py), so this knows the layout, not
the store's code, and relies only on what the README promises: every part holds the `experiment`,
`invocation` and `stage` columns; part names sort in write order; the first rows written of a
(experiment, trial_id) count; `probs` is a list column; `checkpoint` names the trial's final
checkpoint folder (state.pt), relative to the work directory when it lies in it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workloads.predictions import Predictions

TABLE = Path("results") / "predictions"
LABELS = ("dataset", "arch", "method", "variant", "seed")


def locate(source: str | Path) -> tuple[Path, dict[str, str]] | None:
    """(the work directory, the experiment and invocation the folder names) of `source`: a work directory
    (every invocation), or one invocation's folder `WORKDIR/ray/NAME/INVOCATION`; None for another folder."""
    source = Path(source)
    if (source / TABLE).is_dir():
        return source, {}
    if source.parent.parent.name == "ray" and (source.parents[2] / TABLE).is_dir():
        return source.parents[2], {"experiment": source.parent.name, "invocation": source.name}
    return None


def read_table_predictions(source: str | Path, where: Mapping[str, Any]) -> list[Predictions]:
    """One `Predictions` per trial of the predictions table below `source` (see `locate`) whose columns
    equal `where` (e.g. dataset, arch, seed), oldest written first. Each one's `directory` is the trial's
    final checkpoint folder (its model, `state.pt`); its `config` holds only the table's dataset, arch,
    method, variant and seed (the model's whole config is in its state.pt); `class_names` is empty.
    Empty where `source` has no predictions table. A part that cannot be read is skipped."""
    located = locate(source)
    if located is None:
        return []
    workdir, names = located
    filters = [(column, "=", value) for column, value in {**names, **where}.items()]
    found: dict[tuple[str, str], Predictions] = {}
    for path in sorted((workdir / TABLE).glob("*/*/*/part-*.parquet"), key=lambda p: p.name):  # write order
        try:
            table = pq.read_table(path, filters=filters or None)
        except (OSError, pa.ArrowException, ValueError):
            continue  # torn by a crash: the orchestrator's reader names it; here it is one source less
        for trial_id in table.column("trial_id").unique().to_pylist() if table.num_rows else []:
            key = (table.column("experiment")[0].as_py(), trial_id)
            if key not in found:  # the first rows written of a trial count
                found[key] = _trial(table.filter(pc.equal(table.column("trial_id"), trial_id)), workdir)
    return list(found.values())


def _trial(rows: pa.Table, workdir: Path) -> Predictions:
    rows = rows.sort_by("sample")
    n = rows.num_rows
    probs = pc.list_flatten(rows.column("probs")).to_numpy().astype(np.float64).reshape(n, -1)
    first = {name: rows.column(name)[0].as_py() for name in (*LABELS, "epoch", "checkpoint")
             if name in rows.column_names}
    folder = Path(first["checkpoint"])
    return Predictions(folder if folder.is_absolute() else workdir / folder,
                       rows.column("sample").to_numpy().astype(np.int64),
                       rows.column("label").to_numpy().astype(np.int64), probs, (), int(first.get("epoch") or 0),
                       {name: first.get(name) for name in LABELS})
