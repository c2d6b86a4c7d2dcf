"""WHAT to run: experiments, dataset specs and training recipes, as plain data.

`EXPERIMENTS` is the one index of every named experiment (the demo, the ζ-mixup paper's tables and
figures, GeMix's Table I); `get_experiment(name)` names the valid choices on a miss.
"""
from __future__ import annotations

from search_spaces.demo import DEMO
from search_spaces.experiment import Experiment
from search_spaces.gemix_paper import EXPERIMENTS as GEMIX_PAPER_EXPERIMENTS
from search_spaces.zeta_figures import EXPERIMENTS as ZETA_FIGURE_EXPERIMENTS
from search_spaces.zeta_paper import EXPERIMENTS as ZETA_PAPER_EXPERIMENTS
from workloads.registry import Registry

EXPERIMENTS: Registry[Experiment] = Registry("experiment")


def register_experiment(experiment: Experiment) -> Experiment:
    EXPERIMENTS.add(experiment.name, experiment)
    return experiment


def get_experiment(name: str) -> Experiment:
    return EXPERIMENTS.get(name)


register_experiment(DEMO)
for _experiment in (*ZETA_PAPER_EXPERIMENTS.values(), *ZETA_FIGURE_EXPERIMENTS.values(),
                    *GEMIX_PAPER_EXPERIMENTS.values()):
    register_experiment(_experiment)
