"""The trainable contract: what the orchestrator (Ray Tune, `mixbench train`, the benchmarks, the tests)
calls, and what every trainable in `workloads` provides.

A trainable is a module with
- `Config`: its typed config, a frozen dataclass implementing `TrainableConfig` (defaults, the flat
  keys it accepts, validation into a typed object, and back to a flat dict of JSON values);
- `train(config, report, checkpoint=None, *, data=None) -> final metrics`, a `Trainable`.

Ray Tune, Parquet and MLflow see the same flat dict; the training code reads the typed object.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol, TypeVar

C = TypeVar("C", bound="TrainableConfig")


class Report(Protocol):
    """Called once per epoch (or step block): the metrics so far and a checkpoint directory, or None
    on a result without one. The directory is the trainable's to delete once `report` returns."""

    def __call__(self, metrics: dict[str, Any], checkpoint_dir: Optional[str]) -> None: ...


class Trainable(Protocol):
    """One trial: validate `config` (a flat dict), train, `report` as it goes, resume from `checkpoint`
    (a directory an earlier call reported) if given; `data` is the dataset the orchestrator shares
    (read from the config's `data_root` when None). Returns the final metrics."""

    def __call__(self, config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *,
                 data: Any = None) -> dict[str, Any]: ...


class TrainableConfig(Protocol):
    """A trainable's typed config (see `workloads.flat_config.FlatConfig` for the shared implementation)."""

    @classmethod
    def keys(cls) -> frozenset[str]: ...

    @classmethod
    def defaults(cls) -> dict[str, Any]: ...

    @classmethod
    def from_flat(cls: type[C], flat: Mapping[str, Any]) -> C: ...

    def to_flat(self) -> dict[str, Any]: ...
