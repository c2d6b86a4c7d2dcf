"""The MNIST oracle of the ζ-mixup paper's Fig. 3: a LeNet-5 digit classifier.

The paper adopts "a highly accurate LeNet-5 MNIST digit classifier that achieves 99.31 %
classification accuracy on the standardized MNIST test set" and names no recipe. Ours: LeNet-5's
layout (conv 5x5 → 6, pool, conv 5x5 → 16, pool, fc 120, fc 84, fc 10; the first convolution padded
so 28x28 inputs give LeNet's 32x32 geometry) in its common modern form, ReLU and max-pooling, trained
with Adam (lr 1e-3, batch 128, 10 epochs, lr x 0.1 for the last 3). Inputs are grey images in
[0, 1]; the model standardises them itself (MNIST's mean 0.1307, std 0.3081), so mixed images,
which are float images in [0, 1], go in as they are.

Randomness: the initial weights and the shuffling come from `seed` (a forked torch RNG and a
`torch.Generator`), so the same seed gives the same oracle on CPU.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class LeNet5(nn.Module):
    """LeNet-5 for `(N, 1, 28, 28)` float images in [0, 1] → `(N, num_classes)` logits."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = (x - MNIST_MEAN) / MNIST_STD
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def as_model_input(images: np.ndarray | Tensor) -> Tensor:
    """uint8 `(N, 28, 28, 1)` / `(N, 28, 28)` images, or float ones in [0, 1] (also `(N, 1, 28, 28)`)
    → float32 `(N, 1, 28, 28)` in [0, 1]."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, Tensor) else images)
    if x.dim() == 3:
        x = x[:, None]
    elif x.dim() == 4 and x.shape[-1] == 1 and x.shape[1] != 1:
        x = x.permute(0, 3, 1, 2)
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"images must be grey (N, H, W, 1), (N, H, W) or (N, 1, H, W), got {tuple(x.shape)}")
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if not x.is_floating_point():
        raise ValueError(f"images must be uint8 or float in [0, 1], got {x.dtype}")
    return x.float()


def train_lenet(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    num_classes: int = 10,
    seed: int = 0,
    device: str | torch.device = "cpu",
    max_steps: Optional[int] = None,
) -> LeNet5:
    """Train the oracle on uint8 `(N, 28, 28, 1)` images with int `(N,)` labels; returns it in eval mode.

    Adam(lr), cross-entropy, `epochs` passes over the shuffled data in batches of `batch_size`,
    the learning rate divided by 10 for the last 30 % of epochs. `max_steps` stops early (smoke runs).
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    device = torch.device(device)
    x = as_model_input(images)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LeNet5(num_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    decay_from = max(1, int(round(0.7 * epochs)))
    gen = torch.Generator().manual_seed(seed)
    step = 0
    model.train()
    for epoch in range(epochs):
        if epoch == decay_from:
            for group in opt.param_groups:
                group["lr"] = lr * 0.1
        order = torch.randperm(len(x), generator=gen)
        for a in range(0, len(x), batch_size):
            idx = order[a : a + batch_size]
            loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if max_steps is not None and step >= max_steps:
                return model.eval()
    return model.eval()


@torch.no_grad()
def predict_proba(
    model: nn.Module, images: np.ndarray | Tensor, *, batch_size: int = 1024, device: Optional[str | torch.device] = None
) -> np.ndarray:
    """Softmax probabilities float64 `(N, num_classes)` for images (any form `as_model_input` takes)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    x = as_model_input(images)
    model.eval()
    out = [
        torch.softmax(model(x[a : a + batch_size].to(device)).double(), dim=1).cpu()
        for a in range(0, len(x), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.fc3.out_features))  # type: ignore[union-attr]


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, **kwargs) -> float:
    """Fraction of `images` whose most probable class equals `labels` (in [0, 1])."""
    pred = predict_proba(model, images, **kwargs).argmax(axis=1)
    return float(np.mean(pred == np.asarray(labels)))
