"""The projection-conditioned discriminator `D(x, c)`: StyleGAN2's residual design at a configurable size.

Conditioning follows NVIDIA's StyleGAN2-ADA: the label vector c is mapped to an embedding `cmap`
(linear embed, second-moment normalization, an MLP), the image trunk ends in a feature vector of the
same size, and the score is their inner product scaled by 1/sqrt(cmap_dim) (Miyato & Koyama's
projection discriminator). c may be one-hot or soft.
"""
from __future__ import annotations

import torch
from torch import nn

from workloads.gan.layers import (
    Conv2d,
    FullyConnected,
    block_resolutions,
    channels_at,
    check_architecture,
    normalize_2nd_moment,
)


class DiscriminatorBlock(nn.Module):
    """Residual block at one resolution: two 3x3 convs (second one halves H, W) + 1x1 skip, / sqrt(2)."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = Conv2d(in_channels, mid_channels, 3, activation=True)
        self.conv1 = Conv2d(mid_channels, out_channels, 3, activation=True, down=True)
        self.skip = Conv2d(in_channels, out_channels, 1, bias=False, down=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.skip(x) + self.conv1(self.conv0(x))) * (0.5**0.5)


def minibatch_stddev(x: torch.Tensor, group_size: int = 4) -> torch.Tensor:
    """Append one channel: the std over groups of samples, averaged over features (StyleGAN's diversity cue)."""
    n, c, h, w = x.shape
    g = min(group_size, n)
    while n % g:
        g -= 1
    y = x.reshape(g, n // g, c, h, w)
    y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean(dim=[1, 2, 3])  # (n // g,)
    y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


class Discriminator(nn.Module):
    """forward(x (N, img_channels, R, R) in [-1, 1], c (N, c_dim)) -> logits (N,)."""

    def __init__(
        self,
        c_dim: int,
        img_resolution: int,
        img_channels: int,
        *,
        channel_base: int = 16384,
        channel_max: int = 512,
        cmap_dim: int | None = None,
        mapping_layers: int = 2,
    ) -> None:
        super().__init__()
        check_architecture(img_resolution, img_channels, channel_base, channel_max)
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        resolutions = block_resolutions(img_resolution)[::-1]  # R, ..., 8, 4
        ch = {res: channels_at(res, channel_base, channel_max) for res in resolutions}
        self.from_image = Conv2d(img_channels, ch[img_resolution], 1, activation=True)
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(ch[res], ch[res], ch[res // 2]) for res in resolutions[:-1]
        )
        c4 = ch[4]
        self.cmap_dim = cmap_dim or c4
        self.conv = Conv2d(c4 + 1, c4, 3, activation=True)
        self.fc = FullyConnected(c4 * 16, c4, activation=True)
        self.out = FullyConnected(c4, self.cmap_dim if c_dim > 0 else 1)
        if c_dim > 0:
            self.embed = FullyConnected(c_dim, self.cmap_dim)
            self.c_mapping = nn.Sequential(
                *[FullyConnected(self.cmap_dim, self.cmap_dim, activation=True) for _ in range(mapping_layers)]
            )

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != (self.img_channels, self.img_resolution, self.img_resolution) or c.shape[-1] != self.c_dim:
            raise ValueError(
                f"D expects x (N, {self.img_channels}, {self.img_resolution}, {self.img_resolution}) and "
                f"c (N, {self.c_dim}); got x {tuple(x.shape)}, c {tuple(c.shape)}"
            )
        h = self.from_image(x)
        for block in self.blocks:
            h = block(h)
        h = self.conv(minibatch_stddev(h))
        h = self.out(self.fc(h.flatten(1)))
        if self.c_dim == 0:
            return h[:, 0]
        cmap = self.c_mapping(normalize_2nd_moment(self.embed(c.to(h.dtype))))
        return (h * cmap).sum(dim=1) / self.cmap_dim**0.5
