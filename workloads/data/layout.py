"""Finding a dataset's official layout under a data root, and one-line errors about what is wrong."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from workloads.data.types import DatasetError, MissingDataError


def child_any_case(folder: Path, name: str) -> Optional[Path]:
    """`folder/name`, else the entry of `folder` whose name equals `name` ignoring case, else None."""
    if (folder / name).exists():
        return folder / name
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.iterdir()) if p.name.lower() == name.lower()), None)


def locate(root: Optional[Path], name: str, markers: Sequence[str], any_case: bool = False) -> Path:
    """The path of the first of `markers` found directly under `root` or under `root/<name>/`.

    `markers` are paths relative to the dataset's top folder (a file or folder that the official
    layout always has); with `any_case`, single names matched ignoring case (archives unpacked on
    Linux keep the case they were made with). Raises MissingDataError naming the exact path expected.
    """
    if root is None:
        raise MissingDataError(f"{name}: no data root given (pass --root or set MIXBENCH_DATA)")
    root = Path(root)
    if not root.is_dir():
        raise MissingDataError(f"{root}: data root does not exist (needed for {name})")
    for marker in markers:
        for base in (root, root / name):
            found = child_any_case(base, marker) if any_case else base / marker
            if found is not None and found.exists():
                return found
    raise MissingDataError(
        f"{root / name / markers[0]}: missing ({name} is expected in its official layout "
        f"at {root / markers[0]} or {root / name / markers[0]})"
    )


def require(path: Path, what: str = "file") -> Path:
    """`path` itself, or MissingDataError naming it when it does not exist."""
    if not path.exists():
        raise MissingDataError(f"{path}: missing {what}")
    return path


def read_csv_rows(path: Path, header: bool = True) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a small CSV; header is [] when `header` is False. Empty rows dropped."""
    require(path, "CSV file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DatasetError(f"{path}: unreadable CSV ({err})") from None
    if not rows:
        raise DatasetError(f"{path}: empty CSV")
    return (rows[0], rows[1:]) if header else ([], rows)


def column(path: Path, head: list[str], name: str) -> int:
    """Index of column `name` in `head`, or DatasetError naming the file and the columns it has."""
    try:
        return head.index(name)
    except ValueError:
        raise DatasetError(f"{path}: no column {name!r} (columns: {', '.join(head)})") from None


def check_labels(path: Path, labels: np.ndarray, class_names: Sequence[str], require_all: bool = True) -> None:
    """Labels must lie in [0, K); with `require_all`, every class must have at least one sample."""
    k = len(class_names)
    bad = labels[(labels < 0) | (labels >= k)]
    if len(bad):
        raise DatasetError(f"{path}: label {int(bad[0])} outside the class range 0..{k - 1}")
    if require_all:
        counts = np.bincount(labels, minlength=k)
        empty = [class_names[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            raise DatasetError(f"{path}: class {empty[0]!r} has no samples (empty class)")
