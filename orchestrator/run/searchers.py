"""Search algorithms: an ordered grid that resumes where it stopped, and Optuna TPE that knows
an early-stopped trial from a finished one."""
from __future__ import annotations

import pickle
from collections import Counter
from typing import Any, Mapping

import optuna
from ray import tune
from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from orchestrator.run.consistent_search import canonical
from search_spaces.experiment import Param


class OrderedGridSearcher(Searcher):
    """Hands out a fixed list of configs in order, then FINISHED.

    Tune's own grid expansion would order trials by its variant generator; keeping our order lets
    all seeds of one table cell run next to each other, so whole cells finish early. What was handed
    out is saved with Tune's experiment state and, on `Tuner.restore`, made to agree with the trials
    Tune restored (`agree_with`, called by `ConsistentSearch`): a config is never handed out twice,
    and one whose trial the snapshot lost is handed out again.
    """

    def __init__(self, configs: list[dict[str, Any]], metric: str, mode: str) -> None:
        super().__init__(metric=metric, mode=mode)
        self.configs = configs
        self.handed_out: set[int] = set()

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        index = next((i for i in range(len(self.configs)) if i not in self.handed_out), None)
        if index is None:
            return Searcher.FINISHED
        self.handed_out.add(index)
        return dict(self.configs[index])

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        pass  # a grid learns nothing from results

    def agree_with(self, trials: list) -> None:
        """Handed out = the configs of the trials Tune holds (`ray.tune.experiment.Trial`s)."""
        held = Counter(canonical(trial.config) for trial in trials)
        self.handed_out = set()
        for index, config in enumerate(self.configs):
            key = canonical(config)
            if held[key] > 0:
                held[key] -= 1
                self.handed_out.add(index)

    def get_state(self) -> dict:
        return {"configs": self.configs, "handed_out": sorted(self.handed_out)}

    def set_state(self, state: dict) -> None:
        self.configs = state["configs"]
        # `next_index`: the state of work directories from before `handed_out`
        self.handed_out = set(state["handed_out"]) if "handed_out" in state else set(range(state["next_index"]))

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.get_state(), f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            self.set_state(pickle.load(f))


class EarlyStopAwareOptunaSearch(OptunaSearch):
    """OptunaSearch that reports a trial ASHA stopped before `full_epochs` as PRUNED.

    The stock OptunaSearch tells Optuna COMPLETE with the last reported value, so a trial cut
    after one epoch would enter TPE's model as if its 1-epoch accuracy were what those
    hyperparameters achieve: an unfairly bad point that steers the search away from good regions.
    Telling PRUNED keeps it as a pruned trial (TPE ranks pruned trials by their intermediate
    values, below completed ones), which is how Optuna's own pruners treat early stops.
    """

    def __init__(self, *args: Any, full_epochs: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full_epochs = full_epochs

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if trial_id in self._ot_trials:  # see on_trial_complete
            super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if trial_id not in self._ot_trials:
            # A trial restored from an experiment snapshot newer than this searcher's saved state
            # (`orchestrator.run.consistent_search`): its point never entered the study.
            return
        if result and not error and int(result.get("epoch", self.full_epochs)) < self.full_epochs:
            result = None  # value None, no error -> OptunaSearch tells the study PRUNED
        super().on_trial_complete(trial_id, result=result, error=error)


def tune_domain(param: Param):
    """A search_spaces Param as a Ray Tune domain (OptunaSearch converts these to distributions)."""
    if param.kind == "uniform":
        return tune.uniform(param.low, param.high)
    if param.kind == "loguniform":
        return tune.loguniform(param.low, param.high)
    if param.kind == "int":
        return tune.randint(int(param.low), int(param.high) + 1)
    return tune.choice(list(param.choices))


def search_domains(space: Mapping[str, Param]) -> dict[str, Any]:
    """The space as Ray Tune domains, to sit in the Tuner's param_space beside the fixed values."""
    return {name: tune_domain(param) for name, param in space.items()}


def optuna_searcher(seed: int, full_epochs: int) -> OptunaSearch:
    """TPE, seeded so the same sweep proposes the same points. Tune hands it the space, the
    metric and the mode from the Tuner's param_space and TuneConfig."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return EarlyStopAwareOptunaSearch(sampler=optuna.samplers.TPESampler(seed=seed), full_epochs=full_epochs)
