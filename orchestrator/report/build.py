"""`mixbench report NAME`: tables and figures of an experiment, from the Parquet results alone.

Works on a finished, running or interrupted experiment: cells are laid out as planned, a cell with
fewer finished seeds than planned shows "(n/expected)", one with none "missing" (or "running").
Each invocation's report goes to WORKDIR/reports/NAME/<invocation>/ (report.md, index.html, per table
.md/.html/.tex, figures as .html + .png), published whole; WORKDIR/reports/NAME/ leads to the latest
one and WORKDIR/reports/index.html to every one (`orchestrator.report.publish`).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from orchestrator.record.invocation import RunOptions, chosen_invocation, known_invocations, saved_invocation
from orchestrator.record.results import damaged_parts, higher_is_better, invocation_trials
from orchestrator.record.status import ERROR, LOST, RUNNING, TERMINATED
from orchestrator.report.figures import gamma_figure, paired_figure, sweep_figure
from orchestrator.report.doc import Doc
from orchestrator.report.index import write_index, write_latest, write_summary
from orchestrator.report.layout import ReportStage, report_stages
from orchestrator.report.publish import NO_INVOCATION, adopt_legacy, publish, report_folder_name, retire, staging_folder
from orchestrator.report.render import write_table
from orchestrator.report.sections import SectionContext, run_sections
from orchestrator.report.results_tabular import methods_tabular, tabular
from orchestrator.report.tables import Table, build_table
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment
from search_spaces.experiment import Experiment
from search_spaces.published import published

MAX_LISTED = 20  # missing cells / failed trials listed by name in the report


@dataclass
class Report:
    experiment: str
    directory: Path  # the report's folder: reports/NAME/<invocation>/ (a comparison's: reports/NAME/)
    markdown: str
    files: list[Path] = field(default_factory=list)
    invocation: str | None = None


def load_trials(workdir: WorkDir, experiment: str, invocation: str | None) -> tuple[pd.DataFrame, str | None]:
    """Trials rows of `experiment`'s given (default: latest) invocation, and that invocation."""
    invocation = chosen_invocation(workdir, experiment, invocation)
    return invocation_trials(workdir.results, experiment, invocation), invocation


def stage_trials(trials: pd.DataFrame, stage: str) -> pd.DataFrame:
    if trials.empty or "stage" not in trials:
        return pd.DataFrame()
    return trials[trials["stage"] == stage].reset_index(drop=True)


def attach_published(table: Table, experiment: Experiment, stage: ReportStage) -> None:
    """Put the published numbers of `experiment` (search_spaces.published, keyed by its name) beside
    ours, matched on dataset, arch and variant; an experiment without any gets no such columns."""
    rows = published(experiment.name)
    if not rows:
        return
    table.source = ", ".join(sorted({p.source for p in rows}))
    by_label = {r.label: r for r in stage.rows}
    for label in table.rows:
        row = by_label.get(label)
        if row is None:  # a row only the trials know (not planned): no published counterpart
            continue
        for column in table.columns:
            try:
                found = published(experiment.name, row.dataset, row.arch, column, table.metric)
            except ValueError:  # a metric the papers never report
                found = []
            if found:
                table.published[(label, column)] = (found[0].value, found[0].std)


def at_reported_epoch(trials: pd.DataFrame, metrics: tuple[str, ...]) -> pd.DataFrame:
    """The trials with each metric's column holding its value at the epoch best on the stage's selection
    metric (`at_best_<metric>`, written by the recorder); NaN where a row has none."""
    out = trials.copy()
    for metric in metrics:
        column = f"at_best_{metric}"
        out[metric] = out[column] if column in out else float("nan")
    return out


def grid_tables(experiment: Experiment, stage: ReportStage, trials: pd.DataFrame, epoch: str | None = None) -> list[Table]:
    """One table per report metric of a grid stage, planned layout, published numbers attached; the
    metrics at `epoch` ("last" or "best"; default: the experiment's `reported_epoch`)."""
    if (epoch or experiment.reported_epoch) == "best" and len(trials):
        trials = at_reported_epoch(trials, experiment.report_metrics)
    baseline = experiment.baseline if experiment.baseline in stage.columns else None
    tables = []
    for metric in experiment.report_metrics:
        table = build_table(trials, metric, stage.row_keys, stage.expected, higher_is_better(metric), baseline,
                            stage.columns, [r.label for r in stage.rows])
        attach_published(table, experiment, stage)
        tables.append(table)
    return tables


def _cell_list(table: Table) -> list[str]:
    out = []
    for row, column in table.incomplete():
        cell = table.cells[(row, column)]
        state = "running" if cell.n == 0 and cell.running else "missing" if cell.n == 0 else "incomplete"
        out.append(f"{row} × {column}: {cell.n}/{cell.expected} seeds ({state})")
    return out


def _failures(trials: pd.DataFrame) -> list[str]:
    if trials.empty or "status" not in trials:
        return []
    failed = trials[trials["status"] == ERROR]
    return [f"trial {r.get('trial_id')} ({r.get('dataset')} {r.get('variant')} seed {r.get('seed')}): {r.get('error')}"
            for r in failed.to_dict("records")]


def _listed(items: list[str]) -> list[str]:
    return items[:MAX_LISTED] + ([f"... and {len(items) - MAX_LISTED} more"] if len(items) > MAX_LISTED else [])


def _grid_section(doc: Doc, experiment: Experiment, stage: ReportStage, trials: pd.DataFrame,
                  directory: Path, files: list[Path]) -> tuple[list[Table], int]:
    tables = grid_tables(experiment, stage, trials)
    complete = stage.cells - len(tables[0].incomplete()) if tables else 0
    doc.heading(f"{stage.name}: {complete} of {stage.cells} cells complete")
    _render_tables(doc, experiment, stage.name, tables, directory, files)
    if tables and experiment.reported_epoch == "best":
        _render_tables(doc, experiment, stage.name, grid_tables(experiment, stage, trials, epoch="last"), directory,
                       files, at="last epoch")
    if tables and tables[0].source:
        doc.text("Published numbers are matched on dataset, arch and variant; '–': the paper has none.")
    if tables and tables[0].incomplete():
        doc.text("Not complete yet:")
        doc.items(_listed(_cell_list(tables[0])))
    failures = _failures(trials)
    if failures:
        doc.text(f"{len(failures)} failed trials:")
        doc.items(_listed(failures))
    if tables:
        paths = gamma_figure(tables[0], directory / f"{stage.name}-gamma", f"{experiment.name} {stage.name}: "
                             f"{tables[0].metric} against γ (vs {tables[0].baseline or '-'})")
        if paths:
            files.extend(paths)
            doc.figure(paths, f"{tables[0].metric} against γ, mean ± std over seeds; dashed: {tables[0].baseline}")
    return tables, complete


def _render_tables(doc: Doc, experiment: Experiment, stage: str, tables: list[Table], directory: Path,
                   files: list[Path], at: str = "") -> None:
    """A stage's tables in the experiment's layout, written as files and placed in the report; `at`
    names an epoch other than the reported one (its tables' files end in `-<at>`)."""
    suffix, heading = (f"-{at.replace(' ', '-')}", f", at the {at}") if at else ("", "")
    if tables and experiment.table_rows == "methods":  # one table: setups as rows, row groups x metrics as columns
        rendered = methods_tabular(tables)
        rendered.notes += list(experiment.table_notes)
        files += write_table(rendered, directory / f"{stage}-table{suffix}")
        doc.heading(f"{stage}: {', '.join(t.metric for t in tables)}{heading} (%, mean ± std over seeds; "
                    f"vs {tables[0].baseline or '-'})", 3)
        doc.table(rendered)
    for table in tables if experiment.table_rows != "methods" else []:
        rendered = tabular(table)
        rendered.notes += list(experiment.table_notes)
        files += write_table(rendered, directory / f"{stage}-{table.metric}{suffix}")
        doc.heading(f"{stage}: {table.metric}{heading} (%, mean ± std over seeds; vs {table.baseline or '-'})", 3)
        doc.table(rendered)


def _bayesian_section(doc: Doc, experiment: Experiment, stage: ReportStage, trials: pd.DataFrame,
                      directory: Path, files: list[Path]) -> int:
    status = trials["status"].value_counts().to_dict() if len(trials) and "status" in trials else {}
    finished = int(status.get(TERMINATED, 0))
    doc.heading(f"{stage.name}: Bayesian sweep on {stage.dataset} / {stage.arch}, {finished} of "
                f"{stage.num_samples} trials finished")
    others = {k: v for k, v in status.items() if k != TERMINATED}
    if others:
        doc.text("Other trials: " + ", ".join(f"{v} {k.lower().replace('_', ' ')}" for k, v in sorted(others.items())) + ".")
    paths, lines = sweep_figure(stage, trials, directory / f"{stage.name}-parallel", f"{experiment.name} {stage.name}")
    for line in lines:
        doc.text(line)
    if paths:
        files.extend(paths)
        doc.figure(paths, f"parallel coordinates of {', '.join(stage.space)} and {stage.metric}")
    failures = _failures(trials)
    if failures:
        doc.items(_listed(failures))
    return finished


def _store_notes(doc: Doc, workdir: WorkDir, name: str, invocation: str | None) -> None:
    """Say when the results this report read came from a damaged store (footers only: no rows read)."""
    unreadable, aside = damaged_parts(workdir.results, name, invocation)
    def shown(paths: list[Path]) -> str:
        return ", ".join(_listed([os.path.relpath(p, workdir.root) for p in paths]))

    if unreadable:
        doc.text(f"**Damaged results store: {len(unreadable)} unreadable Parquet part(s) were skipped, so rows "
                 f"may be missing from this report** ({shown(unreadable)}). `mixbench resume {name}` sets them "
                 f"aside and writes their epoch rows again from Ray's result logs.")
    if aside:
        doc.text(f"{len(aside)} damaged Parquet part(s) were set aside ({shown(aside)}); `mixbench resume {name}` "
                 f"writes the epoch rows they held again from Ray's result logs.")


def build_report(name: str, workdir: WorkDir, invocation: str | None = None) -> Report:
    """Write every table and figure of experiment `name`'s `invocation` (default: its latest) into
    WORKDIR/reports/NAME/<invocation>/, published whole (`orchestrator.report.publish`), then point
    reports/NAME/ at the latest report and refresh the work directory's index. Raises ValueError for an
    unknown experiment name or an invocation the work directory does not know."""
    experiment = get_experiment(name)
    if invocation is not None and invocation not in (known := known_invocations(workdir, name)):
        raise ValueError(f"no invocation {invocation!r} of {name!r} in {workdir.root}; known: "
                         f"{', '.join(known) or 'none (run it first)'}")
    trials, invocation = load_trials(workdir, name, invocation)
    folder = report_folder_name(invocation)
    experiment_dir = workdir.experiment_reports(name)
    adopt_legacy(experiment_dir)
    staged = staging_folder(experiment_dir, folder)
    final = workdir.report(name, folder)
    try:
        markdown, files = _write_report(experiment, workdir, trials, invocation, staged)
        publish(staged, final)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    files = [final / p.relative_to(staged) if p.is_relative_to(staged) else p for p in files]
    pointers = write_latest(workdir, name)
    if folder != NO_INVOCATION and (experiment_dir / NO_INVOCATION).is_dir():
        retire(experiment_dir / NO_INVOCATION)  # the report of a run not started yet is superseded
    return Report(name, final, markdown, [*files, *pointers, write_index(workdir)], invocation)


def _write_report(experiment: Experiment, workdir: WorkDir, trials: pd.DataFrame, invocation: str | None,
                  directory: Path) -> tuple[str, list[Path]]:
    """Write the report of `invocation` into `directory`; returns its Markdown and every file written."""
    name = experiment.name
    record = saved_invocation(workdir, name, invocation)
    options = record.options if record else RunOptions()
    smoke = options.smoke
    stages = report_stages(experiment, smoke, options.sets)
    files: list[Path] = []
    doc = Doc(name)
    if record and record.standins:
        doc.text(f"Stand-in data: {', '.join(record.standins)} were not on the machine that ran this; the trials "
                 "ran on generated stand-ins of their shape and classes, so these numbers are meaningless.")
    doc.text(experiment.description + (f" ({experiment.paper})" if experiment.paper else ""))
    if experiment.protocol:
        doc.text(f"Protocol: {experiment.protocol}")
    if stages:  # an experiment of analyses only (every stage report=False) has no table and selects nothing
        epoch = (f"at each trial's epoch best on {experiment.metric} (the checkpoint one keeps; the last epoch's "
                 "below each table)" if experiment.reported_epoch == "best" else "at each trial's last epoch")
        doc.text(f"Selection: searches and best-epoch choices use {experiment.metric} ({experiment.mode}); the tables "
                 f"report {', '.join(experiment.report_metrics)} {epoch}.")
    # Preparatory stages (report=False, e.g. GAN training) are neither planned cells nor counted here.
    reported = trials[trials["stage"].isin({s.name for s in stages}) & (trials["status"] != LOST)] \
        if len(trials) and "stage" in trials else trials
    counts = reported["status"].value_counts().to_dict() if len(reported) and "status" in reported else {}
    planned = sum(s.planned_trials for s in stages)
    if stages:
        doc.text(f"Invocation {invocation or '(none recorded)'}{' (smoke)' if smoke else ''}: {len(reported)} of "
                 f"{planned} planned trials recorded, {int(counts.get(TERMINATED, 0))} finished, "
                 f"{int(counts.get(RUNNING, 0))} running, {int(counts.get(ERROR, 0))} failed.")
    _store_notes(doc, workdir, name, invocation)
    context = SectionContext(experiment, trials, workdir, invocation, directory, doc)
    files += run_sections(context, tuple(s for s in experiment.sections if s.place == "top"))
    by_metric: dict[str, list[Table]] = {m: [] for m in experiment.report_metrics}
    progress = []
    # A progress bar on stderr, shown only when the tables and figures take more than a few seconds.
    bar = tqdm(total=len(stages) + 2, desc=f"report {name}", unit="part", delay=3, leave=False)
    for stage in stages:
        bar.update()
        mine = stage_trials(trials, stage.name)
        if stage.kind == "grid":
            tables, complete = _grid_section(doc, experiment, stage, mine, directory, files)
            for table in tables:
                by_metric[table.metric].append(table)
            progress.append(f"{stage.name} {complete}/{stage.cells} cells")
        else:
            finished = _bayesian_section(doc, experiment, stage, mine, directory, files)
            progress.append(f"{stage.name} {finished}/{stage.num_samples} trials")
    bar.update()
    files += run_sections(context, tuple(s for s in experiment.sections if s.place != "top"))
    bar.update()
    bar.close()
    if any(by_metric.values()):
        paths = paired_figure(by_metric, directory / "paired", f"{name}: mean over seeds per metric")
        if paths:
            files.extend(paths)
            doc.heading("Paired comparison")
            doc.figure(paths, "paired dots per metric and dataset")
    markdown = doc.markdown()
    report_md = directory / "report.md"
    report_md.write_text(markdown)
    summary = write_summary(directory, {"experiment": name, "description": experiment.description,
                                        "invocation": invocation, "progress": "; ".join(progress)})
    index = directory / "index.html"
    index.write_text(doc.html([report_md, *files], links=(("../../index.html", "all reports"),
                                                          ("../index.html", f"latest report of {name}"))))
    return markdown, [report_md, index, *files, summary]
