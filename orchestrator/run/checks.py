"""Checks before side effects: each a one-line ValueError (exit 2) before anything is started or written.

- the work directory can be written (created if absent; nothing else is created);
- a Ray address answers within PROBE_SECONDS (a TCP probe of its GCS port; `ray://` client addresses
  and "auto"/"local" are left to Ray);
- a tracking URI is one mixbench can use (sqlite, file, http(s)) and, for a server, answers its
  /health endpoint within PROBE_SECONDS (with the credentials the URI or MLflow's environment carry).
Resources no node can provide are checked right after Ray connects (`check_resources`), before any
trial is queued.
"""
from __future__ import annotations

import os
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orchestrator.workdir import WorkDir

PROBE_SECONDS = 5.0
TRACKING_SCHEMES = ("sqlite", "file", "http", "https")


def check_workdir(workdir: WorkDir) -> None:
    """The work directory is writable, or can be created: checked without creating anything (bad input
    found later must leave no trace)."""
    root = workdir.root.absolute()
    existing = next(p for p in (root, *root.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, "not a directory", str(existing))
        if existing == root:
            with tempfile.NamedTemporaryFile(dir=root, prefix=".mixbench-write-check-"):
                pass
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(13, f"{existing} is not writable")
    except OSError as exc:
        raise ValueError(f"cannot write to the work directory {workdir.root}: {exc.strerror or exc}; "
                         f"choose another with --workdir") from None


def check_ray_address(address: str | None) -> None:
    """An explicit `host:port` cluster address answers a TCP connection within PROBE_SECONDS."""
    if not address or address in ("auto", "local") or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--address {address!r} is not host:port (e.g. 10.0.0.5:6379), 'auto' or ray://host:port")
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_SECONDS):
            pass
    except OSError as exc:
        raise ValueError(f"no Ray cluster answers at {address} within {PROBE_SECONDS:g} s ({exc.strerror or exc}); "
                         f"start one with `ray start --head` or leave out --address for a local Ray") from None


def check_tracking_uri(uri: str) -> None:
    """A usable MLflow tracking URI: sqlite/file paths whose folder can be written, a server that answers."""
    from orchestrator.record.secrets import redact

    scheme = urlsplit(uri).scheme
    if scheme not in TRACKING_SCHEMES:
        raise ValueError(f"--tracking-uri {redact(uri)!r}: unsupported scheme {scheme or '(none)'!r}; valid: "
                         "sqlite:///path/mlflow.db, file:///path, http(s)://host:port")
    if scheme in ("sqlite", "file"):
        path = Path(urlsplit(uri).path)
        folder = path.parent if scheme == "sqlite" else path
        folder = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if folder is None or not os.access(folder, os.W_OK):
            raise ValueError(f"--tracking-uri {uri}: {folder or path} cannot be written")
        return
    request = urllib.request.Request(f"{_server_root(uri)}/health")
    _add_basic_auth(request, uri)
    try:
        with urllib.request.urlopen(request, timeout=PROBE_SECONDS) as response:
            response.read(16)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise ValueError(f"the MLflow server at {redact(uri)} refused the credentials (HTTP {exc.code}); set "
                             "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD") from None
        raise ValueError(f"the MLflow server at {redact(uri)} answered HTTP {exc.code} on /health") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ValueError(f"no MLflow server answers at {redact(uri)} within {PROBE_SECONDS:g} s ({reason}); start it, "
                         "or leave out --tracking-uri for the work directory's SQLite store") from None


def check_resources(cpus: float, gpus: float, nodes: list[dict[str, Any]]) -> None:
    """Some alive node offers `cpus` CPUs and `gpus` GPUs (`nodes`: `ray.nodes()`)."""
    alive = [n.get("Resources", {}) for n in nodes if n.get("Alive")]
    if any(r.get("CPU", 0) >= cpus and r.get("GPU", 0) >= gpus for r in alive):
        return
    largest = max(alive, key=lambda r: (r.get("GPU", 0), r.get("CPU", 0)), default={})
    raise ValueError(f"no node of the Ray cluster has {cpus:g} CPUs and {gpus:g} GPUs for a trial (the largest has "
                     f"{largest.get('CPU', 0):g} CPUs, {largest.get('GPU', 0):g} GPUs); lower --cpus-per-trial / "
                     f"--gpus-per-trial")


def _server_root(uri: str) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _add_basic_auth(request: urllib.request.Request, uri: str) -> None:
    import base64

    from orchestrator.record.secrets import credentials

    user, password = credentials(uri)
    if user:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
