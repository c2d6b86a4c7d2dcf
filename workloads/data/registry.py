"""The dataset registry: name -> loader. Loaders read a dataset's official on-disk layout."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from workloads.data.types import DatasetArrays
from workloads.registry import Registry

# A loader takes the data root (None where the data ships in a package) and returns all splits.
Loader = Callable[[Optional[Path]], DatasetArrays]

DATASETS: Registry[Loader] = Registry("dataset")


def load_dataset(name: str, root: str | Path | None = None) -> DatasetArrays:
    """Read dataset `name` from `root` (its official layout, directly or under `root/<name>/`)."""
    loader = DATASETS.get(name)
    return loader(Path(root).expanduser() if root else None)
