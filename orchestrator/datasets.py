"""Reading the data an experiment needs, once, on the driver."""
from __future__ import annotations

from typing import Any

from orchestrator.plan import StagePlan


def load_for_plans(plans: list[StagePlan]) -> dict[str, Any]:
    """name -> DatasetArrays for every dataset any stage uses (DatasetError, a ValueError, if unusable)."""
    from workloads.data import load_dataset

    roots: dict[str, Any] = {}
    for plan in plans:
        for config in plan.configs or [plan.base]:
            roots.setdefault(config["dataset"], config.get("data_root"))
    return {name: load_dataset(name, root) for name, root in roots.items()}
