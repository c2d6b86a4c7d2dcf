"""Results tables laid out for printing (`Tabular`, rendered by `orchestrator.report.render`).

Two orientations:
- `tabular(table)`: one metric; rows are datasets (or dataset / arch), columns the variants (the ζ-mixup
  paper's Tables 4–8);
- `methods_tabular(tables)`: several metrics in one table; rows are the variants, columns each row of
  the metric tables (an arch, say) x metric (GeMix's Table I: setups as rows, archs x P/R/F1).
Each cell: ours (best bold, second underlined per column or row compared, the gain over the baseline, †
where the difference from the baseline is beyond seed noise), and with published numbers, the
published value and Δ (✓/✗: consistent with a published mean ± std). Published and Δ sit in columns of
their own where the table fits the page (MAX_WIDTH_PX, estimated from the text); otherwise in the
same cell, one short line each, so no table is wider than the page.
"""
from __future__ import annotations

from typing import Iterable

from orchestrator.report.render import BEST, NONE, SECOND, Cell, Column, Tabular
from orchestrator.report.significance import (SIGNIFICANT, baseline_rule, consistency_mark, published_rule,
                                              significant)
from orchestrator.report.tables import Table

MAX_WIDTH_PX = 1400
CHAR_PX, CELL_PADDING_PX = 7.5, 18  # tables at 13 px sans-serif (about 7 px a digit), with room; padding and borders
# Short column names of metrics (GeMix's Table I prints P, R, F1).
METRIC_LABELS = {"precision_macro": "P", "recall_macro": "R", "f1_macro": "F1", "f1_micro": "F1 micro",
                 "bacc": "bal. acc", "acc": "acc", "err": "err", "auc": "AUC"}


def metric_label(metric: str) -> str:
    name = metric.split("_", 1)[1] if metric.startswith(("test_", "val_")) else metric
    return METRIC_LABELS.get(name, name)


def _marks(scores: dict[str, float], higher_is_better: bool) -> dict[str, str]:
    """BEST and SECOND of `scores` (key -> mean), when there are at least two."""
    ranked = sorted(scores, key=scores.get, reverse=higher_is_better)
    return {k: (BEST if i == 0 else SECOND) for i, k in enumerate(ranked[:2])} if len(ranked) > 1 else {}


def row_marks(table: Table, row: str) -> dict[str, str]:
    present = {c: table.cells[(row, c)].mean for c in table.columns if table.cells[(row, c)].n > 0}
    return _marks(present, table.higher_is_better)


def ours_text(table: Table, row: str, column: str, scale: float) -> str:
    text = table.cells[(row, column)].text(scale)
    gain = table.improvement(row, column)
    text = f"{text} ({gain:+.1f}%)" if gain is not None else text
    return f"{text} {SIGNIFICANT}" if significant(table.p_vs_baseline(row, column)) else text


def published_text(table: Table, row: str, column: str, scale: float) -> tuple[str, str]:
    """(published value, ours − published with its ✓/✗) as printed; "–" where there is none."""
    pub = table.published.get((row, column))
    if pub is None:
        return NONE, NONE
    value, std = pub
    text = f"{value * scale:.2f}" + (f" ± {std * scale:.2f}" if std is not None else "")
    diff = table.difference(row, column)
    if diff is None:
        return text, NONE
    mark = consistency_mark(table.p_vs_published(row, column))
    return text, f"{diff * scale:+.2f}" + (f" {mark}" if mark else "")


def cells(table: Table, row: str, column: str, scale: float, mark: str | None, beside: bool) -> list[Cell]:
    """Ours, then (with a source) published and Δ: in two more cells `beside` it, else in the same cell,
    one short line each (ours and †; the gain; "pub ..."; "Δ ..."), so a wide table narrows."""
    if beside or not table.source:
        ours = ours_text(table, row, column, scale)
        if not table.source:
            return [Cell(ours, mark)]
        return [Cell(ours, mark), *(Cell(text) for text in published_text(table, row, column, scale))]
    cell = table.cells[(row, column)]
    lines = [cell.text(scale) + (f" {SIGNIFICANT}" if significant(table.p_vs_baseline(row, column)) else "")]
    gain = table.improvement(row, column)
    if gain is not None:
        lines.append(f"({gain:+.1f}%)")
    pub, delta = published_text(table, row, column, scale)
    lines += [f"pub {pub}"] + ([f"Δ {delta}"] if delta != NONE else [])
    return [Cell("\n".join(lines), mark)]


def _group(path: tuple[str, ...], table: Table, flat: str, beside: bool) -> list[Column]:
    """A value's column(s): one, or with published numbers beside it, ours / published / Δ under `path`."""
    if not table.source or not beside:
        return [Column(path, flat)]
    return [Column((*path, "ours"), flat), Column((*path, "published"), f"{flat} (published)"),
            Column((*path, "Δ"), f"{flat} Δ")]


def citation(table: Table) -> str:
    return f"published: {table.source}; Δ = ours − published, in points" if table.source else ""


def notes(tables: Iterable[Table]) -> list[str]:
    """The rules a reader needs: seeds per cell, what † and ✓/✗ mean, where the published numbers are from."""
    tables = list(tables)
    done = [c.n for t in tables for c in t.cells.values() if c.n and c.complete]
    seeds = f"n = {max(set(done), key=done.count)}" if done else "n"
    out = [f"Each cell: mean ± std over {seeds} seeds (a cell with fewer says (n/planned))."]
    baselines = {t.baseline for t in tables if t.baseline and t.baseline in t.columns}
    out += [baseline_rule(b) for b in sorted(baselines)]
    if any(std is not None for t in tables for _, std in t.published.values()):
        out.append(published_rule())
    return out + sorted({citation(t) for t in tables if t.source})


def estimated_width(table: Tabular) -> float:
    """The rendered HTML table's width in pixels, estimated from its longest text per column."""
    def width(texts: Iterable[str]) -> float:
        return max((len(line) for text in texts for line in text.split("\n")), default=0) * CHAR_PX + CELL_PADDING_PX

    label = width([table.corner, *(label for label, _ in table.rows)])
    leaves = [width([col.path[-1], *(cells[i].text for _, cells in table.rows)]) for i, col in enumerate(table.columns)]
    return label + sum(leaves)


def fitting(build) -> Tabular:
    """`build(beside=True)` if it fits MAX_WIDTH_PX, else `build(beside=False)`."""
    wide = build(True)
    return wide if estimated_width(wide) <= MAX_WIDTH_PX else build(False)


def tabular(table: Table, scale: float = 100.0, beside: bool | None = None) -> Tabular:
    """One metric: rows x variants (see the module docstring); `beside` None chooses what fits the page."""
    if beside is None:
        return fitting(lambda b: tabular(table, scale, b))
    out = Tabular([col for c in table.columns for col in _group((c,), table, c, beside)], notes=notes([table]))
    for row in table.rows:
        marks = row_marks(table, row)
        out.add(row, [cell for c in table.columns for cell in cells(table, row, c, scale, marks.get(c), beside)])
    return out


def methods_tabular(tables: list[Table], scale: float = 100.0, beside: bool | None = None) -> Tabular:
    """Several metrics of one stage: variants as rows, (table row, metric) as columns; best per column."""
    if beside is None:
        return fitting(lambda b: methods_tabular(tables, scale, b))
    first = tables[0]
    # Rows of the metric tables are "dataset / arch": with one dataset, the arch alone names the group.
    datasets = {r.split(" / ")[0] for r in first.rows}
    group = {r: (r.split(" / ", 1)[1] if len(datasets) == 1 and " / " in r else r) for r in first.rows}
    columns = [col for r in first.rows for t in tables
               for col in _group((group[r], metric_label(t.metric)), t, f"{group[r]} {metric_label(t.metric)}", beside)]
    out = Tabular(columns, corner="setup", notes=notes(tables))
    marks = {(r, t.metric): _marks({c: t.cells[(r, c)].mean for c in t.columns if t.cells[(r, c)].n > 0},
                                   t.higher_is_better) for r in first.rows for t in tables}
    for variant in first.columns:
        out.add(variant, [cell for r in first.rows for t in tables
                          for cell in cells(t, r, variant, scale, marks[(r, t.metric)].get(variant), beside)])
    return out
