"""Training recipes per dataset, as flat config values (the lowest layer a trial config builds on).

Sources:
- zeta-mixup paper, section "Datasets and experimental details" (its "Training details" for NATURAL,
  SKIN and MEDMNIST): SGD with Nesterov momentum 0.9, weight decay 5e-4, cross entropy.
- GeMix paper, "Implementation details" (and the authors' classifier, see DESIGN.md): Adam 1e-4,
  BCE with logits on soft labels, 5 epochs, batch 64.
Keys: optimizer ("sgd" | "adam"), lr, momentum, nesterov, weight_decay, epochs, batch_size,
milestones (epochs at which lr is multiplied by lr_decay), lr_decay, loss ("soft_ce" | "bce"), flip (random horizontal flip),
crop_padding (random crop with that zero padding, 0 = none). Names are workloads.config's keys.
"""
from __future__ import annotations

from typing import Any

from search_spaces.datasets import get_dataset_spec

SGD_NESTEROV = {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4, "loss": "soft_ce"}

# zeta paper, NATURAL: CIFAR-10/100 and F-MNIST 200 epochs, lr 0.1 x0.2 at 80/120/160, batch 128
# (CIFAR) or 32 (F-MNIST); STL-10 120 epochs, batch 32, lr 0.1 x0.2 at 80; Imagenette/Imagewoof
# 80 epochs, batch 32, lr 0.01 x0.2 at 25/50/65.
# "For all the datasets ... we use random horizontal flipping"; the 32x32 sets also get the usual
# random crop with 4-pixel padding (issue 4's batch augmentation).
FLIP = {"flip": True, "crop_padding": 0}
CIFAR = {**SGD_NESTEROV, **FLIP, "crop_padding": 4, "epochs": 200, "batch_size": 128, "lr": 0.1,
         "milestones": [80, 120, 160], "lr_decay": 0.2}
FMNIST = {**CIFAR, **FLIP, "batch_size": 32}
NATURAL: dict[str, dict[str, Any]] = {
    "cifar10": CIFAR,
    "cifar100": CIFAR,
    "fashion-mnist": FMNIST,
    # The paper trains no classifier on MNIST or digits (visualization only): the F-MNIST recipe,
    # without flips (a mirrored digit is another glyph).
    "mnist": {**FMNIST, "flip": False},
    "digits": {**FMNIST, "flip": False},
    "stl10": {**SGD_NESTEROV, **FLIP, "epochs": 120, "batch_size": 32, "lr": 0.1, "milestones": [80], "lr_decay": 0.2},
    "imagenette": {**SGD_NESTEROV, **FLIP, "epochs": 80, "batch_size": 32, "lr": 0.01, "milestones": [25, 50, 65], "lr_decay": 0.2},
    "imagewoof": {**SGD_NESTEROV, **FLIP, "epochs": 80, "batch_size": 32, "lr": 0.01, "milestones": [25, 50, 65], "lr_decay": 0.2},
}

# zeta paper, SKIN: batch 32, 50 epochs, lr 0.01 x0.1 every 10 epochs; ISIC 2018: 20 epochs,
# lr 0.01 x0.1 every 4 epochs.
SKIN = {**SGD_NESTEROV, "epochs": 50, "batch_size": 32, "lr": 0.01, "milestones": [10, 20, 30, 40], "lr_decay": 0.1}
ISIC2018 = {**SKIN, "epochs": 20, "milestones": [4, 8, 12, 16]}

# zeta paper, MEDMNIST: lr 0.01, SGD, batch 128, cross entropy, "following the original paper"
# (MedMNIST v2: 100 epochs, lr x0.1 at epochs 50 and 75). The zeta paper states no momentum or
# weight decay for these, so plain SGD.
MEDMNIST = {"optimizer": "sgd", "momentum": 0.0, "nesterov": False, "weight_decay": 0.0, "loss": "soft_ce",
            "epochs": 100, "batch_size": 128, "lr": 0.01, "milestones": [50, 75], "lr_decay": 0.1}

# GeMix, "Implementation details": 5 epochs, batch 64; Adam 1e-4 and BCE on soft labels.
CT = {"optimizer": "adam", "momentum": 0.0, "nesterov": False, "weight_decay": 0.0, "loss": "bce",
      "epochs": 5, "batch_size": 64, "lr": 1e-4, "milestones": [], "lr_decay": 1.0}

# The paper only visualizes its synthetic sets; a short recipe of ours to make them trainable.
SYNTHETIC = {**SGD_NESTEROV, "epochs": 50, "batch_size": 128, "lr": 0.1, "milestones": [25, 40], "lr_decay": 0.2}


def recipe_for(dataset_name: str) -> dict[str, Any]:
    """The flat training config of `dataset_name`'s recipe (a fresh dict; lists copied)."""
    spec = get_dataset_spec(dataset_name)
    if spec.group == "natural":
        recipe = NATURAL[spec.name]
    elif spec.group == "skin":
        recipe = ISIC2018 if spec.name == "isic2018" else SKIN
    elif spec.group == "medmnist":
        recipe = MEDMNIST
    elif spec.group == "ct":
        recipe = CT
    else:
        recipe = SYNTHETIC
    return {key: list(value) if isinstance(value, list) else value for key, value in recipe.items()}
