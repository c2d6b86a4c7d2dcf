"""GeMix's preparatory stages as trainables: `train(config, report, checkpoint=None, *, data=None) -> dict`.

- `train_gan_stage` ("gan-train"): the conditional GAN (`workloads.gan.train_gan`) on a class-balanced
  subset of the real train split (`gan_images_per_class`, GeMix's own 10,000 per class); when the last
  step is reached it exports that checkpoint to `{artifacts_dir}/generator/` (copied to a temporary
  folder, then renamed, so a later stage never sees half a generator).
- `make_sets` ("gemix-sets"): `{artifacts_dir}/sets/{mixup,mmixup,gemix}/` (`workloads.gan.sets`
  format) with `sets_images` images each: mixup (lambda ~ Beta(sets_mixup_alpha, same)) and MMixup
  from the real train split, GeMix (Algorithm 1) from the exported generator. A set already on disk
  with the same size and recipe (`_recipe`: seed, alpha or concentrations, real subset, generator
  and batch size) is kept, so a resumed stage does not redo work. Reports {"images": N, "epoch": 1}.
Config keys: `workloads.gemix.config`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from workloads.config import TRAIN_SOURCES
from workloads.data.types import DatasetArrays, Split
from workloads.gemix.config import gan_config, validate_gan_stage, validate_sets_stage
from workloads.train_sources import set_dir

Report = Callable[[dict[str, Any], Optional[str]], None]
GENERATOR_DIR = "generator"
# The offline sets this stage writes: every train source of the classifier but the real split.
SET_NAMES = tuple(name for name in TRAIN_SOURCES if name != "real")


def generator_path(artifacts_dir: str | Path) -> Path:
    """Where `gan-train` exports the final generator checkpoint (a directory holding state.pt)."""
    return Path(artifacts_dir) / GENERATOR_DIR


def _load(cfg: dict[str, Any], data: DatasetArrays | None) -> DatasetArrays:
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(cfg["dataset"], cfg["data_root"])
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
    target = generator_path(artifacts_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{GENERATOR_DIR}.tmp-{os.getpid()}"
    old = target.parent / f".{GENERATOR_DIR}.old-{os.getpid()}"
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


def train_gan_stage(config: dict[str, Any], report: Report, checkpoint: str | None = None, *,
                    data: DatasetArrays | None = None) -> dict[str, Any]:
    """Train (or resume) the GAN on its balanced subset; export the final checkpoint. Returns the last metrics."""
    from workloads.gan.train import train_gan

    cfg = validate_gan_stage(config)
    data = _load(cfg, data)
    train = balanced_subset(data.splits["train"], data.num_classes, cfg["gan_images_per_class"], cfg["seed"])
    subset = DatasetArrays(data.name, data.class_names, {"train": train})
    steps = cfg["gan_steps"]

    def relay(metrics: dict[str, Any], checkpoint_dir: str | None) -> None:
        # Export before reporting: the directory is gone once `report` returns, and a trial stopped
        # between the two resumes from the previous checkpoint and exports again.
        if checkpoint_dir is not None and metrics.get("step") == steps:
            export_generator(checkpoint_dir, cfg["artifacts_dir"])
        report({**metrics, "images_per_class": len(train) // data.num_classes}, checkpoint_dir)

    metrics = train_gan(gan_config(cfg), relay, checkpoint, data=subset)
    target = generator_path(cfg["artifacts_dir"])
    # Resumed from a checkpoint of the last step (stopped after its report): nothing trained, so export it now.
    if checkpoint is not None and not (target / "state.pt").is_file() and _checkpoint_step(checkpoint) >= steps:
        export_generator(checkpoint, cfg["artifacts_dir"])
    return metrics


def _recipe(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    """The meta fields that make set `name` what `cfg` asks for; a set on disk whose meta differs in
    any of them is stale (another alpha, concentration, seed, real subset or generator) and is redone."""
    recipe: dict[str, Any] = {"seed": cfg["seed"], "dataset": cfg["dataset"]}
    dirichlet = {"a_dominant": cfg["sets_a_dominant"], "a_other": cfg["sets_a_other"]}
    if name == "mixup":
        return {**recipe, "alpha": cfg["sets_mixup_alpha"], "subset": cfg["subset"]}
    if name == "mmixup":
        return {**recipe, **dirichlet, "subset": cfg["subset"]}
    recipe = {**recipe, **dirichlet, "batch_size": cfg["sets_batch_size"]}
    generator = generator_path(cfg["artifacts_dir"])
    if (generator / "state.pt").is_file():
        from workloads.gan.sample import generator_fingerprint

        recipe["generator_sha256"] = generator_fingerprint(generator)
    return recipe


def _existing(directory: Path, n: int, image_shape: tuple[int, ...], recipe: dict[str, Any]) -> bool:
    from workloads.gan.sets import is_set, load_set

    if not is_set(directory):
        return False
    meta = load_set(directory, mmap=True).meta
    return (meta.get("n") == n and tuple(meta.get("image_shape", ())) == image_shape
            and all(meta.get(key) == value for key, value in recipe.items()))


def _gemix(cfg: dict[str, Any], real: Split, num_classes: int):
    from workloads.data.resize import resize_images
    from workloads.device import resolve_device
    from workloads.gan.sets import SoftSet, gemix_set

    generator = generator_path(cfg["artifacts_dir"])
    if not (generator / "state.pt").is_file():
        raise ValueError(f"no generator at {generator}: the gan-train stage must finish first")
    made = gemix_set(generator, num_classes, cfg["sets_images"], a_dominant=cfg["sets_a_dominant"],
                     a_other=cfg["sets_a_other"], seed=cfg["seed"], batch_size=cfg["sets_batch_size"],
                     device=str(resolve_device(cfg["device"])), progress=False)
    if made.images.shape[-1] != real.images.shape[-1]:
        raise ValueError(f"the generator makes {made.images.shape[-1]}-channel images, the real set has "
                         f"{real.images.shape[-1]}; train the GAN on this dataset")
    # A generator at another resolution than the real images (e.g. gan_resolution 128 on 96-pixel
    # data) is resized, so the sets stack with the real images.
    images = resize_images(made.images, real.images.shape[1:3])
    meta = {**made.meta, "resized_from": list(made.images.shape[1:3])} if images is not made.images else made.meta
    return SoftSet(images, made.soft_labels, meta)


def make_sets(config: dict[str, Any], report: Report, checkpoint: str | None = None, *,
              data: DatasetArrays | None = None) -> dict[str, Any]:
    """Write the mixup, MMixup and GeMix sets (skipping complete ones); returns {"images", "epoch"}."""
    from workloads.gan.sets import mixup_set, mmixup_set, save_set

    cfg = validate_sets_stage(config)
    data = _load(cfg, data).subset(cfg["subset"])  # the classifier's own real train split
    real, k, n = data.splits["train"], data.num_classes, cfg["sets_images"]
    builders = {
        "mixup": lambda: mixup_set(real, k, n, alpha=cfg["sets_mixup_alpha"], seed=cfg["seed"]),
        "mmixup": lambda: mmixup_set(real, k, n, seed=cfg["seed"], a_dominant=cfg["sets_a_dominant"],
                                     a_other=cfg["sets_a_other"]),
        "gemix": lambda: _gemix(cfg, real, k),
    }
    made = []
    for name in SET_NAMES:
        directory = set_dir(cfg["artifacts_dir"], name)
        recipe = _recipe(cfg, name)
        if _existing(directory, n, real.images.shape[1:], recipe):
            continue
        soft = builders[name]()
        save_set(directory, soft.images, soft.soft_labels, {**soft.meta, **recipe})
        made.append(name)
    metrics = {"images": n, "epoch": 1, "sets_written": len(made)}
    report(metrics, None)
    return metrics


__all__ = ["balanced_subset", "export_generator", "generator_path", "make_sets", "train_gan_stage",
           "validate_gan_stage", "validate_sets_stage"]
