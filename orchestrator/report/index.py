"""The pages that lead to reports (relative links only, readable from file:// without a server):

- WORKDIR/reports/index.html: every experiment, its latest report and the older invocations' ones, and
  its comparisons;
- WORKDIR/reports/NAME/index.html and report.md: open the experiment's latest report, beside the
  `latest` link (`orchestrator.report.publish` says why both).

Report builders call `write_latest` and `write_index` each time they publish, so neither is stale; both
are written in one step and settle on what is on disk when several builders write at once.
"""
from __future__ import annotations

import html
import json
import time
from pathlib import Path

from orchestrator.report.doc import page
from orchestrator.report.publish import (LATEST, NO_INVOCATION, SUMMARY, adopt_legacy, atomic_write, link_latest,
                                         report_invocations, settle)
from orchestrator.workdir import WorkDir


def write_summary(directory: Path, summary: dict) -> Path:
    """What the indexes show about one report (progress, when built)."""
    path = directory / SUMMARY
    path.write_text(json.dumps({**summary, "built": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    return path


def read_summary(directory: Path) -> dict:
    try:
        summary = json.loads((directory / SUMMARY).read_text())
    except (OSError, ValueError):
        return {}
    return summary if isinstance(summary, dict) else {}


def _label(folder: str) -> str:
    return "no invocation yet" if folder == NO_INVOCATION else f"invocation {folder}"


def _latest_pages(experiment_dir: Path) -> tuple[str, str, str] | None:
    """(the latest report's folder, reports/NAME/index.html, reports/NAME/report.md), or None if the
    experiment has no report."""
    folders = report_invocations(experiment_dir)
    if not folders:
        return None
    latest, name = folders[-1], experiment_dir.name
    q = html.escape
    items, lines = [], []
    for folder in reversed(folders):
        summary = read_summary(experiment_dir / folder)
        about = "; ".join(str(summary[k]) for k in ("progress", "built") if summary.get(k))
        items.append(f"<li><a href=\"{q(folder)}/index.html\">{q(_label(folder))}</a> {q(about)}</li>")
        lines.append(f"- {_label(folder)}: {folder}/report.md" + (f" ({about})" if about else ""))
    body = (f"<p><a href=\"../index.html\">all reports</a></p><h1>{q(name)}</h1>"
            f"<p>Latest report: <a href=\"{q(latest)}/index.html\">{q(_label(latest))}</a> "
            f"(also <code>{LATEST}/</code> where the file system has symlinks).</p>"
            f"<h2>Every invocation's report, newest first</h2><ul>{''.join(items)}</ul>")
    redirect = f"<meta http-equiv=\"refresh\" content=\"0; url={q(latest)}/index.html\">"
    index = page(name, body).replace("<head>", f"<head>{redirect}", 1)
    markdown = "\n".join([f"# {name}", "", f"Latest report: {_label(latest)}, in {latest}/ (report.md, index.html, "
                          f"tables and figures; also {LATEST}/ where the file system has symlinks).", "",
                          "Every invocation's report, newest first:", "", *lines]) + "\n"
    return latest, index, markdown


def write_latest(workdir: WorkDir, experiment: str) -> list[Path]:
    """Point reports/NAME/ at the experiment's latest report: the `latest` link, index.html and report.md.
    Returns the pointer pages (none if the experiment has no report)."""
    directory = workdir.experiment_reports(experiment)
    pages = [directory / "index.html", directory / "report.md"]

    def write(state: tuple[str, str, str] | None) -> None:
        if state is not None:
            link_latest(directory, state[0])
            atomic_write(pages[0], state[1])
            atomic_write(pages[1], state[2])

    return pages if settle(lambda: _latest_pages(directory), write) is not None else []


def _index_page(workdir: WorkDir) -> str:
    q = html.escape
    rows = []
    for directory in sorted(p for p in workdir.reports.iterdir() if p.is_dir() and not p.name.startswith(".")):
        folders = report_invocations(directory)
        compare_pages = sorted(directory.glob("compare-*.html"))
        if not (folders or compare_pages):
            continue
        name = q(directory.name)
        compares = " ".join(f"<a href=\"{name}/{q(c.name)}\">{q(c.stem)}</a>" for c in compare_pages)
        summary = read_summary(directory / folders[-1]) if folders else {}
        link = f"<a href=\"{name}/index.html\">{name}</a>" if folders else name
        latest = f"<a href=\"{name}/{q(folders[-1])}/index.html\">{q(folders[-1])}</a>" if folders else ""
        older = " ".join(f"<a href=\"{name}/{q(f)}/index.html\">{q(f)}</a>" for f in reversed(folders[:-1]))
        rows.append(f"<tr><td>{link}</td>"
                    f"<td>{q(str(summary.get('description', '')))}</td>"
                    f"<td>{q(str(summary.get('progress', '')))}</td>"
                    f"<td>{latest}</td><td>{q(str(summary.get('built', '')))}</td>"
                    f"<td>{older}</td><td>{compares}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("experiment", "description", "progress", "latest invocation", "built",
                                             "older invocations", "comparisons"))
    body = (f"<h1>mixbench reports</h1><p>{q(str(workdir.root))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows else "<h1>mixbench reports</h1><p>No reports yet.</p>")
    return page("mixbench reports", body)


def write_index(workdir: WorkDir) -> Path:
    """WORKDIR/reports/index.html: every experiment's latest report, its older invocations' reports and
    its comparisons. Reports of the layout before per-invocation folders are moved into theirs first."""
    reports = workdir.reports
    reports.mkdir(parents=True, exist_ok=True)
    for directory in reports.iterdir():
        if directory.is_dir() and (directory / SUMMARY).is_file():
            adopt_legacy(directory)
            write_latest(workdir, directory.name)
    path = reports / "index.html"
    settle(lambda: _index_page(workdir), lambda text: atomic_write(path, text))
    return path
