"""WHAT to run: experiments, dataset specs and training recipes, as plain data."""
from __future__ import annotations

from search_spaces.demo import DEMO
from search_spaces.experiment import Experiment
from search_spaces.gemix_paper import EXPERIMENTS as GEMIX_PAPER_EXPERIMENTS
from search_spaces.zeta_paper import EXPERIMENTS as ZETA_PAPER_EXPERIMENTS

EXPERIMENTS: dict[str, Experiment] = {}


def register_experiment(experiment: Experiment) -> Experiment:
    if experiment.name in EXPERIMENTS:
        raise ValueError(f"experiment {experiment.name!r} is already registered")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; valid choices: {', '.join(EXPERIMENTS)}") from None


register_experiment(DEMO)
for _experiment in (*ZETA_PAPER_EXPERIMENTS.values(), *GEMIX_PAPER_EXPERIMENTS.values()):
    register_experiment(_experiment)
