"""Results tables from the trials Parquet: rows (datasets, or dataset / arch) x variants, mean ± std
over seeds, relative improvement over a baseline variant, the p-values that say which differences are
beyond seed noise (`orchestrator.report.significance`), and optionally the published numbers beside
ours. `orchestrator.report.results_tabular` lays them out for printing.

Values are fractions in the Parquet; tables print them times `scale` (100: percent, and Δ in points).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from orchestrator.record.status import RUNNING, TERMINATED
from orchestrator.report.significance import welch_p, welch_p_from_stats

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
