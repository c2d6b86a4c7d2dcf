"""The architecture registries: a builder per name, and per name which modules manifold mixup may mix.

Every builder takes `(in_chans, num_classes, image_size, pretrained, pretrained_path)` and returns an
`nn.Module` mapping float `(N, in_chans, H, W)` to logits `(N, num_classes)`.
"""
from __future__ import annotations

from typing import Callable, Optional

from torch import nn

from workloads.registry import Registry

Builder = Callable[[int, int, tuple[int, int], bool, Optional[str]], nn.Module]
# model (as built by the arch's builder) -> its mixable modules, shallow to deep
LayerLister = Callable[[nn.Module], list[nn.Module]]

ARCHS: Registry[Builder] = Registry("arch")
MIXABLE_LAYERS: Registry[LayerLister] = Registry("arch")


def register_arch(name: str, builder: Builder, layers: LayerLister) -> None:
    """Register `builder` under `name`, with `layers` naming the modules manifold mixup may mix.

    One call for both, so no arch can be built without saying where it may be mixed.
    """
    ARCHS.add(name, builder)
    MIXABLE_LAYERS.add(name, layers)


def no_pretrained(arch: str, pretrained: bool) -> None:
    """Raise the one-line ValueError of an arch without published pretrained weights."""
    if pretrained:
        raise ValueError(f"arch {arch!r} has no pretrained weights; set pretrained=false")
