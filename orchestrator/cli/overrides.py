"""`--set key=value` parsing: values are read as JSON where they parse, else kept as strings."""
from __future__ import annotations

import json
from typing import Any, Iterable


def parse_value(text: str) -> Any:
    """"2.8" -> 2.8, "[1, 2]" -> [1, 2], "true" -> True, "null" -> None, "resnet18" -> "resnet18"."""
    lowered = text.strip()
    if lowered in ("True", "False", "None"):  # Python spellings people type
        return {"True": True, "False": False, "None": None}[lowered]
    try:
        return json.loads(lowered)
    except json.JSONDecodeError:
        return text


def parse_sets(pairs: Iterable[str] | None) -> dict[str, Any]:
    """["gamma=2.8", "milestones=[30,60]"] -> {"gamma": 2.8, "milestones": [30, 60]}."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = parse_value(value)
    return out
