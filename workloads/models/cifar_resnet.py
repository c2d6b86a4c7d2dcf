"""CIFAR-style ResNets for 28-96 px images: a 3x3 stride-1 stem and no max-pool.

The stem keeps the input's resolution, so the four stages see 1x, 1/2, 1/4 and 1/8 of it: a 32x32
image is 32x32 after the stem and 4x4 at layer4 (timm's ImageNet ResNets: 8x8 after the stem and
1x1 at layer4). This is the stem of the official mixup code's ResNets (facebookresearch/mixup-cifar10,
from the pytorch-cifar zoo) and of MedMNIST's ResNet-18 (28) / ResNet-50 (28) (MedMNIST/experiments).

- `cifar_resnet18`: BasicBlocks [2, 2, 2, 2], as MedMNIST's ResNet-18 (28) and the pytorch-cifar zoo's
  ResNet18. The zeta paper cites He et al. 2016 for its ResNet-18 (post-activation blocks) and follows
  MedMNIST's paper for Table 7. The official mixup code's `ResNet18()` instead stacks pre-activation
  blocks on this stem; `cifar_preact_resnet18` is the closest arch for that.
- `cifar_resnet50`: Bottlenecks [3, 4, 6, 3], identical in the mixup code, the pytorch-cifar zoo and
  MedMNIST's ResNet-50 (28).

Global average pooling is adaptive (the mixup code's `avg_pool2d(out, 4)` is the same at 32 px and
would fail on 28 px inputs). Mixable layers: layer1 and layer2, as Verma et al. mix ResNets.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from workloads.models.base import Builder, no_pretrained, register_arch


class BasicBlock(nn.Module):
    """Two 3x3 convs with batch norm, a projection shortcut when the shape changes, ReLU after the sum."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _projection(in_planes, planes * self.expansion, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand x4, each with batch norm; ReLU after the sum."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.shortcut = _projection(in_planes, planes * self.expansion, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


def _projection(cin: int, cout: int, stride: int) -> nn.Module:
    if stride == 1 and cin == cout:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


class CifarResNet(nn.Module):
    """Stem (3x3 conv stride 1, BN, ReLU) -> layer1..4 (64..512 planes, strides 1, 2, 2, 2) -> global
    average pool -> linear. Input `(N, in_chans, H, W)`, logits `(N, num_classes)`."""

    def __init__(self, block: type[nn.Module], num_blocks: list[int], in_chans: int, num_classes: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.in_planes = 64
        self.layer1 = self._stage(block, 64, num_blocks[0], 1)
        self.layer2 = self._stage(block, 128, num_blocks[1], 2)
        self.layer3 = self._stage(block, 256, num_blocks[2], 2)
        self.layer4 = self._stage(block, 512, num_blocks[3], 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def _stage(self, block: type[nn.Module], planes: int, n: int, stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn1(self.conv1(x)))

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Logits `(N, num_classes)` from layer4's output `(N, C, h, w)`."""
        return self.linear(torch.flatten(self.pool(h), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.head(h)


def resnet_mixable(model: nn.Module) -> list[nn.Module]:
    """layer1 and layer2: k in {0 = input, 1, 2}, as Verma et al. draw it for every ResNet."""
    return [model.layer1, model.layer2]


def _builder(name: str, block: type[nn.Module], num_blocks: list[int]) -> Builder:
    def build(
        in_chans: int,
        num_classes: int,
        image_size: tuple[int, int],
        pretrained: bool = False,
        pretrained_path: Optional[str] = None,
    ) -> nn.Module:
        no_pretrained(name, pretrained)  # nobody publishes ImageNet weights for a stride-1 stem
        if min(image_size) < 8:
            raise ValueError(f"arch {name!r} needs images of at least 8x8 (3 stride-2 stages), got {image_size}")
        return CifarResNet(block, num_blocks, in_chans, num_classes)

    build.__doc__ = f"CIFAR-style {block.__name__} ResNet {num_blocks} (3x3 stride-1 stem, no max-pool)."
    return build


register_arch("cifar_resnet18", _builder("cifar_resnet18", BasicBlock, [2, 2, 2, 2]), resnet_mixable)
register_arch("cifar_resnet50", _builder("cifar_resnet50", Bottleneck, [3, 4, 6, 3]), resnet_mixable)
