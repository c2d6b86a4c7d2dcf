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


def sampling_interval() -> float:
    """Seconds between samples: MLflow's own setting where the user gave one, else 10."""
    return float(os.environ.get("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL") or 10.0)


class TrialSystemMetrics:
    """`start()` in the trial, `stop()` when it ends; nothing happens when `enabled` is False."""

    def __init__(self, tracking_uri: str, experiment: str, trial_id: str, enabled: bool = True) -> None:
        self.tracking_uri, self.experiment, self.trial_id, self.enabled = tracking_uri, experiment, trial_id, enabled
        self._stop = threading.Event()
        self._monitor: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.enabled and self.trial_id:
            self._thread = threading.Thread(target=self._run, name="mixbench-system-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_S[-1] + 1)
        if self._monitor is not None:
            try:
                self._monitor.finish()
                self._last_sample()
            except Exception as exc:  # the metrics are a view; the trial's result stands
                log.debug("system metrics: %s", exc)

    def _last_sample(self) -> None:
        """One sample taken as the trial ends: MLflow's loop drops the samples of an unfinished interval,
        so a trial shorter than the sampling interval would otherwise log none."""
        monitor = self._monitor
        monitor.collect_metrics()
        monitor.publish_metrics(monitor.aggregate_metrics())
        monitor.mlflow_logger.flush()

    def _run(self) -> None:
        try:
            run_id = self._find_run()
            if run_id is None or self._stop.is_set():
                return
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            self._monitor = SystemMetricsMonitor(run_id, sampling_interval=sampling_interval(), tracking_uri=self.tracking_uri,
                                                 resume_logging=True)
            self._monitor.start()
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
