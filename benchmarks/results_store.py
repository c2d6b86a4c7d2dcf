"""Results store benchmark: one flush of 8 epoch rows into a store holding 1k rows against one holding 1M.

Both stores are built directly with pyarrow in the layout `orchestrator.record.store` writes, all
rows in the ONE partition the flushes go to (the worst case: a write never opens another
partition's folder, so rows of other stages or invocations cost nothing):
- 1k rows: one compacted part (a stage that has ended);
- 1M rows: top-tier parts of 4,096 rows (what 512 flushes of 8 rows compact into), 245 files, as a
  stage that never ended would hold them.
A writer is opened on each (loading the partition's keys: once per process and stage, timed apart),
then flushes alternate between the two stores, so a load change on the (shared) machine hits both
alike. Each flush adds 8 rows of new keys, ~35 columns like a classifier's epoch rows. Every 8th
flush also merges 8 level-0 parts (tiered compaction); the median is that of all flushes, the max
shows a merge. The worst case a flush can meet, a cascade of merges up to the top tier (8 L0 + 7
L1 + 7 L2 parts -> one L3 part of ~4k rows), is timed on its own.

Baseline in the same run: the single-file table this store replaces (each flush reads the whole
`epochs.parquet`, appends, drops duplicate keys and rewrites it under a lock).

Usage: python benchmarks/results_store.py [--flushes N] [--old-repeats R]
Last line: `flush_ratio=<median flush at 1M rows / median flush at 1k rows>` in wall time (target <= 2);
the line before gives the same ratio in CPU time, steadier on a shared machine.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from orchestrator.record.compaction import FANOUT, MAX_LEVEL  # noqa: E402
from orchestrator.record.parts import Part, list_parts  # noqa: E402
from orchestrator.record.results import EPOCH_KEY, epochs_table  # noqa: E402

IDENTITY = {"experiment": "bench", "invocation": "20260101-000000-1", "stage": "grid"}
METRICS = [f"{split}_{m}" for split in ("val", "test") for m in ("loss", "acc", "err", "bacc", "f1_macro",
                                                                  "f1_micro", "auc")]
TOP_PART_ROWS = 8 * FANOUT ** MAX_LEVEL  # 512 flushes of 8 rows


def epoch_table(rows: int, first_trial: int = 0, rng: np.random.Generator | None = None) -> pa.Table:
    """`rows` epoch rows (100 epochs per trial), columns as the recorder writes them."""
    rng = rng or np.random.default_rng(0)
    index = np.arange(rows)
    columns = {**{k: pa.array([v] * rows) for k, v in IDENTITY.items()},
               "trial_id": pa.array([f"t{first_trial + i // 100:07d}" for i in index]),
               "trial_number": index // 100 + 1 + first_trial, "epoch": index % 100 + 1,
               "dataset": pa.array(["cifar10"] * rows), "method": pa.array(["zeta"] * rows),
               "variant": pa.array(["zeta-2.8"] * rows), "arch": pa.array(["resnet18"] * rows),
               "seed": index % 3, "gamma": np.full(rows, 2.8), "weight_decay": np.full(rows, 5e-4),
               "lr": rng.random(rows), "batch_size": np.full(rows, 128), "epochs": np.full(rows, 100),
               "milestones": pa.array(["[100, 150]"] * rows), "train_loss": rng.random(rows),
               **{m: rng.random(rows) for m in METRICS},
               "wall_time_s": rng.random(rows) * 1e4, "timestamp": np.full(rows, 1_760_000_000)}
    return pa.table(columns)


def build_store(root: Path, rows: int, part_rows: int) -> Path:
    """A results directory whose one partition holds `rows` rows in top-tier parts of `part_rows`."""
    table = epoch_table(rows)
    directory = epochs_table(root).partition_dir(**IDENTITY)
    directory.mkdir(parents=True)
    for seq, start in enumerate(range(0, rows, part_rows), start=1):
        pq.write_table(table.slice(start, part_rows), directory / Part.name(seq, MAX_LEVEL))
    return root


def flush_rows(flush: int) -> list[dict]:
    """8 new rows (epochs of trials no store holds yet)."""
    return epoch_table(8, first_trial=10_000_000 + flush, rng=np.random.default_rng(flush)).to_pylist()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_both(fn) -> tuple[float, float]:
    """(wall s, CPU s of this process): on a shared machine a wall time is mostly waiting for a core."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def old_flush(path: Path, rows: list[dict]) -> None:
    """The single-file table this store replaces: read all, append, dedupe, rewrite, under a lock."""
    with open(path.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = pd.concat([pd.read_parquet(path), pd.DataFrame(rows)], ignore_index=True)
        merged = merged.drop_duplicates(subset=list(EPOCH_KEY), keep="first", ignore_index=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        merged.to_parquet(tmp, index=False)
        os.replace(tmp, path)


def worst_cascade(root: Path) -> float:
    """Seconds of the flush that completes 8 L0, 8 L1 and 8 L2 parts: merges all the way to L3."""
    writer = epochs_table(root).partition(**IDENTITY)
    directory = writer.directory
    seq = max(p.seq for p in list_parts(directory)) + 1
    for level, count in ((2, FANOUT - 1), (1, FANOUT - 1), (0, FANOUT - 1)):
        for _ in range(count):
            pq.write_table(epoch_table(8 * FANOUT ** level, first_trial=20_000_000 + seq), directory / Part.name(seq, level))
            seq += 1
    writer.keys()  # open it first: the cascade, not the key load, is what is timed
    return timed(lambda: writer.insert(flush_rows(99_999)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flushes", type=int, default=101)
    parser.add_argument("--old-repeats", type=int, default=3, help="flushes of the single-file baseline per size")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mixbench-store-"))
    sizes = {"1k": 1_000, "1M": 1_000_000}
    roots = {name: build_store(tmp / name / "results", rows, rows if rows <= TOP_PART_ROWS else TOP_PART_ROWS)
             for name, rows in sizes.items()}
    writers = {name: epochs_table(root).partition(**IDENTITY) for name, root in roots.items()}
    parts = {name: len(list_parts(w.directory)) for name, w in writers.items()}
    opened = {name: timed(w.keys) for name, w in writers.items()}
    flushes: dict[str, list[float]] = {name: [] for name in sizes}
    cpu: dict[str, list[float]] = {name: [] for name in sizes}
    for flush in range(args.flushes):
        order = list(sizes) if flush % 2 == 0 else list(sizes)[::-1]
        for name in order:
            rows = flush_rows(flush)
            wall, used = timed_both(lambda: writers[name].insert(rows))
            flushes[name].append(wall)
            cpu[name].append(used)
    for name, rows in sizes.items():
        stored = sum(pq.read_metadata(p.path).num_rows for p in list_parts(writers[name].directory))
        assert stored == rows + 8 * args.flushes, (name, stored)
    cascade = worst_cascade(roots["1M"])

    old: dict[str, list[float]] = {}
    for name, rows in sizes.items():
        path = tmp / f"old-{name}" / "epochs.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(epoch_table(rows), path)
        old[name] = [timed(lambda: old_flush(path, flush_rows(r))) for r in range(args.old_repeats)]

    med = {name: statistics.median(v) for name, v in flushes.items()}
    old_med = {name: statistics.median(v) for name, v in old.items()}
    print(f"\none flush of 8 epoch rows ({len(flush_rows(0)[0])} columns), median of {args.flushes} "
          f"(old single file: {args.old_repeats}); all rows in the flushed partition")
    print("| store | rows | parts before | open: load keys, s | flush median ms | mean ms | max ms | "
          "CPU median ms | old single file: flush median ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rows in sizes.items():
        v = flushes[name]
        print(f"| {name} | {rows:,} | {parts[name]} | {opened[name]:.3f} | {med[name] * 1e3:.1f} | "
              f"{statistics.mean(v) * 1e3:.1f} | {max(v) * 1e3:.1f} | {statistics.median(cpu[name]) * 1e3:.2f} | "
              f"{old_med[name] * 1e3:.0f} |")
    print(f"worst flush: a merge cascade to the top tier (~{8 * FANOUT ** MAX_LEVEL:,} rows rewritten): "
          f"{cascade * 1e3:.0f} ms")
    print(f"old single file: 1M / 1k = {old_med['1M'] / old_med['1k']:.0f}x; CPU time of a flush: 1M / 1k = "
          f"{statistics.median(cpu['1M']) / statistics.median(cpu['1k']):.2f}")
    print(f"flush_ratio={med['1M'] / med['1k']:.2f}")


if __name__ == "__main__":
    main()
