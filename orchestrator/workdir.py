"""The work directory: where one user project keeps Ray state, MLflow, Parquet, reports and caches."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WORKDIR = "mixbench-runs"


@dataclass(frozen=True)
class WorkDir:
    """Paths inside a work directory (absolute: Ray trials run in their own folders)."""

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

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def default_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    def experiment_state(self, name: str) -> Path:
        """The invocation record of experiment `name` (what `mixbench resume` replays)."""
        return self.ray / name / "mixbench.json"

    def stage_dir(self, name: str, stage: str) -> Path:
        return self.ray / name / stage

    def create(self) -> "WorkDir":
        for path in (self.ray, self.results, self.reports, self.cache, self.mlartifacts):
            path.mkdir(parents=True, exist_ok=True)
        return self
