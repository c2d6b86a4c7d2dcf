"""The one table renderer of the reports: a `Tabular` (labelled rows x columns with a header of one or
more levels) as Markdown, HTML and LaTeX.

Every table a report prints (results with published numbers beside, comparisons of two runs, GeMix's
false-negative rates and quality measures, significance footnotes) is built as a `Tabular` and
rendered here, so the three formats never disagree. Cells carry plain text and an optional mark
("best": bold, "second": underlined); each renderer escapes for its own format.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

BEST, SECOND = "best", "second"
NONE = "–"  # a value that does not exist (en dash)


@dataclass(frozen=True)
class Column:
    """A column's header path, outermost level first (e.g. ("zeta-2.8", "published")), and its label in
    formats with one header row (default: the path's parts joined by a space)."""

    path: tuple[str, ...]
    flat: str = ""

    @property
    def label(self) -> str:
        return self.flat or " ".join(p for p in self.path if p)


@dataclass(frozen=True)
class Cell:
    text: str
    mark: str | None = None  # BEST | SECOND | None


@dataclass
class Tabular:
    """Rows (label, cells) under `columns` (all paths of one depth); `notes` print below the table."""

    columns: list[Column]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    corner: str = ""
    notes: list[str] = field(default_factory=list)
    css_class: str = "results"

    def add(self, label: str, cells: list[Cell | str]) -> None:
        self.rows.append((label, [c if isinstance(c, Cell) else Cell(str(c)) for c in cells]))

    @property
    def depth(self) -> int:
        return max((len(c.path) for c in self.columns), default=1)


def columns(*names: str) -> list[Column]:
    """One-level columns."""
    return [Column((name,)) for name in names]


# -- Markdown ----------------------------------------------------------------------------------------

def to_markdown(table: Tabular) -> str:
    def cell(c: Cell) -> str:
        text = c.text.replace("|", "\\|").replace("\n", "<br>")
        return f"**{text}**" if c.mark == BEST else f"<u>{text}</u>" if c.mark == SECOND else text

    names = [c.label for c in table.columns]
    lines = ["| " + " | ".join([table.corner, *names]) + " |", "|" + "---|" * (len(names) + 1)]
    lines += ["| " + " | ".join([label, *map(cell, cells)]) + " |" for label, cells in table.rows]
    if table.notes:
        lines += ["", *table.notes]
    return "\n".join(lines)


# -- HTML --------------------------------------------------------------------------------------------

def _spans(table: Tabular, level: int) -> list[tuple[str, int]]:
    """(text, colspan) of header level `level`: neighbouring columns with the same path up to it merge."""
    keyed = [(c.path[: level + 1], c.path[level] if level < len(c.path) else "") for c in table.columns]
    return [(group[0][1], len(group)) for group in (list(g) for _, g in groupby(keyed, key=lambda k: k[0]))]


def to_html(table: Tabular) -> str:
    esc = html.escape

    def cell(c: Cell) -> str:
        text = esc(c.text).replace("\n", "<br>")
        return f"<b>{text}</b>" if c.mark == BEST else f"<u>{text}</u>" if c.mark == SECOND else text

    depth = table.depth
    head = []
    for level in range(depth):
        corner = f"<th rowspan=\"{depth}\">{esc(table.corner)}</th>" if level == 0 else ""
        spans = "".join(f"<th colspan=\"{n}\">{esc(t)}</th>" if n > 1 else f"<th>{esc(t)}</th>"
                        for t, n in _spans(table, level))
        head.append(f"<tr>{corner}{spans}</tr>")
    body = "".join(f"<tr><th>{esc(label)}</th>" + "".join(f"<td>{cell(c)}</td>" for c in cells) + "</tr>"
                   for label, cells in table.rows)
    caption = f"<caption>{'<br>'.join(esc(n) for n in table.notes)}</caption>" if table.notes else ""
    return f"<table class=\"{esc(table.css_class)}\">{caption}<thead>{''.join(head)}</thead><tbody>{body}</tbody></table>"


# -- LaTeX -------------------------------------------------------------------------------------------

def latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("±", r"$\pm$"), ("Δ", r"$\Delta$"), ("−", "-"), ("–", "--"), ("\n", " ")):
        text = text.replace(a, b)
    return text


def to_latex(table: Tabular) -> str:
    def cell(c: Cell) -> str:
        text = latex_escape(c.text)
        return rf"\textbf{{{text}}}" if c.mark == BEST else rf"\underline{{{text}}}" if c.mark == SECOND else text

    lines = [r"\begin{tabular}{l" + "c" * len(table.columns) + "}", r"\toprule"]
    for level in range(table.depth):
        heads = [rf"\multicolumn{{{n}}}{{c}}{{{latex_escape(t)}}}" if n > 1 else latex_escape(t)
                 for t, n in _spans(table, level)]
        corner = latex_escape(table.corner) if level == table.depth - 1 else ""
        lines.append(" & ".join([corner, *heads]) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join([latex_escape(label), *map(cell, cells)]) + r" \\" for label, cells in table.rows]
    lines.append(r"\bottomrule")
    span = len(table.columns) + 1
    lines += [rf"\multicolumn{{{span}}}{{l}}{{\footnotesize {latex_escape(note)}}} \\" for note in table.notes]
    lines.append(r"\end{tabular}")
    return "\n".join(lines)


RENDERERS = {".md": to_markdown, ".html": to_html, ".tex": to_latex}


def write_table(table: Tabular, stem: Path) -> list[Path]:
    """`<stem>.md`, `<stem>.html` and `<stem>.tex`; returns the paths."""
    paths = []
    for suffix, render in RENDERERS.items():
        path = stem.with_suffix(suffix)
        path.write_text(render(table))
        paths.append(path)
    return paths
