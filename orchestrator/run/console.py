"""What a sweep prints: one line per trial start and end, a progress line per stage (done / running /
pending / failed, best so far, elapsed and estimated time left) when the counts or the best change, at
most every PROGRESS_SECONDS, and at least every HEARTBEAT_SECONDS while trials run; errors as they
come. Ray Tune's own boxes and status tables appear only with `--verbose`.

The estimate counts trial-epochs: the stage's planned epochs over every trial, against those done.
"""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ray.tune import Callback

from orchestrator.record.callback import error_message

PROGRESS_SECONDS = 10.0
HEARTBEAT_SECONDS = 120.0


def duration(seconds: float) -> str:
    """3725 -> "1h02m", 95 -> "1m35s", 4.2 -> "4s"."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def cell(config: dict[str, Any], searched: tuple[str, ...] = ()) -> str:
    """The trial's table cell in words: dataset, method (variant), arch, seed, and a sweep's searched values."""
    label = config.get("variant") or config.get("method")
    text = f"{config.get('dataset')} {label} {config.get('arch')} seed {config.get('seed')}"
    values = [f"{k}={config[k]:.4g}" if isinstance(config.get(k), float) else f"{k}={config.get(k)}" for k in searched]
    return " ".join([text, *values])


class ConsoleProgress(Callback):
    """Picklable (Tune stores callbacks with the experiment); runtime state starts afresh in `setup`."""

    def __init__(self, stage: str, planned_trials: int, epochs_per_trial: int, metric: str, mode: str,
                 searched: tuple[str, ...] = ()) -> None:
        self.stage = stage
        self.searched = tuple(searched)  # a Bayesian stage's searched keys, shown with each trial
        self.planned_trials = planned_trials
        self.epochs_per_trial = max(1, epochs_per_trial)
        self.metric = metric
        self.mode = mode
        self._reset()

    def _reset(self) -> None:
        self._out: TextIO = sys.stdout
        self._started = time.time()
        self._last_print = 0.0
        self._last_state: tuple = ()
        self._best: float | None = None

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset()

    def setup(self, **info: Any) -> None:
        self._reset()

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    # -- per trial ------------------------------------------------------------------------------------

    def on_trial_start(self, iteration: int, trials: list, trial, **info: Any) -> None:
        self._print(f"[{self.stage}] start {cell(trial.config, self.searched)}")

    def on_trial_complete(self, iteration: int, trials: list, trial, **info: Any) -> None:
        result = trial.last_result or {}
        value = result.get(self.metric)
        self._note_best(value)
        score = f"{self.metric}={value:.4f}, " if isinstance(value, (int, float)) else ""
        epochs = result.get("epoch", result.get("training_iteration", "?"))
        took = duration(float(result.get("time_total_s") or 0))
        self._print(f"[{self.stage}] done  {cell(trial.config, self.searched)}: {score}{epochs} epochs in {took}")

    def on_trial_error(self, iteration: int, trials: list, trial, **info: Any) -> None:
        self._print(f"[{self.stage}] FAILED {cell(trial.config, self.searched)}: {error_message(trial)}")

    def _note_best(self, value: Any) -> None:
        if not isinstance(value, (int, float)):
            return
        better = (lambda a, b: a > b) if self.mode == "max" else (lambda a, b: a < b)
        if self._best is None or better(value, self._best):
            self._best = float(value)

    # -- per stage ------------------------------------------------------------------------------------

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        now = time.time()
        if now - self._last_print < PROGRESS_SECONDS:
            return
        state = (*self.counts(trials), self._best)
        if state != self._last_state or now - self._last_print >= HEARTBEAT_SECONDS:
            self._print(self.progress_line(trials, now))
            self._last_state, self._last_print = state, now

    def counts(self, trials: list) -> tuple[int, int, int, int]:
        """(done, running, pending, failed) of the stage's planned trials."""
        status = [t.status for t in trials]
        done, failed, running = status.count("TERMINATED"), status.count("ERROR"), status.count("RUNNING")
        return done, running, max(0, self.planned_trials - done - failed - running), failed

    def progress_line(self, trials: list, now: float) -> str:
        done, running, pending, failed = self.counts(trials)
        epochs_done = sum(int((t.last_result or {}).get("epoch", 0) or 0) for t in trials)
        total = self.planned_trials * self.epochs_per_trial
        elapsed = now - self._started
        left = elapsed * (total - epochs_done) / epochs_done if epochs_done else None
        best = f"best {self.metric} {self._best:.4f}" if self._best is not None else f"best {self.metric} –"
        eta = f", ~{duration(left)} left" if left is not None else ""
        return (f"[{self.stage}] {done} done, {running} running, {pending} pending, {failed} failed; {best}; "
                f"{duration(elapsed)} elapsed{eta}")

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        self._print(self.progress_line(trials, time.time()) + " (stage finished)")
