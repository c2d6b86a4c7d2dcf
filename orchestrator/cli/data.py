"""`mixbench data list|check|prepare|download`: what datasets exist, whether they are usable, caching.

Exit codes: 0 when everything named is usable (or was done), 2 otherwise; problems are printed as
one line each, naming the dataset, the file and what is wrong.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from orchestrator.cli.options import add_data_root, add_workdir
from orchestrator.workdir import WorkDir
from search_spaces.datasets import DATASET_SPECS, get_dataset_spec

OK, PROBLEM = 0, 2


def add_data_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `data` with its four subcommands to a `mixbench` subparsers object."""
    data = subparsers.add_parser("data", help="list, check, prepare or download datasets")
    commands = data.add_subparsers(dest="data_command", required=True)
    commands.add_parser("list", help="every dataset: group, classes, size, splits, the layout expected")

    check = add_data_root(commands.add_parser("check", help="is each named dataset found, missing or invalid?"))
    check.add_argument("names", nargs="*", metavar="NAME", help="datasets (default: all)")
    prepare = add_data_root(commands.add_parser("prepare", help="decode datasets once into WORKDIR/cache"))
    prepare.add_argument("names", nargs="+", metavar="NAME")
    add_workdir(prepare)
    prepare.add_argument("--size", type=int, default=None, help="image edge in pixels (default: the recipe's)")
    prepare.add_argument("--no-progress", action="store_true")
    download = add_data_root(commands.add_parser("download", help="fetch and verify a dataset with a direct download"))
    download.add_argument("names", nargs="+", metavar="NAME")
    return data


def validate_names(names: Sequence[str]) -> list[str]:
    for name in names:
        get_dataset_spec(name)  # ValueError naming the valid choices
    return list(names)


def cmd_list() -> int:
    print(f"{'name':20} {'group':9} {'classes':>7} {'size':>9}  splits / layout expected under ROOT or ROOT/<name>")
    for spec in DATASET_SPECS.values():
        size = f"{spec.channels}-d" if spec.group == "synthetic" else f"{spec.image_size}x{spec.image_size}x{spec.channels}"
        fetch = "  [download]" if spec.download else ""
        print(f"{spec.name:20} {spec.group:9} {spec.num_classes:>7} {size:>9}  {spec.splits}{fetch}")
        print(f"{'':49}{spec.layout}")
    return OK


def cmd_check(root: str | None, names: Sequence[str]) -> int:
    from workloads.data.check import check_dataset
    from workloads.data.types import DatasetError, MissingDataError

    status = OK
    for name in validate_names(names or list(DATASET_SPECS)):
        try:
            print(f"{name}: found: {check_dataset(name, root)}")
        except MissingDataError as err:
            print(f"{name}: missing: {err}")
            status = PROBLEM
        except DatasetError as err:
            print(f"{name}: invalid: {err}")
            status = PROBLEM
    return status


def cmd_prepare(root: str | None, names: Sequence[str], workdir: str, size: int | None, progress: bool) -> int:
    from workloads.data.cache import prepare
    from workloads.data.types import DatasetError

    cache_dir = WorkDir.at(workdir).cache
    status = OK
    for name in validate_names(names):
        try:
            print(f"{name}: prepared at {prepare(name, root, cache_dir, size=size, progress=progress)}")
        except DatasetError as err:
            print(f"{name}: not prepared: {err}")
            status = PROBLEM
    return status


def cmd_download(root: str | None, names: Sequence[str]) -> int:
    from workloads.data.download import download, has_direct_download
    from workloads.data.types import DatasetError

    if not root:
        print("data download: no --root given and MIXBENCH_DATA is not set")
        return PROBLEM
    status = OK
    for name in validate_names(names):
        spec = get_dataset_spec(name)
        if not has_direct_download(name):
            where = "built in; nothing to download" if spec.source == "built in" else f"obtain it from {spec.source}"
            print(f"{name}: no direct download: {where}; layout expected under {root} or {Path(root) / name}: {spec.layout}")
            status = status if spec.source == "built in" else PROBLEM
            continue
        try:
            files = download(name, root)
            print(f"{name}: downloaded and verified {len(files)} file(s) under {root}")
        except DatasetError as err:
            print(f"{name}: download failed: {err}")
            status = PROBLEM
    return status


def run_data(args: argparse.Namespace) -> int:
    """Run `mixbench data <command>` from parsed arguments; the exit code."""
    if args.data_command == "list":
        return cmd_list()
    if args.data_command == "check":
        return cmd_check(args.root, args.names)
    if args.data_command == "prepare":
        return cmd_prepare(args.root, args.names, args.workdir, args.size, not args.no_progress)
    if args.data_command == "download":
        return cmd_download(args.root, args.names)
    raise ValueError(f"unknown data command {args.data_command!r}; valid choices: list, check, prepare, download")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestrator.cli.data ...`: the same commands without the rest of mixbench."""
    parser = argparse.ArgumentParser(prog="mixbench")
    add_data_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return run_data(args)
    except ValueError as err:
        print(f"mixbench: error: {str(err).splitlines()[0]}", file=sys.stderr)
        return PROBLEM


if __name__ == "__main__":
    sys.exit(main())
