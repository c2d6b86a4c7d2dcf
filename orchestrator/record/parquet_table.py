"""A small Parquet table on disk that several writers can append to and update safely.

Each table is ONE Parquet file inside its directory (`results/epochs/epochs.parquet`), so
`pandas.read_parquet(directory)` always sees one consistent schema: a directory of part files
with differing columns would be read with the first file's columns only. Every write takes an
exclusive lock, merges with what is on disk, and replaces the file atomically, so a crash never
leaves a half-written table and two experiments running in one work directory never lose rows.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd


def to_cell(value: Any) -> Any:
    """Parquet-friendly scalar: lists and dicts become JSON text, everything else stays."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value


class ParquetTable:
    """Rows keyed by `key` columns; `insert` keeps the first row per key, `upsert` the last."""

    def __init__(self, directory: Path, name: str, key: tuple[str, ...]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / f"{name}.parquet"
        self.key = key

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self) -> pd.DataFrame:
        return pd.read_parquet(self.path) if self.path.exists() else pd.DataFrame()

    def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        """Add rows whose key is not yet in the table; returns how many were new."""
        return self._write(rows, keep="first")

    def upsert(self, rows: Iterable[dict[str, Any]]) -> int:
        """Add rows, replacing any row with the same key; returns how many rows were given."""
        return self._write(rows, keep="last")

    def keys(self) -> set[tuple]:
        frame = self.read()
        if frame.empty:
            return set()
        return set(frame[list(self.key)].itertuples(index=False, name=None))

    def _write(self, rows: Iterable[dict[str, Any]], keep: str) -> int:
        new = pd.DataFrame([{k: to_cell(v) for k, v in row.items()} for row in rows])
        if new.empty:
            return 0
        with self._locked():
            old = self.read()
            before = len(old)
            merged = pd.concat([old, new], ignore_index=True) if before else new
            merged = merged.drop_duplicates(subset=list(self.key), keep=keep, ignore_index=True)
            # Hidden name: readers of the directory skip dot-files, so they never see a partial file.
            tmp = self.directory / f".{self.path.name}.tmp-{os.getpid()}"
            merged.to_parquet(tmp, index=False)
            os.replace(tmp, self.path)
        return len(merged) - before if keep == "first" else len(new)
