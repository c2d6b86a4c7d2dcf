"""Results tables from the trials Parquet: rows (datasets, or dataset / arch) x variants, mean ± std
over seeds, relative improvement over a baseline variant, best in bold and second underlined, and
optionally the published numbers beside ours with the difference; as Markdown, HTML and LaTeX.

Values are fractions in the Parquet; tables print them times `scale` (100: percent, and Δ in points).
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

from orchestrator.record.status import RUNNING, TERMINATED

NONE = "–"  # a published value that does not exist (en dash)


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n: int  # finished seeds
    expected: int  # seeds planned (a cell with n < expected is marked incomplete)
    running: int = 0  # seeds still running (a cell without results says "running" then)

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
                                        expected, running)
    return Table(metric, rows, columns, cells, higher_is_better, baseline)


def _marks(table: Table, row: str) -> dict[str, str]:
    ranked = table.ranked(row)
    return {c: ("best" if i == 0 else "second") for i, c in enumerate(ranked[:2])} if len(ranked) > 1 else {}


def _cell_text(table: Table, row: str, column: str, scale: float) -> str:
    text = table.cells[(row, column)].text(scale)
    gain = table.improvement(row, column)
    return f"{text} ({gain:+.1f}%)" if gain is not None else text


def published_text(table: Table, row: str, column: str, scale: float) -> tuple[str, str]:
    """(published value, ours − published) as printed; "–" where there is none."""
    pub = table.published.get((row, column))
    if pub is None:
        return NONE, NONE
    value, std = pub
    text = f"{value * scale:.2f}" + (f" ± {std * scale:.2f}" if std is not None else "")
    diff = table.difference(row, column)
    return text, (f"{diff * scale:+.2f}" if diff is not None else NONE)


def _row_cells(table: Table, row: str, scale: float, mark, escape=lambda text: text) -> list[str]:
    """One row's cells, ours marked with `mark(text, "best"|"second"|None)` (which escapes), then
    the published sub-columns (escaped with `escape`) if the table has a source."""
    marks = _marks(table, row)
    out = []
    for column in table.columns:
        out.append(mark(_cell_text(table, row, column, scale), marks.get(column)))
        if table.source:
            out += [escape(text) for text in published_text(table, row, column, scale)]
    return out


def header(table: Table) -> list[str]:
    """Flat column names: a variant, then its "(published)" and "Δ" sub-columns with a source."""
    if not table.source:
        return list(table.columns)
    return [name for c in table.columns for name in (c, f"{c} (published)", f"{c} Δ")]


def citation(table: Table) -> str:
    return f"published: {table.source}; Δ = ours − published, in points" if table.source else ""


def to_markdown(table: Table, scale: float = 100.0) -> str:
    def mark(text, how):
        return f"**{text}**" if how == "best" else f"<u>{text}</u>" if how == "second" else text

    names = header(table)
    lines = ["| " + " | ".join(["", *names]) + " |", "|" + "---|" * (len(names) + 1)]
    lines += ["| " + " | ".join([row, *_row_cells(table, row, scale, mark)]) + " |" for row in table.rows]
    if table.source:
        lines += ["", citation(table)]
    return "\n".join(lines)


def to_html(table: Table, scale: float = 100.0) -> str:
    def mark(text, how):
        text = html.escape(text)
        return f"<b>{text}</b>" if how == "best" else f"<u>{text}</u>" if how == "second" else text

    if table.source:  # variants span their three sub-columns
        head = ("<tr><th rowspan=\"2\"></th>" + "".join(f"<th colspan=\"3\">{html.escape(c)}</th>" for c in table.columns)
                + "</tr><tr>" + "<th>ours</th><th>published</th><th>Δ</th>" * len(table.columns) + "</tr>")
        caption = f"<caption>{html.escape(citation(table))}</caption>"
    else:
        head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in ["", *table.columns]) + "</tr>"
        caption = ""
    body = "".join(f"<tr><th>{html.escape(row)}</th>" + "".join(f"<td>{c}</td>" for c in _row_cells(table, row, scale, mark, html.escape))
                   + "</tr>" for row in table.rows)
    return f"<table class=\"results\">{caption}<thead>{head}</thead><tbody>{body}</tbody></table>"


def latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("±", r"$\pm$"), ("Δ", r"$\Delta$"), ("−", "-"), ("–", "--")):
        text = text.replace(a, b)
    return text


def to_latex(table: Table, scale: float = 100.0) -> str:
    def mark(text, how):
        text = latex_escape(text)
        return rf"\textbf{{{text}}}" if how == "best" else rf"\underline{{{text}}}" if how == "second" else text

    width = 3 if table.source else 1
    lines = [r"\begin{tabular}{l" + "c" * (len(table.columns) * width) + "}", r"\toprule"]
    if table.source:
        lines.append(" & ".join(["", *(rf"\multicolumn{{3}}{{c}}{{{latex_escape(c)}}}" for c in table.columns)]) + r" \\")
        lines.append(" & ".join(["", *(["ours", "published", r"$\Delta$"] * len(table.columns))]) + r" \\")
    else:
        lines.append(" & ".join(["", *map(latex_escape, table.columns)]) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join([latex_escape(row), *_row_cells(table, row, scale, mark, latex_escape)]) + r" \\" for row in table.rows]
    lines.append(r"\bottomrule")
    if table.source:
        span = len(table.columns) * width + 1
        lines.append(rf"\multicolumn{{{span}}}{{l}}{{\footnotesize {latex_escape(citation(table))}}} \\")
    lines.append(r"\end{tabular}")
    return "\n".join(lines)
