"""MIXERS: name -> mixer class (a factory), and the helpers the orchestrator and trainables use."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from workloads.mixing.base import BatchMixer
from workloads.registry import Registry

MIXERS: Registry[type[BatchMixer]] = Registry("mixer")


def register(cls: type[BatchMixer]) -> type[BatchMixer]:
    """Class decorator: add a `BatchMixer` subclass under its `name`."""
    MIXERS.add(cls.name, cls)
    return cls


def mixer_params(name: str) -> dict[str, Any]:
    """Accepted parameter names of mixer `name` and their defaults (unknown name: ValueError)."""
    return MIXERS.get(name).param_defaults()


def get_mixer(name: str, **params: Any) -> BatchMixer:
    """Build mixer `name` from JSON-style parameters; unknown names or bad values raise ValueError."""
    cls = MIXERS.get(name)
    accepted = cls.param_defaults()
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"mixer {name!r} got unknown parameter(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(accepted) if accepted else 'none'}"
        )
    return cls(**params)


class _ParamsView(Mapping):
    """Read-only `{mixer name: {parameter: default}}`, always in step with MIXERS."""

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in MIXERS:
            raise KeyError(name)
        return mixer_params(name)

    def __iter__(self) -> Iterator[str]:
        return iter(MIXERS)

    def __len__(self) -> int:
        return len(MIXERS)

    def __repr__(self) -> str:
        return repr(dict(self))


MIXER_PARAMS: Mapping[str, dict[str, Any]] = _ParamsView()
