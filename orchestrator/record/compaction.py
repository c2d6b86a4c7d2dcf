"""Tiered compaction of a partition's parts: few files to read, and no write that costs O(table).

Every flush adds a level-0 part. When the newest FANOUT parts all have one level L < MAX_LEVEL,
they are merged into one level-(L+1) part, and that may cascade (8 L0 -> one L1; 8 L1 -> one L2;
8 L2 -> one L3). Parts at MAX_LEVEL are never merged while the stage runs, so the largest merge a
flush can trigger rewrites FANOUT**MAX_LEVEL = 512 flushes' rows, whatever the table holds, and a
row is rewritten at most MAX_LEVEL times (amortized O(MAX_LEVEL) per row). A partition holds at
most (FANOUT - 1) * MAX_LEVEL parts below MAX_LEVEL plus one L3 part per 512 flushes. When the stage
ends the recorder compacts it fully (`full=True`): every part into one, O(stage) once.

Why the newest parts and only a run of them: a merged part takes a seq after every existing part,
so the rows it holds must be the newest, and contiguous in write order, for the read's "first row
per key" (epochs) and "last row per key" (trials) to mean the same before and after. A merge may
drop duplicate keys inside its run for the same reason.

Crash safety: the merged part is renamed in before its inputs are deleted, newest input first.
Whatever a crash leaves (all inputs and the merged part, or the oldest inputs and the merged part)
reads the same, because what is left of the run is a prefix of it and the merged part comes after:
the first row of a key in that prefix is the first in the run (the merged part holds the same row),
and a last row there is overridden by the merged part's. The next full compaction drops the copies.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from orchestrator.record.arrow_rows import concat, dedupe
from orchestrator.record.parts import Part, next_seq, read_part, set_aside, write_part

FANOUT = 8
MAX_LEVEL = 3


def tail_size() -> int:
    """How many of the newest parts a write must see: every part below the top tier (at most
    FANOUT - 1 per level) and the new one, with room to spare."""
    return FANOUT * (MAX_LEVEL + 1)


def due_merge(parts: Sequence[Part], fanout: int | None = None, max_level: int | None = None) -> list[Part]:
    """The newest parts to merge now: the trailing run of one level below `max_level`, once it is
    `fanout` long (else none). Defaults: FANOUT and MAX_LEVEL as they are when called."""
    fanout = FANOUT if fanout is None else fanout
    max_level = MAX_LEVEL if max_level is None else max_level
    if not parts or parts[-1].level >= max_level:
        return []
    level = parts[-1].level
    run: list[Part] = []
    for part in reversed(parts):
        if part.level != level:
            break
        run.append(part)
    return run[::-1] if len(run) >= fanout else []


def merge(directory: Path, parts: Sequence[Part], after: Sequence[Part], key: Sequence[str], keep: str,
          level: int) -> Part | None:
    """Replace `parts` (a trailing run, in write order) with one part at `level` (call with the
    partition locked). `after`: every part of the partition, for a seq after all of them. Unreadable
    inputs are set aside; returns the merged part (None if no input could be read)."""
    tables = []
    for part in parts:
        table = read_part(part, warn=False)
        if table is None:
            set_aside(part)
        else:
            tables.append(table)
    if not tables:
        return None
    merged = write_part(directory, dedupe(concat(tables), key, keep), next_seq(after), level)
    for part in reversed(parts):  # newest first: see the module docstring
        part.path.unlink(missing_ok=True)
    return merged


def compact(directory: Path, parts: list[Part], key: Sequence[str], keep: str, full: bool = False) -> list[Part]:
    """Merge what is due (everything into one part if `full`); returns the partition's parts after."""
    if full:
        if len(parts) == 1 and parts[0].level < MAX_LEVEL:  # already one file: joins the top tier by name
            top = Part(parts[0].seq, MAX_LEVEL, directory, Part.name(parts[0].seq, MAX_LEVEL))
            os.replace(parts[0].path, top.path)
            return [top]
        if len(parts) <= 1:
            return parts
        merged = merge(directory, parts, parts, key, keep, max(MAX_LEVEL, parts[-1].level))
        return [merged] if merged else []
    while run := due_merge(parts):
        merged = merge(directory, run, parts, key, keep, run[-1].level + 1)
        parts = parts[: len(parts) - len(run)] + ([merged] if merged else [])
    return parts
