"""`mixbench report NAME`: tables and plots of an experiment, from the Parquet results alone."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestrator.plan import StagePlan, plan_experiment
from orchestrator.plots import parallel_coordinates
from orchestrator.recorder import higher_is_better, trials_table
from orchestrator.tables import Table, build_table, to_html, to_latex, to_markdown
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment
from search_spaces.experiment import GAMMA_MIN, Experiment


@dataclass
class Report:
    experiment: str
    directory: Path
    markdown: str
    files: list[Path] = field(default_factory=list)


def load_trials(workdir: WorkDir, experiment: str, invocation: str | None) -> tuple[pd.DataFrame, str | None]:
    """Trials rows of `experiment`'s given (default: latest) invocation."""
    frame = trials_table(workdir.results).read()
    if frame.empty or "experiment" not in frame:
        return pd.DataFrame(), invocation
    frame = frame[frame["experiment"] == experiment]
    if invocation is None:
        marker = workdir.ray / experiment / "latest"
        invocation = marker.read_text().strip() if marker.exists() else (frame["invocation"].max() if len(frame) else None)
    return frame[frame["invocation"] == invocation].reset_index(drop=True), invocation


def planned_stages(experiment: Experiment, workdir: WorkDir, invocation: str | None) -> list[StagePlan]:
    """The invocation's stages as planned (so missing cells are known), or the default plan."""
    from orchestrator.runner import Invocation

    try:
        options = Invocation.latest(workdir, experiment.name).options
        return plan_experiment(experiment, smoke=options.smoke, sets=options.sets)
    except (ValueError, OSError):
        return plan_experiment(experiment)


def row_keys(plan: StagePlan) -> list[str]:
    archs = {c["arch"] for c in plan.configs}
    return ["dataset", "arch"] if len(archs) > 1 else ["dataset"]


def grid_tables(experiment: Experiment, plan: StagePlan, trials: pd.DataFrame) -> list[Table]:
    keys = row_keys(plan)
    expected: dict[tuple, int] = {}
    for config in plan.configs:
        row = " / ".join(str(config[k]) for k in keys)
        expected[(row, config["variant"])] = expected.get((row, config["variant"]), 0) + 1
    columns = list(dict.fromkeys(config["variant"] for config in plan.configs))
    stage_trials = trials[trials["stage"] == plan.stage] if len(trials) else trials
    if stage_trials.empty:  # nothing recorded yet: every planned cell is missing
        stage_trials = pd.DataFrame([{**{k: c[k] for k in keys}, "variant": c["variant"], "status": "PENDING"} for c in plan.configs])
    baseline = experiment.baseline if experiment.baseline in columns else None
    return [build_table(stage_trials, metric, keys, expected, higher_is_better(metric), baseline, columns)
            for metric in experiment.report_metrics]


def build_report(name: str, workdir: WorkDir, invocation: str | None = None) -> Report:
    experiment = get_experiment(name)
    trials, invocation = load_trials(workdir, name, invocation)
    directory = workdir.reports / name
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    sections = [f"# {name}", "", experiment.description, ""]
    if invocation:
        sections += [f"Invocation `{invocation}`; {len(trials)} trials recorded, "
                     f"{int((trials['status'] == 'TERMINATED').sum()) if len(trials) else 0} finished.", ""]
    for plan in planned_stages(experiment, workdir, invocation):
        if plan.kind == "grid":
            for table in grid_tables(experiment, plan, trials):
                stem = directory / f"{plan.stage}-{table.metric}"
                for suffix, render in ((".md", to_markdown), (".html", to_html), (".tex", to_latex)):
                    path = stem.with_suffix(suffix)
                    path.write_text(render(table))
                    files.append(path)
                sections += [f"## {plan.stage}: {table.metric} (%, mean ± std over seeds; vs {table.baseline or '-'})",
                             "", to_markdown(table), ""]
        else:
            swept = trials[(trials["stage"] == plan.stage) & (trials["status"] == "TERMINATED")] if len(trials) else trials
            if len(swept) < 2 or plan.metric not in swept:
                sections += [f"## {plan.stage}: Bayesian sweep", "", f"{len(swept)} finished trials: not enough to plot.", ""]
                continue
            axes = [(p, p.replace("_", " "), param.kind == "loguniform") for p, param in plan.space.items()]
            axes.append((plan.metric, plan.metric, False))
            grey = ("gamma", GAMMA_MIN) if "gamma" in plan.space else None
            paths = parallel_coordinates(swept, axes, plan.metric, grey, directory / f"{plan.stage}-parallel",
                                         f"{name} {plan.stage}: {len(swept)} trials (grey: γ < {GAMMA_MIN})")
            files += paths
            best = swept.sort_values(plan.metric, ascending=plan.mode == "min").iloc[0]
            params = ", ".join(f"{p}={best[p]:.4g}" for p in plan.space)
            sections += [f"## {plan.stage}: Bayesian sweep ({len(swept)} trials)", "",
                         f"Best {plan.metric} = {best[plan.metric]:.4f} at {params}.",
                         f"Parallel coordinates: {paths[0]} and {paths[1]}", ""]
    markdown = "\n".join(sections)
    report_md = directory / "report.md"
    report_md.write_text(markdown)
    index = directory / "index.html"
    links = "".join(f'<li><a href="{html.escape(p.name)}">{html.escape(p.name)}</a></li>' for p in files)
    index.write_text(f"<html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head><body>"
                     f"<h1>{html.escape(name)}</h1><pre>{html.escape(markdown)}</pre><ul>{links}</ul></body></html>")
    return Report(name, directory, markdown, [report_md, index, *files])
