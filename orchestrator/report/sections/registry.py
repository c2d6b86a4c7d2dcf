"""The section registry and what every section is handed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from orchestrator.record.status import TERMINATED
from orchestrator.report.doc import Doc
from orchestrator.workdir import WorkDir
from search_spaces.experiment import Experiment, Section
from workloads.registry import Registry


@dataclass
class SectionContext:
    """One report being written: the experiment, its invocation's trials rows, where its files go."""

    experiment: Experiment
    trials: pd.DataFrame
    workdir: WorkDir
    invocation: str | None
    directory: Path  # the report's folder
    doc: Doc

    @property
    def artifacts(self) -> Path | None:
        """The invocation's artifacts folder (stage-to-stage files), if there is an invocation."""
        return self.workdir.artifacts(self.experiment.name, self.invocation) if self.invocation else None

    def finished(self, stage: str, *columns: str) -> pd.DataFrame:
        """The stage's finished trials that have every one of `columns`."""
        needed = {"stage", "status", *columns}
        if self.trials.empty or not needed <= set(self.trials):
            return pd.DataFrame()
        rows = self.trials[(self.trials["stage"] == stage) & (self.trials["status"] == TERMINATED)]
        return rows.dropna(subset=list(columns)).reset_index(drop=True)


SectionFn = Callable[[SectionContext, Mapping[str, Any]], list[Path]]
SECTIONS: Registry[SectionFn] = Registry("report section")


def register(name: str) -> Callable[[SectionFn], SectionFn]:
    return SECTIONS.register(name)


def run_sections(context: SectionContext, sections: tuple[Section, ...]) -> list[Path]:
    """Run the experiment's declared sections in order; returns every file they wrote."""
    files: list[Path] = []
    for section in sections:
        files += SECTIONS.get(section.name)(context, section.params)
    return files
