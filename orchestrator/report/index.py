"""HTML pages of the reports, readable from file:// without a server (relative links only).

`Doc` builds one experiment's report as Markdown and HTML in one pass (REPORT/NAME/report.md and
REPORT/NAME/index.html). `write_index` lists every experiment report of a work directory in
WORKDIR/reports/index.html; report builders call it each time they write, so it is never stale.
"""
from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.workdir import WorkDir

STYLE = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         "caption{caption-side:bottom;font-size:90%;color:#555;text-align:left}img{max-width:100%}"
         ".missing{color:#b00}")
SUMMARY = "summary.json"


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


@dataclass
class Doc:
    """A report written once, rendered twice: `markdown()` and `html()`."""

    title: str
    md: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.md += ["#" * level + " " + text, ""]
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str) -> None:
        self.md += [text, ""]
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def items(self, items: list[str]) -> None:
        self.md += [f"- {item}" for item in items] + [""]
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    def table(self, markdown: str, html_table: str) -> None:
        self.md += [markdown, ""]
        self.parts.append(html_table)

    def figure(self, paths: list[Path], caption: str) -> None:
        """An interactive HTML figure and its PNG (files in the report's directory)."""
        names = [p.name for p in paths]
        self.md += [f"{caption}: " + ", ".join(names), ""]
        pngs = "".join(f"<img src=\"{html.escape(n)}\" alt=\"{html.escape(caption)}\">" for n in names if n.endswith(".png"))
        links = " ".join(f"<a href=\"{html.escape(n)}\">{html.escape(n)}</a>" for n in names)
        self.parts.append(f"<figure>{pngs}<figcaption>{html.escape(caption)} ({links})</figcaption></figure>")

    def markdown(self) -> str:
        return "\n".join([f"# {self.title}", "", *self.md]).rstrip() + "\n"

    def html(self, files: list[Path] = ()) -> str:
        listed = "".join(f"<li><a href=\"{html.escape(p.name)}\">{html.escape(p.name)}</a></li>" for p in files)
        back = "<p><a href=\"../index.html\">all reports</a></p>"
        return page(self.title, f"{back}<h1>{html.escape(self.title)}</h1>{''.join(self.parts)}"
                                f"<h2>Files</h2><ul>{listed}</ul>")


def write_summary(directory: Path, summary: dict) -> Path:
    """What the work directory's index shows about one report (progress, when built)."""
    path = directory / SUMMARY
    path.write_text(json.dumps({**summary, "built": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    return path


def write_index(workdir: WorkDir) -> Path:
    """WORKDIR/reports/index.html: every experiment report (a directory with index.html) and its
    comparisons (compare-*.html), with relative links."""
    reports = workdir.reports
    reports.mkdir(parents=True, exist_ok=True)
    rows = []
    for directory in sorted(p for p in reports.iterdir() if p.is_dir()):
        compare_pages = sorted(directory.glob("compare-*.html"))
        has_page = (directory / "index.html").exists()
        if not (has_page or compare_pages):
            continue
        try:
            summary = json.loads((directory / SUMMARY).read_text())
        except (OSError, ValueError):
            summary = {}
        name = html.escape(directory.name)
        compares = " ".join(f"<a href=\"{name}/{html.escape(c.name)}\">{html.escape(c.stem)}</a>"
                            for c in compare_pages)
        link = f"<a href=\"{name}/index.html\">{name}</a>" if has_page else name
        rows.append(f"<tr><td>{link}</td>"
                    f"<td>{html.escape(str(summary.get('description', '')))}</td>"
                    f"<td>{html.escape(str(summary.get('progress', '')))}</td>"
                    f"<td>{html.escape(str(summary.get('invocation', '')))}</td>"
                    f"<td>{html.escape(str(summary.get('built', '')))}</td><td>{compares}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("experiment", "description", "progress", "invocation", "built", "comparisons"))
    body = (f"<h1>mixbench reports</h1><p>{html.escape(str(workdir.root))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows else "<h1>mixbench reports</h1><p>No reports yet.</p>")
    path = reports / "index.html"
    path.write_text(page("mixbench reports", body))
    return path
