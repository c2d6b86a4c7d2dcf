"""One partition of the results store on disk: a folder of immutable Parquet part files.

A part is named `part-<seq>-L<level>.parquet`. `seq` orders the parts by write: a write takes the
partition's lock and picks `max(time.time_ns(), newest seq + 1)`, so within a partition it is
strictly increasing and across partitions it follows the clock (what the cross-partition order of
a read relies on; keys of two partitions do not normally meet). `level` is the compaction tier
(0: a flush; see `compaction`). Parts are ordered by (seq, level).

Readers never see a partial file: a part is written under a hidden temporary name
(`.part-....tmp-<pid>`, skipped by every reader, pyarrow's directory discovery included) and
renamed into place. Parts are only ever added (a flush), or replaced by one part holding their rows
(compaction, which renames the merged part in before it deletes its inputs).

The partition's `.lock` (flock) is held exclusively by a writer while it picks a seq, writes and
compacts, and shared by a reader only while it lists the parts and opens them: an open file stays
readable after compaction deletes it, so a reader gets a consistent snapshot without holding the
lock while it reads (a long report read never stalls the Tune loop's flushes).

A part that cannot be read (a truncated file: a crash of the machine mid-write, a full disk, a bad
copy) is skipped by readers with one warning naming it; a writer that meets it renames it aside to
`_<name>.damaged` (the leading underscore hides it from pyarrow's discovery, the suffix from
`*.parquet` globs), so the rows it held count as missing and are written again when `resume`
reconciles the stage with Ray's result logs.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger("mixbench")

PART_RE = re.compile(r"^part-(\d{20})-L(\d+)\.parquet$")
DAMAGED_SUFFIX = ".damaged"
_warned: set[str] = set()  # damaged parts already named in a warning by this process


@dataclass(frozen=True)
class Part:
    seq: int
    level: int
    directory: Path
    filename: str

    @property
    def path(self) -> Path:
        return self.directory / self.filename

    @classmethod
    def parse(cls, directory: Path, filename: str) -> "Part | None":
        match = PART_RE.match(filename)
        return cls(int(match[1]), int(match[2]), directory, filename) if match else None

    @classmethod
    def of_file(cls, path: Path, seq: int = -1) -> "Part":
        """Any Parquet file read as a part (the legacy single-file table: the oldest, seq -1)."""
        return cls(seq, 0, path.parent, path.name)

    @staticmethod
    def name(seq: int, level: int) -> str:
        return f"part-{seq:020d}-L{level}.parquet"

    def order(self) -> tuple[int, int]:
        return self.seq, self.level


def list_parts(directory: Path, last: int | None = None) -> list[Part]:
    """The partition's parts in write order (an absent folder has none); only the `last` newest if
    given: a write needs no more (see `compaction`), while a partition may hold hundreds of top-tier
    parts. The zero-padded seq makes name order write order, so only those few names are parsed."""
    try:
        names = sorted(name for name in os.listdir(directory) if name.startswith("part-"))
    except FileNotFoundError:
        return []
    parts = [Part.parse(directory, name) for name in (names[-last:] if last else names)]
    return sorted((p for p in parts if p is not None), key=Part.order)


def set_aside_parts(directory: Path) -> list[Path]:
    """Parts of the partition a writer renamed aside as damaged."""
    try:
        return sorted(Path(e.path) for e in os.scandir(directory) if e.name.endswith(DAMAGED_SUFFIX))
    except FileNotFoundError:
        return []


@contextmanager
def locked(directory: Path, shared: bool = False) -> Iterator[None]:
    """The partition's lock, exclusive for writers, shared for readers. A reader on a store it cannot
    write (a read-only copy: no writer there either) reads without it."""
    if not shared:
        directory.mkdir(parents=True, exist_ok=True)
    handle = _lock_file(directory, shared)
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_file(directory: Path, shared: bool) -> BinaryIO | None:
    for mode in ("rb", "a+b") if shared else ("a+b",):
        try:
            return open(directory / ".lock", mode)
        except OSError:
            if not shared:
                raise
    return None  # no lock file and no right to create one (or no partition yet): nobody writes here


def next_seq(parts: Sequence[Part]) -> int:
    """A seq after every existing part (call with the partition locked)."""
    return max(time.time_ns(), (parts[-1].seq + 1) if parts else 0)


def write_part(directory: Path, table: pa.Table, seq: int, level: int) -> Part:
    """Write `table` as a new part (call with the partition locked): hidden temporary name, then rename."""
    part = Part(seq, level, directory, Part.name(seq, level))
    tmp = directory / f".{part.filename}.tmp-{os.getpid()}"
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, part.path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return part


@contextmanager
def snapshot(directory: Path) -> Iterator[list[tuple[Part, BinaryIO]]]:
    """The partition's parts as open files, listed and opened under the shared lock: a consistent set
    even while a writer compacts (a file it deletes after we opened it stays readable). One open file
    per part: a stage that ended has one, a running one about rows / 4,096 + 21 (a stage of 4M rows
    that never ended would meet the usual limit of 1,024 open files)."""
    opened: list[tuple[Part, BinaryIO]] = []
    try:
        with locked(directory, shared=True):
            for part in list_parts(directory):
                try:
                    opened.append((part, open(part.path, "rb")))
                except FileNotFoundError:  # only without the lock (read-only store): nothing to miss
                    continue
        yield opened
    finally:
        for _, handle in opened:
            handle.close()


def read_part(part: Part, handle: BinaryIO | None = None, columns: Sequence[str] | None = None,
              warn: bool = True) -> pa.Table | None:
    """The part's rows (only `columns` of them that it has), or None if it is unreadable: a reader
    (`warn`) says so once per file and process; a writer sets the part aside and says that instead."""
    try:
        source = handle if handle is not None else part.path
        file = pq.ParquetFile(source)
        names = file.schema_arrow.names
        return file.read(columns=[c for c in columns if c in names] if columns is not None else None)
    except (OSError, pa.ArrowException, ValueError) as exc:
        if warn and str(part.path) not in _warned:
            _warned.add(str(part.path))
            log.warning("results store: skipping the unreadable part %s (%s)", part.path, exc)
        return None


def readable(path: Path) -> bool:
    """Whether the part's footer (schema, row groups) reads: what a truncated or half-copied file lacks.
    Costs one small read per file, not a read of its rows."""
    try:
        pq.read_metadata(path)
        return True
    except (OSError, pa.ArrowException, ValueError):
        return False


def set_aside(part: Part) -> Path:
    """Rename an unreadable part out of every reader's way (call with the partition locked)."""
    aside = part.path.with_name(f"_{part.path.name}{DAMAGED_SUFFIX}")
    os.replace(part.path, aside)
    log.warning("results store: the unreadable part %s was moved aside to %s; `mixbench resume` writes "
                "the rows Ray logged again", part.path, aside.name)
    return aside
