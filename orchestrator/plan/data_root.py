"""Where a trial reads its dataset from: the `data_root` key, else $MIXBENCH_DATA."""
from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "MIXBENCH_DATA"


def resolve_data_root(value: str | None) -> str | None:
    """`data_root` as given, else $MIXBENCH_DATA; absolute, because each Ray trial runs in its own folder."""
    root = value or os.environ.get(DATA_ENV)
    return str(Path(root).expanduser().resolve()) if root else None
