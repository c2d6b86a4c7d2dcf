"""An invocation's artifacts folder: where one stage hands files to the next (`artifacts_dir`).

    {artifacts_dir}/generator/        the GAN's exported final checkpoint (state.pt, ...)
    {artifacts_dir}/sets/<name>/      offline training sets (`workloads.gan.sets` format)
    {artifacts_dir}/quality/          the quality stage's quality.json and tsne.npz
    {artifacts_dir}/splits/           the data protocol's split: {gan,train,val,test}.txt and split.json
                                      (`workloads.gemix.protocol`; written by the driver before any stage runs)

Every trainable that reads or writes there takes its paths from here.
"""
from __future__ import annotations

from pathlib import Path

# The offline sets GeMix's sets stage writes, and the classifier's training sources (they join the real split).
SET_NAMES = ("mixup", "mmixup", "gemix")
TRAIN_SOURCES = ("real", *SET_NAMES)


def generator_dir(artifacts_dir: str | Path) -> Path:
    """Where `gan-train` exports the final generator checkpoint (a directory holding state.pt)."""
    return Path(artifacts_dir) / "generator"


def set_dir(artifacts_dir: str | Path, name: str) -> Path:
    """Where the offline set `name` lives: `{artifacts_dir}/sets/<name>`."""
    return Path(artifacts_dir) / "sets" / name


def sets_dir(artifacts_dir: str | Path) -> Path:
    return Path(artifacts_dir) / "sets"


def quality_dir(artifacts_dir: str | Path) -> Path:
    """The folder holding the quality stage's quality.json and tsne.npz."""
    return Path(artifacts_dir) / "quality"


def splits_dir(artifacts_dir: str | Path) -> Path:
    """Where the data protocol's split files live: `{artifacts_dir}/splits`."""
    return Path(artifacts_dir) / "splits"
