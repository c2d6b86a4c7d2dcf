"""System metrics of a trial (CPU, memory, disk, network, and GPU through NVML where present) on its
MLflow run, with MLflow's own `SystemMetricsMonitor`, sampled in the trial's process: the machine a
sweep's owner wants to see is the one the trial runs on.

The driver opens the trial's run in the background (`orchestrator.record.mlflow_runs`), so the trial
looks it up by its `mixbench.trial_id` tag, polling for a while, then starts the monitor. Everything
here is best effort: a tracking server that is down or slow costs the trial nothing but these metrics.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger("mixbench")

FIND_RUN_S = 600.0  # how long a trial waits for the driver to open its run
POLL_S = (0.5, 1.0, 2.0, 5.0)  # waits between lookups, the last one repeated
FINISH_WAIT_S = 2.0  # how long a trial's end waits for its last sample to reach MLflow


def sampling_interval() -> float:
    """Seconds between samples: MLflow's own setting where the user gave one, else 10."""
    return float(os.environ.get("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL") or 10.0)


class TrialSystemMetrics:
    """`start()` in the trial, `stop()` when it ends; nothing happens when `enabled` is False."""

    def __init__(self, tracking_uri: str, experiment: str, trial_id: str, enabled: bool = True) -> None:
        self.tracking_uri, self.experiment, self.trial_id, self.enabled = tracking_uri, experiment, trial_id, enabled
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the monitor starts before `stop`, or never
        self._monitor: Any = None

    def start(self) -> None:
        if self.enabled and self.trial_id:
            threading.Thread(target=self._run, name="mixbench-system-metrics", daemon=True).start()

    def stop(self) -> None:
        """Never waits on a lookup (against a dead tracking server one takes seconds: the thread ends
        once it returns) and waits at most FINISH_WAIT_S for the last sample."""
        with self._lock:
            self._stop.set()
            monitor = self._monitor
        if monitor is not None:
            finish = threading.Thread(target=self._finish, args=(monitor,), name="mixbench-system-metrics-end",
                                      daemon=True)
            finish.start()
            finish.join(timeout=FINISH_WAIT_S)

    def _finish(self, monitor: Any) -> None:
        try:
            monitor.finish()
            self._last_sample(monitor)
        except Exception as exc:  # the metrics are a view; the trial's result stands
            log.debug("system metrics: %s", exc)

    @staticmethod
    def _last_sample(monitor: Any) -> None:
        """One sample taken as the trial ends: MLflow's loop drops the samples of an unfinished interval,
        so a trial shorter than the sampling interval would otherwise log none."""
        monitor.collect_metrics()
        monitor.publish_metrics(monitor.aggregate_metrics())
        monitor.mlflow_logger.flush()

    def _run(self) -> None:
        try:
            run_id = self._find_run()
            if run_id is None or self._stop.is_set():
                return
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            monitor = SystemMetricsMonitor(run_id, sampling_interval=sampling_interval(), tracking_uri=self.tracking_uri,
                                           resume_logging=True)
            with self._lock:
                if self._stop.is_set():
                    return
                monitor.start()
                self._monitor = monitor
        except Exception as exc:
            log.debug("system metrics of trial %s: %s", self.trial_id, exc)

    def _find_run(self) -> str | None:
        from mlflow.tracking import MlflowClient

        from orchestrator.record.mlflow_store import configure_http
        from orchestrator.record.tracking import TRIAL_TAG

        configure_http()
        client = MlflowClient(self.tracking_uri)
        waited, attempt = 0.0, 0
        while not self._stop.is_set() and waited < FIND_RUN_S:
            try:
                experiment = client.get_experiment_by_name(self.experiment)
                if experiment is not None:
                    runs = client.search_runs([experiment.experiment_id], f"tags.`{TRIAL_TAG}` = '{self.trial_id}'",
                                              max_results=1)
                    if runs:
                        return runs[0].info.run_id
            except Exception as exc:
                log.debug("system metrics: looking for the run of trial %s: %s", self.trial_id, exc)
            pause = POLL_S[min(attempt, len(POLL_S) - 1)]
            self._stop.wait(pause)
            waited, attempt = waited + pause, attempt + 1
        return None
