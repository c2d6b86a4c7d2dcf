"""The trainables that experiments name: each is a workloads function
`train(config, report, checkpoint=None, *, data=None) -> final metrics` plus its config validator."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from workloads.registry import Registry


@dataclass(frozen=True)
class Trainable:
    """Where a trainable and its validator live (imported lazily: torch is slow to import)."""

    name: str
    module: str
    train_name: str
    validate_name: str

    @property
    def train(self) -> Callable[..., dict[str, Any]]:
        return getattr(importlib.import_module(self.module), self.train_name)

    def validate(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config with defaults filled in; ValueError naming the key and valid choices otherwise."""
        return getattr(importlib.import_module(self.module), self.validate_name)(config)


TRAINABLES: Registry[Trainable] = Registry("trainable")
TRAINABLES.add("classify", Trainable("classify", "workloads.classify", "train", "validate_config"))
TRAINABLES.add("noop", Trainable("noop", "workloads.noop", "train", "validate"))
TRAINABLES.add("touch-data", Trainable("touch-data", "workloads.noop", "touch_data", "validate"))
TRAINABLES.add("gan-train", Trainable("gan-train", "workloads.gemix.stages", "train_gan_stage", "validate_gan_stage"))
TRAINABLES.add("gemix-sets", Trainable("gemix-sets", "workloads.gemix.stages", "make_sets", "validate_sets_stage"))
TRAINABLES.add("gemix-quality", Trainable("gemix-quality", "workloads.gemix.quality_stage", "measure_quality",
                                          "validate_quality_stage"))


def get_trainable(name: str) -> Trainable:
    return TRAINABLES.get(name)
