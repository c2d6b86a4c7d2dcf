"""`cifar_preact_resnet18`: Verma et al.'s PreActResNet-18, the network of their manifold mixup CIFAR runs.

As `supervised/models/preresnet.py` of vikasverma1077/manifold_mixup (`preactresnet18`, 64 initial
channels, stride 1): a bare 3x3 stride-1 conv stem (no batch norm or ReLU: each pre-activation block
starts with them), four stages of two pre-activation basic blocks (64..512 planes, strides 1, 2, 2, 2),
no batch norm or ReLU after the last block (unlike He et al.'s pre-activation ResNet), global average
pooling and a linear layer. Their `avg_pool2d(out, 4)` is adaptive here: the same at 32 px, and
defined for 28-96 px inputs.

Manifold mixup mixes at k in {0, 1, 2}: the input, layer1's output, layer2's output. That is Verma
et al.'s `mixup_hidden` (`layer_mix = random.randint(0, 2)`, inclusive) and their paper's eligible
set for PreActResNet; so `manifold_layers` lists layer1 and layer2.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from workloads.models.base import no_pretrained, register_arch


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3, BN-ReLU-conv3x3, plus the input; a 1x1 projection of the *activated* input
    when the shape changes (as in He et al. 2016b and Verma et al.'s code)."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.shortcut: Optional[nn.Module] = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(out)
        out = self.conv2(F.relu(self.bn2(self.conv1(out))))
        return out + shortcut


class PreActResNet18(nn.Module):
    """conv1 (3x3, stride 1) -> layer1..4 -> global average pool -> linear.
    Input `(N, in_chans, H, W)`, logits `(N, num_classes)`; layer4's output is `(N, 512, H/8, W/8)`."""

    def __init__(self, in_chans: int, num_classes: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 3, stride=1, padding=1, bias=False)
        self.layer1 = nn.Sequential(PreActBlock(64, 64, 1), PreActBlock(64, 64))
        self.layer2 = nn.Sequential(PreActBlock(64, 128, 2), PreActBlock(128, 128))
        self.layer3 = nn.Sequential(PreActBlock(128, 256, 2), PreActBlock(256, 256))
        self.layer4 = nn.Sequential(PreActBlock(256, 512, 2), PreActBlock(512, 512))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(512, num_classes)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Logits `(N, num_classes)` from layer4's output `(N, 512, h, w)`."""
        return self.linear(torch.flatten(self.pool(h), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x))))))


def build_cifar_preact_resnet18(
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """Verma et al.'s PreActResNet-18 (see the module docstring); no pretrained weights."""
    no_pretrained("cifar_preact_resnet18", pretrained)
    if min(image_size) < 8:
        raise ValueError(f"arch 'cifar_preact_resnet18' needs images of at least 8x8 (3 stride-2 stages), "
                         f"got {image_size}")
    return PreActResNet18(in_chans, num_classes)


def verma_layers(model: nn.Module) -> list[nn.Module]:
    """layer1 and layer2: with the input, k in {0, 1, 2} as in Verma et al."""
    return [model.layer1, model.layer2]


register_arch("cifar_preact_resnet18", build_cifar_preact_resnet18, verma_layers)
