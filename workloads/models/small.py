"""Our own small models: a CPU-sized CNN for small images, and an MLP for feature vectors `(N, D, 1, 1)`."""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from workloads.models.base import no_pretrained, register_arch


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


def build_small_cnn(
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """`SmallCNN`; needs images of at least 2x2."""
    no_pretrained("small_cnn", pretrained)
    if min(image_size) < 2:
        raise ValueError(f"arch 'small_cnn' needs images of at least 2x2, got {image_size}; use arch=mlp")
    return SmallCNN(in_chans, num_classes)


def build_mlp(
    in_chans: int,
    num_classes: int,
    image_size: tuple[int, int],
    pretrained: bool = False,
    pretrained_path: Optional[str] = None,
) -> nn.Module:
    """Flatten, then two hidden layers of 128 ReLU units; for `(N, D, 1, 1)` features (or any input)."""
    no_pretrained("mlp", pretrained)
    d = in_chans * image_size[0] * image_size[1]
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(d, 128),
        nn.ReLU(inplace=True),
        nn.Linear(128, 128),
        nn.ReLU(inplace=True),
        nn.Linear(128, num_classes),
    )


def relu_outputs(model: nn.Module) -> list[nn.Module]:
    """small_cnn: the ReLU that ends each conv block; mlp: the ReLU of each hidden layer."""
    modules = model.features if isinstance(model, SmallCNN) else model
    return [m for m in modules if isinstance(m, nn.ReLU)]


register_arch("small_cnn", build_small_cnn, relu_outputs)
register_arch("mlp", build_mlp, relu_outputs)
