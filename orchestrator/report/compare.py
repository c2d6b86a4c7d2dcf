"""`mixbench report --compare WORKDIR_A WORKDIR_B NAME`: two runs of one experiment side by side.

Per grid cell: A's mean ± std, B's, and B − A (in points); per Bayesian stage: finished trials and
the best metric of each. Written to WORKDIR_B/reports/NAME/compare-<A's directory name>.{md,html}
and linked from WORKDIR_B/reports/index.html.
"""
from __future__ import annotations

import os

import pandas as pd

from orchestrator.report.build import Report, grid_tables, load_trials, stage_trials
from orchestrator.report.doc import Doc
from orchestrator.report.index import write_index
from orchestrator.record.invocation import saved_options
from orchestrator.record.status import TERMINATED
from orchestrator.report.layout import report_stages
from orchestrator.report.render import NONE, Column, Tabular
from orchestrator.report.tables import Table
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment


def _order(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]


def compare_cells(a: Table, b: Table, row: str, column: str, scale: float = 100.0) -> tuple[str, str, str]:
    """(A's text, B's text, B − A) of one cell; "–" where a side has no such cell or result."""
    ca, cb = a.cells.get((row, column)), b.cells.get((row, column))
    text_a = ca.text(scale) if ca else NONE
    text_b = cb.text(scale) if cb else NONE
    diff = f"{(cb.mean - ca.mean) * scale:+.2f}" if ca and cb and ca.n and cb.n else NONE
    return text_a, text_b, diff


def compare_tabular(a: Table, b: Table, names: tuple[str, str]) -> Tabular:
    """Per variant: A's cell, B's cell and B − A, for every row either side has."""
    rows, variants = _order(a.rows, b.rows), _order(a.columns, b.columns)
    cols = [col for c in variants for col in (Column((c, f"A: {names[0]}"), f"{c} {names[0]}"),
                                              Column((c, f"B: {names[1]}"), f"{c} {names[1]}"),
                                              Column((c, "B − A"), f"{c} B − A"))]
    table = Tabular(cols, css_class="compare")
    for row in rows:
        table.add(row, [text for c in variants for text in compare_cells(a, b, row, c)])
    return table


def _best(trials: pd.DataFrame, metric: str, mode: str) -> str:
    done = trials[trials["status"] == TERMINATED] if len(trials) and "status" in trials else trials.iloc[0:0]
    if done.empty or metric not in done:
        return f"0 finished, best {metric} {NONE}"
    values = done[metric].dropna().astype(float)
    best = values.min() if mode == "min" else values.max()
    return f"{len(done)} finished, best {metric} {best:.4f}"


def compare_report(workdir_a: str | os.PathLike | WorkDir, workdir_b: str | os.PathLike | WorkDir, name: str) -> Report:
    """Compare the latest invocations of experiment `name` in two work directories (A, then B).

    Raises ValueError for an unknown experiment name or a work directory that does not exist.
    """
    experiment = get_experiment(name)
    wa, wb = (w if isinstance(w, WorkDir) else WorkDir.at(w) for w in (workdir_a, workdir_b))
    for label, w in (("WORKDIR_A", wa), ("WORKDIR_B", wb)):
        if not w.root.is_dir():
            raise ValueError(f"{label} {w.root} is not a directory (a mixbench work directory, e.g. ./mixbench-runs)")
    names = (wa.root.name, wb.root.name)
    if names[0] == names[1]:  # same directory name (e.g. two checkouts): name them by their parents too
        names = (f"{wa.root.parent.name}/{names[0]}", f"{wb.root.parent.name}/{names[1]}")
    sides = []
    for w in (wa, wb):
        trials, invocation = load_trials(w, name, None)
        options = saved_options(w, name, invocation)
        sides.append((trials, invocation, {s.name: s for s in report_stages(experiment, options.smoke, options.sets)}))
    doc = Doc(f"{name}: A = {names[0]} vs B = {names[1]}")
    doc.text(f"A: {wa.root} (invocation {sides[0][1] or 'none'}, {len(sides[0][0])} trials); "
             f"B: {wb.root} (invocation {sides[1][1] or 'none'}, {len(sides[1][0])} trials). "
             "Cells: mean ± std over finished seeds in %, (n/expected) where incomplete; B − A in points.")
    for stage_name in _order(list(sides[0][2]), list(sides[1][2])):
        stage_a, stage_b = sides[0][2].get(stage_name), sides[1][2].get(stage_name)
        stage = stage_a or stage_b
        trials_a, trials_b = stage_trials(sides[0][0], stage_name), stage_trials(sides[1][0], stage_name)
        if stage.kind == "grid":
            tables_a = grid_tables(experiment, stage_a or stage_b, trials_a)
            tables_b = grid_tables(experiment, stage_b or stage_a, trials_b)
            for ta, tb in zip(tables_a, tables_b):
                doc.heading(f"{stage_name}: {ta.metric}")
                doc.table(compare_tabular(ta, tb, names))
        else:
            doc.heading(f"{stage_name}: Bayesian sweep")
            doc.items([f"A: {_best(trials_a, stage.metric, stage.mode)}", f"B: {_best(trials_b, stage.metric, stage.mode)}"])
    directory = wb.reports / name
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"compare-{wa.root.name}"
    md_path, html_path = stem.with_suffix(".md"), stem.with_suffix(".html")
    markdown = doc.markdown()
    md_path.write_text(markdown)
    html_path.write_text(doc.html([md_path]))
    return Report(name, directory, markdown, [md_path, html_path, write_index(wb)])
