"""MLflow outage benchmark: a sweep's wall time with its tracking server killed mid-run, against the same
sweep with the server up (issue 13: within 1.3x).

A real `mlflow server` on 127.0.0.1 (SQLite), one local Ray started once before all runs, zeta-table6's
first TRIALS cells on the trivial trainable (`workloads.noop`: EPOCHS reported epochs, no compute), so
the time is the orchestration and its MLflow traffic alone. After one uncounted warm-up run (Ray's workers start
and import), healthy and outage runs alternate, each in
a fresh work directory; in an outage run the server is SIGKILLed once a quarter of the trials are
TERMINATED in Parquet and stays down to the end; it is started again before the next run. An outage
run's wall time includes its end: the driver waits for the MLflow worker to give up (it has to have been
failing for its `outage_s`) before it says how to sync. After each outage run, with the server back,
`mixbench sync-mlflow` fills MLflow from Parquet (timed beside).

Usage: python benchmarks/mlflow_outage.py [--trials N] [--repeats R]
Last line: `outage_ratio=<median outage wall / median healthy wall>` (target <= 1.3).
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.plan.expand import plan_experiment  # noqa: E402
from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id  # noqa: E402
from orchestrator.record.results import read_table  # noqa: E402
from orchestrator.run.ray_cluster import init_ray  # noqa: E402
from orchestrator.run.runner import execute  # noqa: E402
from orchestrator.workdir import WorkDir  # noqa: E402
from search_spaces import get_experiment  # noqa: E402
from tests.orchestrator.mlflow_server import MlflowServer  # noqa: E402

EPOCHS = 3


def noop_plan(trials: int):
    (plan,) = plan_experiment(get_experiment("zeta-table6"), sets={"epochs": EPOCHS})
    return dataclasses.replace(plan, trainable="noop", configs=plan.configs[:trials])


def terminated(workdir: WorkDir) -> int:
    try:
        trials = read_table(workdir, "trials")
    except (OSError, ValueError):  # not written yet
        return 0
    return int((trials["status"] == "TERMINATED").sum()) if "status" in trials else 0


def timed_run(root: Path, server: MlflowServer, trials: int, kill_after: int | None) -> tuple[float, WorkDir]:
    """Wall seconds of one in-process sweep; the server is killed once `kill_after` trials ended."""
    workdir = WorkDir.at(root).create()
    invocation = Invocation("zeta-table6", new_invocation_id(), RunOptions(), server.url)
    stop = threading.Event()

    def kill_when_due() -> None:
        while not stop.wait(0.25):
            if terminated(workdir) >= kill_after:
                server.kill()
                return

    if kill_after is not None:
        threading.Thread(target=kill_when_due, daemon=True).start()
    start = time.perf_counter()
    summary = execute(invocation, [noop_plan(trials)], {}, workdir, resume=False)
    wall = time.perf_counter() - start
    stop.set()
    if (summary.trials, summary.errored) != (trials, 0):
        raise SystemExit(f"a run ended with {summary.trials} trials, {summary.errored} errored")
    return wall, workdir


def sync_seconds(workdir: WorkDir) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "orchestrator.cli", "sync-mlflow", "zeta-table6", "--workdir",
                    str(workdir.root)], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mixbench-outage-"))
    server = MlflowServer(root / "server").start()
    init_ray(None)
    healthy, outage, sync = [], [], []
    try:
        timed_run(root / "warm-up", server, args.trials, None)  # Ray's workers start and import once, uncounted
        for repeat in range(args.repeats):
            wall, _ = timed_run(root / f"healthy-{repeat}", server, args.trials, None)
            healthy.append(wall)
            wall, workdir = timed_run(root / f"outage-{repeat}", server, args.trials, args.trials // 4)
            outage.append(wall)
            server.start()
            sync.append(sync_seconds(workdir))
            print(f"round {repeat + 1}: healthy {healthy[-1]:.1f} s, server killed {outage[-1]:.1f} s, "
                  f"sync-mlflow afterwards {sync[-1]:.1f} s", flush=True)
    finally:
        server.kill()
    h, o = statistics.median(healthy), statistics.median(outage)
    print(f"\n{args.trials} trivial trials x {EPOCHS} epochs, medians of {args.repeats}\n")
    print("| run | wall s | s / trial | ratio |\n|---|---:|---:|---:|")
    print(f"| MLflow server up | {h:.1f} | {h / args.trials:.3f} | 1.00 |")
    print(f"| server killed after {args.trials // 4} trials | {o:.1f} | {o / args.trials:.3f} | **{o / h:.2f}** |")
    print(f"| sync-mlflow once the server is back | {statistics.median(sync):.1f} | | |")
    print(f"outage_ratio={o / h:.2f}")


if __name__ == "__main__":
    main()
