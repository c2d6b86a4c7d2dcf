"""The quiet console: one line per trial start and end, progress lines only when something changed."""
from __future__ import annotations

import io
import time
from types import SimpleNamespace

from orchestrator.run.console import PROGRESS_SECONDS, ConsoleProgress, duration


def trial(status, epoch=0, **config):
    return SimpleNamespace(status=status, config={"dataset": "digits", "variant": "zeta", "arch": "small_cnn",
                                                  "seed": 0, **config},
                           last_result={"epoch": epoch, "val_acc": 0.5 + epoch / 100, "time_total_s": 75.0})


def console(out):
    progress = ConsoleProgress("sweep", planned_trials=4, epochs_per_trial=10, metric="val_acc", mode="max",
                               searched=("gamma",))
    progress._out = out
    return progress


def test_a_trial_gets_one_line_at_start_and_one_at_end_with_its_selection_metric():
    out = io.StringIO()
    progress = console(out)
    progress.on_trial_start(0, [], trial("RUNNING", gamma=2.5))
    progress.on_trial_complete(0, [], trial("TERMINATED", epoch=10, gamma=2.5))
    lines = out.getvalue().splitlines()
    assert lines == ["[sweep] start digits zeta small_cnn seed 0 gamma=2.5",
                     "[sweep] done  digits zeta small_cnn seed 0 gamma=2.5: val_acc=0.6000, 10 epochs in 1m15s"]


def test_progress_counts_and_estimates_from_trial_epochs_and_repeats_only_on_change():
    out = io.StringIO()
    progress = console(out)
    trials = [trial("TERMINATED", 10), trial("RUNNING", 5)]
    progress._started -= 150  # 150 s for 15 of 40 trial-epochs: 250 s left
    line = progress.progress_line(trials, progress._started + 150)
    assert line == "[sweep] 1 done, 1 running, 2 pending, 0 failed; best val_acc –; 2m30s elapsed, ~4m10s left"
    progress._last_print = -1e9
    progress.on_step_end(0, trials)
    progress._last_print = time.time() - PROGRESS_SECONDS - 1  # past the rate limit, before a heartbeat
    progress.on_step_end(0, trials)
    assert len(out.getvalue().splitlines()) == 1  # nothing changed: no second line


def test_durations_read_like_a_clock():
    assert (duration(4.2), duration(95), duration(3725)) == ("4s", "1m35s", "1h02m")
