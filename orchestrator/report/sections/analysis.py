"""Section "analysis": what the figure trainables (`workloads/figures/`) left in the invocation's artifacts
folder, one block per trial: the choices made, the paper's statements beside what the run measured
(a claims table), the figures (PNG) and the numbers behind them (CSV), copied into the report folder.

Each trial wrote `{artifacts}/<folder>/<trial>/summary.json` (`workloads.figures.base`); files are copied
as `<trial>-<name>` so that trials of one figure never overwrite each other. Where a trial's dataset was
a generated stand-in (the invocation's record says so), its claims are marked: they say nothing about
the paper. Params: `folder` (the figure's folder under the artifacts, e.g. "fig2").
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Mapping

from orchestrator.record.invocation import saved_invocation
from orchestrator.record.status import LOST, TERMINATED
from orchestrator.report.doc import Doc
from orchestrator.report.render import NONE, Tabular, columns, write_table
from orchestrator.report.sections.registry import SectionContext, register
from workloads.figures.base import SUMMARY_FILE

STANDIN_MARK = " (stand-in data)"


def holds_text(holds: bool | None, standin: bool) -> str:
    text = NONE if holds is None else "yes" if holds else "no"
    return text + (STANDIN_MARK if standin and holds is not None else "")


def claims_tabular(claims: list[dict[str, Any]], standin: bool) -> Tabular:
    """The paper / this run / holds, one row per claim (the row label states the claim and its rule)."""
    table = Tabular(columns("the paper", "this run", "holds"), corner="claim")
    for c in claims:
        table.add(c["claim"], [c["paper"], c["ours"], holds_text(c.get("holds"), standin)])
    if standin:
        table.notes.append("Measured on a generated stand-in (the dataset is not on this machine): these numbers test the pipeline, "
                           "not the paper.")
    return table


def copy_into(source: Path, directory: Path, name: str) -> Path:
    target = directory / name
    shutil.copyfile(source, target)
    return target


def render_summary(doc: Doc, summary: dict[str, Any], folder: Path, directory: Path, standin: bool) -> list[Path]:
    """One trial's block; returns the files written into `directory`."""
    trial = summary["trial"]
    doc.heading(f"{summary['figure']}, {trial}: {summary['title']}", 3)
    files: list[Path] = []
    if summary.get("choices"):
        doc.text("How it was measured:")
        doc.items(summary["choices"])
    if summary.get("claims"):
        table = claims_tabular(summary["claims"], standin)
        files += write_table(table, directory / f"{trial}-claims")
        doc.table(table)
    for item in summary.get("figures", []):
        source = folder / item["file"]
        if source.is_file():
            path = copy_into(source, directory, f"{trial}-{item['file']}")
            files.append(path)
            doc.figure([path], item["caption"])
    tables = [(folder / t["file"], t["caption"]) for t in summary.get("tables", []) if (folder / t["file"]).is_file()]
    for source, caption in tables:
        path = copy_into(source, directory, f"{trial}-{source.name}")
        files.append(path)
        doc.figure([path], caption)
    if summary.get("notes"):
        doc.items(summary["notes"])
    return files


def trial_status(context: SectionContext) -> str:
    """'Invocation X (smoke): n of m analysis trials finished, ...' (the figure stages have no results table,
    so this is where the report counts them)."""
    record = saved_invocation(context.workdir, context.experiment.name, context.invocation)
    head = f"Invocation {context.invocation or '(none recorded)'}{' (smoke)' if record and record.options.smoke else ''}"
    trials = context.trials
    if trials.empty or "status" not in trials:
        return f"{head}: no trial recorded."
    stages = {s.name for s in context.experiment.stages}
    mine = trials[trials["stage"].isin(stages) & (trials["status"] != LOST)] if "stage" in trials else trials
    done = int((mine["status"] == TERMINATED).sum())
    others = mine.loc[mine["status"] != TERMINATED, "status"].value_counts().to_dict()
    extra = "".join(f", {n} {s.lower().replace('_', ' ')}" for s, n in sorted(others.items()))
    return f"{head}: {done} of {len(mine)} recorded analysis trials finished{extra}."


def standin_datasets(context: SectionContext) -> set[str]:
    record = saved_invocation(context.workdir, context.experiment.name, context.invocation)
    return set(record.standins) if record else set()


def summaries(context: SectionContext, folder: str) -> list[tuple[Path, dict[str, Any]]]:
    """(trial folder, its summary) for every trial of the invocation that wrote one, in name order."""
    if context.artifacts is None:
        return []
    root = context.artifacts / folder
    return [(p.parent, json.loads(p.read_text())) for p in sorted(root.glob(f"*/{SUMMARY_FILE}"))]


def render_trials(context: SectionContext, found: list[tuple[Path, dict[str, Any]]]) -> list[Path]:
    """Every trial's block (or a line saying there is none yet); returns the files written."""
    if not found:
        context.doc.text("No figure written yet for this invocation (its trials have not finished)."
                         if context.invocation else "No invocation recorded.")
        return []
    standins = standin_datasets(context)
    files: list[Path] = []
    for path, summary in found:
        files += render_summary(context.doc, summary, path, context.directory, summary.get("dataset") in standins)
    return files


def render_folder(context: SectionContext, folder: str, heading: str) -> list[Path]:
    """The heading, the trials' status, then every trial's block; returns the files written."""
    context.doc.heading(heading)
    context.doc.text(trial_status(context))
    return render_trials(context, summaries(context, folder))


@register("analysis")
def analysis(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    paper = context.experiment.paper or context.experiment.name
    return render_folder(context, params["folder"], f"{paper}: figures, their numbers, and the paper's statements")
