"""Training-state checkpoints: model, optimizer, scheduler, epoch and every RNG state.

A checkpoint is a directory holding one `state.pt`, loadable with `torch.load(weights_only=True)`
(only tensors and plain Python values inside, no pickled classes).
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

STATE_FILE = "state.pt"


def capture_rng_state(generators: dict[str, torch.Generator]) -> dict[str, Any]:
    """Global RNG states (torch CPU, CUDA if initialized, numpy, python) and each named generator's."""
    np_state = np.random.get_state(legacy=False)
    state: dict[str, Any] = {
        "torch_cpu": torch.get_rng_state(),
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            # The MT19937 key as int64 tensor keeps the file loadable with weights_only=True.
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "python": _python_state_to_plain(random.getstate()),
        "generators": {name: g.get_state() for name, g in generators.items()},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["torch_cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any], generators: dict[str, torch.Generator]) -> None:
    """Inverse of `capture_rng_state`; every generator in `generators` must have a saved state."""
    torch.set_rng_state(state["torch_cpu"])
    np_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": np_state["bit_generator"],
            "state": {"key": np_state["key"].numpy().astype(np.uint32), "pos": np_state["pos"]},
            "has_gauss": np_state["has_gauss"],
            "gauss": np_state["gauss"],
        }
    )
    random.setstate(_python_state_from_plain(state["python"]))
    if "torch_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["torch_cuda"])
    missing = set(generators) - set(state["generators"])
    if missing:
        raise ValueError(f"checkpoint has no state for generator(s) {sorted(missing)}")
    for name, g in generators.items():
        g.set_state(state["generators"][name])


def _python_state_to_plain(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _python_state_from_plain(plain: list) -> tuple:
    version, internal, gauss = plain
    return (version, tuple(internal), gauss)


def save_checkpoint(directory: str | Path, state: dict[str, Any]) -> Path:
    """Write `state` (tensors, state dicts, plain values) to `directory/state.pt`; returns the file."""
    path = Path(directory) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def load_checkpoint(directory: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read the state saved by `save_checkpoint` from a checkpoint directory."""
    path = Path(directory) / STATE_FILE
    if not path.is_file():
        raise ValueError(f"checkpoint {directory} has no {STATE_FILE}; not a mixbench checkpoint directory")
    return torch.load(path, map_location=map_location, weights_only=True)
