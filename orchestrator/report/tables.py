"""Results tables from the trials Parquet: rows (datasets, or dataset / arch) x variants, mean ± std
over seeds, relative improvement over a baseline variant, best in bold and second underlined, which
differences are beyond seed noise (`orchestrator.report.significance`), and optionally the published
numbers beside ours with the difference and whether ours is consistent with them (`tabular`,
rendered by `orchestrator.report.render` as Markdown, HTML and LaTeX).

Values are fractions in the Parquet; tables print them times `scale` (100: percent, and Δ in points).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from orchestrator.record.status import RUNNING, TERMINATED
from orchestrator.report.render import BEST, NONE, SECOND, Cell as TextCell, Column, Tabular
from orchestrator.report.significance import (SIGNIFICANT, baseline_rule, consistency_mark, published_rule,
                                              significant, welch_p, welch_p_from_stats)

@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n: int  # finished seeds
    expected: int  # seeds planned (a cell with n < expected is marked incomplete)
    running: int = 0  # seeds still running (a cell without results says "running" then)
    values: tuple[float, ...] = ()  # the finished seeds' values (for the significance tests)

    def text(self, scale: float) -> str:
        if self.n == 0:
            return "running" if self.running else "missing"
        body = f"{self.mean * scale:.2f} ± {self.std * scale:.2f}" if self.n > 1 else f"{self.mean * scale:.2f}"
        return body if self.n >= self.expected else f"{body} ({self.n}/{self.expected})"

    @property
    def complete(self) -> bool:
        return self.n >= self.expected


@dataclass
class Table:
    """One metric's table: rows (datasets or dataset / arch), columns (variants), cells, ranks.

    `published[(row, column)]` = (value, std or None) as fractions; `source` cites them (e.g.
    "zeta-mixup Table 4"). With a source every column gets "published" and "Δ" sub-columns, "–" where
    the paper has no number; without one, no such columns.
    """

    metric: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]
    higher_is_better: bool
    baseline: str | None
    published: dict[tuple[str, str], tuple[float, float | None]] = field(default_factory=dict)
    source: str = ""

    def ranked(self, row: str) -> list[str]:
        """Columns of `row` with at least one result, best first."""
        present = [c for c in self.columns if self.cells[(row, c)].n > 0]
        return sorted(present, key=lambda c: self.cells[(row, c)].mean, reverse=self.higher_is_better)

    def improvement(self, row: str, column: str) -> float | None:
        """Relative improvement of `column` over the baseline in percent (positive = better)."""
        if not self.baseline or column == self.baseline or (row, self.baseline) not in self.cells:
            return None
        base, cell = self.cells[(row, self.baseline)], self.cells[(row, column)]
        if base.n == 0 or cell.n == 0 or base.mean == 0:
            return None
        change = (cell.mean - base.mean) / abs(base.mean) * 100
        return change if self.higher_is_better else -change

    def difference(self, row: str, column: str) -> float | None:
        """Ours − published (fractions), None where either is absent."""
        cell, pub = self.cells[(row, column)], self.published.get((row, column))
        if pub is None or cell.n == 0:
            return None
        return cell.mean - pub[0]

    def p_vs_baseline(self, row: str, column: str) -> float | None:
        """Welch's p of `column` against the baseline over seeds (None where untestable)."""
        if not self.baseline or column == self.baseline or (row, self.baseline) not in self.cells:
            return None
        return welch_p(self.cells[(row, column)].values, self.cells[(row, self.baseline)].values)

    def p_vs_published(self, row: str, column: str) -> float | None:
        """Welch's p of ours against the published mean ± std (None where the paper gives no std)."""
        cell, pub = self.cells[(row, column)], self.published.get((row, column))
        if pub is None or pub[1] is None:
            return None
        return welch_p_from_stats(cell.mean, cell.std, cell.n, pub[0], pub[1])

    def incomplete(self) -> list[tuple[str, str]]:
        """Cells with fewer finished seeds than planned, in table order."""
        return [(r, c) for r in self.rows for c in self.columns if not self.cells[(r, c)].complete]


def build_table(trials: pd.DataFrame, metric: str, row_keys: list[str], expected_seeds: dict[tuple, int],
                higher_is_better: bool, baseline: str | None, columns: list[str] | None = None,
                rows: list[str] | None = None) -> Table:
    """`trials`: rows of the trials Parquet; only finished (TERMINATED) trials count toward the numbers.

    rows / columns: the planned order (rows found only in `trials` are appended, sorted); a planned
    cell with no trial at all is shown as missing.
    """
    has = len(trials) > 0 and all(k in trials for k in row_keys) and "variant" in trials
    status = trials["status"] if has and "status" in trials else pd.Series(TERMINATED, index=trials.index)
    labels = trials[row_keys].astype(str).agg(" / ".join, axis=1) if has else pd.Series(dtype=str)
    found = sorted(set(labels)) if has else []
    rows = list(rows or [])
    rows += [r for r in found if r not in rows]
    columns = list(columns or (sorted(set(trials["variant"])) if has else []))
    cells = {}
    for row in rows:
        for column in columns:
            values, running = pd.Series(dtype=float), 0
            if has:
                mask = (labels == row) & (trials["variant"] == column)
                running = int((mask & (status == RUNNING)).sum())
                if metric in trials:
                    values = trials.loc[mask & (status == TERMINATED), metric].dropna().astype(float)
            expected = expected_seeds.get((row, column), max(1, len(values)))
            std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            cells[(row, column)] = Cell(float(values.mean()) if len(values) else math.nan, std, len(values),
                                        expected, running, tuple(values.tolist()))
    return Table(metric, rows, columns, cells, higher_is_better, baseline)


def _marks(table: Table, row: str) -> dict[str, str]:
    ranked = table.ranked(row)
    return {c: (BEST if i == 0 else SECOND) for i, c in enumerate(ranked[:2])} if len(ranked) > 1 else {}


def _cell_text(table: Table, row: str, column: str, scale: float) -> str:
    text = table.cells[(row, column)].text(scale)
    gain = table.improvement(row, column)
    text = f"{text} ({gain:+.1f}%)" if gain is not None else text
    return f"{text} {SIGNIFICANT}" if significant(table.p_vs_baseline(row, column)) else text


def published_text(table: Table, row: str, column: str, scale: float) -> tuple[str, str]:
    """(published value, ours − published) as printed; "–" where there is none."""
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


def citation(table: Table) -> str:
    return f"published: {table.source}; Δ = ours − published, in points" if table.source else ""


def notes(table: Table) -> list[str]:
    """The rules a reader needs: seeds per cell, what † and ✓/✗ mean, where the published numbers are from."""
    done = [c.n for c in table.cells.values() if c.n and c.complete]
    seeds = f"n = {max(set(done), key=done.count)}" if done else "n"
    out = [f"Each cell: mean ± std over {seeds} seeds (a cell with fewer says (n/planned))."]
    if table.baseline and table.baseline in table.columns:
        out.append(baseline_rule(table.baseline))
    if any(std is not None for _, std in table.published.values()):
        out.append(published_rule())
    return out + ([citation(table)] if table.source else [])


def tabular(table: Table, scale: float = 100.0) -> Tabular:
    """The table as the reports print it: ours (best bold, second underlined, gain over the baseline),
    and with a source, each variant's published value and Δ beside it."""
    if table.source:
        cols = [col for c in table.columns for col in (Column((c, "ours"), c), Column((c, "published"), f"{c} (published)"),
                                                       Column((c, "Δ"), f"{c} Δ"))]
    else:
        cols = [Column((c,)) for c in table.columns]
    out = Tabular(cols, notes=notes(table))
    for row in table.rows:
        marks = _marks(table, row)
        cells = []
        for column in table.columns:
            cells.append(TextCell(_cell_text(table, row, column, scale), marks.get(column)))
            if table.source:
                cells += [TextCell(text) for text in published_text(table, row, column, scale)]
        out.add(row, cells)
    return out
