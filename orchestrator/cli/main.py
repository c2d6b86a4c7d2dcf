"""The `mixbench` command line. Bad input: one line naming the problem and the valid choices, exit 2."""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
from typing import Any, Sequence

from orchestrator.cli.options import add_workdir
from orchestrator.cli.overrides import parse_sets
from orchestrator.record.mlflow_store import TrackingStoreError
from orchestrator.workdir import WorkDir

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad command-line input (the message is the one line shown to the user)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> Parser:
    parser = Parser(prog="mixbench", description="Benchmarks of mixing-based data augmentation on Ray Tune, Optuna and MLflow.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    commands.add_parser("list", help="experiments, datasets, methods and archs")

    run = commands.add_parser("run", help="run an experiment")
    run.add_argument("name")
    run.add_argument("--smoke", action="store_true", help="shrink to about a minute on 2 CPUs")
    run.add_argument("--set", dest="sets", action="append", metavar="KEY=VALUE", help="override a config value")
    run.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a local Ray)")
    run.add_argument("--tracking-uri", help="MLflow tracking URI (default: sqlite:///WORKDIR/mlflow.db)")
    run.add_argument("--storage", metavar="URI",
                     help="Ray Tune state and checkpoints on s3://, gs://, hdfs:// or a path every node mounts, for "
                          "a cluster without a shared work directory (default: WORKDIR/ray)")
    run.add_argument("--cpus-per-trial", type=float, default=1.0)
    run.add_argument("--gpus-per-trial", type=float, default=0.0)
    run.add_argument("--max-concurrent", type=int, default=None)
    run.add_argument("--max-failures", type=int, default=1, help="retries of a failed trial from its last checkpoint")
    run.add_argument("--verbose", action="store_true", help="Ray Tune's own status tables and the workers' output")
    run.add_argument("--no-system-metrics", dest="system_metrics", action="store_false",
                     help="no CPU/memory/GPU metrics on the trials' MLflow runs")
    add_workdir(run)

    plan = commands.add_parser("plan", help="what `run` would do, without running it")
    plan.add_argument("name")
    plan.add_argument("--smoke", action="store_true", help="the plan of `run --smoke`")
    plan.add_argument("--set", dest="sets", action="append", metavar="KEY=VALUE", help="override a config value")
    plan.add_argument("--cpus-per-trial", type=float, default=1.0)
    plan.add_argument("--gpus-per-trial", type=float, default=0.0)
    plan.add_argument("--json", action="store_true", help="one JSON object instead of text")
    add_workdir(plan)

    resume = commands.add_parser("resume", help="continue an interrupted run")
    resume.add_argument("name")
    resume.add_argument("--verbose", action="store_true", help="Ray Tune's own status tables and the workers' output")
    resume.add_argument("--tracking-uri", help="the run's tracking URI with its credentials (never stored)")
    resume.add_argument("--storage", metavar="URI", help="the run's --storage with its credentials (never stored)")
    add_workdir(resume)

    sync = commands.add_parser("sync-mlflow", help="rebuild a run's MLflow runs and metrics from Parquet")
    sync.add_argument("name")
    sync.add_argument("--invocation", help="which run of NAME (default: the latest)")
    sync.add_argument("--tracking-uri", help="MLflow tracking URI (default: the one the run used)")
    add_workdir(sync)

    report = commands.add_parser("report", help="tables and plots from the Parquet results")
    report.add_argument("name")
    report.add_argument("--invocation", metavar="ID",
                        help="which run of NAME (default: the latest); written to WORKDIR/reports/NAME/ID/")
    report.add_argument("--compare", nargs=2, metavar=("WORKDIR_A", "WORKDIR_B"),
                        help="put two runs of NAME side by side (written under WORKDIR_B/reports/NAME)")
    add_workdir(report)

    train = commands.add_parser("train", help="one trial in-process, without Ray")
    train.add_argument("--dataset", required=True)
    train.add_argument("--method", required=True)
    train.add_argument("--arch", required=True)
    train.add_argument("--set", dest="sets", action="append", metavar="KEY=VALUE")
    train.add_argument("--json", action="store_true", help="end with one JSON line of the final metrics")
    add_workdir(train)  # its cache/ holds prepared image-file datasets

    ui = commands.add_parser("ui", help="the MLflow UI over the work directory's store")
    ui.add_argument("--port", type=int, default=5000)
    add_workdir(ui)

    from orchestrator.cli.data import add_data_parser
    from orchestrator.cli.gemix import add_gemix_parser

    add_data_parser(commands)
    add_gemix_parser(commands)
    return parser


def cmd_list(args: argparse.Namespace) -> int:
    from search_spaces import EXPERIMENTS
    from workloads.data import DATASETS
    from workloads.manifold import TRAINER_METHODS
    from workloads.mixing import MIXERS
    from workloads.models import ARCHS

    print("experiments:")
    for name, experiment in EXPERIMENTS.items():
        print(f"  {name:<24} {experiment.description}")
    print("datasets: " + ", ".join(DATASETS.names()))
    print("methods:  " + ", ".join(MIXERS.names() + TRAINER_METHODS.names()))
    print("archs:    " + ", ".join(ARCHS.names()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from orchestrator.record.invocation import RunOptions
    from orchestrator.run.runner import run_experiment

    options = RunOptions(smoke=args.smoke, sets=parse_sets(args.sets), address=args.address,
                         tracking_uri=args.tracking_uri, cpus_per_trial=args.cpus_per_trial,
                         gpus_per_trial=args.gpus_per_trial, max_concurrent=args.max_concurrent,
                         max_failures=args.max_failures, verbose=args.verbose, system_metrics=args.system_metrics,
                         storage=args.storage)
    summary = run_experiment(args.name, options, WorkDir.at(args.workdir))
    print_summary(summary)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from orchestrator.plan.describe import describe, plan_lines
    from orchestrator.plan.expand import plan_experiment
    from orchestrator.record.invocation import RunOptions
    from search_spaces import get_experiment
    from workloads.models import PretrainedWeightsNotFound

    options = RunOptions(smoke=args.smoke, sets=parse_sets(args.sets), cpus_per_trial=args.cpus_per_trial,
                         gpus_per_trial=args.gpus_per_trial)
    options.validate()
    experiment = get_experiment(args.name)
    # Where `run` would put the stages' files; nothing is created.
    artifacts = str(WorkDir.at(args.workdir).artifacts(args.name, "<invocation>"))
    try:
        plans = plan_experiment(experiment, smoke=args.smoke, sets=options.sets, artifacts_dir=artifacts)
    except PretrainedWeightsNotFound as exc:
        # Weights are files of this machine, as the data is (which `plan` never reads): show the plan,
        # every other value validated, and say that `run` would stop.
        plans = plan_experiment(experiment, smoke=args.smoke, sets={**options.sets, "pretrained": False},
                                artifacts_dir=artifacts)
        asked = plan_experiment(experiment, smoke=args.smoke, sets=options.sets, artifacts_dir=artifacts, validate=False)
        for plan, raw in zip(plans, asked):
            plan.set_keys = raw.set_keys
            for config, wanted in zip(plan.trial_configs, raw.trial_configs):
                if "pretrained" in config:
                    config["pretrained"] = wanted.get("pretrained", config["pretrained"])
        print(f"mixbench: warning: `mixbench run {args.name}` would stop before Ray starts: {exc}", file=sys.stderr)
    summary = describe(args.name, plans, args.smoke, args.cpus_per_trial, args.gpus_per_trial, experiment.plan_keys,
                       experiment.protocol)
    print(json.dumps(summary, default=str) if args.json else "\n".join(plan_lines(summary)))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from orchestrator.run.runner import resume_experiment

    print_summary(resume_experiment(args.name, WorkDir.at(args.workdir), verbose=args.verbose,
                                    tracking_uri=args.tracking_uri, storage=args.storage))
    return 0


def cmd_sync_mlflow(args: argparse.Namespace) -> int:
    from orchestrator.record.mlflow_sync import sync_mlflow

    print(sync_mlflow(args.name, WorkDir.at(args.workdir), args.invocation, args.tracking_uri).summary())
    return 0


def print_summary(summary: Any) -> None:
    report_md = summary.report_dir / "report.md"
    print(report_md.read_text())
    print(f"\n{summary.trials} trials, {summary.errored} failed.")
    print("outputs:")
    print(f"  parquet   {summary.workdir.epochs}  {summary.workdir.trials}")
    print(f"  mlflow    {summary.tracking_uri}  (parent run {summary.parent_run_id})")
    print(f"  ray       {summary.tune_state or summary.workdir.invocation(summary.experiment, summary.invocation)}")
    print(f"  report    {summary.report_dir}/  (this invocation's: index.html, report.md, tables, figures)")
    print(f"  latest    {summary.workdir.experiment_reports(summary.experiment)}/index.html  (opens the newest "
          f"invocation's report)")
    print(f"  reports   {summary.workdir.reports / 'index.html'}  (every experiment and invocation)")
    print(f"\nOpen the MLflow UI: mixbench ui --workdir {summary.workdir.root}")


def cmd_report(args: argparse.Namespace) -> int:
    if args.compare:
        if args.invocation:
            raise UsageError("mixbench report: --compare compares the latest invocations; drop --invocation")
        from orchestrator.report.compare import compare_report

        report = compare_report(args.compare[0], args.compare[1], args.name)
    else:
        from orchestrator.report.build import build_report

        report = build_report(args.name, WorkDir.at(args.workdir), args.invocation)
    print(report.markdown)
    for path in report.files:
        print(f"  {path}")
    if not args.compare:
        print(f"report of {'invocation ' + report.invocation if report.invocation else 'no invocation yet'}: "
              f"{report.directory}/")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from orchestrator.plan.data_root import resolve_data_root
    from orchestrator.plan.trainables import get_trainable
    from orchestrator.run.data import load_one

    trainable = get_trainable("classify")
    sets = parse_sets(args.sets)
    sets["data_root"] = resolve_data_root(sets.get("data_root"))
    config = trainable.validate({**sets, "dataset": args.dataset, "method": args.method, "arch": args.arch})
    # A protocol split (split=gemix) is drawn in memory by the trainable itself (no run, no artifacts).
    data = load_one(config["dataset"], config["data_root"], WorkDir.at(args.workdir).cache) \
        if config.get("split", "official") == "official" else None

    def report(metrics: dict[str, Any], checkpoint_dir: str | None) -> None:
        shown = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()), flush=True)

    final = trainable.train(config, report, None, data=data)
    if args.json:
        print(json.dumps(final, default=float))
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    workdir = WorkDir.at(args.workdir)
    if not workdir.mlflow_db.exists():
        raise ValueError(f"no MLflow store at {workdir.mlflow_db}; run an experiment first (mixbench run demo)")
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", workdir.default_tracking_uri(),
               "--host", "127.0.0.1", "--port", str(args.port), "--workers", "1"]  # one user: one worker
    base = f"http://127.0.0.1:{args.port}"
    print(f"MLflow UI on {base}/#/experiments?{MODEL_TRAINING_VIEW}  (Ctrl-C to stop)", flush=True)
    for name, experiment_id in ui_experiments(workdir.default_tracking_uri()):
        print(f"  {name}: {base}/#/experiments/{experiment_id}/runs?{MODEL_TRAINING_VIEW}", flush=True)
    return subprocess.call(command)


# MLflow 3's UI opens experiments in its GenAI view unless told otherwise (a setting kept in the
# browser); this query switches it to the runs and their metrics, and the browser keeps that choice.
MODEL_TRAINING_VIEW = "workflowType=machine_learning"


def ui_experiments(tracking_uri: str) -> list[tuple[str, str]]:
    """(name, id) of the store's experiments but Default, newest first, for the links `ui` prints."""
    from mlflow.tracking import MlflowClient

    experiments = MlflowClient(tracking_uri).search_experiments(order_by=["last_update_time DESC"])
    return [(e.name, e.experiment_id) for e in experiments if e.name != "Default"]


def cmd_data(args: argparse.Namespace) -> int:
    from orchestrator.cli.data import run_data

    return run_data(args)


def cmd_gemix(args: argparse.Namespace) -> int:
    from orchestrator.cli.gemix import run_gemix

    return run_gemix(args)


COMMANDS = {"list": cmd_list, "run": cmd_run, "plan": cmd_plan, "resume": cmd_resume, "report": cmd_report,
            "train": cmd_train, "ui": cmd_ui, "data": cmd_data, "gemix": cmd_gemix, "sync-mlflow": cmd_sync_mlflow}


ENVIRONMENT_ERROR = 1
# user:password@ in any URL a message quotes
CREDENTIALS = re.compile(r"(://[^/\s:@]+):[^/\s@]+@")


def one_line(exc: BaseException) -> str:
    """The first line of an error, without credentials."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CREDENTIALS.sub(r"\1:***@", text)


def main(argv: Sequence[str] | None = None) -> int:
    """Bad input: one line naming the problem, exit 2. A failing environment (a dead server, a full disk,
    a corrupt store): one line, exit 1 (`--debug` shows the traceback)."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # no INFO lines about creating its tables
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ValueError) as exc:  # DatasetError is a ValueError too
        if debug:
            raise
        print(f"mixbench: error: {one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    except FloatingPointError as exc:  # `mixbench train` diverged (in a sweep, Tune records it per trial)
        print(f"mixbench: error: {exc}; try a smaller lr", file=sys.stderr)
        return ENVIRONMENT_ERROR
    except TrackingStoreError as exc:  # a damaged mlflow.db, an unreachable tracking server: its own line
        if debug:
            raise
        print(f"mixbench: error: {one_line(exc)}", file=sys.stderr)
        return ENVIRONMENT_ERROR
    except KeyboardInterrupt:
        print("mixbench: interrupted; `mixbench resume NAME` continues a run", file=sys.stderr)
        return 130
    except Exception as exc:  # the environment failed: one line, never a traceback unless asked
        if debug:
            raise
        print(f"mixbench: error: {type(exc).__name__}: {one_line(exc)} (--debug shows the traceback)", file=sys.stderr)
        return ENVIRONMENT_ERROR
