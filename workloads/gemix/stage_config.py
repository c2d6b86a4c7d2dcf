"""The keys every GeMix stage trainable shares (`gan-train`, `gemix-sets`, `gemix-quality`).

`dataset`, `data_root`, `seed`, `device`, `artifacts_dir` (the invocation's folder where the stages
hand files to each other) and the data split keys (`workloads.split_keys`: GeMix's protocol, whose GAN
subset the GAN stage trains on, `SPLIT_PART`) mean the same in every stage; `arch`, `method` and `variant` are the cell's
labels (the GAN stage's `arch` is only a label: its network is given by its `gan_*` keys; the quality
stage trains its oracle with `arch` unless `quality_arch` says otherwise).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from workloads.split_keys import SplitKeys
from workloads.validate import SEED_MAX, check_choice, check_int, check_optional_str


@dataclass(frozen=True)
class StageConfig(SplitKeys):
    dataset: str = "covidx-ct3"
    data_root: Optional[str] = None
    seed: int = 0
    device: str = "auto"
    artifacts_dir: Optional[str] = None
    arch: Optional[str] = None
    method: Optional[str] = None
    variant: Optional[str] = None

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        """The shared keys: a registered dataset, an absolute artifacts_dir, a seed, a device this
        machine has."""
        from workloads.data import DATASETS
        from workloads.device import resolve_device

        check_choice(cfg, "dataset", DATASETS.names())
        directory = cfg["artifacts_dir"]
        if not isinstance(directory, str) or not Path(directory).is_absolute():
            raise ValueError(f"artifacts_dir must be an absolute folder path (where {cls.TRAINABLE} hands files to "
                             f"the next stage; experiments with artifacts=True set it), got {directory!r}")
        check_int(cfg, "seed", 0, SEED_MAX)
        for key in ("data_root", "arch", "method", "variant"):
            check_optional_str(cfg, key)
        resolve_device(cfg["device"])
        cls.check_split(cfg, prefix)
