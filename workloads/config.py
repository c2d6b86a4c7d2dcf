"""The classification trainable's flat config: every key, its default, and validation at the edge.

`validate_config(config)` is called by the orchestrator before Ray starts and again by the trainable,
so a bad key or value fails fast with a ValueError naming the key and the valid choices or range.

`method` names a batch mixer (`workloads.mixing.MIXERS`) or a trainer-level method
(`workloads.manifold.TRAINER_METHODS`: manifold mixup, which mixes inside the model and so cannot be
an input mixer); the parameters of both come from the same flat keys (`alpha`, `gamma`, ...).
`epochs_factor` multiplies `epochs` and every milestone (`effective_epochs`, `effective_milestones`).
`train_sources` adds offline sets from `{artifacts_dir}/sets/<name>` to the real train split.
The keys of the GeMix stages that share the classifier's experiment (`gan_*`, `sets_*`, `quality_*`:
`workloads.gemix.config`) are accepted and dropped, as those stages drop the classifier's keys.
"""
from __future__ import annotations

import math
import os
from typing import Any

from workloads.validate import SEED_MAX, check_bool, check_choice, check_device, check_float, check_int, check_optional_str

BASE_DEFAULTS: dict[str, Any] = {
    "dataset": "digits",
    "data_root": None,  # the folder holding the dataset's official layout; None for packaged data
    "arch": "small_cnn",
    "method": "erm",
    "variant": None,  # a free-form label for a method variant, recorded with the trial
    "epochs": 10,
    "epochs_factor": 1,  # multiplies epochs and milestones (the zeta paper trains manifold mixup 10x longer)
    "batch_size": 128,
    "eval_batch_size": 512,
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 5e-4,
    "milestones": [],  # epochs (1-based) after which lr is multiplied by lr_decay
    "lr_decay": 0.1,
    "optimizer": "sgd",
    "loss": "soft_ce",
    "pretrained": False,
    "pretrained_path": None,
    "flip": False,
    "crop_padding": 0,
    "seed": 0,
    "device": "auto",
    "subset": None,  # at most this many samples per split, for smoke runs
    "train_subset": None,  # at most this many training samples (stratified); val and test stay whole
    "checkpoint_every": 1,
    "num_threads": None,
    "train_sources": "real",  # "+"-joined TRAIN_SOURCES, e.g. "real+mmixup+gemix" (GeMix Table I)
    "artifacts_dir": None,  # absolute folder holding sets/<name>/ for train_sources other than real
}

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("soft_ce", "bce")
# Offline training sets beside the real train split; all but "real" are read from {artifacts_dir}/sets/<name>.
TRAIN_SOURCES = ("real", "mixup", "mmixup", "gemix")


def method_param_table() -> dict[str, dict[str, Any]]:
    """`{method: {parameter: default}}` over every mixer and trainer-level method."""
    from workloads.manifold import TRAINER_METHODS
    from workloads.mixing import MIXER_PARAMS

    return {**MIXER_PARAMS, **{name: cls.param_defaults() for name, cls in TRAINER_METHODS.items()}}


def mixer_param_defaults() -> dict[str, Any]:
    """Every method parameter name over all mixers and trainer-level methods, with its default.

    A parameter whose default differs between methods (e.g. gamma, or alpha: 1.0 for mixup, 2.0 for
    manifold mixup) defaults to None here, which means "the method's own default": `mixer_params`
    passes on only the values that are set.
    """
    merged: dict[str, Any] = {}
    for params in method_param_table().values():
        for key, default in params.items():
            merged[key] = default if merged.get(key, default) == default else None
    return merged


def config_defaults() -> dict[str, Any]:
    """BASE_DEFAULTS plus every mixer parameter; the set of keys `validate_config` accepts."""
    return {**BASE_DEFAULTS, **mixer_param_defaults()}


CONFIG_DEFAULTS: dict[str, Any] = config_defaults()


def _milestones(cfg: dict) -> None:
    value = cfg["milestones"]
    if value is None:
        value = []
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    try:
        items = [int(v) for v in value]
        valid = all(float(v) == int(v) for v in value)
    except (TypeError, ValueError):
        valid = False
    if not valid or any(m < 1 for m in items) or items != sorted(set(items)):
        raise ValueError(f"milestones must be increasing positive epoch numbers (e.g. [80, 120]), got {value!r}")
    cfg["milestones"] = items


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `config` with defaults filled in and values normalized (ints, floats, lists), and
    without the keys of the GeMix stages (`other_stage_keys`).

    Raises ValueError on an unknown key, a name not in its registry (dataset, arch, method), or a value
    out of range, naming the key and the valid choices or range.
    """
    from workloads.data import DATASETS
    from workloads.manifold import TRAINER_METHODS
    from workloads.mixing import MIXERS
    from workloads.models import ARCHS, TIMM_ARCHS, find_pretrained

    defaults = config_defaults()
    config = {k: v for k, v in config.items() if k in defaults or k not in other_stage_keys()}
    unknown = sorted(set(config) - set(defaults))
    if unknown:
        raise ValueError(f"unknown config key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(defaults))}")
    cfg = {**defaults, **config}

    check_choice(cfg, "dataset", DATASETS.names())
    check_choice(cfg, "arch", ARCHS.names())
    check_choice(cfg, "method", MIXERS.names() + TRAINER_METHODS.names())
    check_choice(cfg, "optimizer", OPTIMIZERS)
    check_choice(cfg, "loss", LOSSES)
    for key in ("data_root", "variant", "pretrained_path", "artifacts_dir"):
        check_optional_str(cfg, key)
    check_int(cfg, "epochs", 1)
    check_int(cfg, "epochs_factor", 1)
    check_int(cfg, "batch_size", 2)  # batch norm and mixing need at least two samples per batch
    check_int(cfg, "eval_batch_size", 1)
    check_int(cfg, "seed", 0, SEED_MAX)
    check_int(cfg, "subset", 1, optional=True)
    check_int(cfg, "train_subset", 1, optional=True)
    check_int(cfg, "checkpoint_every", 1)
    check_int(cfg, "num_threads", 1, optional=True)
    check_int(cfg, "crop_padding", 0)
    check_float(cfg, "lr", 0.0, math.inf, lo_open=True, hi_open=True)
    check_float(cfg, "momentum", 0.0, 1.0, hi_open=True)
    check_float(cfg, "weight_decay", 0.0, math.inf, hi_open=True)
    check_float(cfg, "lr_decay", 0.0, 1.0, lo_open=True)
    for key in ("nesterov", "pretrained", "flip"):
        check_bool(cfg, key)
    _milestones(cfg)
    check_device(cfg)
    if cfg["optimizer"] == "sgd" and cfg["nesterov"] and cfg["momentum"] == 0:
        raise ValueError("nesterov=true needs momentum in (0, 1); set momentum > 0 or nesterov=false")
    if cfg["pretrained"]:
        if cfg["arch"] not in TIMM_ARCHS:
            raise ValueError(f"arch {cfg['arch']!r} has no pretrained weights; set pretrained=false")
        find_pretrained(cfg["arch"], cfg["pretrained_path"])  # raises a ValueError naming where it looked
    train_source_names(cfg)
    _validate_mixer(cfg)
    return cfg


def other_stage_keys() -> set[str]:
    """Config keys of the trainables that share one flat config with the classifier (GeMix's GAN and
    sets and quality stages); `validate_config` ignores them."""
    from workloads.gemix.config import GAN_STAGE_DEFAULTS, QUALITY_STAGE_DEFAULTS, SETS_STAGE_DEFAULTS

    return set(GAN_STAGE_DEFAULTS) | set(SETS_STAGE_DEFAULTS) | set(QUALITY_STAGE_DEFAULTS)


def train_source_names(cfg: dict[str, Any]) -> list[str]:
    """The names in `cfg["train_sources"]` ("real+gemix" -> ["real", "gemix"]), checked.

    Raises ValueError for a non-string, an empty or unknown or repeated name (naming TRAIN_SOURCES), a
    set other than "real" without `artifacts_dir`, or a relative `artifacts_dir`. Whether the sets
    exist is checked when training starts: an experiment's earlier stage writes them.
    """
    value = cfg["train_sources"]
    valid = ", ".join(TRAIN_SOURCES)
    if not isinstance(value, str):
        raise ValueError(f"train_sources must be a string of '+'-joined names among {valid}, got {value!r}")
    names = value.split("+")
    bad = [n for n in names if n not in TRAIN_SOURCES]
    if bad:
        raise ValueError(f"train_sources {value!r}: unknown source(s) {', '.join(map(repr, bad))}; "
                         f"valid choices: {valid}, joined by '+' (e.g. real+mmixup+gemix)")
    if len(set(names)) != len(names):
        raise ValueError(f"train_sources {value!r} names a source twice; valid choices: {valid}, each at most once")
    directory = cfg["artifacts_dir"]
    if directory is not None and not os.path.isabs(directory):
        raise ValueError(f"artifacts_dir must be an absolute folder path or null, got {directory!r}")
    if directory is None and names != ["real"]:
        raise ValueError(f"train_sources {value!r} needs artifacts_dir (the folder holding sets/<name>/); "
                         f"it is null")
    return names


def effective_epochs(cfg: dict[str, Any]) -> int:
    """The number of epochs a validated config trains: `epochs * epochs_factor`."""
    return int(cfg["epochs"]) * int(cfg.get("epochs_factor", 1))


def effective_milestones(cfg: dict[str, Any]) -> list[int]:
    """The lr milestones of a validated config in real epochs: each milestone times `epochs_factor`."""
    return [int(m) * int(cfg.get("epochs_factor", 1)) for m in cfg["milestones"]]


def _validate_mixer(cfg: dict[str, Any]) -> None:
    """Reject bad method parameters by building the mixer (or trainer-level method) once."""
    from workloads.manifold import TRAINER_METHODS, get_trainer_method
    from workloads.mixing import get_mixer

    build = get_trainer_method if cfg["method"] in TRAINER_METHODS else get_mixer
    build(cfg["method"], **mixer_params(cfg))


def mixer_params(cfg: dict[str, Any]) -> dict[str, Any]:
    """The parameters for `cfg["method"]` (a mixer or a trainer-level method): its own keys that
    are set (not None) in `cfg`.

    Keys of other methods are ignored, so one flat config (e.g. a sweep's gamma) fits every method.
    """
    return {key: cfg[key] for key in method_param_table()[cfg["method"]] if cfg.get(key) is not None}
