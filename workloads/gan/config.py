"""The GAN trainable's flat config: defaults and validation.

Defaults follow NVIDIA StyleGAN2-ADA's `--cfg=auto` at the paper's 128x128 and batch 32 (GeMix trained
with mini-batches of 32, no mirroring): channel_base 16384, channel_max 512, 2 mapping layers,
lr 0.0025, betas (0, 0.99), R1 gamma = 0.0002 * 128^2 / 32 = 0.1024 evaluated lazily every 16 steps,
EMA half-life 10 kimg with ramp-up 0.05, ADA target 0.6 adjusted every 4 steps, ada_kimg 500.
`steps` (GAN iterations) is ours: the paper does not state its training length.
A tiny model for a CPU is, e.g., resolution 32, channel_base 256, channel_max 32, z_dim = w_dim = 32.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from workloads.gan.layers import VALID_RESOLUTIONS

GAN_CONFIG_DEFAULTS: dict[str, Any] = {
    "dataset": "digits",       # name in workloads.data.DATASETS, read when no `data=` is given
    "data_root": None,         # its root directory (None: the loader's default)
    "max_images": None,        # cap on real training images (stratified), None = all
    "resolution": 128,         # images are resized to resolution x resolution
    "channel_base": 16384,     # feature maps at resolution r: min(channel_base // r, channel_max)
    "channel_max": 512,
    "z_dim": 512,
    "w_dim": 512,
    "mapping_layers": 2,
    "batch_size": 32,
    "lr": 0.0025,
    "beta1": 0.0,
    "beta2": 0.99,
    "r1_gamma": 0.1024,
    "r1_interval": 16,         # lazy regularization: R1 every this many steps (1 = every step)
    "ema_kimg": 10.0,          # half-life of G_ema in thousands of images
    "ema_rampup": 0.05,        # None or 0 = no ramp-up
    "ada": True,               # adaptive discriminator augmentation on/off
    "ada_target": 0.6,
    "ada_interval": 4,         # steps between p adjustments
    "ada_kimg": 500.0,         # p can go 0 -> 1 in this many thousand images
    "ada_p_init": 0.0,
    "steps": 25000,
    "report_every": 500,
    "grid_cols": 8,            # samples.png: one row per class, this many columns
    "seed": 0,
    "device": "auto",          # auto | cpu | cuda | cuda:N
}

# Keys that fix the network shapes; a checkpoint resumes only under the same values.
ARCH_KEYS = ("resolution", "channel_base", "channel_max", "z_dim", "w_dim", "mapping_layers")


def _int(cfg: dict, key: str, lo: int, hi: int | None = None) -> None:
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{key} must be an integer in {rng}, got {v!r}")


def _float(cfg: dict, key: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> None:
    v = cfg[key]
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if ok:
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        rng = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        raise ValueError(f"{key} must be a number in {rng}, got {v!r}")


def validate_gan_config(config: dict[str, Any]) -> dict[str, Any]:
    """The defaults overlaid with `config`, checked. Raises ValueError naming the key and valid range."""
    unknown = sorted(set(config) - set(GAN_CONFIG_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown GAN config key(s) {unknown}; valid keys: {', '.join(GAN_CONFIG_DEFAULTS)}")
    cfg = {**GAN_CONFIG_DEFAULTS, **config}
    if cfg["resolution"] not in VALID_RESOLUTIONS or isinstance(cfg["resolution"], bool):
        raise ValueError(f"resolution must be one of {VALID_RESOLUTIONS}, got {cfg['resolution']!r}")
    _int(cfg, "channel_base", cfg["resolution"])
    _int(cfg, "channel_max", 1)
    _int(cfg, "z_dim", 1)
    _int(cfg, "w_dim", 1)
    _int(cfg, "mapping_layers", 1, 8)
    _int(cfg, "batch_size", 2)
    _float(cfg, "lr", 0.0, 1.0, lo_open=True)
    _float(cfg, "beta1", 0.0, 1.0, hi_open=True)
    _float(cfg, "beta2", 0.0, 1.0, hi_open=True)
    _float(cfg, "r1_gamma", 0.0, 1e6)
    _int(cfg, "r1_interval", 1)
    _float(cfg, "ema_kimg", 0.0, 1e6, lo_open=True)
    if cfg["ema_rampup"] is not None:
        _float(cfg, "ema_rampup", 0.0, 1.0)
    if not isinstance(cfg["ada"], bool):
        raise ValueError(f"ada must be true or false, got {cfg['ada']!r}")
    _float(cfg, "ada_target", 0.0, 1.0, lo_open=True, hi_open=True)
    _int(cfg, "ada_interval", 1)
    _float(cfg, "ada_kimg", 0.0, 1e9, lo_open=True)
    _float(cfg, "ada_p_init", 0.0, 1.0)
    _int(cfg, "steps", 1)
    _int(cfg, "report_every", 1)
    _int(cfg, "grid_cols", 1, 64)
    _int(cfg, "seed", 0)
    if cfg["max_images"] is not None:
        _int(cfg, "max_images", 1)
    if not isinstance(cfg["dataset"], str) or not cfg["dataset"]:
        raise ValueError(f"dataset must be a registered dataset name, got {cfg['dataset']!r}")
    resolve_device(cfg["device"])
    return cfg


def resolve_device(device: str) -> torch.device:
    """'auto' -> cuda when available else cpu; 'cpu', 'cuda', 'cuda:N' as given (must exist)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str) or not (device == "cpu" or device == "cuda" or device.startswith("cuda:")):
        raise ValueError(f"device must be one of auto, cpu, cuda, cuda:N; got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but no CUDA device is available; valid here: auto, cpu")
    return torch.device(device)
