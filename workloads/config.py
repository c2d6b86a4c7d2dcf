"""The classification trainable's flat config: every key, its default, and validation at the edge.

`validate_config(config)` is called by the orchestrator before Ray starts and again by the trainable,
so a bad key or value fails fast with a ValueError naming the key and the valid choices or range.
"""
from __future__ import annotations

import math
from typing import Any

# Mixer parameters, used only if the mixing package cannot be imported (see `mixer_param_defaults`).
FALLBACK_MIXER_PARAMS: dict[str, Any] = {
    "gamma": 2.8,
    "gamma_range": None,
    "alpha": 1.0,
    "t": None,
    "a_dominant": 2.0,
    "a_other": 1.0,
    "concentration": None,
}

BASE_DEFAULTS: dict[str, Any] = {
    "dataset": "digits",
    "data_root": None,  # the folder holding the dataset's official layout; None for packaged data
    "arch": "small_cnn",
    "method": "erm",
    "variant": None,  # a free-form label for a method variant, recorded with the trial
    "epochs": 10,
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
    "checkpoint_every": 1,
    "num_threads": None,
}

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("soft_ce", "bce")


def mixer_param_defaults() -> dict[str, Any]:
    """Every mixer parameter name over all registered mixers, with its default.

    A parameter whose default differs between mixers (e.g. gamma) defaults to None here, which
    means "the method's own default": `mixer_params` passes on only the values that are set.
    """
    try:
        from workloads.mixing import MIXER_PARAMS
    except ImportError:  # the mixing package is optional for reading defaults
        return dict(FALLBACK_MIXER_PARAMS)
    merged: dict[str, Any] = {}
    for params in MIXER_PARAMS.values():
        for key, default in params.items():
            merged[key] = default if merged.get(key, default) == default else None
    return merged


def config_defaults() -> dict[str, Any]:
    """BASE_DEFAULTS plus every mixer parameter; the set of keys `validate_config` accepts."""
    return {**BASE_DEFAULTS, **mixer_param_defaults()}


CONFIG_DEFAULTS: dict[str, Any] = config_defaults()


def _int(cfg: dict, key: str, lo: int, hi: float = math.inf, optional: bool = False) -> None:
    value = cfg[key]
    if value is None and optional:
        return
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # search algorithms hand back 5.0 for an integer 5
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        rng = f">= {lo}" if hi == math.inf else f"in [{lo}, {hi}]"
        extra = " or null" if optional else ""
        raise ValueError(f"{key} must be an integer {rng}{extra}, got {value!r}")
    cfg[key] = value


def _float(cfg: dict, key: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> None:
    value = cfg[key]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        raise ValueError(f"{key} must be a number in {interval}, got {value!r}")
    cfg[key] = float(value)


def _bool(cfg: dict, key: str) -> None:
    value = cfg[key]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    cfg[key] = value


def _choice(cfg: dict, key: str, choices: list[str] | tuple[str, ...]) -> None:
    if cfg[key] not in choices:
        raise ValueError(f"unknown {key} {cfg[key]!r}; valid choices: {', '.join(choices)}")


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


def _device(cfg: dict) -> None:
    value = cfg["device"]
    base = value.split(":")[0] if isinstance(value, str) else None
    index_ok = isinstance(value, str) and (":" not in value or value.split(":", 1)[1].isdigit())
    if base not in ("auto", "cpu", "cuda", "mps") or not index_ok or (base != "cuda" and ":" in value):
        raise ValueError(f"device must be one of auto, cpu, cuda, cuda:N, mps; got {value!r}")


def _optional_str(cfg: dict, key: str) -> None:
    if cfg[key] is not None and not isinstance(cfg[key], str):
        raise ValueError(f"{key} must be a string or null, got {cfg[key]!r}")


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `config` with defaults filled in and values normalized (ints, floats, lists).

    Raises ValueError on an unknown key, a name not in its registry (dataset, arch, method), or a value
    out of range, naming the key and the valid choices or range.
    """
    from workloads.data import DATASETS
    from workloads.mixing import MIXERS
    from workloads.models import ARCHS, TIMM_ARCHS, find_pretrained

    defaults = config_defaults()
    unknown = sorted(set(config) - set(defaults))
    if unknown:
        raise ValueError(f"unknown config key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(defaults))}")
    cfg = {**defaults, **config}

    _choice(cfg, "dataset", DATASETS.names())
    _choice(cfg, "arch", ARCHS.names())
    _choice(cfg, "method", MIXERS.names())
    _choice(cfg, "optimizer", OPTIMIZERS)
    _choice(cfg, "loss", LOSSES)
    for key in ("data_root", "variant", "pretrained_path"):
        _optional_str(cfg, key)
    _int(cfg, "epochs", 1)
    _int(cfg, "batch_size", 2)  # batch norm and mixing need at least two samples per batch
    _int(cfg, "eval_batch_size", 1)
    _int(cfg, "seed", 0, 2**63 - 1)
    _int(cfg, "subset", 1, optional=True)
    _int(cfg, "checkpoint_every", 1)
    _int(cfg, "num_threads", 1, optional=True)
    _int(cfg, "crop_padding", 0)
    _float(cfg, "lr", 0.0, math.inf, lo_open=True, hi_open=True)
    _float(cfg, "momentum", 0.0, 1.0, hi_open=True)
    _float(cfg, "weight_decay", 0.0, math.inf, hi_open=True)
    _float(cfg, "lr_decay", 0.0, 1.0, lo_open=True)
    for key in ("nesterov", "pretrained", "flip"):
        _bool(cfg, key)
    _milestones(cfg)
    _device(cfg)
    if cfg["optimizer"] == "sgd" and cfg["nesterov"] and cfg["momentum"] == 0:
        raise ValueError("nesterov=true needs momentum in (0, 1); set momentum > 0 or nesterov=false")
    if cfg["pretrained"]:
        if cfg["arch"] not in TIMM_ARCHS:
            raise ValueError(f"arch {cfg['arch']!r} has no pretrained weights; set pretrained=false")
        find_pretrained(cfg["arch"], cfg["pretrained_path"])  # raises a ValueError naming where it looked
    _validate_mixer(cfg)
    return cfg


def _validate_mixer(cfg: dict[str, Any]) -> None:
    """Let the mixing package reject bad mixer parameters by building the mixer once."""
    from workloads.mixing import get_mixer

    get_mixer(cfg["method"], **mixer_params(cfg))


def mixer_params(cfg: dict[str, Any]) -> dict[str, Any]:
    """The parameters for `cfg["method"]`'s mixer: its own keys that are set (not None) in `cfg`.

    Keys of other mixers are ignored, so one flat config (e.g. a sweep's gamma) fits every method.
    """
    from workloads.mixing import MIXER_PARAMS

    return {key: cfg[key] for key in MIXER_PARAMS[cfg["method"]] if cfg.get(key) is not None}
