"""A real `mlflow server` that a test can kill (as an outage does) and start again on the same port
and store, and the fixture that hands one out."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.orchestrator.conftest import free_port


class MlflowServer:
    """`mlflow server` on 127.0.0.1:`port` backed by SQLite under `root`, in its own process group
    (the server runs its web workers as child processes: a kill takes the group)."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> "MlflowServer":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(self.port),
             "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
             "--artifacts-destination", str(self.root / "artifacts"), "--workers", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root, start_new_session=True,
        )
        deadline = time.time() + timeout  # a loaded 2-core machine starts MLflow slowly
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"mlflow server exited with {self.proc.returncode}")
            if self.healthy():
                return self
            time.sleep(0.5)
        self.kill()
        pytest.fail(f"mlflow server did not start within {timeout:.0f} s")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server and its workers: connections are refused from now on."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(30)
        self.proc = None
        deadline = time.time() + 30
        while self.healthy() and time.time() < deadline:  # a worker that outlived its group leader
            time.sleep(0.2)


@pytest.fixture
def restartable_mlflow_server(tmp_path):
    server = MlflowServer(tmp_path / "mlflow-server").start()
    yield server
    server.kill()
