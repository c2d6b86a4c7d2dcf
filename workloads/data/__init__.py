"""Dataset readers. Importing this package registers every reader in `DATASETS`."""
from workloads.data.registry import DATASETS, load_dataset
from workloads.data.types import SPLITS, DatasetArrays, DatasetError, MissingDataError, Split
from workloads.data import digits  # noqa: F401  (registers "digits")
# Each reader module registers the dataset names of its on-disk format.
from workloads.data import cifar, idx, stl10, imagefolder, medmnist, synthetic  # noqa: F401,E402
from workloads.data import isic, derm7pt, isic_archive, skin_folders, covidx  # noqa: F401,E402
from workloads.data import ct_toy  # noqa: F401,E402  (GeMix smoke stand-in for covidx-ct3)
from workloads.data.images import FILE_DATASETS  # noqa: E402

__all__ = [
    "DATASETS", "FILE_DATASETS", "SPLITS", "DatasetArrays", "DatasetError", "MissingDataError", "Split",
    "load_dataset",
]
