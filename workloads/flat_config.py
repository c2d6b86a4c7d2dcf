"""`FlatConfig`: the shared implementation of a trainable's typed config (`workloads.trainable.TrainableConfig`).

A subclass is a frozen dataclass whose fields are the flat keys it accepts, with their defaults, and a
`check(cfg)` classmethod that validates and normalizes a flat dict in place (with `workloads.validate`:
5.0 -> 5 for integers, "true" -> True, lists -> tuples). `from_flat` refuses unknown keys naming the
valid ones, fills defaults, checks, and builds the object; `to_flat` gives back JSON values (tuples as
lists), so Ray Tune, Parquet and MLflow see one flat dict and the training code reads typed fields.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, Mapping, TypeVar

C = TypeVar("C", bound="FlatConfig")


def json_value(value: Any) -> Any:
    """Tuples (and nested ones) as lists, mappings as dicts: what JSON, Ray and Parquet carry."""
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: json_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class FlatConfig:
    """Base of the typed configs; `TRAINABLE` names the trainable in error messages."""

    TRAINABLE: ClassVar[str] = "trainable"

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every accepted flat key and its default (fresh copies of mutable defaults)."""
        out: dict[str, Any] = {}
        for f in fields(cls):
            if f.default is not MISSING:
                out[f.name] = f.default
            elif f.default_factory is not MISSING:
                out[f.name] = f.default_factory()
        return out

    @classmethod
    def keys(cls) -> frozenset[str]:
        return frozenset(cls.defaults())

    @classmethod
    def check_keys(cls, flat: Mapping[str, Any], prefix: str = "") -> None:
        unknown = sorted(set(flat) - cls.keys())
        if unknown:
            raise ValueError(f"unknown {cls.TRAINABLE} config key(s) {', '.join(prefix + k for k in unknown)}; "
                             f"valid keys: {', '.join(prefix + k for k in sorted(cls.keys()))}")

    @classmethod
    def from_flat(cls: type[C], flat: Mapping[str, Any], *, prefix: str = "") -> C:
        """Validated typed config; ValueError naming the key and the valid choices or range otherwise.

        `prefix` goes before every key an error names, for configs whose users spell the keys with
        one (GeMix's gan-train stage passes the GAN's `steps` as `gan_steps`).
        """
        cls.check_keys(flat, prefix)
        cfg = {**cls.defaults(), **flat}
        cls.check(cfg, prefix)
        return cls(**cfg)

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        """Validate and normalize every value of `cfg` (all keys present) in place."""
        raise NotImplementedError(f"{cls.__name__}.check")

    def to_flat(self) -> dict[str, Any]:
        return {f.name: json_value(getattr(self, f.name)) for f in fields(self)}
