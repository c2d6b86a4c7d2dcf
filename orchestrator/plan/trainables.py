"""The trainables experiments name: each a workloads module with a typed `Config` and a `train`
function (the contract in `workloads.trainable`), imported lazily (torch is slow to import)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from workloads.registry import Registry


@dataclass(frozen=True)
class Trainable:
    """Where a trainable lives: `module` holds `train` and `Config` (or the names given)."""

    name: str
    module: str
    train_name: str = "train"
    config_name: str = "Config"
    any_key: bool = False  # True: a trainable for orchestration tests that carries every key it is given
    predictions: bool = False  # its final checkpoint holds predictions.npz: the recorder stores them as rows

    @property
    def train(self) -> Callable[..., dict[str, Any]]:
        return getattr(importlib.import_module(self.module), self.train_name)

    @property
    def config(self) -> Any:
        return getattr(importlib.import_module(self.module), self.config_name)

    def keys(self) -> frozenset[str] | None:
        """The flat keys the trainable accepts; None if it accepts any."""
        return None if self.any_key else self.config.keys()

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config with defaults filled in and values normalized, as flat JSON values; ValueError
        naming the key and the valid choices otherwise."""
        return self.config.from_flat(config).to_flat()


TRAINABLES: Registry[Trainable] = Registry("trainable")
TRAINABLES.add("classify", Trainable("classify", "workloads.classify", predictions=True))
TRAINABLES.add("gan-train", Trainable("gan-train", "workloads.gemix.gan_stage"))
TRAINABLES.add("gemix-sets", Trainable("gemix-sets", "workloads.gemix.sets_stage"))
TRAINABLES.add("gemix-quality", Trainable("gemix-quality", "workloads.gemix.quality_stage"))
TRAINABLES.add("figure-fig2", Trainable("figure-fig2", "workloads.figures.fig2"))
TRAINABLES.add("figure-fig3", Trainable("figure-fig3", "workloads.figures.fig3"))
TRAINABLES.add("figure-montage", Trainable("figure-montage", "workloads.figures.montages"))
TRAINABLES.add("figure-fig6", Trainable("figure-fig6", "workloads.figures.fig6"))
TRAINABLES.add("figure-fig7", Trainable("figure-fig7", "workloads.figures.fig7"))
TRAINABLES.add("figure-fig8", Trainable("figure-fig8", "workloads.figures.fig8"))
TRAINABLES.add("figure-table9", Trainable("figure-table9", "workloads.figures.table9"))
TRAINABLES.add("noop", Trainable("noop", "workloads.noop", any_key=True))
TRAINABLES.add("touch-data", Trainable("touch-data", "workloads.noop", train_name="touch_data", any_key=True))


def get_trainable(name: str) -> Trainable:
    return TRAINABLES.get(name)
