"""Building blocks shared by the generator and the discriminator (StyleGAN2 conventions).

Weights use the equalized learning rate of StyleGAN: parameters are stored as N(0, 1) / lr_multiplier
and scaled at run time by `lr_multiplier / sqrt(fan_in)`, so Adam's step size is the same for every
layer whatever its fan-in.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """`x` scaled so that mean(x**2) over `dim` is 1 (StyleGAN's pixel norm for z and the label embedding)."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class FullyConnected(nn.Module):
    """Equalized-lr linear layer: `(N, in_features) -> (N, out_features)`, optional lrelu * sqrt(2)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        activation: bool = False,
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.activation = activation
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        if self.activation:
            x = F.leaky_relu(x, 0.2) * LRELU_GAIN
        return x


class Conv2d(nn.Module):
    """Equalized-lr convolution, `same` padding, optional 2x average-pool downsampling after it.

    StyleGAN2 low-pass filters with a [1, 3, 3, 1] FIR kernel before resampling; a 2x2 average pool is
    the cheaper box-filter stand-in used here.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        bias: bool = True,
        activation: bool = False,
        down: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2
        self.activation = activation
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)
        if self.down:
            x = F.avg_pool2d(x, 2)
        if self.activation:
            x = F.leaky_relu(x, 0.2) * LRELU_GAIN
        return x


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """`(N, C, H, W) -> (N, C, 2H, 2W)`, bilinear (StyleGAN2 uses an FIR filter; bilinear is close)."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    """Feature maps at `resolution`, StyleGAN2's rule `min(channel_base // resolution, channel_max)`."""
    return max(1, min(channel_base // resolution, channel_max))


def check_architecture(resolution: int, channels: int, channel_base: int, channel_max: int) -> None:
    """Raise ValueError for an architecture the networks cannot build."""
    if resolution not in VALID_RESOLUTIONS:
        raise ValueError(f"resolution must be one of {VALID_RESOLUTIONS}, got {resolution!r}")
    if channels not in (1, 3):
        raise ValueError(f"channels (image channels) must be 1 or 3, got {channels!r}")
    if channel_max < 1 or channel_base < resolution:
        raise ValueError(
            f"channel_base must be >= resolution ({resolution}) and channel_max >= 1, "
            f"got channel_base={channel_base!r}, channel_max={channel_max!r}"
        )


VALID_RESOLUTIONS = (16, 32, 64, 128, 256)


def block_resolutions(resolution: int) -> list[int]:
    """[4, 8, ..., resolution]: the resolutions of the synthesis (or, reversed, discriminator) blocks."""
    return [2**i for i in range(2, int(math.log2(resolution)) + 1)]
