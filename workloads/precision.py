"""How a trainable runs its arithmetic: mixed precision, memory format, compilation, cuDNN autotuning.

Four flat config keys, the same in every trainable that trains (the classifier and thereby GeMix's
quality oracle; the GAN, whose keys GeMix's gan-train stage spells `gan_precision`, ...):

- `precision`: "auto" | "fp32" | "bf16" | "fp16". bf16 and fp16 run the forward pass (and the
  evaluation) under `torch.autocast` with that dtype; parameters, optimizer state and losses stay
  float32. fp16 adds a `GradScaler` (dynamic loss scaling, its state saved in checkpoints) because
  fp16 gradients underflow; bf16 has float32's exponent range and needs none. "auto" is bf16 on a CUDA
  device that supports it natively (Ampere and later), fp32 everywhere else, so CPU results do not
  change unless asked to.
- `channels_last`: null (spelled `auto` on the command line too) | true | false. Convolutions on
  tensor cores run fastest on NHWC tensors; null means on for a model with a 2-D convolution on a
  CUDA device, off otherwise (the CPU keeps the layout it was measured with). The model's weights and
  each input batch are converted; results agree with NCHW to rounding.
- `compile`: false | true. `torch.compile` (inductor) of the model's forward pass. Off by default:
  the first steps pay minutes of compilation, which a short trial never earns back; checkpoints
  keep the uncompiled module's parameter names either way.
- `cudnn_benchmark`: true | false. On CUDA, cuDNN times its convolution algorithms for each new input
  shape and keeps the fastest (`torch.backends.cudnn.benchmark`). On by default: a trial's shapes
  are fixed, so the autotuning is paid once; false gives run-to-run repeatable algorithm choices.
  Ignored off CUDA.

`check_keys` validates the four (ValueError naming the key and its choices); `Runtime.resolve` turns
them into what the training code uses on its device.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ContextManager, Optional

import torch
from torch import nn

from workloads.validate import check_bool, check_choice

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
CHANNELS_LAST_CHOICES = "auto (or null), true, false"

# The keys and their defaults, for every config that trains (each declares them as dataclass fields).
DEFAULTS: dict[str, Any] = {"precision": "auto", "channels_last": None, "compile": False, "cudnn_benchmark": True}


def check_keys(cfg: dict[str, Any], prefix: str = "") -> None:
    """Validate and normalize the four keys of `cfg` in place (`channels_last`: "auto" -> None,
    "true" -> True); errors name the key with `prefix` and the valid choices."""
    check_choice(cfg, "precision", PRECISIONS, prefix=prefix)
    value = cfg["channels_last"]
    if value is None or (isinstance(value, str) and value.lower() in ("auto", "null", "none")):
        cfg["channels_last"] = None
    else:
        try:
            check_bool(cfg, "channels_last", prefix=prefix)
        except ValueError:
            raise ValueError(f"{prefix}channels_last must be one of {CHANNELS_LAST_CHOICES}, got {value!r}") from None
    check_bool(cfg, "compile", prefix=prefix)
    check_bool(cfg, "cudnn_benchmark", prefix=prefix)


def resolve_precision(name: str, device: torch.device) -> str:
    """"fp32", "bf16" or "fp16" for `precision` `name` on `device`.

    "auto" is bf16 only on CUDA devices with native bf16 (compute capability >= 8.0); elsewhere fp32.
    An explicit bf16/fp16 on a device type without autocast raises ValueError.
    """
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; valid choices: {', '.join(PRECISIONS)}")
    if name == "auto":
        native_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False)
        return "bf16" if native_bf16 else "fp32"
    if name != "fp32" and not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"precision {name} needs autocast, which torch has not for device {device}; use precision=fp32")
    return name


def is_conv_net(model: nn.Module) -> bool:
    """True when `model` has a 4-D (2-D convolution) weight: nn.Conv2d, or a layer calling F.conv2d on
    its own parameter (the GAN's equalized-lr layers)."""
    return any(p.ndim == 4 for p in model.parameters())


def resolve_channels_last(setting: Optional[bool], device: torch.device, conv_net: bool) -> bool:
    """`channels_last` as used: the setting when given, else on for a conv net on CUDA."""
    if setting is not None:
        return setting
    return device.type == "cuda" and conv_net


@dataclass(frozen=True)
class Runtime:
    """The resolved keys for one device: `precision` in (fp32, bf16, fp16), `channels_last`, `compile`."""

    device: torch.device
    precision: str
    channels_last: bool
    compile: bool

    @classmethod
    def resolve(cls, cfg: Any, device: torch.device, *, channels_last_auto: bool) -> "Runtime":
        """From a typed config with the four keys; `channels_last_auto` is what a null `channels_last`
        means on CUDA (the classifier: `is_conv_net(model)`). Sets `torch.backends.cudnn.benchmark` on
        CUDA (a process-wide switch: every trial sets it when it starts, so a reused worker follows the
        current trial's config)."""
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = bool(cfg.cudnn_benchmark)
        return cls(device, resolve_precision(cfg.precision, device),
                   resolve_channels_last(cfg.channels_last, device, channels_last_auto), bool(cfg.compile))

    @property
    def amp_dtype(self) -> Optional[torch.dtype]:
        """The autocast dtype, None for fp32."""
        return AMP_DTYPES.get(self.precision)

    def autocast(self) -> ContextManager[Any]:
        """The forward pass's context: `torch.autocast` for bf16/fp16, nothing at all for fp32 (so fp32
        runs the very same kernels as code that never heard of autocast)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A GradScaler, enabled for fp16 only. A disabled one passes the loss through (`scale` returns
        it, `step` calls `optimizer.step()`, `update` does nothing), so one training step serves all
        precisions and fp32/bf16 stay bit-identical to a plain step."""
        return torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")

    def prepare_model(self, model: nn.Module) -> nn.Module:
        """`model` converted in place to channels_last when on (returned for chaining)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def compiled(self, model: nn.Module) -> nn.Module:
        """What the training code calls for the forward pass: `torch.compile(model)` when on, else
        `model` itself. The caller keeps `model` for state dicts (a compiled wrapper prefixes every
        parameter name with `_orig_mod.`)."""
        return torch.compile(model) if self.compile else model

    def batch(self, x: torch.Tensor) -> torch.Tensor:
        """An input batch in the model's memory format (a 4-D float batch; others pass through)."""
        if self.channels_last and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x


def load_scaler_state(scaler: torch.amp.GradScaler, state: Optional[dict[str, Any]]) -> None:
    """Restore a GradScaler saved in a checkpoint. A disabled scaler saves `{}`; loading that into an
    enabled one (a run switched to fp16 on resume) keeps the fresh scale instead of failing."""
    if state and scaler.is_enabled():
        scaler.load_state_dict(state)

