"""The work directory: where one user project keeps Ray state, MLflow, Parquet, reports and caches."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKDIR = "mixbench-runs"


@dataclass(frozen=True)
class WorkDir:
    """Paths inside a work directory (absolute: Ray trials run in their own folders).

    What is pickled (Ray Tune's state) or recorded (`mixbench.json`, trial configs, Parquet rows) names
    a place in the work directory by its path relative to the root (the `*_key` methods), resolved
    against the work directory a command is given: a moved or copied work directory records and
    resumes into itself."""

    root: Path

    @classmethod
    def at(cls, path: str | os.PathLike | None) -> "WorkDir":
        return cls(Path(path or DEFAULT_WORKDIR).expanduser().resolve())

    @property
    def ray(self) -> Path:
        return self.root / "ray"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlartifacts(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def epochs(self) -> Path:
        return self.results / "epochs"

    @property
    def trials(self) -> Path:
        return self.results / "trials"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def experiment_reports(self, experiment: str) -> Path:
        """An experiment's reports: a folder per invocation, `latest` and the pages that open it
        (`orchestrator.report.publish`)."""
        return self.reports / experiment

    def report(self, experiment: str, folder: str) -> Path:
        """One invocation's report (report.md, index.html, tables, figures); `folder` as
        `orchestrator.report.publish.report_folder_name` gives it."""
        return self.reports / experiment / folder

    def latest_report_link(self, experiment: str) -> Path:
        """A relative symlink to the folder of the experiment's latest report (where symlinks exist)."""
        return self.reports / experiment / "latest"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def default_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    def invocation(self, experiment: str, invocation: str) -> Path:
        """One `mixbench run`: its record (`mixbench.json`) and one Tune experiment folder per stage
        (those under `--storage` instead, where it is given)."""
        return self.root / invocation_key(experiment, invocation)

    def invocation_record(self, experiment: str, invocation: str) -> Path:
        return self.invocation(experiment, invocation) / "mixbench.json"

    def latest_marker(self, experiment: str) -> Path:
        """Names the experiment's latest invocation (what `resume` and `report` pick by default)."""
        return self.ray / experiment / "latest"

    def artifacts(self, experiment: str, invocation: str) -> Path:
        """Where the stages of one invocation hand files to each other (a generator, generated sets)."""
        return self.root / artifacts_key(experiment, invocation)

    def resolve(self, key: str | os.PathLike) -> Path:
        """A workdir-relative key as a path of this work directory (an absolute path is kept)."""
        return self.root / key

    def create(self) -> "WorkDir":
        for path in (self.ray, self.results, self.reports, self.cache, self.mlartifacts):
            path.mkdir(parents=True, exist_ok=True)
        return self


def invocation_key(experiment: str, invocation: str) -> str:
    """The invocation's folder relative to the work directory (and to `--storage`)."""
    return f"ray/{experiment}/{invocation}"


def stage_key(experiment: str, invocation: str, stage: str) -> str:
    """One stage's Tune experiment folder relative to the work directory or `--storage`."""
    return f"{invocation_key(experiment, invocation)}/{stage}"


def artifacts_key(experiment: str, invocation: str) -> str:
    """The invocation's artifacts folder relative to the work directory: the `artifacts_dir` value a
    trial's config carries (the trial resolves it against the work directory it runs for)."""
    return f"artifacts/{experiment}/{invocation}"
