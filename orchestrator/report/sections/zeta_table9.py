"""Section "zeta-table9-wall-time": Table 9 (a) of the ζ-mixup paper, training wall time per method, read
from the recorded epochs of the runs the zeta-table9 trial names with `--set source=...`.

`source` is a work directory (the latest invocation of each of `params["experiments"]` found in it is
read) or one invocation's folder (`WORKDIR/ray/NAME/INVOCATION`: that invocation alone). Per trial the
training wall time is its `wall_time_s` at its last recorded epoch (`wall_time_s` is Ray Tune's
`time_total_s`, cumulative: training and the per-epoch val/test evaluation); rows are (dataset, arch,
variant) with the mean ± std over seeds, the epochs run and the time per epoch. The paper's times
(authors' GPU, full recipes) stand beside; since a run may use other epochs (or --smoke), the
comparisons the paper argues with are ratios between methods, per epoch.
Params: `experiments` (default zeta-table4, zeta-table5, zeta-fig9), `datasets` (the table's columns).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from orchestrator.record.invocation import chosen_invocation
from orchestrator.record.results import epochs_table
from orchestrator.report.render import NONE, Tabular, write_table
from orchestrator.report.sections.analysis import claims_tabular
from orchestrator.report.sections.registry import SectionContext, register
from orchestrator.workdir import WorkDir

EXPERIMENTS = ("zeta-table4", "zeta-table5", "zeta-fig9")
DATASETS = ("cifar100", "stl10", "imagenette")
# Table 9: (dataset, method) -> (seconds, std seconds or None, epochs), the authors' GPU. "zeta" stands for
# every fixed-γ ζ-mixup column (the table names no γ); ERM's is the text's "approximately 1h 20m".
PAPER_S = {
    ("cifar100", "mixup"): (4800, 23, 200), ("cifar100", "zeta"): (4800, 17, 200),
    ("cifar100", "cutmix"): (4920, 13, 200), ("cifar100", "cutmix+zeta"): (4920, 9, 200),
    ("cifar100", "manifold-mixup"): (58500, None, 2000), ("cifar100", "erm"): (4800, None, 200),
    ("stl10", "mixup"): (1499, 16.9, 200), ("stl10", "zeta"): (1498, 4.6, 200),
    ("imagenette", "mixup"): (2739, 8.5, 80), ("imagenette", "zeta"): (2734, 14.1, 80),
}
SAME_TIME = 0.05  # "almost the same time": per-epoch times within 5 % (our rule)


def paper_key(variant: str) -> str:
    return "zeta" if variant.startswith("zeta-") and variant[5:6].isdigit() else variant


def hms(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return NONE
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {s:02d}s" if m else f"{seconds:.3g} s"


def resolve_source(source: str, experiments: tuple[str, ...]) -> tuple[WorkDir, list[tuple[str, str]]]:
    """(the work directory, [(experiment, invocation)]) a source names; ValueError if it names neither a
    work directory nor an invocation folder."""
    path = Path(source)
    if (path / "results").is_dir():
        workdir = WorkDir.at(path)
        found = [(e, chosen_invocation(workdir, e)) for e in experiments]
        return workdir, [(e, i) for e, i in found if i]
    if len(path.parts) >= 4 and path.parent.parent.name == "ray" and (path.parents[2] / "results").is_dir():
        return WorkDir.at(path.parents[2]), [(path.parent.name, path.name)]
    raise ValueError(f"source {source!r} is neither a work directory (with results/) nor an invocation folder "
                     "(WORKDIR/ray/NAME/INVOCATION)")


def wall_times(workdir: WorkDir, runs: list[tuple[str, str]]) -> pd.DataFrame:
    """One row per trial: experiment, invocation, dataset, arch, variant, seed, epochs, wall_time_s, per_epoch_s."""
    cols = ["experiment", "invocation", "dataset", "arch", "variant", "seed", "epochs", "wall_time_s", "per_epoch_s"]
    table = epochs_table(workdir.results)
    frames = [table.read(experiment, invocation) for experiment, invocation in runs]  # only those folders
    epochs = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else pd.DataFrame()
    if epochs.empty or "wall_time_s" not in epochs:
        return pd.DataFrame(columns=cols)
    mine = epochs.dropna(subset=["wall_time_s"])
    rows = []
    for (experiment, trial), g in mine.groupby(["experiment", "trial_id"]):
        last = g.sort_values("epoch").iloc[-1]
        total, n = float(last["wall_time_s"]), int(last["epoch"])
        rows.append({"experiment": experiment, "invocation": last["invocation"], "dataset": last.get("dataset"),
                     "arch": last.get("arch"), "variant": last.get("variant"), "seed": last.get("seed"), "epochs": n,
                     "wall_time_s": total, "per_epoch_s": total / max(n, 1)})
    return pd.DataFrame(rows, columns=cols)


def cells(trials: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, arch, variant): seeds, epochs, mean and std of the wall time, mean time per epoch."""
    grouped = trials.groupby(["dataset", "arch", "variant"], sort=False)
    out = grouped.agg(seeds=("wall_time_s", "size"), epochs=("epochs", "max"), mean_s=("wall_time_s", "mean"),
                      std_s=("wall_time_s", "std"), per_epoch_s=("per_epoch_s", "mean")).reset_index()
    return out


def wall_time_tabular(table: pd.DataFrame, datasets: tuple[str, ...]) -> Tabular:
    from orchestrator.report.render import Column

    cols = [Column((d, part)) for d in datasets for part in ("the paper", "this run")]
    out = Tabular(cols, corner="method (arch)")
    labels = list(dict.fromkeys([*(f"{v} ({a})" for v, a in zip(table["variant"], table["arch"]))]))
    for label in labels:
        variant, arch = label.rsplit(" (", 1)[0], label.rsplit(" (", 1)[1][:-1]
        row = []
        for d in datasets:
            paper = PAPER_S.get((d, paper_key(variant)))
            row.append(NONE if paper is None else f"{hms(paper[0])}" + (f" ± {paper[1]:g}s" if paper[1] else "")
                       + f"\n({paper[2]} epochs)")
            ours = table[(table["dataset"] == d) & (table["variant"] == variant) & (table["arch"] == arch)]
            if ours.empty or not ours["seeds"].iloc[0]:
                row.append(NONE)
                continue
            r = ours.iloc[0]
            std = f" ± {r['std_s']:.3g}s" if r["seeds"] > 1 and math.isfinite(r["std_s"]) else ""
            row.append(f"{hms(r['mean_s'])}{std}\n({int(r['epochs'])} epochs, {r['per_epoch_s']:.3g} s/epoch, "
                       f"{int(r['seeds'])} seeds)")
        out.add(label, row)
    out.notes.append("The paper: the authors' GPU and full recipes (Table 9; ERM from the text, 'approximately 1h 20m'). "
                     "This run: mean ± std over seeds of each trial's wall time at its last epoch (training and "
                     "evaluation), on this machine.")
    return out


def ratio_claims(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The paper's point, per dataset and arch: ζ-mixup (and CutMix + ζ) take about as long as mixup (CutMix)."""
    claims = []
    for (d, arch), sub in table.groupby(["dataset", "arch"], sort=False):
        per = dict(zip(sub["variant"], sub["per_epoch_s"]))
        for base, other_prefix, text in (("mixup", "zeta-", "ζ-mixup"), ("cutmix", "cutmix+zeta", "CutMix + ζ-mixup")):
            if base not in per:
                continue
            for variant in [v for v in per if v.startswith(other_prefix)]:
                ratio = per[variant] / per[base]
                paper = PAPER_S.get((d, paper_key(variant))), PAPER_S.get((d, base))
                paper_text = (f"{paper[0][0] / paper[1][0]:.3g}x ({hms(paper[0][0])} / {hms(paper[1][0])})"
                              if all(paper) else "no number for this dataset")
                claims.append({"claim": f"{d} ({arch}): {variant} trains in about the time {base} does (rule: per-epoch "
                                        f"time within {100 * SAME_TIME:g} %)",
                               "paper": paper_text, "ours": f"{ratio:.3g}x per epoch",
                               "holds": bool(abs(ratio - 1) <= SAME_TIME)})
    return claims


def source_of(context: SectionContext) -> str | None:
    trials = context.trials
    if trials.empty or "source" not in trials:
        return None
    values = trials["source"].dropna()
    return str(values.iloc[0]) if len(values) else None


@register("zeta-table9-wall-time")
def table9_wall_time(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    doc, directory = context.doc, context.directory
    experiments = tuple(params.get("experiments", EXPERIMENTS))
    datasets = tuple(params.get("datasets", DATASETS))
    doc.heading("Table 9 (a): training wall time per method")
    source = source_of(context)
    empty = pd.DataFrame(columns=["dataset", "arch", "variant", "seeds", "epochs", "mean_s", "std_s", "per_epoch_s"])
    if source is None:
        doc.text(f"No source named, so no training time of ours is shown: run {', '.join(experiments)} into a work "
                 "directory, then `mixbench run zeta-table9 --set source=<that work directory>`. The paper's times:")
        table = empty
    else:
        try:
            workdir, runs = resolve_source(source, experiments)
        except ValueError as exc:
            doc.text(f"{exc}. The paper's times:")
            runs, workdir = [], None
        trials = wall_times(workdir, runs) if workdir else pd.DataFrame()
        doc.text(f"Source {source}: " + (", ".join(f"{e} invocation {i}" for e, i in runs) if runs else
                                           f"no run of {', '.join(experiments)} recorded there") + ".")
        table = cells(trials[trials["dataset"].isin(datasets)]) if len(trials) else empty
        if len(trials):
            csv = directory / "wall_time.csv"
            trials.to_csv(csv, index=False)
            doc.figure([csv], "wall_time.csv: every trial read, its epochs and wall time (s)")
    if table.empty:
        shown = pd.DataFrame([{"dataset": d, "arch": "", "variant": v, "seeds": 0, "epochs": 0, "mean_s": np.nan,
                               "std_s": np.nan, "per_epoch_s": np.nan} for (d, v) in PAPER_S if d in datasets])
        rendered = wall_time_tabular(shown.assign(arch="not run"), datasets)
    else:
        rendered = wall_time_tabular(table, datasets)
    files = write_table(rendered, directory / "table9-wall-time")
    doc.table(rendered)
    claims = ratio_claims(table) if not table.empty else []
    if claims:
        ratios = claims_tabular(claims, standin=False)
        files += write_table(ratios, directory / "table9-wall-time-claims")
        doc.table(ratios)
    return files
