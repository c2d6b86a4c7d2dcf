"""The GAN's typed config (`GanConfig`): defaults and validation.

Defaults follow NVIDIA StyleGAN2-ADA's `--cfg=auto` at the paper's 128x128 and batch 32 (GeMix trained
with mini-batches of 32, no mirroring): channel_base 16384, channel_max 512, 2 mapping layers,
lr 0.0025, betas (0, 0.99), R1 gamma = 0.0002 * 128^2 / 32 = 0.1024 evaluated lazily every 16 steps,
EMA half-life 10 kimg with ramp-up 0.05, ADA target 0.6 adjusted every 4 steps, ada_kimg 500.
`steps` (GAN iterations) is ours: the paper does not state its training length.
A tiny model for a CPU is, e.g., resolution 32, channel_base 256, channel_max 32, z_dim = w_dim = 32.

`precision`, `channels_last`, `compile` and `cudnn_benchmark` mean what they mean for the classifier
(`workloads.precision`), with two GAN-specific choices (see `workloads.gan.train`): `channels_last`
null means off (NVIDIA's StyleGAN2-ADA keeps NHWC off by default too), and `compile` compiles G and
D but D's R1 pass, whose double backward compiled graphs do not support.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from workloads.device import resolve_device
from workloads.flat_config import FlatConfig
from workloads.gan.layers import VALID_RESOLUTIONS
from workloads.precision import check_keys as check_precision_keys
from workloads.validate import SEED_MAX, check_bool, check_float, check_int

# Keys that fix the network shapes; a checkpoint resumes only under the same values.
ARCH_KEYS = ("resolution", "channel_base", "channel_max", "z_dim", "w_dim", "mapping_layers")


@dataclass(frozen=True)
class GanConfig(FlatConfig):
    TRAINABLE = "GAN"

    dataset: str = "digits"          # name in workloads.data.DATASETS, read when no `data=` is given
    data_root: Optional[str] = None  # its root directory (None: the loader's default)
    max_images: Optional[int] = None  # cap on real training images (stratified), None = all
    resolution: int = 128            # images are resized to resolution x resolution
    channel_base: int = 16384        # feature maps at resolution r: min(channel_base // r, channel_max)
    channel_max: int = 512
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 2
    batch_size: int = 32
    lr: float = 0.0025
    beta1: float = 0.0
    beta2: float = 0.99
    r1_gamma: float = 0.1024
    r1_interval: int = 16            # lazy regularization: R1 every this many steps (1 = every step)
    ema_kimg: float = 10.0           # half-life of G_ema in thousands of images
    ema_rampup: Optional[float] = 0.05  # None or 0 = no ramp-up
    ada: bool = True                 # adaptive discriminator augmentation on/off
    ada_target: float = 0.6
    ada_interval: int = 4            # steps between p adjustments
    ada_kimg: float = 500.0          # p can go 0 -> 1 in this many thousand images
    ada_p_init: float = 0.0
    steps: int = 25000
    report_every: int = 500
    grid_cols: int = 8               # samples.png: one row per class, this many columns
    seed: int = 0
    device: str = "auto"             # auto | cpu | cuda | cuda:N | mps
    precision: str = "auto"          # auto | fp32 | bf16 | fp16 (auto: bf16 on CUDA with native bf16, else fp32)
    channels_last: Optional[bool] = None  # None = auto, which for the GAN means off
    compile: bool = False            # torch.compile G and D (not D's R1 pass)
    cudnn_benchmark: bool = True     # CUDA only

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        """Checked and normalized (`workloads.validate`: 5.0 -> 5 for integers, "true" -> True); errors
        name the key with `prefix` before it."""

        def integer(key: str, lo: int, hi: float = math.inf, optional: bool = False) -> None:
            check_int(cfg, key, lo, hi, optional=optional, prefix=prefix)

        def number(key: str, lo: float, hi: float, **kw: bool) -> None:
            check_float(cfg, key, lo, hi, prefix=prefix, **kw)

        if cfg["resolution"] not in VALID_RESOLUTIONS or isinstance(cfg["resolution"], bool):
            raise ValueError(f"{prefix}resolution must be one of {VALID_RESOLUTIONS}, got {cfg['resolution']!r}")
        integer("resolution", 1)  # 128.0 -> 128
        integer("channel_base", cfg["resolution"])
        integer("channel_max", 1)
        integer("z_dim", 1)
        integer("w_dim", 1)
        integer("mapping_layers", 1, 8)
        integer("batch_size", 2)
        number("lr", 0.0, 1.0, lo_open=True)
        number("beta1", 0.0, 1.0, hi_open=True)
        number("beta2", 0.0, 1.0, hi_open=True)
        number("r1_gamma", 0.0, 1e6)
        integer("r1_interval", 1)
        number("ema_kimg", 0.0, 1e6, lo_open=True)
        number("ema_rampup", 0.0, 1.0, optional=True)
        check_bool(cfg, "ada", prefix=prefix)
        number("ada_target", 0.0, 1.0, lo_open=True, hi_open=True)
        integer("ada_interval", 1)
        number("ada_kimg", 0.0, 1e9, lo_open=True)
        number("ada_p_init", 0.0, 1.0)
        integer("steps", 1)
        integer("report_every", 1)
        integer("grid_cols", 1, 64)
        integer("seed", 0, SEED_MAX)
        integer("max_images", 1, optional=True)
        if not isinstance(cfg["dataset"], str) or not cfg["dataset"]:
            raise ValueError(f"{prefix}dataset must be a registered dataset name, got {cfg['dataset']!r}")
        resolve_device(cfg["device"])
        check_precision_keys(cfg, prefix)


Config = GanConfig
