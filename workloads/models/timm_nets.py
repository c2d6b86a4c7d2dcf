"""timm's ImageNet networks, and stride-1-stem variants of two of them for 28-96 px images.

`TIMM_ARCHS` are timm's models as published: a stride-2 stem (ResNets: 7x7 conv + max-pool, total
stride 4; EfficientNet / MobileNetV2: 3x3 conv, stride 2) and total stride 32, so a 224 px image
ends as 7x7 and a 32 px one as 1x1. They take ImageNet weights from a local file (`find_pretrained`).

`cifar_mobilenetv2_100` and `cifar_efficientnet_b0` (the zeta paper's Table 5 on CIFAR) are the same
timm networks with the stem conv's stride set to 1, nothing else changed: total stride 16, so a
32 px image is still 32x32 after the stem and 2x2 at the last stage. Where others differ: the
pytorch-cifar zoo (kuangliu, from which the official mixup code's models come) makes the same stem
change and, for MobileNetV2 only, also un-strides the 24-channel stage (total stride 8, 4x4 at the
end); its EfficientNet-B0 has total stride 16, as here. The zeta paper's authors publish only their
mixing code, not their networks, so which variant Table 5 used cannot be checked. These variants
refuse `pretrained=true`: the paper trains them from scratch, and ImageNet weights were learned at
the stride-2 stem's scale.
"""
from __future__ import annotations

from typing import Optional

from torch import nn

from workloads.models.base import Builder, no_pretrained, register_arch
from workloads.models.pretrained import find_pretrained

TIMM_ARCHS = ("resnet18", "resnet50", "resnet101", "efficientnet_b0", "mobilenetv2_100")
STRIDE1_STEM_ARCHS = {"cifar_mobilenetv2_100": "mobilenetv2_100", "cifar_efficientnet_b0": "efficientnet_b0"}


def _timm_builder(arch: str) -> Builder:
    def build(
        in_chans: int,
        num_classes: int,
        image_size: tuple[int, int],
        pretrained: bool = False,
        pretrained_path: Optional[str] = None,
    ) -> nn.Module:
        import timm

        if not pretrained:
            return timm.create_model(arch, pretrained=False, in_chans=in_chans, num_classes=num_classes)
        weights = find_pretrained(arch, pretrained_path)
        # A `file` overlay makes timm load exactly this file (adapting the stem to in_chans and
        # re-initializing the classifier for num_classes) and never touch the network.
        return timm.create_model(
            arch,
            pretrained=True,
            pretrained_cfg_overlay=dict(file=str(weights)),
            in_chans=in_chans,
            num_classes=num_classes,
        )

    build.__doc__ = f"timm `{arch}` (ImageNet weights only from a local file when pretrained)."
    return build


def _stride1_stem_builder(name: str, base: str) -> Builder:
    def build(
        in_chans: int,
        num_classes: int,
        image_size: tuple[int, int],
        pretrained: bool = False,
        pretrained_path: Optional[str] = None,
    ) -> nn.Module:
        import timm

        no_pretrained(name, pretrained)
        model = timm.create_model(base, pretrained=False, in_chans=in_chans, num_classes=num_classes)
        stem = model.conv_stem
        # timm pads a 3x3 stride-2 conv by 1 on each side, which is also the "same" padding at
        # stride 1; a TF-style dynamic-padding stem would need more than this one change.
        if type(stem) is not nn.Conv2d or stem.kernel_size != (3, 3) or stem.padding != (1, 1):
            raise RuntimeError(f"timm's {base} stem is no longer a padded 3x3 nn.Conv2d: {stem!r}")
        stem.stride = (1, 1)  # keeps timm's initialization of the stem weights
        return model

    build.__doc__ = f"timm `{base}` with a stride-1 stem conv (total stride 16); no pretrained weights."
    return build


def timm_stages(model: nn.Module) -> list[nn.Module]:
    """The mixable modules of a timm network.

    ResNets: layer1 and layer2, so that k ranges over {0 = input, 1, 2} as in every ResNet of Verma
    et al.'s manifold mixup code (`mixup_hidden` draws `randint(0, 2)`: never after layer3).
    EfficientNet / MobileNetV2: every group of `blocks` (one per resolution and width); Verma et
    al. trained neither, so every stage is eligible.
    """
    if hasattr(model, "layer1"):
        return [model.layer1, model.layer2]
    return list(model.blocks)


for _name in TIMM_ARCHS:
    register_arch(_name, _timm_builder(_name), timm_stages)
for _name, _base in STRIDE1_STEM_ARCHS.items():
    register_arch(_name, _stride1_stem_builder(_name, _base), timm_stages)
