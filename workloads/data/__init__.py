"""Dataset readers. Importing this package registers every reader in `DATASETS`."""
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, Split
from workloads.data import digits  # noqa: F401  (registers "digits")

__all__ = ["DATASETS", "SPLITS", "DatasetArrays", "DatasetError", "Split", "load_dataset"]
