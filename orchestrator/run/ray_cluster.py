"""Starting Ray: a local Ray of its own, or the cluster at an address."""
from __future__ import annotations

import os

import ray


def init_ray(address: str | None) -> None:
    """A local Ray via `ray.init()`, or the cluster at `address` (else RAY_ADDRESS)."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "1")
    # We keep 2 checkpoints per trial on purpose; Tune warns about the snapshots that forces.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    ray.init(address=address, include_dashboard=False, configure_logging=True, logging_level="WARNING",
             log_to_driver=True)
