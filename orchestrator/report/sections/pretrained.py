"""Section "pretrained": where the classifiers' starting weights came from, stated above the results
(a paper's numbers from ImageNet-pretrained networks compare only with pretrained runs). Params:
`stage` (the classifiers' stage).

From the stage's trials rows: `pretrained` (the config), and the weights file each finished trial
loaded (`pretrained_weights`, recorded with its final epoch; before that, its `pretrained_path` or
timm's local cache). One line: "pretrained: ImageNet weights from <file per arch>", or "from scratch —
not comparable with the published numbers", or both, per arch, where the run mixed them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from orchestrator.report.sections.registry import SectionContext, register

FROM_SCRATCH = "from scratch — not comparable with the published numbers"


def _source(rows: pd.DataFrame) -> str:
    """The weights file(s) these rows name, or where they would be looked up."""
    for column in ("pretrained_weights", "pretrained_path"):
        if column in rows:
            found = sorted({str(v) for v in rows[column].dropna() if str(v)})
            if found:
                return ", ".join(found)
    return "timm's local cache"


def weights_statement(trials: pd.DataFrame, stage: str) -> str:
    """The line the section writes (see the module docstring)."""
    rows = trials[trials["stage"] == stage] if len(trials) and "stage" in trials else pd.DataFrame()
    if rows.empty or "pretrained" not in rows:
        return f"pretrained: not known yet (no {stage} trial recorded)"
    flags = rows["pretrained"].fillna(False).astype(bool)
    if not flags.any():
        return f"Weights: {FROM_SCRATCH} (ImageNet-pretrained classifiers in the paper; these start from random weights)."
    by_arch = []
    for arch, mine in rows[flags].groupby("arch", sort=False) if "arch" in rows else [("", rows[flags])]:
        by_arch.append(f"{arch}: {_source(mine)}" if arch else _source(mine))
    text = f"pretrained: ImageNet weights ({'; '.join(by_arch)})"
    if not flags.all():
        scratch = sorted(set(rows.loc[~flags, "arch"])) if "arch" in rows else []
        text += f"; {', '.join(scratch) or 'some trials'} {FROM_SCRATCH}"
    return text + "."


@register("pretrained")
def pretrained(context: SectionContext, params: Mapping[str, Any]) -> list[Path]:
    context.doc.text(weights_statement(context.trials, params.get("stage", "classify")))
    return []
