"""A search algorithm whose restored state agrees with the trials Tune restores.

Tune saves its experiment snapshot (the trials) and the search algorithm's state (how many trials
it created, which ones hold a concurrency slot, where a grid stands) as separate files and uploads
them to the storage folder in the background. A driver killed during an upload leaves files from
two different snapshots, and `Tuner.restore` reads them as one. Then a grid hands out a config a
second time (searcher behind the trials) or never (searcher ahead: the config went to a trial the
snapshot does not hold), the trial counter ends a stage early, and a concurrency slot held by a
trial that no longer exists is never freed (with one slot, the resumed stage waits forever).

`ConsistentSearch` reads the snapshot Tune restores from and derives that state from its trials.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ray.tune.execution.experiment_state import _find_newest_experiment_checkpoint
from ray.tune.experiment import Trial
from ray.tune.search import ConcurrencyLimiter, SearchGenerator, Searcher
from ray.tune.utils.serialization import TuneFunctionEncoder, _loads_with_cloudpickle


def canonical(config: dict[str, Any]) -> str:
    """One string per config however it was stored (a JSON round trip turns tuples into lists)."""
    return json.dumps(json.loads(json.dumps(config, cls=TuneFunctionEncoder)), sort_keys=True)


def snapshot_trials(dirpath: str) -> list[Trial] | None:
    """The trials of the newest experiment snapshot in `dirpath` (the one `Tuner.restore` reads:
    Tune copies the stage folder's state files there before restoring its search algorithm)."""
    newest = _find_newest_experiment_checkpoint(dirpath)
    if newest is None:
        return None
    state = _loads_with_cloudpickle(Path(newest).read_bytes())
    return [Trial.from_json_state(trial_json, stub=True) for trial_json, _ in state["trial_data"]]


def searcher_chain(search: SearchGenerator) -> list[Searcher]:
    """The wrapped searchers, outermost first (a ConcurrencyLimiter, then the searcher itself)."""
    chain, searcher = [], search.searcher
    while searcher is not None:
        chain.append(searcher)
        searcher = getattr(searcher, "searcher", None)
    return chain


class ConsistentSearch(SearchGenerator):
    """Tune's SearchGenerator, reconciled with the restored trials after `restore_from_dir`."""

    def restore_from_dir(self, dirpath: str) -> None:
        super().restore_from_dir(dirpath)
        trials = snapshot_trials(dirpath)
        if trials is not None:
            self.agree_with(trials)

    def agree_with(self, trials: list[Trial]) -> None:
        self._counter = len(trials)  # the trials Tune holds are the trials created
        self._finished = False  # the searcher says FINISHED again once nothing is left
        unfinished = {t.trial_id for t in trials if t.status != Trial.TERMINATED}  # Tune reruns these
        for searcher in searcher_chain(self):
            if isinstance(searcher, ConcurrencyLimiter):
                searcher.live_trials = set(unfinished)
                searcher.num_unfinished_live_trials = len(unfinished)
            elif hasattr(searcher, "agree_with"):
                searcher.agree_with(trials)


def consistent_search(searcher: Searcher, max_concurrent: int | None) -> ConsistentSearch:
    """`searcher` as Tune would wrap it for `max_concurrent_trials`, restorable consistently (pass
    the result as `search_alg` and leave TuneConfig's `max_concurrent_trials` unset)."""
    if max_concurrent:
        searcher = ConcurrencyLimiter(searcher, max_concurrent=max_concurrent)
    return ConsistentSearch(searcher)
