"""The invocation record: what one `mixbench run` was started with and how far it got.

An *invocation* (one `mixbench run`) gets an id; its record is `WORKDIR/ray/NAME/<invocation>/mixbench.json`
and `WORKDIR/ray/NAME/latest` names the experiment's latest invocation. This module is their only
reader and writer: `resume` replays the saved options exactly, and reports read the options that
change a cell's identity (`smoke`, `sets`) from here.

The record names the work directory's own MLflow store by a relative URI (`sqlite:///mlflow.db`, the
database file relative to the work directory), so a moved or copied work directory records into its
own store; any other store is kept as given (absolute).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.record.file_lock import file_lock
from orchestrator.record.results import trials_table
from orchestrator.record.status import INVOCATION_RUNNING
from orchestrator.workdir import WorkDir

RELATIVE_SQLITE = "sqlite:///"  # + a path relative to the work directory (an absolute one starts with "/")


@dataclass
class RunOptions:
    """Everything an invocation was started with (saved, so `resume` replays it exactly)."""

    smoke: bool = False
    sets: dict[str, Any] = field(default_factory=dict)
    address: str | None = None
    tracking_uri: str | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_concurrent: int | None = None
    max_failures: int = 1
    verbose: bool = False  # Ray Tune's own status tables and the workers' output on the console
    system_metrics: bool = True  # MLflow's system metrics (CPU, memory, GPU) on every trial's run
    storage: str | None = None  # Tune state and checkpoints (orchestrator.record.storage); None: the work directory

    def validate(self) -> None:
        """One-line ValueErrors for values Ray would take badly (NaN never compares, a negative
        --max-failures means "retry forever" to Ray Tune)."""
        if not (math.isfinite(self.cpus_per_trial) and self.cpus_per_trial > 0):
            raise ValueError(f"--cpus-per-trial must be a number > 0, got {self.cpus_per_trial}")
        if not (math.isfinite(self.gpus_per_trial) and self.gpus_per_trial >= 0):
            raise ValueError(f"--gpus-per-trial must be a number >= 0, got {self.gpus_per_trial}")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError(f"--max-concurrent must be >= 1, got {self.max_concurrent}")
        if self.max_failures < 0:
            raise ValueError(f"--max-failures must be >= 0 (retries of a failed trial), got {self.max_failures}")
        if self.storage is not None:
            from orchestrator.record.storage import check_storage

            check_storage(self.storage)

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> "RunOptions":
        """Options as saved; keys a newer or older mixbench wrote are left out."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in state.items() if k in known})


@dataclass
class Invocation:
    experiment: str
    invocation: str
    options: RunOptions
    tracking_uri: str
    parent_run_id: str = ""
    status: str = INVOCATION_RUNNING
    standins: list[str] = field(default_factory=list)  # datasets generated because the real ones were missing

    def save(self, workdir: WorkDir) -> None:
        """Write the record (atomically) and mark this invocation the experiment's latest unless a newer
        one is: ids start with their start time, so concurrent invocations agree on the latest whatever
        order they save in (an older run that ends last does not take the marker back)."""
        path = workdir.invocation_record(self.experiment, self.invocation)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = asdict(self)
        state["tracking_uri"] = portable_uri(self.tracking_uri, workdir)
        state["options"]["tracking_uri"] = portable_uri(self.options.tracking_uri, workdir)
        _atomic_write(path, json.dumps(state, indent=2))
        marker = workdir.latest_marker(self.experiment)
        with file_lock(marker.with_name(".latest.lock")):
            current = latest_id(workdir, self.experiment)
            if current is None or self.invocation >= current:
                _atomic_write(marker, self.invocation)

    @classmethod
    def load(cls, workdir: WorkDir, experiment: str, invocation: str) -> "Invocation":
        """The saved record of `invocation`; ValueError naming the file if it is absent or unreadable."""
        path = workdir.invocation_record(experiment, invocation)
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the invocation record {path}: {exc}") from None
        state["options"] = RunOptions.from_json(state.get("options") or {})
        state["options"].tracking_uri = resolved_uri(state["options"].tracking_uri, workdir)
        state["tracking_uri"] = resolved_uri(state.get("tracking_uri"), workdir) or workdir.default_tracking_uri()
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in state.items() if k in known})

    @classmethod
    def latest(cls, workdir: WorkDir, experiment: str) -> "Invocation":
        invocation = latest_id(workdir, experiment)
        if invocation is None:
            raise ValueError(f"no run of experiment {experiment!r} in {workdir.root} to resume; "
                             f"start one with `mixbench run {experiment}`")
        return cls.load(workdir, experiment, invocation)


def latest_id(workdir: WorkDir, experiment: str) -> str | None:
    """The id of the experiment's latest invocation, or None if it never ran here."""
    marker = workdir.latest_marker(experiment)
    try:
        return marker.read_text().strip() or None
    except OSError:
        return None


def saved_invocation(workdir: WorkDir, experiment: str, invocation: str | None) -> Invocation | None:
    """The record of `invocation`, or None when it is absent or unreadable (a report must still say what
    it can about an interrupted or foreign work directory)."""
    if not invocation:
        return None
    try:
        return Invocation.load(workdir, experiment, invocation)
    except ValueError:
        return None


def saved_options(workdir: WorkDir, experiment: str, invocation: str | None) -> RunOptions:
    """The options `invocation` was started with; defaults when its record cannot be read."""
    record = saved_invocation(workdir, experiment, invocation)
    return record.options if record else RunOptions()


def known_invocations(workdir: WorkDir, experiment: str) -> list[str]:
    """Every invocation of `experiment` in the work directory (a saved record, or rows in the results
    store), oldest id first."""
    try:
        recorded = {p.parent.name for p in (workdir.ray / experiment).glob("*/mixbench.json")}
    except OSError:
        recorded = set()
    return sorted(recorded | set(trials_table(workdir.results).invocations(experiment)))


def portable_uri(uri: str | None, workdir: WorkDir) -> str | None:
    """A SQLite store inside the work directory as `sqlite:///<path relative to it>`; others as they are."""
    if not uri or not uri.startswith(RELATIVE_SQLITE + "/"):
        return uri
    path = Path(uri[len(RELATIVE_SQLITE):])
    try:
        return RELATIVE_SQLITE + path.relative_to(workdir.root).as_posix()
    except ValueError:
        return uri


def resolved_uri(uri: str | None, workdir: WorkDir) -> str | None:
    """`portable_uri` undone against the work directory the record was read from."""
    if not uri or not uri.startswith(RELATIVE_SQLITE) or uri.startswith(RELATIVE_SQLITE + "/"):
        return uri
    return RELATIVE_SQLITE + str(workdir.resolve(uri[len(RELATIVE_SQLITE):]))


def new_invocation_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"


def _atomic_write(path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def chosen_invocation(workdir: WorkDir, experiment: str, requested: str | None = None) -> str | None:
    """The invocation a command means: the one asked for, else the experiment's latest, else (a work
    directory without its `latest` marker) the newest invocation in the trials table."""
    if requested:
        return requested
    latest = latest_id(workdir, experiment)
    if latest:
        return latest
    # Invocation ids start with their start time, so the greatest is the newest; the store names them
    # by folder, so this reads no rows (only a legacy single-file table's invocation column).
    invocations = trials_table(workdir.results).invocations(experiment)
    return invocations[-1] if invocations else None
