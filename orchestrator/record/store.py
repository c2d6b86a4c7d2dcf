"""The results store: a table of rows kept as append-only Parquet parts, one folder per
(experiment, invocation, stage), so that a write costs O(new rows) and a read of one invocation or
stage opens only its own folders.

    results/epochs/<experiment>/<invocation>/<stage>/part-<seq>-L<level>.parquet
    results/epochs/epochs.parquet        (a work directory written before this layout: still read)

Plain folder names, not Hive-style `experiment=demo/`: every part also holds the `experiment`,
`invocation` and `stage` columns (a part copied or read alone is complete), and a Hive path would
give readers that discover partitions (pyarrow, DuckDB) a second copy of those columns with a
conflicting (dictionary) type. Our own reads never discover: they compute the folders they need.

Rows are keyed (`key`); a read returns one row per key: the first written for the epochs table
(`keep="first"`: a row recovered from Ray's logs after a crash never duplicates the one recorded
live), the last written for the trials table (`keep="last"`: a trial's row is updated as it
runs), the first for the predictions table (a trial's rows are written once, `insert_table`).
Write order is the parts' seq (see `parts`), the legacy single file counting as the oldest.
Schemas differ between parts (stages report different metrics) and are unified by column name
(`arrow_rows`). Compaction keeps the number of parts small (`compaction`); the predictions table's
parts, one per trial and each a whole test split, are left as written.

Several processes may write one table (two invocations at once, or a `resume` beside a `report`):
each partition has its own lock, a part appears by an atomic rename, and no write rewrites another
process's rows, so none is lost.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote, unquote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orchestrator.record.arrow_rows import concat, dedupe, rows_to_arrow
from orchestrator.record.compaction import compact, tail_size
from orchestrator.record.parts import (Part, list_parts, locked, next_seq, read_part, readable, set_aside,
                                       set_aside_parts, snapshot, write_part)

log = logging.getLogger("mixbench")

PARTITION_COLUMNS = ("experiment", "invocation", "stage")


def segment(value: str) -> str:
    """A partition value as one folder name (quoted; a leading '.' or '_' too, which readers skip)."""
    text = quote(str(value), safe="")
    return text if text[:1] not in (".", "_", "") else f"%{ord(text[0]):02X}{text[1:]}"


class ResultsTable:
    """One table of the store (`results/epochs`, `results/trials`, `results/predictions`)."""

    def __init__(self, root: Path, name: str, key: tuple[str, ...], keep: str, columns: Sequence[str] = ()) -> None:
        if keep not in ("first", "last"):
            raise ValueError(f"keep must be 'first' or 'last', got {keep!r}")
        self.root = Path(root)
        self.name = name
        self.key = key
        self.keep = keep
        self.columns = tuple(dict.fromkeys([*PARTITION_COLUMNS, *key, *columns]))  # present in every read

    @property
    def legacy(self) -> Path:
        """The single file a work directory written before the part layout holds (read, never written)."""
        return self.root / f"{self.name}.parquet"

    def partition(self, experiment: str, invocation: str, stage: str) -> "PartitionWriter":
        """The writer of one (experiment, invocation, stage): what a stage's recorder holds."""
        return PartitionWriter(self, experiment, invocation, stage)

    def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        """`PartitionWriter.insert` of each row's partition (rows must name experiment, invocation, stage)."""
        return sum(writer.insert(group) for writer, group in self._by_partition(rows))

    def upsert(self, rows: Iterable[dict[str, Any]]) -> int:
        """`PartitionWriter.upsert` of each row's partition (rows must name experiment, invocation, stage)."""
        return sum(writer.upsert(group) for writer, group in self._by_partition(rows))

    def _by_partition(self, rows: Iterable[dict[str, Any]]) -> list[tuple["PartitionWriter", list[dict[str, Any]]]]:
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for row in rows:
            missing = [c for c in PARTITION_COLUMNS if row.get(c) is None]
            if missing:
                raise ValueError(f"a {self.name} row needs {', '.join(missing)} to be stored: {row}")
            groups.setdefault(tuple(row[c] for c in PARTITION_COLUMNS), []).append(row)
        return [(self.partition(*identity), group) for identity, group in groups.items()]

    def partition_dir(self, experiment: str, invocation: str, stage: str) -> Path:
        return self.root / segment(experiment) / segment(invocation) / segment(stage)

    def partition_dirs(self, experiment: str | None = None, invocation: str | None = None,
                       stage: str | None = None) -> list[Path]:
        """The folders holding rows of the given experiment / invocation / stage (None: any)."""
        dirs = [self.root]
        for value in (experiment, invocation, stage):
            if value is not None:
                dirs = [d / segment(value) for d in dirs if (d / segment(value)).is_dir()]
            else:
                dirs = [child for d in dirs for child in _subdirs(d)]
        return dirs

    def invocations(self, experiment: str) -> list[str]:
        """Every invocation of `experiment` with rows in this table, oldest id first."""
        found = {unquote(d.name) for d in _subdirs(self.root / segment(experiment))}
        if self.legacy.exists():
            legacy = self._legacy_rows({"experiment": experiment}, ["experiment", "invocation"])
            if legacy is not None and "invocation" in legacy.column_names:
                found |= {v for v in legacy.column("invocation").to_pylist() if v}
        return sorted(found)

    def read(self, experiment: str | None = None, invocation: str | None = None, stage: str | None = None,
             where: Mapping[str, Any] | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The table's rows (one per key) of the given experiment / invocation / stage, `where` column ==
        value, as a DataFrame that has at least `self.columns`. Unreadable parts are skipped with one
        warning each; their paths are in the frame's `attrs["damaged"]`."""
        identity = {k: v for k, v in zip(PARTITION_COLUMNS, (experiment, invocation, stage)) if v is not None}
        conditions = {**identity, **(where or {})}
        # A condition on a key or partition column may go before the dedupe (it keeps or drops whole
        # keys); one on another column (e.g. status) must see only the surviving row of each key.
        early = {k: v for k, v in conditions.items() if k in self.key or k in PARTITION_COLUMNS}
        late = {k: v for k, v in conditions.items() if k not in early}
        wanted = None if columns is None else list(dict.fromkeys([*self.key, *conditions, *columns]))
        pieces: list[tuple[tuple, pa.Table]] = []
        damaged: list[str] = []
        if self.legacy.exists():
            legacy = self._legacy_rows(early, wanted)
            if legacy is None:
                damaged.append(str(self.legacy))
            else:
                pieces.append(((-1, 0, ""), legacy))
        for directory in self.partition_dirs(experiment, invocation, stage):
            with snapshot(directory) as opened:
                for part, handle in opened:
                    table = read_part(part, handle, wanted)
                    if table is None:
                        damaged.append(str(part.path))
                    else:
                        pieces.append(((part.seq, part.level, str(part.path)), where_equal(table, early)))
        pieces.sort(key=lambda piece: piece[0])
        table = where_equal(dedupe(concat([t for _, t in pieces]), self.key, self.keep), late)
        frame = table.to_pandas() if table.num_columns else pd.DataFrame()
        for column in self.columns:
            if column not in frame.columns:
                frame[column] = pd.Series(dtype=object, index=frame.index)
        if columns is not None:
            frame = frame[list(dict.fromkeys([*self.columns, *[c for c in columns if c in frame.columns]]))]
        frame.attrs["damaged"] = damaged
        return frame

    def damaged(self, experiment: str | None = None, invocation: str | None = None) -> tuple[list[Path], list[Path]]:
        """(parts readers skip because they cannot be read, parts a writer has set aside) under the given
        experiment / invocation. Reads each part's footer only, not its rows."""
        unreadable, aside = [], []
        if self.legacy.exists() and not readable(self.legacy):  # it may hold rows of any invocation
            unreadable.append(self.legacy)
        for directory in self.partition_dirs(experiment, invocation):
            unreadable += [p.path for p in list_parts(directory) if not readable(p.path)]
            aside += set_aside_parts(directory)
        return unreadable, aside

    def _legacy_rows(self, conditions: Mapping[str, Any], columns: Sequence[str] | None) -> pa.Table | None:
        table = read_part(Part.of_file(self.legacy), columns=columns)
        return None if table is None else where_equal(table, conditions)


class PartitionWriter:
    """Writes the rows of one (experiment, invocation, stage). `insert` keeps the first row per key
    (rows whose key is stored already are not written: the partition's keys are loaded once, on the
    first write, not per write); `upsert` writes every row (reads keep the last). Rows lacking the
    partition columns get them."""

    def __init__(self, table: ResultsTable, experiment: str, invocation: str, stage: str) -> None:
        self.table = table
        self.identity = {"experiment": experiment, "invocation": invocation, "stage": stage}
        self.directory = table.partition_dir(experiment, invocation, stage)
        self._keys: set[tuple] | None = None
        self._stored_before: frozenset[tuple] = frozenset()
        self._values_before: dict[str, frozenset] = {}
        self._values: dict[str, set] = {}

    def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        """Write the rows whose key is new; returns how many that was."""
        return self._write(rows, only_new=True)

    def upsert(self, rows: Iterable[dict[str, Any]]) -> int:
        """Write every row (a read keeps the last per key); returns how many rows were given."""
        return self._write(rows, only_new=False)

    def read(self, where: Mapping[str, Any] | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """This partition's rows (one per key), `where` column == value."""
        return self.table.read(**self.identity, where=where, columns=columns)

    def keys(self) -> set[tuple]:
        with locked(self.directory):
            return set(self._known_keys())

    def stored_before(self, column: str) -> frozenset:
        """The values of key `column` among the rows the partition held before this writer's first write
        (e.g. the trials with epoch rows from an earlier driver)."""
        if column not in self._values_before:
            if self._keys is None:
                with locked(self.directory):
                    self._known_keys()
            index = self.table.key.index(column)
            self._values_before[column] = frozenset(key[index] for key in self._stored_before)
        return self._values_before[column]

    def values(self, column: str) -> frozenset:
        """The values of `column` among the partition's rows, this writer's `insert_table` writes
        included. Reads that one column of each part, once per writer, not every key: a predictions
        partition holds a row per trial and test sample, its trial_ids are few."""
        with locked(self.directory):
            return frozenset(self._known_values(column))

    def insert_table(self, table: pa.Table, group: str) -> int:
        """Write the rows of `table` whose `group` value (e.g. trial_id) the partition holds no row of,
        as one part, and return how many that was: a group's rows are written together and once. The
        Arrow table is stored as typed (a list column stays a list, not JSON text as `insert` makes it);
        it gets the partition columns if it lacks them. The part is not merged with others while the
        stage runs (tiered compaction would rewrite whole groups in Tune's loop): one part per group."""
        for column, value in self.identity.items():
            if column not in table.column_names:
                table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
        if table.num_rows == 0:
            return 0
        with locked(self.directory):
            known = self._known_values(group)
            stored = pa.array(sorted(known), table.column(group).type)
            table = table.filter(pc.invert(pc.is_in(table.column(group), value_set=stored)))
            if table.num_rows == 0:
                return 0
            parts = list_parts(self.directory, last=1)
            write_part(self.directory, table, next_seq(parts), level=0)
            known.update(table.column(group).unique().to_pylist())
        return table.num_rows

    def compact(self, full: bool = False) -> None:
        """Merge what tiered compaction has due, or (`full`) every part into one: when the stage ends."""
        with locked(self.directory):
            self._compact(list_parts(self.directory), full)

    def _write(self, rows: Iterable[dict[str, Any]], only_new: bool) -> int:
        rows = [{**self.identity, **{k: v for k, v in row.items() if v is not None or k not in self.identity}}
                for row in rows]
        if not rows:
            return 0
        with locked(self.directory):
            known = self._known_keys()
            if only_new:
                fresh, seen = [], set()
                for row in rows:
                    key = self._key(row)
                    if key not in known and key not in seen:
                        seen.add(key)
                        fresh.append(row)
                rows = fresh
            if not rows:
                return 0
            parts = list_parts(self.directory, last=tail_size())
            part = write_part(self.directory, rows_to_arrow(rows), next_seq(parts), level=0)
            known.update(self._key(row) for row in rows)
            self._compact(parts + [part], full=False)
        return len(rows)

    def _compact(self, parts: list[Part], full: bool) -> None:
        try:
            compact(self.directory, parts, self.table.key, self.table.keep, full=full)
        except (OSError, pa.ArrowException) as exc:  # the rows are stored already; a merge can wait
            log.warning("results store: could not compact %s: %s", self.directory, exc)

    def _key(self, row: Mapping[str, Any]) -> tuple:
        return tuple(row.get(column) for column in self.table.key)

    def _known_values(self, column: str) -> set:
        """The partition's values of `column`, read once per writer (call with the partition locked).
        Unreadable parts are set aside, as `_known_keys` does: their rows count as missing."""
        if column in self._values:
            return self._values[column]
        values: set = set()
        for part in list_parts(self.directory):
            table = read_part(part, columns=[column], warn=False)
            if table is None:
                set_aside(part)
            elif column in table.column_names:
                values.update(v for v in table.column(column).unique().to_pylist() if v is not None)
        self._values[column] = values
        return values

    def _known_keys(self) -> set[tuple]:
        """The partition's keys, read once per writer (call with the partition locked). Unreadable parts
        are set aside here, so the rows they held count as missing and get written again."""
        if self._keys is not None:
            return self._keys
        keys: set[tuple] = set()
        tables = []
        for part in list_parts(self.directory):
            table = read_part(part, columns=self.table.key, warn=False)
            if table is None:
                set_aside(part)
            else:
                tables.append(table)
        if self.table.legacy.exists():
            legacy = self.table._legacy_rows(self.identity, [*self.table.key, *PARTITION_COLUMNS])
            if legacy is not None:
                tables.append(legacy)
        for table in tables:
            columns = [table.column(c).to_pylist() if c in table.column_names else [None] * table.num_rows
                       for c in self.table.key]
            keys.update(zip(*columns))
        self._keys = keys
        self._stored_before = frozenset(keys)
        return keys


def where_equal(table: pa.Table, conditions: Mapping[str, Any]) -> pa.Table:
    """The rows of `table` whose columns equal the given values (a column it lacks matches nothing)."""
    for column, value in conditions.items():
        if column not in table.column_names:
            return table.slice(0, 0)
        values = table.column(column)
        try:
            mask = pc.equal(values, pa.scalar(value))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            mask = pc.equal(values.cast(pa.string()), str(value))  # e.g. a number asked of a text column
        table = table.filter(pc.fill_null(mask, False))
    return table


def _subdirs(directory: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(directory) if e.is_dir() and e.name[:1] not in "._")
    except (FileNotFoundError, NotADirectoryError):
        return []
