"""Architectures by name: timm ImageNet models, CIFAR-style networks for 28-96 px images, a small
CPU-sized CNN, and an MLP for feature vectors.

Every builder takes `(in_chans, num_classes, image_size, pretrained, pretrained_path)` and returns an
`nn.Module` mapping float `(N, C, H, W)` to logits `(N, num_classes)`. Feature vectors come in as
`(N, D, 1, 1)`.

One file per family, each registering its archs in `ARCHS` (and their mixable layers) on import:
- `timm_nets`: timm's ImageNet networks (`TIMM_ARCHS`; stride-2 stems, for 128-256 px images and
  ImageNet weights), and `cifar_mobilenetv2_100`, `cifar_efficientnet_b0` (the same with a stride-1 stem)
- `cifar_resnet`: `cifar_resnet18`, `cifar_resnet50` (3x3 stride-1 stem, no max-pool)
- `preact_resnet`: `cifar_preact_resnet18` (Verma et al.'s network for manifold mixup)
- `small`: `small_cnn`, `mlp`

`manifold_layers(arch, model)` names the modules whose outputs manifold mixup may mix.
"""
from __future__ import annotations

from typing import Optional

from torch import nn

from workloads.models.base import ARCHS, MIXABLE_LAYERS, Builder
from workloads.models.pretrained import PretrainedWeightsNotFound, find_pretrained, pretrained_candidates
from workloads.models.timm_nets import STRIDE1_STEM_ARCHS, TIMM_ARCHS
from workloads.models import cifar_resnet, preact_resnet  # noqa: F401  (registers the CIFAR-style archs)
from workloads.models.small import SmallCNN

__all__ = [
    "ARCHS",
    "Builder",
    "PretrainedWeightsNotFound",
    "STRIDE1_STEM_ARCHS",
    "SmallCNN",
    "TIMM_ARCHS",
    "build_model",
    "find_pretrained",
    "manifold_layers",
    "pretrained_candidates",
]


def manifold_layers(arch: str, model: nn.Module) -> list[nn.Module]:
    """The modules of `model` (built by `build_model(arch, ...)`) whose outputs manifold mixup may
    mix, shallow to deep; the input itself (layer k = 0) is not listed.

    Every ResNet (timm's, CIFAR-style, pre-activation): layer1, layer2, so k in {0, 1, 2} as in
    Verma et al.; EfficientNet / MobileNetV2 (either stem): each group of `blocks`; small_cnn: each
    conv block (after its ReLU); mlp: each hidden layer (after its ReLU).
    """
    ARCHS.get(arch)  # an unknown arch names the valid choices
    return MIXABLE_LAYERS.get(arch)(model)


def build_model(
    arch: str,
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """Build `arch` for `in_chans`-channel `image_size` (H, W) inputs and `num_classes` logits."""
    return ARCHS.get(arch)(in_chans, num_classes, tuple(image_size), pretrained, pretrained_path)
