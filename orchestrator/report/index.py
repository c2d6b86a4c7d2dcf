"""The work directory's report index: WORKDIR/reports/index.html lists every experiment report and its
comparisons (relative links, readable from file:// without a server). Report builders call
`write_index` each time they write, so it is never stale.
"""
from __future__ import annotations

import html
import json
import time
from pathlib import Path

from orchestrator.report.doc import page
from orchestrator.workdir import WorkDir

SUMMARY = "summary.json"


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
