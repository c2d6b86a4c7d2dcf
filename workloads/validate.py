"""Checks of flat config values, shared by every trainable's config (classifier, GAN, GeMix stages).

Each `check_*(cfg, key, ...)` reads `cfg[key]`, raises ValueError naming the key and the valid range
or choices, and otherwise stores the normalized value back (5.0 -> 5 for integers, 1 -> 1.0 for
floats, "true" -> True for booleans), because search algorithms and command lines hand back such
spellings. `prefix` is put before the key in messages, for configs whose users spell the key with a
prefix (the GeMix stage's `gan_steps` is the GAN's `steps`).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

# Seeds reach torch.manual_seed (and seed + small offsets), which takes at most 2**64 - 1.
SEED_MAX = 2**63 - 1
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N, mps"


def check_int(cfg: dict[str, Any], key: str, lo: int, hi: float = math.inf, *, optional: bool = False,
              prefix: str = "") -> None:
    """An integer in [lo, hi] (None too when `optional`); an integral float becomes an int."""
    value = cfg[key]
    if value is None and optional:
        return
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # search algorithms hand back 5.0 for an integer 5
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        rng = f">= {lo}" if hi == math.inf else f"in [{lo}, {hi}]"
        extra = " or null" if optional else ""
        raise ValueError(f"{prefix}{key} must be an integer {rng}{extra}, got {value!r}")
    cfg[key] = value


def check_float(cfg: dict[str, Any], key: str, lo: float, hi: float, *, lo_open: bool = False,
                hi_open: bool = False, optional: bool = False, prefix: str = "") -> None:
    """A finite number in the interval (open or closed at each end; None too when `optional`), as a float."""
    value = cfg[key]
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        extra = " or null" if optional else ""
        raise ValueError(f"{prefix}{key} must be a number in {interval}{extra}, got {value!r}")
    cfg[key] = float(value)


def check_bool(cfg: dict[str, Any], key: str, *, prefix: str = "") -> None:
    """True or False; the strings "true" and "false" (any case) are accepted and converted."""
    value = cfg[key]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError(f"{prefix}{key} must be true or false, got {value!r}")
    cfg[key] = value


def check_choice(cfg: dict[str, Any], key: str, choices: Sequence[str], *, prefix: str = "") -> None:
    """One of `choices` (a registry's names, say)."""
    if cfg[key] not in choices:
        raise ValueError(f"unknown {prefix}{key} {cfg[key]!r}; valid choices: {', '.join(choices)}")


def check_optional_str(cfg: dict[str, Any], key: str, *, prefix: str = "") -> None:
    """A string or None."""
    if cfg[key] is not None and not isinstance(cfg[key], str):
        raise ValueError(f"{prefix}{key} must be a string or null, got {cfg[key]!r}")


def check_device_name(value: Any, key: str = "device") -> None:
    """The spelling of a device: auto, cpu, cuda, cuda:N or mps (whether it exists is `workloads.device`'s
    business: the driver that validates a config may have no GPU its workers have)."""
    base = value.split(":")[0] if isinstance(value, str) else None
    index_ok = isinstance(value, str) and (":" not in value or value.split(":", 1)[1].isdigit())
    if base not in ("auto", "cpu", "cuda", "mps") or not index_ok or (base != "cuda" and ":" in value):
        raise ValueError(f"{key} must be one of {DEVICE_CHOICES}; got {value!r}")


def check_device(cfg: dict[str, Any], key: str = "device", *, prefix: str = "") -> None:
    """`cfg[key]` spells a device (`check_device_name`)."""
    check_device_name(cfg[key], f"{prefix}{key}")
