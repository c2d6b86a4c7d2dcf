import optuna
import pytest
from ray.tune.search import Searcher

from orchestrator.run.searchers import OrderedGridSearcher, optuna_searcher, search_domains
from search_spaces.experiment import Param


def test_ordered_grid_hands_out_configs_in_order_then_finishes_and_resumes_in_place(tmp_path):
    configs = [{"seed": s} for s in range(3)]
    searcher = OrderedGridSearcher(configs, metric=None, mode=None)
    assert searcher.suggest("t0") == {"seed": 0}
    path = tmp_path / "searcher.pkl"
    searcher.save(str(path))
    restored = OrderedGridSearcher([], metric=None, mode=None)
    restored.restore(str(path))
    assert [restored.suggest(f"t{i}") for i in (1, 2)] == [{"seed": 1}, {"seed": 2}]
    assert restored.suggest("t3") == Searcher.FINISHED


def make_optuna(full_epochs=5):
    searcher = optuna_searcher(seed=0, full_epochs=full_epochs)
    space = search_domains({"gamma": Param("uniform", 1.0, 6.0), "weight_decay": Param("loguniform", 5e-5, 1e-3)})
    assert searcher.set_search_properties("test_acc", "max", space)
    return searcher


def test_optuna_proposes_inside_the_space_and_is_reproducible_from_its_seed():
    first, second = make_optuna(), make_optuna()
    points = [first.suggest(f"t{i}") for i in range(3)]
    assert points == [second.suggest(f"t{i}") for i in range(3)]
    for point in points:
        assert 1.0 <= point["gamma"] <= 6.0 and 5e-5 <= point["weight_decay"] <= 1e-3


@pytest.mark.parametrize("epoch, error, state", [
    (5, False, optuna.trial.TrialState.COMPLETE),   # ran all epochs
    (1, False, optuna.trial.TrialState.PRUNED),     # stopped early by ASHA
    (2, True, optuna.trial.TrialState.FAIL),        # crashed
])
def test_an_early_stopped_trial_reaches_optuna_as_pruned_not_complete(epoch, error, state):
    searcher = make_optuna(full_epochs=5)
    searcher.suggest("t0")
    searcher.on_trial_result("t0", {"test_acc": 0.5, "training_iteration": epoch, "epoch": epoch})
    searcher.on_trial_complete("t0", result=None if error else {"test_acc": 0.5, "epoch": epoch}, error=error)
    (trial,) = searcher._ot_study.get_trials(deepcopy=False)
    assert trial.state == state
