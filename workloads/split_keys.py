"""The data split keys of every trainable that may train on a protocol split of its dataset (the
classifier and GeMix's stage trainables), validated here so that no config module imports another's.

`split`: "official" (the dataset's own train/val/test, the default and every experiment's but one) or
"gemix" (GeMix's protocol, `workloads.gemix.protocol`: disjoint class-balanced subsets for the GAN and the
classifier, a test set from the official test split), with its sizes `split_gan_per_class`,
`split_classifier_per_class`, `split_val_fraction`, `split_test_per_class` and `split_seed` (one split
per invocation, whatever the trials' seeds). The orchestrator draws the split once before any trial and
hands each trainable its view (`SplitKeys.SPLIT_PART`); a trainable run on its own draws it in memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from workloads.flat_config import FlatConfig
from workloads.validate import SEED_MAX, check_choice, check_float, check_int

SPLITS = ("official", "gemix")


@dataclass(frozen=True)
class ProtocolSizes:
    """Images per class of each part, the val share of the classifier's subset, and the split's seed."""

    gan_per_class: int = 10000
    classifier_per_class: int = 10000
    val_fraction: float = 0.2
    test_per_class: int = 1000
    seed: int = 0

    def val_per_class(self) -> int:
        return int(round(self.classifier_per_class * self.val_fraction))


@dataclass(frozen=True)
class SplitKeys(FlatConfig):
    """The split keys (see the module docstring); `SPLIT_PART` is the view of a protocol split the
    trainable trains on ("gan": the GAN's subset as its train split; "classifier": train, val, test)."""

    SPLIT_PART: ClassVar[str] = "classifier"

    split: str = "official"
    split_gan_per_class: int = 10000
    split_classifier_per_class: int = 10000
    split_val_fraction: float = 0.2
    split_test_per_class: int = 1000
    split_seed: int = 0

    @classmethod
    def check_split(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        check_choice(cfg, "split", SPLITS, prefix=prefix)
        for key in ("split_gan_per_class", "split_classifier_per_class", "split_test_per_class"):
            check_int(cfg, key, 1, prefix=prefix)
        check_float(cfg, "split_val_fraction", 0.0, 1.0, lo_open=True, hi_open=True, prefix=prefix)
        check_int(cfg, "split_seed", 0, SEED_MAX, prefix=prefix)
        if cfg["split"] == "gemix":
            sizes = sizes_of(cfg)
            if not 1 <= sizes.val_per_class() < sizes.classifier_per_class:
                raise ValueError(f"{prefix}split_val_fraction={sizes.val_fraction} leaves no val or no train image "
                                 f"of {prefix}split_classifier_per_class={sizes.classifier_per_class} per class")


def sizes_of(config: Any) -> ProtocolSizes:
    """The protocol's sizes from a flat config (a mapping) or a typed one (attributes)."""
    get = config.get if isinstance(config, dict) else (lambda key: getattr(config, key))
    return ProtocolSizes(int(get("split_gan_per_class")), int(get("split_classifier_per_class")),
                         float(get("split_val_fraction")), int(get("split_test_per_class")), int(get("split_seed")))
