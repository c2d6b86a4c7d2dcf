"""Trials a restored Tuner creates stay in the folder it was restored from.

Ray Tune (2.60) follows a moved experiment folder for the trials it restores (`Trial.set_storage`), but
its search algorithm comes back with the `Experiment` it pickled, storage included: a trial it creates
after the restore (a config the killed driver had not handed out yet, or handed out after Tune's last
snapshot) would get the ORIGINAL folder, and a copied work directory resumed would write that trial's
checkpoints and logs into the original's. The one hook Tune calls with every trial before it starts is
its scheduler's `on_trial_add`; each stage's scheduler here points the trial at the stage's folder under
the work directory of the command (`orchestrator.record.callback.record_into`) or `--storage`.
"""
from __future__ import annotations

import copy
from pathlib import Path

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

from orchestrator.record.callback import driver_workdir
from orchestrator.record.storage import Storage


def keep_in_stage_folder(trial, storage_uri: str | None, stage_key: str) -> bool:
    """Point `trial` at `stage_key` under the driver's storage if it names another folder; True if moved."""
    storage = Storage(storage_uri, driver_workdir().root)
    folder = storage.path(stage_key)
    parent, name = Path(folder).parent.as_posix(), Path(folder).name
    current = trial.storage
    if current is None or (Path(current.storage_fs_path).as_posix() == parent and current.experiment_dir_name == name):
        return False
    moved = copy.copy(current)
    moved.storage_fs_path = parent
    moved.experiment_dir_name = name
    if storage.fs is not None:
        moved.storage_filesystem = storage.fs
    trial.set_storage(moved)
    return True


class _InStageFolder:
    """Mixin for a Tune scheduler: every trial added runs in the stage's folder (see the module doc)."""

    def __init__(self, *args, storage_uri: str | None = None, stage_key: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage_uri = storage_uri
        self.stage_key = stage_key

    def on_trial_add(self, tune_controller, trial) -> None:
        if self.stage_key:
            keep_in_stage_folder(trial, self.storage_uri, self.stage_key)
        super().on_trial_add(tune_controller, trial)


class StageFIFOScheduler(_InStageFolder, FIFOScheduler):
    """Tune's default scheduler (trials in submission order), in the stage's folder."""


class StageASHAScheduler(_InStageFolder, ASHAScheduler):
    """ASHA early stopping, in the stage's folder."""
