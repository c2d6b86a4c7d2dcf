"""Architectures by name: timm ImageNet models, a small CPU-sized CNN, and an MLP for feature vectors.

Every builder takes `(in_chans, num_classes, image_size, pretrained, pretrained_path)` and returns an
`nn.Module` mapping float `(N, C, H, W)` to logits `(N, num_classes)`. Feature vectors come in as
`(N, D, 1, 1)`.

`manifold_layers(arch, model)` names the modules whose outputs manifold mixup may mix.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from workloads.registry import Registry

Builder = Callable[[int, int, tuple[int, int], bool, Optional[str]], nn.Module]

ARCHS: Registry[Builder] = Registry("arch")

TIMM_ARCHS = ("resnet18", "resnet50", "resnet101", "efficientnet_b0", "mobilenetv2_100")


class PretrainedWeightsNotFound(ValueError):
    """Pretrained weights were asked for but are not on this machine (nothing is downloaded)."""


def pretrained_candidates(arch: str) -> list[Path]:
    """Where timm's default ImageNet weights for `arch` would be if they were already cached locally."""
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch)
    if cfg is None:
        return []
    paths: list[Path] = []
    if cfg.hf_hub_id:
        hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
        hub = Path(os.environ.get("HF_HUB_CACHE", hf_home / "hub"))
        repo_dir = hub / ("models--" + cfg.hf_hub_id.replace("/", "--"))
        for name in ("model.safetensors", "pytorch_model.bin"):
            found = sorted(repo_dir.glob(f"snapshots/*/{name}"))
            paths.extend(found or [repo_dir / "snapshots" / "*" / name])
    if cfg.url:
        paths.append(Path(torch.hub.get_dir()) / "checkpoints" / cfg.url.rsplit("/", 1)[-1])
    return paths


def find_pretrained(arch: str, pretrained_path: Optional[str] = None) -> Path:
    """The local weights file for `arch`: `pretrained_path` if given (`{arch}` in it stands for the arch's
    name, so one path serves an experiment of several archs), else timm's local caches.

    Raises PretrainedWeightsNotFound naming every place looked in; never downloads.
    """
    if pretrained_path:
        path = Path(pretrained_path.replace("{arch}", arch)).expanduser()
        if path.is_file():
            return path
        looked = [path]
    else:
        looked = pretrained_candidates(arch)
        for path in looked:
            if path.is_file():
                return path
    where = ", ".join(str(p) for p in looked) or "(no known weights for this arch)"
    raise PretrainedWeightsNotFound(
        f"pretrained weights for {arch} not found locally; looked in {where}; "
        f"set pretrained_path=/path/to/weights or pretrained=false"
    )


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


for _name in TIMM_ARCHS:
    ARCHS.add(_name, _timm_builder(_name))


def _no_pretrained(arch: str, pretrained: bool) -> None:
    if pretrained:
        raise ValueError(f"arch {arch!r} has no pretrained weights; set pretrained=false")


class SmallCNN(nn.Module):
    """Three 3x3 conv blocks (32, 64, 128 channels, one 2x2 max-pool) and global average pooling.

    Fast on a CPU for 8x8 .. 32x32 images.
    """

    def __init__(self, in_chans: int, num_classes: int) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *block(in_chans, 32),
            *block(32, 64),
            nn.MaxPool2d(2),
            *block(64, 128),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@ARCHS.register("small_cnn")
def build_small_cnn(
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """`SmallCNN`; needs images of at least 2x2."""
    _no_pretrained("small_cnn", pretrained)
    if min(image_size) < 2:
        raise ValueError(f"arch 'small_cnn' needs images of at least 2x2, got {image_size}; use arch=mlp")
    return SmallCNN(in_chans, num_classes)


@ARCHS.register("mlp")
def build_mlp(
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """Flatten, then two hidden layers of 128 ReLU units; for `(N, D, 1, 1)` features (or any input)."""
    _no_pretrained("mlp", pretrained)
    d = in_chans * image_size[0] * image_size[1]
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(d, 128),
        nn.ReLU(inplace=True),
        nn.Linear(128, 128),
        nn.ReLU(inplace=True),
        nn.Linear(128, num_classes),
    )


def _timm_stages(model: nn.Module) -> list[nn.Module]:
    if hasattr(model, "layer1"):
        # ResNets: the stages after the stem but the last, as Verma et al. mix a ResNet's hidden
        # states only below its deepest stage.
        return [model.layer1, model.layer2, model.layer3]
    # EfficientNet / MobileNetV2: every group of `blocks` (one per resolution and width).
    return list(model.blocks)


def _relu_outputs(model: nn.Module) -> list[nn.Module]:
    # small_cnn: the ReLU that ends each conv block; mlp: the ReLU of each hidden layer.
    modules = model.features if isinstance(model, SmallCNN) else model
    return [m for m in modules if isinstance(m, nn.ReLU)]


def manifold_layers(arch: str, model: nn.Module) -> list[nn.Module]:
    """The modules of `model` (built by `build_model(arch, ...)`) whose outputs manifold mixup may
    mix, shallow to deep; the input itself (layer k = 0) is not listed.

    timm ResNets: layer1, layer2, layer3; EfficientNet / MobileNetV2: each group of `blocks`;
    small_cnn: each conv block (after its ReLU); mlp: each hidden layer (after its ReLU).
    """
    ARCHS.get(arch)  # an unknown arch names the valid choices
    return _timm_stages(model) if arch in TIMM_ARCHS else _relu_outputs(model)


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
