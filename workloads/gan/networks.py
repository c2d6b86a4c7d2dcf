"""The conditional generator `G(z, c)`: StyleGAN2-ADA's design at a configurable size.

c is a continuous label vector `(N, K)` (one-hot in training, Dirichlet soft labels at GeMix sampling
time). As in NVIDIA's StyleGAN2-ADA: c is embedded by a linear layer and second-moment normalized,
concatenated with the normalized z, and mapped to w by an MLP with lr multiplier 0.01; w modulates
every convolution of the synthesis network (weight demodulation), each convolution adds per-pixel
noise, and RGB (or grey) outputs of every resolution are summed ("skip" architecture).

Simplifications (documented, not hidden): bilinear resampling instead of FIR filters, one w for all
layers (no style mixing regularization), no path-length regularization.
"""
from __future__ import annotations

import torch
from torch import nn

from workloads.gan.layers import (
    FullyConnected,
    block_resolutions,
    channels_at,
    check_architecture,
    normalize_2nd_moment,
    upsample2x,
)


class MappingNetwork(nn.Module):
    """`(z (N, z_dim), c (N, c_dim)) -> w (N, w_dim)`; tracks the mean w for the truncation trick."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_layers: int = 2, w_avg_beta: float = 0.995):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.embed = FullyConnected(c_dim, w_dim) if c_dim > 0 else None
        in_features = (z_dim if z_dim > 0 else 0) + (w_dim if c_dim > 0 else 0)
        layers = []
        for i in range(num_layers):
            layers.append(FullyConnected(in_features if i == 0 else w_dim, w_dim, activation=True, lr_multiplier=0.01))
        self.layers = nn.Sequential(*layers)
        self.w_avg_beta = w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        parts = []
        if self.z_dim > 0:
            parts.append(normalize_2nd_moment(z.to(torch.float32)))
        if self.c_dim > 0:
            parts.append(normalize_2nd_moment(self.embed(c.to(torch.float32))))
        w = self.layers(torch.cat(parts, dim=1))
        # Under autocast w is bf16/fp16; the running mean stays a float32 buffer.
        if self.training and self.w_avg_beta is not None:
            self.w_avg.copy_(w.detach().to(self.w_avg.dtype).mean(0).lerp(self.w_avg, self.w_avg_beta))
        if truncation_psi != 1:
            w = self.w_avg.lerp(w.to(self.w_avg.dtype), truncation_psi)
        return w


def modulate_weights(weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True, eps: float = 1e-8) -> torch.Tensor:
    """Per-sample convolution weights `(N, O, I, k, k)` from `weight (O, I, k, k)` and `styles (N, I)`.

    Modulation scales input channel i by styles[:, i]; demodulation rescales each output channel so
    that its weights have unit L2 norm, which keeps activations at unit variance for unit-variance
    inputs (StyleGAN2 eq. 3) without instance normalization's droplet artefacts.
    """
    w = weight.unsqueeze(0) * styles[:, None, :, None, None]
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4], keepdim=True) + eps).rsqrt()
    return w


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     fused: bool = True) -> torch.Tensor:
    """`x (N, I, H, W)` convolved with each sample's own modulated weights -> `(N, O, H, W)`.

    fused: one grouped convolution (groups = N) runs all the per-sample kernels at once. Otherwise
    the modulation scales the activations instead of the weights, one shared-weight convolution runs,
    and the demodulation scales the output channels; the same result (linearity of convolution),
    cheaper to differentiate, which is why NVIDIA uses it for training.
    """
    n, in_ch, h, w_ = x.shape
    out_ch, k = weight.shape[0], weight.shape[-1]
    if not fused:
        out = nn.functional.conv2d(x * styles[:, :, None, None], weight, padding=k // 2)
        if demodulate:
            # sum over (i, kernel) of (weight[o, i] * s[n, i])^2 = (sum_kernel weight^2) @ s^2
            dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).T + 1e-8).rsqrt()
            out = out * dcoefs[:, :, None, None]
        return out
    weights = modulate_weights(weight, styles, demodulate)
    out = nn.functional.conv2d(
        x.reshape(1, n * in_ch, h, w_), weights.reshape(n * out_ch, in_ch, k, k), padding=k // 2, groups=n
    )
    return out.reshape(n, out_ch, h, w_)


def _fused(x: torch.Tensor, training: bool) -> bool:
    """Grouped (fused) modulated convs for GPU inference, as NVIDIA; on CPUs the unfused form measured
    ~25% faster at inference too (benchmarks/gan.py's machine), and it is cheaper to differentiate."""
    return x.is_cuda and not training


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (+ optional 2x upsampling before it), noise input, bias, lrelu."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, up: bool = False):
        super().__init__()
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        # Fixed noise for noise_mode="const" (reproducible grids without touching the global RNG).
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.up = up
        self.resolution = resolution

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        if self.up:
            x = upsample2x(x)
        styles = self.affine(w)
        x = modulated_conv2d(x, self.weight, styles, demodulate=True, fused=_fused(x, self.training))
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device, dtype=x.dtype)
            x = x + noise * self.noise_strength
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        x = x + self.bias[None, :, None, None]
        return nn.functional.leaky_relu(x, 0.2) * (2**0.5)


class ToImage(nn.Module):
    """Modulated 1x1 conv to the image channels, not demodulated (as StyleGAN2's ToRGB)."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int):
        super().__init__()
        self.affine = FullyConnected(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(img_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(img_channels))
        self.weight_gain = 1.0 / in_channels**0.5

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        return modulated_conv2d(x, self.weight, styles, demodulate=False, fused=_fused(x, self.training)) + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (learned 4x4 constant | upsampled features) -> conv0 -> conv1 -> + image skip."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int):
        super().__init__()
        self.resolution = resolution
        if resolution == 4:
            self.const = nn.Parameter(torch.randn(out_channels, 4, 4))
            self.conv0 = None
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=True)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution)
        self.to_image = ToImage(out_channels, img_channels, w_dim)

    def forward(self, x, img, w, noise_mode):
        if self.conv0 is None:
            x = self.const.unsqueeze(0).expand(w.shape[0], -1, -1, -1)
        else:
            x = self.conv0(x, w, noise_mode)
        x = self.conv1(x, w, noise_mode)
        y = self.to_image(x, w)
        img = y if img is None else upsample2x(img) + y
        return x, img


class Generator(nn.Module):
    """Conditional StyleGAN2-style generator.

    Attributes `z_dim`, `c_dim`, `w_dim`, `img_resolution`, `img_channels` follow NVIDIA's naming, so
    code written for their networks (and `workloads.gan.sample`) reads them the same way.

    forward(z (N, z_dim), c (N, c_dim) probabilities) -> images float32 (N, img_channels, R, R), about
    in [-1, 1] (not clamped, as NVIDIA's).
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        *,
        channel_base: int = 16384,
        channel_max: int = 512,
        mapping_layers: int = 2,
    ) -> None:
        super().__init__()
        check_architecture(img_resolution, img_channels, channel_base, channel_max)
        if z_dim < 1 or w_dim < 1 or c_dim < 0 or mapping_layers < 1:
            raise ValueError(
                f"z_dim, w_dim and mapping_layers must be >= 1 and c_dim >= 0, "
                f"got z_dim={z_dim}, w_dim={w_dim}, mapping_layers={mapping_layers}, c_dim={c_dim}"
            )
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, mapping_layers)
        blocks = []
        prev = 0
        for res in block_resolutions(img_resolution):
            ch = channels_at(res, channel_base, channel_max)
            blocks.append(SynthesisBlock(prev, ch, w_dim, res, img_channels))
            prev = ch
        self.blocks = nn.ModuleList(blocks)

    def forward(
        self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1.0, noise_mode: str = "random"
    ) -> torch.Tensor:
        if noise_mode not in ("random", "const", "none"):
            raise ValueError(f"noise_mode must be one of random, const, none; got {noise_mode!r}")
        if c.shape[-1] != self.c_dim or z.shape[-1] != self.z_dim or len(c) != len(z):
            raise ValueError(
                f"G expects z (N, {self.z_dim}) and c (N, {self.c_dim}); got z {tuple(z.shape)}, c {tuple(c.shape)}"
            )
        w = self.mapping(z, c, truncation_psi)
        x = img = None
        for block in self.blocks:
            x, img = block(x, img, w, noise_mode)
        return img
