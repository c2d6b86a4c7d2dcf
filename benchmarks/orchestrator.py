"""Orchestrator benchmark, one process, baselines in the same run.

(a) overhead per trial: N trivial trials through mixbench (ordered/Optuna search, Parquet rows, MLflow
    child runs, report) against the same trials through a plain Ray Tune + OptunaSearch +
    MLflowLoggerCallback script. Ray is started once before both; runs alternate; medians.
(b) trainable throughput: see benchmarks/trainable.py.
(c) peak memory of 2 concurrent trials against 1, on a large uint8 dataset shared through the object
    store: the summed PSS of the driver and every process it started (Ray included), sampled.
(d) scale: zeta-table6's full 300-trial expansion with smoke-sized (trivial) trials, seconds per trial
    against (a)'s 24-trial run: a per-trial cost that grew with the number of trials would show here.
(e) campaign size: a 1,000-trial trivial sweep (a grid stage of `noop` trials, 3 epochs each, 2
    concurrent) against a 100-trial one, seconds per trial; and, inside the 1,000-trial run, the
    pace of its last 100 trials against its first 100 (from the Parquet rows' Ray timestamps), which
    fixed costs do not flatter. A grid, not an Optuna search: TPE's own cost per suggestion grows
    with the trials it has seen, which is Optuna's, not the orchestrator's.

Usage: python benchmarks/orchestrator.py [--trials N] [--repeats R] [--images M] [--only a,c,d,e]
                                         [--scale-trials 100,1000]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id  # noqa: E402
from orchestrator.run.runner import execute, run_experiment  # noqa: E402
from orchestrator.plan.expand import plan_experiment  # noqa: E402
from orchestrator.run.ray_cluster import init_ray  # noqa: E402
from orchestrator.workdir import WorkDir  # noqa: E402
from search_spaces import EXPERIMENTS, register_experiment  # noqa: E402
from search_spaces.experiment import Bayesian, Experiment, Grid, Method, Param  # noqa: E402
from workloads.data.types import DatasetArrays, Split  # noqa: E402

SPACE = {"gamma": Param("uniform", 1.0, 6.0), "weight_decay": Param("loguniform", 5e-5, 1e-3)}


def register(trials: int) -> None:
    if "bench-overhead" not in EXPERIMENTS:
        register_experiment(Experiment(
            name="bench-overhead", description="trivial trials", trainable="noop", report_metrics=("test_acc",),
            fixed={"epochs": 3},  # as in the plain script (digits' recipe would say more)
            stages=(Bayesian(dataset="digits", method=Method("zeta", "zeta"), arch="small_cnn", space=SPACE,
                             num_samples=trials, name="sweep"),)))
        register_experiment(Experiment(
            name="bench-memory", description="2 trials reading one shared dataset", trainable="touch-data",
            stages=(Grid(datasets=("digits",), methods=(Method("zeta", "zeta"),), archs=("small_cnn",), seeds=(0, 1),
                         fixed={"hold_s": 4.0, "epochs": 1}),)))


def register_scale(trials: int) -> str:
    name = f"bench-scale-{trials}"
    if name not in EXPERIMENTS:
        register_experiment(Experiment(
            name=name, description=f"{trials} trivial trials", trainable="noop", report_metrics=("test_acc",),
            stages=(Grid(datasets=("digits",), methods=(Method("zeta", "zeta"),), archs=("small_cnn",),
                         seeds=tuple(range(trials)), fixed={"epochs": 3}),)))
    return name


def campaign_size(trials: int, root: Path) -> tuple[float, float, float]:
    """(total s, s per trial over the first 100 trials, over the last 100) of one grid of `trials`."""
    from orchestrator.record.results import read_table

    name = register_scale(trials)
    workdir = WorkDir.at(root / f"{name}-{time.time_ns()}")
    start = time.perf_counter()
    summary = run_experiment(name, RunOptions(max_concurrent=2), workdir)
    total = time.perf_counter() - start
    epochs = read_table(workdir, "epochs", experiment=name, invocation=summary.invocation)
    ends = np.sort(epochs.groupby("trial_id")["timestamp"].max().to_numpy(float))  # when each trial ended
    window = min(100, len(ends) - 1)
    return total, (ends[window] - ends[0]) / window, (ends[-1] - ends[-1 - window]) / window


def mixbench_overhead(trials: int, root: Path) -> float:
    start = time.perf_counter()
    run_experiment("bench-overhead", RunOptions(max_concurrent=2), WorkDir.at(root / f"mixbench-{time.time_ns()}"))
    return time.perf_counter() - start


def plain_tune(trials: int, root: Path, reuse_actors: bool = False) -> float:
    """What a user would write by hand: Tuner + OptunaSearch + MLflowLoggerCallback on SQLite (with
    Tune's default of a fresh worker per trial, or with actor reuse as mixbench runs)."""
    from ray import tune
    from ray.air.integrations.mlflow import MLflowLoggerCallback
    from ray.tune.search.optuna import OptunaSearch

    from workloads.noop import DEFAULTS, train

    def trainable(config):
        train(config, lambda metrics, checkpoint: tune.report(metrics))

    workdir = root / f"plain-{time.time_ns()}"
    start = time.perf_counter()
    tuner = tune.Tuner(
        trainable,
        param_space={**DEFAULTS, "gamma": tune.uniform(1.0, 6.0), "weight_decay": tune.loguniform(5e-5, 1e-3)},
        tune_config=tune.TuneConfig(metric="test_acc", mode="max", search_alg=OptunaSearch(seed=0),
                                    num_samples=trials, max_concurrent_trials=2, reuse_actors=reuse_actors),
        run_config=tune.RunConfig(storage_path=str(workdir / "ray"), verbose=0, callbacks=[
            MLflowLoggerCallback(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}", experiment_name="plain",
                                 save_artifact=False)]),
    )
    tuner.fit()
    return time.perf_counter() - start


def table6_expansion(root: Path) -> tuple[int, float]:
    """(trials, seconds) for zeta-table6's whole grid (300 cells x seeds) on the noop trainable."""
    import dataclasses

    (plan,) = plan_experiment(EXPERIMENTS["zeta-table6"], sets={"epochs": 1})
    plan = dataclasses.replace(plan, trainable="noop")
    workdir = WorkDir.at(root / "scale").create()
    invocation = Invocation("zeta-table6", new_invocation_id(), RunOptions(), workdir.default_tracking_uri())
    start = time.perf_counter()
    execute(invocation, [plan], {}, workdir, resume=False)
    return plan.num_trials, time.perf_counter() - start


def family_pss() -> int:
    """PSS (bytes) of this process and all its descendants: shared pages are split, not double counted."""
    total = 0
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def peak_memory(concurrent: int, data: DatasetArrays, root: Path) -> int:
    plans = plan_experiment(EXPERIMENTS["bench-memory"])
    options = RunOptions(max_concurrent=concurrent)
    workdir = WorkDir.at(root / f"memory-{concurrent}").create()
    invocation = Invocation("bench-memory", new_invocation_id(), options, workdir.default_tracking_uri())
    peak, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], family_pss())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        execute(invocation, plans, {"digits": data}, workdir, resume=False)
    finally:
        stop.set()
        sampler.join()
    return peak[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=400_000, help="32x32x3 uint8 images in the memory probe")
    parser.add_argument("--only", default="a,c,d,e", help="the parts to run (a, c, d need a)")
    parser.add_argument("--scale-trials", default="100,1000", help="(e): the small and the large sweep")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    register(args.trials)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    init_ray(None)
    root = Path(tempfile.mkdtemp(prefix="mixbench-bench-"))
    if "e" in parts:
        small, large = map(int, args.scale_trials.split(","))
        campaign_size(24, root)  # warm-up: imports, worker processes, the MLflow schema
        scale = {n: campaign_size(n, root) for n in (small, large)}
        print("\n(e) campaign size: a grid of noop trials (3 epochs), 2 concurrent")
        print("| trials | total s | s / trial | ratio | s / trial, first 100 | s / trial, last 100 |\n"
              "|---:|---:|---:|---:|---:|---:|")
        for n, (total, first, last) in scale.items():
            print(f"| {n} | {total:.1f} | {total / n:.3f} | {(total / n) / (scale[small][0] / small):.2f} | "
                  f"{first:.3f} | {last:.3f} |")
        total, first, last = scale[large]
        print(f"scale_ratio={(total / large) / (scale[small][0] / small):.2f} (target <= 1.2); "
              f"last/first 100 of the {large}-trial run: {last / first:.2f}", flush=True)
    if not parts & {"a", "c", "d"}:
        return

    plain_tune(4, root)  # warm-up: imports, worker processes
    times = {"plain": [], "reuse": [], "mixbench": []}
    for _ in range(args.repeats):
        times["plain"].append(plain_tune(args.trials, root))
        times["reuse"].append(plain_tune(args.trials, root, reuse_actors=True))
        times["mixbench"].append(mixbench_overhead(args.trials, root))
    plain, ours = statistics.median(times["plain"]), statistics.median(times["mixbench"])
    reuse = statistics.median(times["reuse"])
    scale_trials, scale_seconds = table6_expansion(root)

    images = np.random.default_rng(0).integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(args.images) % 10
    data = DatasetArrays("digits", tuple(map(str, range(10))),
                         {"train": Split(images, labels), "val": Split(images[:1000], labels[:1000]),
                          "test": Split(images[:1000], labels[:1000])})
    import ray

    peaks = {}
    for concurrent in (1, 2):  # each on a fresh Ray, so no object of the other run is still held
        ray.shutdown()
        init_ray(None)
        peaks[concurrent] = peak_memory(concurrent, data, root)
    one, two = peaks[1], peaks[2]

    print(f"\n(a) {args.trials} trivial trials, median of {args.repeats}, 2 concurrent")
    print("| path | total s | s / trial | ratio |\n|---|---|---|---|")
    print(f"| plain Tune + OptunaSearch + MLflowLoggerCallback | {plain:.2f} | {plain / args.trials:.3f} | 1.00 |")
    print(f"| the same with `reuse_actors=True` | {reuse:.2f} | {reuse / args.trials:.3f} | {reuse / plain:.2f} |")
    print(f"| mixbench (Parquet + MLflow child runs + report) | {ours:.2f} | {ours / args.trials:.3f} | {ours / plain:.2f} |")
    print(f"\n(d) {scale_trials}-trial zeta-table6 expansion (noop trials), 2 concurrent")
    print("| run | trials | total s | s / trial | ratio |\n|---|---|---|---|---|")
    print(f"| (a) mixbench | {args.trials} | {ours:.2f} | {ours / args.trials:.3f} | 1.00 |")
    print(f"| zeta-table6 | {scale_trials} | {scale_seconds:.1f} | {scale_seconds / scale_trials:.3f} | "
          f"{(scale_seconds / scale_trials) / (ours / args.trials):.2f} |")
    print(f"\n(c) peak memory (PSS of driver + Ray), dataset {images.nbytes / 2**20:.0f} MiB")
    print("| concurrent trials | peak MiB | ratio |\n|---|---|---|")
    print(f"| 1 | {one / 2**20:.0f} | 1.00 |\n| 2 | {two / 2**20:.0f} | {two / one:.2f} |")


if __name__ == "__main__":
    main()
