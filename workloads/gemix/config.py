"""Flat configs of GeMix's trainables beside the classifier: `gan-train`, `gemix-sets`, `gemix-quality`.

One experiment (Table I) hands the same flat config keys to every stage, so each trainable
- owns keys with its own prefix: `gan_*` (the GAN: every key of `workloads.gan.config` but the shared
  ones below, plus `gan_images_per_class`), `sets_*` (the offline sets) and `quality_*` (the oracle
  that measures them; it also reads the classifier's recipe keys `ORACLE_KEYS` to train that oracle);
- shares `dataset`, `data_root`, `seed`, `device`, `artifacts_dir` and the cell labels `arch`, `method`,
  `variant` (the GAN stage's `arch` is only a label: the network is given by the `gan_*` keys);
- accepts and ignores the classifier's keys (`workloads.config`), `train_sources` and the other
  GeMix trainables' keys; any other key is a ValueError naming the valid ones.
Validated configs keep only the keys the trainable reads (so MLflow and Parquet show those).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from workloads.gan.config import GAN_CONFIG_DEFAULTS, validate_gan_config
from workloads.validate import SEED_MAX, check_choice, check_float, check_int

# Keys every GeMix stage shares with the classifier (same meaning everywhere).
SHARED_DEFAULTS: dict[str, Any] = {
    "dataset": "covidx-ct3", "data_root": None, "seed": 0, "device": "auto", "artifacts_dir": None,
    "arch": None, "method": None, "variant": None,
}
# GAN keys that the shared keys replace (max_images: gan_images_per_class balances the classes instead).
_NOT_PREFIXED = ("dataset", "data_root", "seed", "device", "max_images")

# GeMix, "Experimental setup": the GAN's own balanced subset holds 10,000 images per class.
GAN_STAGE_DEFAULTS: dict[str, Any] = {
    "gan_images_per_class": 10000,
    **{f"gan_{key}": value for key, value in GAN_CONFIG_DEFAULTS.items() if key not in _NOT_PREFIXED},
}

# GeMix's Table I uses 24K images per generated / mixed set; mixup's lambda ~ Beta(0.4, 0.4) is the
# authors' baseline; MMixup and GeMix draw soft labels from Dirichlet(2 at a class, 1 elsewhere).
# `subset` is the classifier's per-split cap (smoke runs): the baselines mix the same real images
# the classifier trains on.
SETS_STAGE_DEFAULTS: dict[str, Any] = {
    "sets_images": 24000,
    "sets_mixup_alpha": 0.4,
    "sets_a_dominant": 2.0,
    "sets_a_other": 1.0,
    "sets_batch_size": 256,
    "subset": None,
}

# The quality stage's oracle: a classifier (`quality_arch`, default: the stage's `arch`, else resnet50)
# trained `quality_epochs` on the real train split; `quality_samples` images per measured set (and as
# many one-hot GeMix samples), `quality_tsne_samples` per source in the t-SNE (GeMix Fig. 3: 100).
QUALITY_STAGE_DEFAULTS: dict[str, Any] = {
    "quality_arch": None,
    "quality_epochs": 5,
    "quality_samples": 2000,
    "quality_tsne_samples": 100,
    "quality_perplexity": 30.0,
}
# The classifier keys the oracle is trained with (the experiment's recipe: optimizer, lr, batch, ...).
ORACLE_KEYS = ("batch_size", "eval_batch_size", "lr", "momentum", "nesterov", "weight_decay", "optimizer", "loss",
               "pretrained", "pretrained_path", "flip", "crop_padding", "subset", "num_threads")

OTHER_ACCEPTED = ("train_sources",)  # the classifier's Table I key (read by workloads.classify)


def _classifier_keys() -> set[str]:
    from workloads.config import config_defaults

    return set(config_defaults())


def _check_keys(config: dict[str, Any], own: dict[str, Any], trainable: str) -> None:
    valid = set(SHARED_DEFAULTS) | set(own)
    ignored = (_classifier_keys() | set(OTHER_ACCEPTED) | set(GAN_STAGE_DEFAULTS) | set(SETS_STAGE_DEFAULTS)
               | set(QUALITY_STAGE_DEFAULTS))
    unknown = sorted(set(config) - valid - ignored)
    if unknown:
        raise ValueError(f"unknown {trainable} config key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(valid))}")


def _shared(config: dict[str, Any], trainable: str) -> dict[str, Any]:
    from workloads.data import DATASETS
    from workloads.device import resolve_device

    cfg = {key: config.get(key, default) for key, default in SHARED_DEFAULTS.items()}
    check_choice(cfg, "dataset", DATASETS.names())
    directory = cfg["artifacts_dir"]
    if not isinstance(directory, str) or not Path(directory).is_absolute():
        raise ValueError(f"artifacts_dir must be an absolute folder path (where {trainable} hands files to the "
                         f"next stage; experiments with artifacts=True set it), got {directory!r}")
    check_int(cfg, "seed", 0, SEED_MAX)
    resolve_device(cfg["device"])
    return cfg


def _gan_own(cfg: dict[str, Any]) -> dict[str, Any]:
    """The `gan_*` keys of `cfg` that are GAN config keys, unprefixed."""
    return {key[len("gan_"):]: value for key, value in cfg.items()
            if key.startswith("gan_") and key != "gan_images_per_class"}


def gan_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """A validated `gan-train` config -> the config of `workloads.gan.train.train_gan` (unprefixed keys)."""
    return {**_gan_own(cfg), "dataset": cfg["dataset"], "data_root": cfg["data_root"], "seed": cfg["seed"],
            "device": cfg["device"]}


def validate_gan_stage(config: dict[str, Any]) -> dict[str, Any]:
    """The `gan-train` config: shared keys and `gan_*` keys with defaults; ValueError naming the key."""
    _check_keys(config, GAN_STAGE_DEFAULTS, "gan-train")
    cfg = {**_shared(config, "gan-train"),
           **{key: config.get(key, default) for key, default in GAN_STAGE_DEFAULTS.items()}}
    check_int(cfg, "gan_images_per_class", 1, optional=True)
    # Only the gan_* keys go through the GAN's checks (the shared ones passed `_shared`), so every key
    # an error names is spelled with the prefix.
    own = _gan_own(cfg)
    checked = validate_gan_config(own, prefix="gan_")
    cfg.update({f"gan_{key}": checked[key] for key in own})
    return cfg


def validate_sets_stage(config: dict[str, Any]) -> dict[str, Any]:
    """The `gemix-sets` config: shared keys and `sets_*` keys (plus `subset`); ValueError naming the key."""
    _check_keys(config, SETS_STAGE_DEFAULTS, "gemix-sets")
    cfg = {**_shared(config, "gemix-sets"),
           **{key: config.get(key, default) for key, default in SETS_STAGE_DEFAULTS.items()}}
    for key in ("sets_images", "sets_batch_size"):
        check_int(cfg, key, 1)
    check_int(cfg, "subset", 1, optional=True)
    for key in ("sets_mixup_alpha", "sets_a_dominant", "sets_a_other"):
        check_float(cfg, key, 0.0, math.inf, lo_open=True, hi_open=True)
    return cfg


def oracle_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """A `gemix-quality` config -> the classifier config of its oracle: ERM on the real train split for
    `quality_epochs` epochs (constant lr), with the experiment's recipe keys (`ORACLE_KEYS`)."""
    arch = cfg["quality_arch"] or cfg["arch"] or "resnet50"
    return {**{key: cfg[key] for key in ORACLE_KEYS}, "dataset": cfg["dataset"], "data_root": cfg["data_root"],
            "seed": cfg["seed"], "device": cfg["device"], "arch": arch, "method": "erm", "variant": "oracle",
            "epochs": cfg["quality_epochs"], "train_sources": "real"}


def validate_quality_stage(config: dict[str, Any]) -> dict[str, Any]:
    """The `gemix-quality` config: shared keys, `quality_*` keys and the oracle's `ORACLE_KEYS` (checked
    by the classifier's own `validate_config`); ValueError naming the key."""
    from workloads.config import config_defaults, validate_config
    from workloads.models import ARCHS

    defaults = config_defaults()
    own = {**QUALITY_STAGE_DEFAULTS, **{key: defaults[key] for key in ORACLE_KEYS}}
    _check_keys(config, own, "gemix-quality")
    cfg = {**_shared(config, "gemix-quality"), **{key: config.get(key, default) for key, default in own.items()}}
    if cfg["quality_arch"] is not None:
        check_choice(cfg, "quality_arch", ARCHS.names())
    elif cfg["arch"] is not None:
        check_choice(cfg, "arch", ARCHS.names())  # the oracle's arch when quality_arch is null
    check_int(cfg, "quality_epochs", 1)
    check_int(cfg, "quality_samples", 1)
    check_int(cfg, "quality_tsne_samples", 2)
    check_float(cfg, "quality_perplexity", 0.0, math.inf, lo_open=True, hi_open=True)
    checked = validate_config(oracle_config(cfg))
    cfg.update({key: checked[key] for key in ORACLE_KEYS})
    return cfg
