"""A stage restored from state files of two different snapshots (a driver killed while Tune uploaded
them) still runs every grid config exactly once: real Ray Tune, a stage folder doctored the way such a
kill leaves it."""
import json
from pathlib import Path

import pytest
import ray
import ray.cloudpickle as cloudpickle
from ray import tune

from orchestrator.run.consistent_search import consistent_search, snapshot_trials
from orchestrator.run.ray_cluster import init_ray
from orchestrator.run.searchers import OrderedGridSearcher

CONFIGS = [{"cell": name, "seeds": (0, 1)} for name in ("erm", "mixup", "zeta-2.4", "zeta-2.8")]


@pytest.fixture
def local_ray():
    init_ray(None)
    yield
    ray.shutdown()


def restart_ray() -> None:
    """A new Ray session, as after a killed driver: Tune's staging copy of the state files is gone."""
    ray.shutdown()
    init_ray(None)


def trainable_logging_to(log: Path):
    def trainable(config):
        with open(log, "a") as f:
            f.write(config["cell"] + "\n")
        tune.report({"score": 1.0})
    return trainable


def grid_tuner(storage: Path, log: Path) -> tune.Tuner:
    search = consistent_search(OrderedGridSearcher(CONFIGS, metric=None, mode=None), max_concurrent=1)
    return tune.Tuner(trainable_logging_to(log),
                      tune_config=tune.TuneConfig(search_alg=search, num_samples=len(CONFIGS)),
                      run_config=tune.RunConfig(name="grid", storage_path=str(storage), verbose=0))


def restore(storage: Path, log: Path) -> tune.ResultGrid:
    return tune.Tuner.restore(str(storage / "grid"), trainable=trainable_logging_to(log),
                              resume_unfinished=True, resume_errored=True).fit()


def newest(folder: Path, pattern: str) -> Path:
    return max(folder.glob(pattern))


def ran(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_a_snapshot_that_lost_trials_the_searcher_handed_out_runs_them_again(local_ray, tmp_path):
    log = tmp_path / "ran.txt"
    grid_tuner(tmp_path, log).fit()
    assert ran(log) == [c["cell"] for c in CONFIGS]
    folder = tmp_path / "grid"
    # The experiment snapshot from before the last two trials were created, beside the search state
    # from after: the counter says 4 created, the grid says all handed out, and the one concurrency
    # slot is held by a trial the snapshot never saw.
    state_file = newest(folder, "experiment_state-*.json")
    state = json.loads(state_file.read_text())
    trials = {json.loads(data[0])["config"]["cell"]: data for data in state["trial_data"]}
    kept, lost = [trials["erm"], trials["mixup"]], [trials["zeta-2.4"], trials["zeta-2.8"]]
    state_file.write_text(json.dumps({**state, "trial_data": kept}))
    search_file = newest(folder, "search_gen_state-*.json")
    search = cloudpickle.loads(search_file.read_bytes())
    vanished = json.loads(lost[-1][0])["trial_id"]
    search["name:ConcurrencyLimiter"]["live_trials"] = {vanished}
    search["name:ConcurrencyLimiter"]["num_unfinished_live_trials"] = 1
    search_file.write_bytes(cloudpickle.dumps(search))
    log.unlink()
    restart_ray()

    results = restore(tmp_path, log)  # before: ran nothing (the stage waited on the vanished trial)

    assert sorted(ran(log)) == ["zeta-2.4", "zeta-2.8"]
    assert sorted(r.config["cell"] for r in results) == sorted(c["cell"] for c in CONFIGS)


def test_a_search_state_older_than_the_snapshot_hands_out_nothing_twice(local_ray, tmp_path):
    log = tmp_path / "ran.txt"
    grid_tuner(tmp_path, log).fit()
    folder = tmp_path / "grid"
    # The search state from when two trials had been created, beside the snapshot holding all four.
    search_file = newest(folder, "search_gen_state-*.json")
    search = cloudpickle.loads(search_file.read_bytes())
    search["counter"] = 2
    search_file.write_bytes(cloudpickle.dumps(search))
    grid_file = newest(folder, "searcher-state-*.pkl")
    grid = cloudpickle.loads(grid_file.read_bytes())
    grid_file.write_bytes(cloudpickle.dumps({**grid, "handed_out": [0, 1]}))
    log.unlink()
    restart_ray()

    results = restore(tmp_path, log)  # before: zeta-2.4 and zeta-2.8 ran a second time

    assert ran(log) == []
    assert sorted(r.config["cell"] for r in results) == sorted(c["cell"] for c in CONFIGS)
    assert len(snapshot_trials(str(folder))) == len(CONFIGS)


def test_the_grid_agrees_with_the_trials_held_counting_repeated_configs():
    class Held:
        def __init__(self, config):
            self.config = config

    grid = OrderedGridSearcher([{"a": (1, 2)}, {"a": (1, 2)}, {"a": (3,)}], metric=None, mode=None)
    grid.agree_with([Held({"a": [1, 2]})])  # stored as JSON: the tuple came back a list
    assert grid.suggest("t1") == {"a": (1, 2)}
    assert grid.suggest("t2") == {"a": (3,)}
    assert grid.suggest("t3") == "FINISHED"
