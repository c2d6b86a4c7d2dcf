"""A trial's system metrics never hold up its end: `stop` does not wait on a lookup a dead tracking server
keeps busy, a monitor is never started after `stop`, and a started one is finished with a last sample."""
from __future__ import annotations

import threading

import pytest

from orchestrator.run import system_metrics
from orchestrator.run.system_metrics import TrialSystemMetrics


class FakeMonitor:
    started: list["FakeMonitor"] = []

    def __init__(self, run_id, **kwargs):
        self.run_id, self.calls = run_id, []

    def start(self):
        FakeMonitor.started.append(self)
        self.calls.append("start")

    def finish(self):
        self.calls.append("finish")

    def collect_metrics(self):
        self.calls.append("collect")

    def aggregate_metrics(self):
        return {}

    def publish_metrics(self, metrics):
        self.calls.append("publish")

    @property
    def mlflow_logger(self):
        return self

    def flush(self):
        self.calls.append("flush")


def metrics_with_lookup(monkeypatch, lookup):
    import mlflow.system_metrics.system_metrics_monitor as mlflow_monitor

    FakeMonitor.started = []
    monkeypatch.setattr(mlflow_monitor, "SystemMetricsMonitor", FakeMonitor)
    made = TrialSystemMetrics("http://127.0.0.1:1", "demo", "trial-1")
    monkeypatch.setattr(made, "_find_run", lookup)
    return made


@pytest.mark.timeout(120)  # a stop that waited on the lookup would hang here, not pass
def test_stop_returns_while_the_run_lookup_hangs_and_no_monitor_starts_afterwards(monkeypatch):
    monkeypatch.setattr(system_metrics, "POLL_S", (3600.0,))  # however long a lookup's pauses are
    entered, release, done = threading.Event(), threading.Event(), threading.Event()

    def hanging_lookup():  # a lookup against a dead server: blocked until we release it
        entered.set()
        release.wait()
        return "run-1"

    made = metrics_with_lookup(monkeypatch, hanging_lookup)
    original_run = made._run
    monkeypatch.setattr(made, "_run", lambda: (original_run(), done.set()))
    made.start()
    assert entered.wait(30)
    made.stop()
    assert not release.is_set()  # stop came back with the lookup still blocked
    release.set()
    assert done.wait(30)
    assert FakeMonitor.started == []  # the run was found after stop: no monitor left sampling


def test_a_started_monitor_is_finished_with_a_last_sample(monkeypatch):
    made = metrics_with_lookup(monkeypatch, lambda: "run-1")
    started = threading.Event()
    monkeypatch.setattr(FakeMonitor, "start", lambda self: (FakeMonitor.started.append(self), started.set()))
    made.start()
    assert started.wait(30)
    made.stop()
    (monitor,) = FakeMonitor.started
    assert monitor.calls == ["finish", "collect", "publish", "flush"]
