"""Command-line options several commands share."""
from __future__ import annotations

import argparse
import os

from orchestrator.plan.data_root import DATA_ENV
from orchestrator.workdir import DEFAULT_WORKDIR

WORKDIR_ENV = "MIXBENCH_WORKDIR"


def add_workdir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", default=os.environ.get(WORKDIR_ENV, DEFAULT_WORKDIR),
                        help=f"work directory (default: ${WORKDIR_ENV}, else ./{DEFAULT_WORKDIR})")


def add_data_root(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--root", default=os.environ.get(DATA_ENV),
                        help=f"folder holding the downloaded datasets (default: ${DATA_ENV})")
    return parser
