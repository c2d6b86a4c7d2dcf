"""Starting Ray: a local Ray of its own, or the cluster at an address."""
from __future__ import annotations

import os

import ray


def quiet_tune(verbose: bool) -> None:
    """Ray Tune's console output: its own configuration boxes, status tables and slow-callback warnings
    only with `verbose` (mixbench prints one line per trial and a progress line per stage instead).
    Call before `ray.tune` is imported: Tune reads these when its modules load and when a Tuner runs."""
    os.environ["RAY_AIR_NEW_OUTPUT"] = "1" if verbose else "0"  # the legacy reporter is silent at verbose 0
    if not verbose:
        os.environ.setdefault("TUNE_WARN_THRESHOLD_S", "5")


def init_ray(address: str | None, verbose: bool = False) -> None:
    """The cluster at `address` (else RAY_ADDRESS), or else a local Ray of this process's own
    (`address="local"`: never a cluster some earlier `ray start` left running on the machine). The
    workers' output reaches this console only when `verbose` (trial errors are recorded either way)."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or "local"
    # A trial given no GPU sees none (else `device=auto` would put it on cuda:0 unscheduled); on a
    # cluster, set this in the workers' environment too (`ray start` inherits it).
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "1")
    # We keep 2 checkpoints per trial on purpose; Tune warns about the snapshots that forces.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    ray.init(address=address, include_dashboard=False, configure_logging=True,
             logging_level="WARNING" if verbose else "ERROR", log_to_driver=verbose)


def require_resources(cpus: float, gpus: float) -> None:
    """One line (exit 2) when no node of the connected cluster can run a trial of this size."""
    from orchestrator.run.checks import check_resources

    check_resources(cpus, gpus, ray.nodes())
