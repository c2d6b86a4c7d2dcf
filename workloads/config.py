"""The classification trainable's config: every flat key, its default, and validation into `ClassifyConfig`.

`ClassifyConfig.from_flat(flat)` runs on the driver before Ray starts and again in the trial, so a bad
key or value fails fast with a ValueError naming the key and the valid choices or range.

`method` names a batch mixer (`workloads.mixing.MIXERS`) or a trainer-level method
(`workloads.manifold.TRAINER_METHODS`: manifold mixup, which mixes inside the model and so cannot be
an input mixer); the parameters of every method are flat keys too (`alpha`, `gamma`, ...: null means
"the method's own default"), and `mixer_params` picks the chosen method's.
`epochs_factor` multiplies `epochs` and every milestone (`epochs_total`, `milestones_total`).
`train_sources` adds offline sets from `{artifacts_dir}/sets/<name>` to the real train split.
`set_images` takes the first N images of each of those sets (GeMix Table I adds 24K or 30K).
`precision`, `channels_last`, `compile` and `cudnn_benchmark` say how the arithmetic runs
(`workloads.precision`: mixed precision, memory format, torch.compile, cuDNN autotuning).
`grey_to_rgb` feeds grey images to the model as 3 equal channels and `norm_mean` / `norm_std` replace
the train split's per-channel statistics by one number each (GeMix's authors: torchvision's
`convert("RGB")` and `Normalize([0.5] * 3, [0.5] * 3)` for their ImageNet-pretrained classifiers).
`split` and its sizes (`workloads.split_keys`) choose the data split the trial trains on.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional

from workloads.artifacts import TRAIN_SOURCES
from workloads.flat_config import json_value
from workloads.precision import check_keys as check_precision_keys
from workloads.split_keys import SplitKeys
from workloads.validate import (SEED_MAX, check_bool, check_choice, check_device, check_float, check_int,
                                check_optional_str)

OPTIMIZERS = ("sgd", "adam")
LOSSES = ("soft_ce", "bce")


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


@dataclass(frozen=True)
class ClassifyConfig(SplitKeys):
    """One classification trial. Flat keys: the fields below (but `method_params`) and every method
    parameter name (`mixer_param_defaults`)."""

    TRAINABLE = "classify"

    dataset: str = "digits"
    data_root: Optional[str] = None  # the folder holding the dataset's official layout; None for packaged data
    arch: str = "small_cnn"
    method: str = "erm"
    variant: Optional[str] = None  # a free-form label for a method variant, recorded with the trial
    epochs: int = 10
    epochs_factor: int = 1  # multiplies epochs and milestones (the zeta paper trains manifold mixup 10x longer)
    batch_size: int = 128
    eval_batch_size: int = 512
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    milestones: tuple[int, ...] = ()  # epochs (1-based) after which lr is multiplied by lr_decay
    lr_decay: float = 0.1
    optimizer: str = "sgd"
    loss: str = "soft_ce"
    pretrained: bool = False
    pretrained_path: Optional[str] = None
    flip: bool = False
    crop_padding: int = 0
    seed: int = 0
    device: str = "auto"
    subset: Optional[int] = None  # at most this many samples per split, for smoke runs
    train_subset: Optional[int] = None  # at most this many training samples (stratified); val and test stay whole
    checkpoint_every: int = 1
    num_threads: Optional[int] = None
    train_sources: str = "real"  # "+"-joined TRAIN_SOURCES, e.g. "real+mmixup+gemix" (GeMix Table I)
    artifacts_dir: Optional[str] = None  # absolute folder holding sets/<name>/ for train_sources other than real
    set_images: Optional[int] = None  # the first N images of each offline set in train_sources; null: all
    # What the model sees: grey images as 3 equal channels; one normalization mean and std for every
    # channel (null: the real train split's per-channel statistics).
    grey_to_rgb: bool = False
    norm_mean: Optional[float] = None
    norm_std: Optional[float] = None
    # How the arithmetic runs (workloads.precision): autocast dtype (auto = bf16 on CUDA with native
    # bf16, else fp32), NHWC layout (None = auto: on for conv nets on CUDA), torch.compile, cuDNN autotuning.
    precision: str = "auto"
    channels_last: Optional[bool] = None
    compile: bool = False
    cudnn_benchmark: bool = True
    # Every method parameter (flat keys `alpha`, `gamma`, ...), None where unset.
    method_params: Mapping[str, Any] = field(default_factory=dict)

    # -- the flat form ----------------------------------------------------------------------------

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        base = super().defaults()
        del base["method_params"]
        return {**base, **mixer_param_defaults()}

    @classmethod
    def from_flat(cls, flat: Mapping[str, Any], *, prefix: str = "") -> "ClassifyConfig":
        cls.check_keys(flat, prefix)
        cfg = {**cls.defaults(), **flat}
        cls.check(cfg, prefix)
        params = {key: cfg.pop(key) for key in mixer_param_defaults()}
        config = cls(**cfg, method_params=params)
        config.build_method()  # bad method parameters fail here, not in the trial
        return config

    def to_flat(self) -> dict[str, Any]:
        flat = {f.name: json_value(getattr(self, f.name)) for f in fields(self) if f.name != "method_params"}
        return {**flat, **json_value(self.method_params)}

    # -- what the training code reads ---------------------------------------------------------------

    @property
    def epochs_total(self) -> int:
        """The number of epochs trained: `epochs * epochs_factor`."""
        return self.epochs * self.epochs_factor

    @property
    def milestones_total(self) -> list[int]:
        """The lr milestones in real epochs: each milestone times `epochs_factor`."""
        return [m * self.epochs_factor for m in self.milestones]

    @property
    def train_source_names(self) -> tuple[str, ...]:
        """`train_sources` as names ("real+gemix" -> ("real", "gemix")); checked by `from_flat`."""
        return tuple(self.train_sources.split("+"))

    @property
    def mixer_params(self) -> dict[str, Any]:
        """The parameters for `method` (a mixer or a trainer-level method): its own keys that are set.

        Keys of other methods are ignored, so one flat config (e.g. a sweep's gamma) fits every method.
        """
        own = method_param_table()[self.method]
        return {key: self.method_params[key] for key in own if self.method_params.get(key) is not None}

    @property
    def is_trainer_method(self) -> bool:
        """True for a method the trainer implements itself (manifold mixup), False for a batch mixer."""
        from workloads.manifold import TRAINER_METHODS

        return self.method in TRAINER_METHODS

    def build_method(self) -> Any:
        """The batch mixer, or the trainer-level method, that `method` and its parameters name."""
        from workloads.manifold import get_trainer_method
        from workloads.mixing import get_mixer

        build = get_trainer_method if self.is_trainer_method else get_mixer
        return build(self.method, **self.mixer_params)

    # -- validation -----------------------------------------------------------------------------------

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        from workloads.data import DATASETS
        from workloads.manifold import TRAINER_METHODS
        from workloads.mixing import MIXERS
        from workloads.models import ARCHS, TIMM_ARCHS

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
        check_int(cfg, "set_images", 1, optional=True)
        check_float(cfg, "lr", 0.0, math.inf, lo_open=True, hi_open=True)
        check_float(cfg, "momentum", 0.0, 1.0, hi_open=True)
        check_float(cfg, "weight_decay", 0.0, math.inf, hi_open=True)
        check_float(cfg, "lr_decay", 0.0, 1.0, lo_open=True)
        for key in ("nesterov", "pretrained", "flip", "grey_to_rgb"):
            check_bool(cfg, key)
        _check_normalization(cfg)
        cls.check_split(cfg, prefix)
        _check_milestones(cfg)
        check_device(cfg)
        check_precision_keys(cfg, prefix)
        if cfg["compile"] and cfg["method"] in TRAINER_METHODS:
            # Its forward hook closes over a new lam and permutation every batch: a compiled model
            # would recompile (or fall back) on every step.
            raise ValueError(f"compile=true does not work with method={cfg['method']} (it hooks a new mixing "
                             f"layer into the forward pass every batch); set compile=false")
        if cfg["optimizer"] == "sgd" and cfg["nesterov"] and cfg["momentum"] == 0:
            raise ValueError("nesterov=true needs momentum in (0, 1); set momentum > 0 or nesterov=false")
        if cfg["pretrained"]:
            if cfg["arch"] not in TIMM_ARCHS:
                raise ValueError(f"arch {cfg['arch']!r} has no pretrained weights; set pretrained=false")
            _check_weights(cfg["arch"], cfg["pretrained_path"])
        _check_train_sources(cfg)


def _check_weights(arch: str, pretrained_path: Optional[str]) -> None:
    """The weights are on this machine (nothing is downloaded at run time); else one line saying how
    to put them there."""
    from workloads.models import PretrainedWeightsNotFound, find_pretrained

    try:
        find_pretrained(arch, pretrained_path)
    except PretrainedWeightsNotFound as err:
        raise PretrainedWeightsNotFound(
            f"{err} (to fetch timm's weights once where there is a network: `python -c \"import timm; "
            f"timm.create_model('{arch}', pretrained=True)\"`, then copy ~/.cache/huggingface to this machine or "
            f"point HF_HOME at it; `{{arch}}` in pretrained_path stands for each arch's name)") from None


def _check_normalization(cfg: dict[str, Any]) -> None:
    check_float(cfg, "norm_mean", 0.0, 1.0, optional=True)
    check_float(cfg, "norm_std", 0.0, math.inf, lo_open=True, hi_open=True, optional=True)
    if (cfg["norm_mean"] is None) != (cfg["norm_std"] is None):
        raise ValueError(f"norm_mean and norm_std are set together (both numbers, e.g. 0.5 and 0.5, or both null for "
                         f"the train split's statistics); got {cfg['norm_mean']!r} and {cfg['norm_std']!r}")


def _check_milestones(cfg: dict[str, Any]) -> None:
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
    cfg["milestones"] = tuple(items)


def _check_train_sources(cfg: dict[str, Any]) -> None:
    """`train_sources` names known, distinct sources; sets other than "real" need an absolute
    `artifacts_dir`. Whether the sets exist is checked when training starts: an earlier stage writes them."""
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
