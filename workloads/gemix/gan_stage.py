"""GeMix's GAN stage as a trainable ("gan-train"): the conditional GAN on its own balanced subset.

`train(config, report, checkpoint=None, *, data=None)` trains `workloads.gan.train_gan` on a
class-balanced subset of the real train split (`gan_images_per_class`, GeMix's own 10,000 per class; under
GeMix's protocol split, `split="gemix"`, the train split it is given is already the GAN's own balanced
subset, and `gan_images_per_class` null takes all of it);
when the last step is reached it exports that checkpoint to `{artifacts_dir}/generator/` (copied to a
temporary folder, then renamed, so a later stage never sees half a generator).

Config (`GanStageConfig`): the shared stage keys (`workloads.gemix.stage_config`), `gan_images_per_class`,
and every GAN key (`workloads.gan.config.GanConfig`) but the shared ones, prefixed `gan_` (`gan_steps`,
`gan_lr`, ...): one experiment hands these beside the classifier's `lr` and `batch_size`, and
`--set lr=...` must not retrain the GAN.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from workloads.artifacts import generator_dir
from workloads.data.types import DatasetArrays, Split
from workloads.flat_config import json_value
from workloads.gan.config import GanConfig
from workloads.gemix.stage_config import StageConfig
from workloads.trainable import Report
from workloads.validate import check_int

PREFIX = "gan_"
# GAN keys the shared stage keys replace (max_images: gan_images_per_class balances the classes instead).
NOT_PREFIXED = ("dataset", "data_root", "seed", "device", "max_images")


def _gan_defaults() -> dict[str, Any]:
    return {f"{PREFIX}{key}": value for key, value in GanConfig.defaults().items() if key not in NOT_PREFIXED}


@dataclass(frozen=True)
class GanStageConfig(StageConfig):
    TRAINABLE = "gan-train"
    SPLIT_PART = "gan"  # under GeMix's protocol split, the GAN's own subset is its train split

    # GeMix, "Experimental setup": the GAN's own balanced subset holds 10,000 images per class.
    gan_images_per_class: Optional[int] = 10000
    gan: GanConfig = field(default_factory=GanConfig)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        base = super().defaults()
        del base["gan"]
        return {**base, **_gan_defaults()}

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        check_int(cfg, "gan_images_per_class", 1, optional=True)

    @classmethod
    def from_flat(cls, flat: Mapping[str, Any], *, prefix: str = "") -> "GanStageConfig":
        cls.check_keys(flat)
        cfg = {**cls.defaults(), **flat}
        cls.check(cfg)
        own = {key[len(PREFIX):]: cfg.pop(key) for key in _gan_defaults()}
        shared = {key: cfg[key] for key in ("dataset", "data_root", "seed", "device")}
        # Errors name the gan_* keys as the user spells them.
        gan = GanConfig.from_flat({**own, **shared}, prefix=PREFIX)
        return cls(**cfg, gan=gan)

    def to_flat(self) -> dict[str, Any]:
        flat = {f.name: json_value(getattr(self, f.name)) for f in fields(self) if f.name != "gan"}
        gan = self.gan.to_flat()
        return {**flat, **{f"{PREFIX}{key}": gan[key] for key in gan if key not in NOT_PREFIXED}}


Config = GanStageConfig


def load_images(cfg: StageConfig, data: DatasetArrays | None) -> DatasetArrays:
    """The stage's dataset (`data` if given: the orchestrator's view of its split; else read, and split
    by `split`, the stage's own view), checked to be 1- or 3-channel images."""
    if data is None:
        from workloads.gemix.protocol import load_view

        data = load_view(cfg.dataset, cfg.data_root, cfg, cfg.SPLIT_PART)
    if not data.is_image or data.channels not in (1, 3):
        raise ValueError(f"dataset {data.name!r} is not an image dataset with 1 or 3 channels; GeMix needs one")
    return data


def balanced_subset(split: Split, num_classes: int, per_class: int | None, seed: int) -> Split:
    """The same number of images of every class, drawn uniformly without replacement (sorted indices).

    That number is `per_class`, or the smallest class's count where that is smaller (None: the
    smallest class's count), so the subset stays balanced.
    """
    counts = np.bincount(split.labels, minlength=num_classes)
    if counts.min() == 0:
        missing = [k for k in range(num_classes) if counts[k] == 0]
        raise ValueError(f"the GAN's balanced subset needs every class in the train split; missing {missing}")
    n = int(counts.min()) if per_class is None else min(int(per_class), int(counts.min()))
    rng = np.random.default_rng(seed)
    keep = np.sort(np.concatenate([rng.permutation(np.flatnonzero(split.labels == k))[:n] for k in range(num_classes)]))
    return Split(split.images[keep], split.labels[keep])


def export_generator(checkpoint_dir: str | Path, artifacts_dir: str | Path) -> Path:
    """Copy a GAN checkpoint directory to `{artifacts_dir}/generator/`, replacing any earlier one.

    The copy goes to a temporary sibling first and is renamed into place: the target is either the
    old complete generator, absent for an instant, or the new complete one.
    """
    target = generator_dir(artifacts_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(checkpoint_dir, tmp)
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _checkpoint_step(checkpoint_dir: str | Path) -> int:
    from workloads.checkpoint import load_checkpoint

    return int(load_checkpoint(checkpoint_dir, map_location="cpu").get("step", -1))


def train(config: Mapping[str, Any], report: Report, checkpoint: str | None = None, *,
          data: DatasetArrays | None = None) -> dict[str, Any]:
    """Train (or resume) the GAN on its balanced subset; export the final checkpoint. Returns the last metrics."""
    from workloads.gan.train import train_gan

    cfg = GanStageConfig.from_flat(config)
    data = load_images(cfg, data)
    subset = balanced_subset(data.splits["train"], data.num_classes, cfg.gan_images_per_class, cfg.seed)
    steps = cfg.gan.steps

    def relay(metrics: dict[str, Any], checkpoint_dir: str | None) -> None:
        # Export before reporting: the directory is gone once `report` returns, and a trial stopped
        # between the two resumes from the previous checkpoint and exports again.
        if checkpoint_dir is not None and metrics.get("step") == steps:
            export_generator(checkpoint_dir, cfg.artifacts_dir)
        report({**metrics, "images_per_class": len(subset) // data.num_classes}, checkpoint_dir)

    metrics = train_gan(cfg.gan, relay, checkpoint, data=DatasetArrays(data.name, data.class_names, {"train": subset}))
    target = generator_dir(cfg.artifacts_dir)
    # Resumed from a checkpoint of the last step (stopped after its report): nothing trained, so export it now.
    if checkpoint is not None and not (target / "state.pt").is_file() and _checkpoint_step(checkpoint) >= steps:
        export_generator(checkpoint, cfg.artifacts_dir)
    return metrics
