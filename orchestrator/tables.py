"""Results tables from the trials Parquet: datasets x methods, mean +- std over seeds, relative
improvement over a baseline method, best in bold (second underlined), as Markdown, HTML and LaTeX."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n: int  # finished seeds
    expected: int  # seeds planned (a cell with n < expected is marked incomplete)

    def text(self, scale: float) -> str:
        if self.n == 0:
            return "missing"
        body = f"{self.mean * scale:.2f} ± {self.std * scale:.2f}" if self.n > 1 else f"{self.mean * scale:.2f}"
        return body if self.n >= self.expected else f"{body} ({self.n}/{self.expected})"


@dataclass
class Table:
    """One metric's table: rows (datasets or dataset/arch), columns (variants), cells, ranks."""

    metric: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]
    higher_is_better: bool
    baseline: str | None

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


def build_table(trials: pd.DataFrame, metric: str, row_keys: list[str], expected_seeds: dict[tuple, int],
                higher_is_better: bool, baseline: str | None, columns: list[str] | None = None) -> Table:
    """`trials`: rows of the trials Parquet; only finished trials count toward the numbers."""
    done = trials[trials["status"].isin(["TERMINATED"])] if "status" in trials else trials
    row_of = lambda frame: frame[row_keys].astype(str).agg(" / ".join, axis=1)  # noqa: E731
    rows = sorted(set(row_of(trials))) if len(trials) else []
    columns = columns or (sorted(set(trials["variant"])) if len(trials) else [])
    cells = {}
    for row in rows:
        for column in columns:
            values = pd.Series(dtype=float)
            if len(done) and metric in done:
                mask = (row_of(done) == row) & (done["variant"] == column)
                values = done.loc[mask, metric].dropna().astype(float)
            expected = expected_seeds.get((row, column), max(1, len(values)))
            std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            cells[(row, column)] = Cell(float(values.mean()) if len(values) else math.nan, std, len(values), expected)
    return Table(metric, rows, columns, cells, higher_is_better, baseline)


def _marks(table: Table, row: str) -> dict[str, str]:
    ranked = table.ranked(row)
    return {c: ("best" if i == 0 else "second") for i, c in enumerate(ranked[:2])} if len(ranked) > 1 else {}


def _cell_text(table: Table, row: str, column: str, scale: float) -> str:
    text = table.cells[(row, column)].text(scale)
    gain = table.improvement(row, column)
    return f"{text} ({gain:+.1f}%)" if gain is not None else text


def to_markdown(table: Table, scale: float = 100.0) -> str:
    lines = ["| " + " | ".join(["", *table.columns]) + " |", "|" + "---|" * (len(table.columns) + 1)]
    for row in table.rows:
        marks = _marks(table, row)
        out = []
        for column in table.columns:
            text = _cell_text(table, row, column, scale)
            mark = marks.get(column)
            out.append(f"**{text}**" if mark == "best" else f"<u>{text}</u>" if mark == "second" else text)
        lines.append("| " + " | ".join([row, *out]) + " |")
    return "\n".join(lines)


def to_html(table: Table, scale: float = 100.0) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *table.columns])
    body = []
    for row in table.rows:
        marks = _marks(table, row)
        cells = []
        for column in table.columns:
            text = html.escape(_cell_text(table, row, column, scale))
            mark = marks.get(column)
            cells.append(f"<td><b>{text}</b></td>" if mark == "best" else f"<td><u>{text}</u></td>" if mark == "second" else f"<td>{text}</td>")
        body.append(f"<tr><th>{html.escape(row)}</th>{''.join(cells)}</tr>")
    return f"<table class=\"results\"><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("±", r"$\pm$")):
        text = text.replace(a, b)
    return text


def to_latex(table: Table, scale: float = 100.0) -> str:
    lines = [r"\begin{tabular}{l" + "c" * len(table.columns) + "}", r"\toprule",
             " & ".join(["", *map(_latex_escape, table.columns)]) + r" \\", r"\midrule"]
    for row in table.rows:
        marks = _marks(table, row)
        out = []
        for column in table.columns:
            text = _latex_escape(_cell_text(table, row, column, scale))
            mark = marks.get(column)
            out.append(rf"\textbf{{{text}}}" if mark == "best" else rf"\underline{{{text}}}" if mark == "second" else text)
        lines.append(" & ".join([_latex_escape(row), *out]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)
