"""What `run` would do, as plain data: `mixbench plan NAME [--json]` prints it without running anything.

Per stage: its kind and trainable, the trial count, datasets, archs and methods (variants), the epochs
a trial trains, the total trial-epochs, the selection metric and mode, the resources each trial asks
for, the `--set` keys that reach it, the config values every trial of the stage shares and those that
vary, a Bayesian stage's search space, and the values of the keys the experiment asks `plan` to show
(`Experiment.plan_keys`: GeMix's data and set sizes, say), one value or one per method.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import asdict
from typing import Any, Iterable

from orchestrator.plan.expand import StagePlan, planned_epochs


def _values(configs: Iterable[dict[str, Any]], key: str) -> list[Any]:
    """Distinct values of `key` in order of first appearance (JSON text as the identity of lists)."""
    seen: dict[str, Any] = {}
    for config in configs:
        if key in config:
            seen.setdefault(json.dumps(config[key], sort_keys=True, default=str), config[key])
    return list(seen.values())


def shown_values(configs: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    """key -> the value every config has, or {method label: value} where they differ (keys no config has: left out)."""
    out: dict[str, Any] = {}
    for key in keys:
        if not any(key in c for c in configs):
            continue
        per_method = {str(c.get("variant") or c.get("method")): c.get(key) for c in configs}
        out[key] = configs[0].get(key) if len(_values(configs, key)) == 1 and all(key in c for c in configs) \
            else per_method
    return out


def describe_stage(plan: StagePlan, cpus: float = 1.0, gpus: float = 0.0, shown: Iterable[str] = ()) -> dict[str, Any]:
    configs = plan.trial_configs
    keys = sorted({k for c in configs for k in c})
    varying = {k: _values(configs, k) for k in keys if len(_values(configs, k)) > 1}
    shared = {k: configs[0][k] for k in keys if k not in varying and all(k in c for c in configs)}
    epochs = [planned_epochs(c) for c in configs] if plan.kind == "grid" else [planned_epochs(plan.base)] * plan.num_samples
    out: dict[str, Any] = {
        "name": plan.stage, "kind": plan.kind, "trainable": plan.trainable, "trials": plan.num_trials,
        "metric": plan.metric, "mode": plan.mode, "report": plan.report,
        "datasets": _values(configs, "dataset"), "archs": _values(configs, "arch"),
        "methods": _values(configs, "variant") or _values(configs, "method"),
        "epochs": sorted(set(epochs)), "trial_epochs": sum(epochs),
        "resources_per_trial": {"cpu": cpus, "gpu": gpus}, "set_keys": list(plan.set_keys),
        "shared": shared, "varying": varying, "shown": shown_values(configs, shown),
    }
    if plan.kind == "bayesian":
        out["space"] = {name: asdict(param) for name, param in plan.space.items()}
    return out


def describe(experiment: str, plans: list[StagePlan], smoke: bool, cpus: float = 1.0, gpus: float = 0.0,
             shown: Iterable[str] = (), protocol: str = "") -> dict[str, Any]:
    """The whole plan: {"experiment", "smoke", "trials", "trial_epochs", "protocol", "stages": [...]};
    `shown`: the keys each stage lists with their values (`Experiment.plan_keys`); `protocol`: the
    experiment's splits, recipe and deviations in words (`Experiment.protocol`)."""
    stages = [describe_stage(p, cpus, gpus, shown) for p in plans]
    return {"experiment": experiment, "smoke": smoke, "trials": sum(s["trials"] for s in stages),
            "trial_epochs": sum(s["trial_epochs"] for s in stages), "protocol": protocol, "stages": stages}


def plan_lines(summary: dict[str, Any]) -> list[str]:
    """The plan for a person to read (`mixbench plan NAME`)."""
    head = f"{summary['experiment']}{' (smoke)' if summary['smoke'] else ''}: {summary['trials']} trials, " \
           f"{summary['trial_epochs']} trial-epochs"
    lines = [head]
    if summary.get("protocol"):
        lines += textwrap.wrap(f"protocol: {summary['protocol']}", width=110, initial_indent="  ",
                               subsequent_indent="    ")
    printed: dict[str, Any] = {}
    for s in summary["stages"]:
        res = s["resources_per_trial"]
        trials = f"{s['trials']} trial{'s' if s['trials'] != 1 else ''}"
        if s["trial_epochs"]:
            trials += f" x {'/'.join(map(str, s['epochs']))} epochs = {s['trial_epochs']} trial-epochs"
        lines.append(f"  stage {s['name']} ({s['kind']}, {s['trainable']}): {trials}; selects on {s['metric']} "
                     f"({s['mode']}); {res['cpu']:g} CPU, {res['gpu']:g} GPU per trial")
        for key in ("datasets", "archs", "methods"):
            lines.append(f"    {key:<9} {', '.join(map(str, s[key]))}")
        if "space" in s:
            lines.append("    space     " + ", ".join(f"{k} {v['kind']}[{v['low']}, {v['high']}]"
                                                     if v["kind"] != "choice" else f"{k} in {list(v['choices'])}"
                                                     for k, v in s["space"].items()))
        for key, value in s.get("shown", {}).items():
            if printed.get(key, object()) == value:
                continue  # as an earlier stage showed it (the split every stage reads, say)
            printed[key] = value
            text = ", ".join(f"{label} {_text(v)}" for label, v in value.items()) if isinstance(value, dict) \
                else _text(value)
            lines.append(f"    {key:<26} {text}")
        if s["set_keys"]:
            lines.append(f"    --set     {', '.join(s['set_keys'])} reach this stage")
    return lines


def _text(value: Any) -> str:
    """A value as `--set` spells it (null, true, 24000)."""
    return json.dumps(value) if value is None or isinstance(value, bool) else str(value)
