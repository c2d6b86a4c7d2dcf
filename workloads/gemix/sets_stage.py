"""GeMix's sets stage as a trainable ("gemix-sets"): the offline training sets of Table I.

`train(config, report, checkpoint=None, *, data=None)` writes `{artifacts_dir}/sets/{mixup,mmixup,gemix}/`
(`workloads.gan.sets` format) with `sets_images` images each (30K: the most any Table I setup adds; each
classifier setup takes the first `set_images` of a set): mixup (lambda ~ Beta(sets_mixup_alpha, same),
`sets_same_class_ratio` of its pairs from one class, the authors' 0.5) and MMixup from the real train
split (the classifier's), GeMix (Algorithm 1) from the exported generator with `sets_noise_mode` (the
authors' "const"). A set already on disk with the same size and recipe (`_recipe`: seed, alpha or
concentrations, pair ratio, real subset, generator, noise mode and batch size) is kept, so a resumed
stage does not redo work. Reports {"images": N, "epoch": 1, "sets_written": ...}.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from workloads.artifacts import SET_NAMES, generator_dir, set_dir
from workloads.data.types import DatasetArrays, Split
from workloads.gemix.gan_stage import load_images
from workloads.gemix.stage_config import StageConfig
from workloads.trainable import Report
from workloads.validate import check_choice, check_float, check_int

NOISE_MODES = ("const", "random", "none")


@dataclass(frozen=True)
class SetsStageConfig(StageConfig):
    """GeMix's Table I adds 24K or 30K images of a generated / mixed set (the sets hold the larger);
    mixup's lambda ~ Beta(0.4, 0.4) and half its pairs from one class are the authors' baseline
    (`sets_same_class_ratio` null: both images uniform over the whole split); MMixup and GeMix draw soft
    labels from Dirichlet(2 at a class, 1 elsewhere); the authors sample their generator with constant
    noise. `subset` caps the real split per split as the classifier's `subset` does (smoke runs): the
    baselines mix the real images the classifier trains on."""

    TRAINABLE = "gemix-sets"

    sets_images: int = 30000
    sets_mixup_alpha: float = 0.4
    sets_same_class_ratio: Optional[float] = 0.5
    sets_a_dominant: float = 2.0
    sets_a_other: float = 1.0
    sets_noise_mode: str = "const"
    sets_batch_size: int = 256
    subset: Optional[int] = None

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        for key in ("sets_images", "sets_batch_size"):
            check_int(cfg, key, 1)
        check_int(cfg, "subset", 1, optional=True)
        for key in ("sets_mixup_alpha", "sets_a_dominant", "sets_a_other"):
            check_float(cfg, key, 0.0, math.inf, lo_open=True, hi_open=True)
        check_float(cfg, "sets_same_class_ratio", 0.0, 1.0, optional=True)
        check_choice(cfg, "sets_noise_mode", NOISE_MODES)


Config = SetsStageConfig


def _recipe(cfg: SetsStageConfig, name: str) -> dict[str, Any]:
    """The meta fields that make set `name` what `cfg` asks for; a set on disk whose meta differs in
    any of them is stale (another alpha, concentration, seed, real subset or generator) and is redone."""
    recipe: dict[str, Any] = {"seed": cfg.seed, "dataset": cfg.dataset}
    dirichlet = {"a_dominant": cfg.sets_a_dominant, "a_other": cfg.sets_a_other}
    if name == "mixup":
        return {**recipe, "alpha": cfg.sets_mixup_alpha, "same_class_ratio": cfg.sets_same_class_ratio,
                "subset": cfg.subset}
    if name == "mmixup":
        return {**recipe, **dirichlet, "subset": cfg.subset}
    recipe = {**recipe, **dirichlet, "batch_size": cfg.sets_batch_size, "noise_mode": cfg.sets_noise_mode}
    generator = generator_dir(cfg.artifacts_dir)
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


def _gemix(cfg: SetsStageConfig, real: Split, num_classes: int):
    from workloads.data.resize import resize_images
    from workloads.device import resolve_device
    from workloads.gan.sets import SoftSet, gemix_set

    generator = generator_dir(cfg.artifacts_dir)
    if not (generator / "state.pt").is_file():
        raise ValueError(f"no generator at {generator}: the gan-train stage must finish first")
    made = gemix_set(generator, num_classes, cfg.sets_images, a_dominant=cfg.sets_a_dominant,
                     a_other=cfg.sets_a_other, seed=cfg.seed, batch_size=cfg.sets_batch_size,
                     device=str(resolve_device(cfg.device)), progress=False, noise_mode=cfg.sets_noise_mode)
    if made.images.shape[-1] != real.images.shape[-1]:
        raise ValueError(f"the generator makes {made.images.shape[-1]}-channel images, the real set has "
                         f"{real.images.shape[-1]}; train the GAN on this dataset")
    # A generator at another resolution than the real images (e.g. gan_resolution 128 on 96-pixel
    # data) is resized, so the sets stack with the real images.
    images = resize_images(made.images, real.images.shape[1:3])
    meta = {**made.meta, "resized_from": list(made.images.shape[1:3])} if images is not made.images else made.meta
    return SoftSet(images, made.soft_labels, meta)


def train(config: Mapping[str, Any], report: Report, checkpoint: str | None = None, *,
          data: DatasetArrays | None = None) -> dict[str, Any]:
    """Write the mixup, MMixup and GeMix sets (skipping complete ones); returns {"images", "epoch", ...}."""
    from workloads.gan.sets import mixup_set, mmixup_set, save_set

    cfg = SetsStageConfig.from_flat(config)
    data = load_images(cfg, data).subset(cfg.subset)  # the classifier's own real train split
    real, k, n = data.splits["train"], data.num_classes, cfg.sets_images
    builders = {
        "mixup": lambda: mixup_set(real, k, n, alpha=cfg.sets_mixup_alpha, seed=cfg.seed,
                                   same_class_ratio=cfg.sets_same_class_ratio),
        "mmixup": lambda: mmixup_set(real, k, n, seed=cfg.seed, a_dominant=cfg.sets_a_dominant,
                                     a_other=cfg.sets_a_other),
        "gemix": lambda: _gemix(cfg, real, k),
    }
    made = []
    for name in SET_NAMES:
        directory = set_dir(cfg.artifacts_dir, name)
        recipe = _recipe(cfg, name)
        if _existing(directory, n, real.images.shape[1:], recipe):
            continue
        soft = builders[name]()
        save_set(directory, soft.images, soft.soft_labels, {**soft.meta, **recipe})
        made.append(name)
    metrics = {"images": n, "epoch": 1, "sets_written": len(made)}
    report(metrics, None)
    return metrics
