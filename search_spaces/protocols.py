"""The protocol text of a ζ-mixup paper experiment, built from what the trials actually use: each
dataset's split rule (`DatasetSpec.splits`) and its group's recipe (`search_spaces.recipes`) with the
experiment's overrides. The report prints it under "Protocol:", so a reader sees the splits, the
recipe and where the run departs from the paper without reading the code.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from search_spaces.datasets import get_dataset_spec
from search_spaces.recipes import recipe_for

# The paper trains on the whole official train split and reports on the partition it calls
# validation (the official test set of CIFAR, STL-10, F-MNIST; Imagenette's and Imagewoof's official
# validation set): nothing is left for selection. We hold part of train out instead.
NATURAL_DEVIATION = ("Deviation: the paper trains on the whole official train split and reports on the partition "
                     "it calls validation (the official test set here); we train on 90 % of it so that selection "
                     "never sees the test split.")


def recipe_text(recipe: Mapping[str, Any]) -> str:
    """e.g. "SGD (Nesterov 0.9), lr 0.1 x0.2 at 80/120/160, wd 5e-4, 200 epochs, batch 128"."""
    if recipe["optimizer"] == "sgd":
        momentum = f" ({'Nesterov ' if recipe.get('nesterov') else 'momentum '}{recipe['momentum']:g})" \
            if recipe.get("momentum") else ""
        optimizer = f"SGD{momentum}"
    else:
        optimizer = recipe["optimizer"].capitalize()
    milestones = recipe.get("milestones") or []
    schedule = f" x{recipe['lr_decay']:g} at {'/'.join(str(m) for m in milestones)}" if milestones else ""
    decay = f", wd {recipe['weight_decay']:g}" if recipe.get("weight_decay") else ""
    return f"{optimizer}, lr {recipe['lr']:g}{schedule}{decay}, {recipe['epochs']} epochs, batch {recipe['batch_size']}"


def grouped(datasets: Iterable[str], describe) -> str:
    """"a, b: <text>; c: <other text>" with datasets that share a description listed together."""
    groups: dict[str, list[str]] = {}
    for name in datasets:
        groups.setdefault(describe(name), []).append(name)
    return "; ".join(f"{', '.join(names)}: {text}" for text, names in groups.items())


def zeta_protocol(datasets: Iterable[str], fixed: Mapping[str, Any] | None = None, note: str = "") -> str:
    """Splits and recipe of every dataset (the experiment's `fixed` overriding the recipe), then `note`."""
    datasets = tuple(dict.fromkeys(datasets))
    splits = grouped(datasets, lambda name: get_dataset_spec(name).splits)
    recipes = grouped(datasets, lambda name: recipe_text({**recipe_for(name), **(fixed or {})}))
    return f"Splits: {splits}. Recipe: {recipes}." + (f" {note}" if note else "")
