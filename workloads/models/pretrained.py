"""Pretrained ImageNet weights for the timm archs, only from files already on this machine."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch


class PretrainedWeightsNotFound(ValueError):
    """Pretrained weights were asked for but are not on this machine (nothing is downloaded)."""


def pretrained_candidates(arch: str) -> list[Path]:
    """Where timm's default ImageNet weights for `arch` would be if they were already cached locally."""
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch)
    if cfg is None:
        return []
    paths: list[Path] = []
    if cfg.hf_hub_id:
        hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
        hub = Path(os.environ.get("HF_HUB_CACHE", hf_home / "hub"))
        repo_dir = hub / ("models--" + cfg.hf_hub_id.replace("/", "--"))
        for name in ("model.safetensors", "pytorch_model.bin"):
            found = sorted(repo_dir.glob(f"snapshots/*/{name}"))
            paths.extend(found or [repo_dir / "snapshots" / "*" / name])
    if cfg.url:
        paths.append(Path(torch.hub.get_dir()) / "checkpoints" / cfg.url.rsplit("/", 1)[-1])
    return paths


def find_pretrained(arch: str, pretrained_path: Optional[str] = None) -> Path:
    """The local weights file for `arch`: `pretrained_path` if given (`{arch}` in it stands for the arch's
    name, so one path serves an experiment of several archs), else timm's local caches.

    Raises PretrainedWeightsNotFound naming every place looked in; never downloads.
    """
    if pretrained_path:
        path = Path(pretrained_path.replace("{arch}", arch)).expanduser()
        if path.is_file():
            return path
        looked = [path]
    else:
        looked = pretrained_candidates(arch)
        for path in looked:
            if path.is_file():
                return path
    where = ", ".join(str(p) for p in looked) or "(no known weights for this arch)"
    raise PretrainedWeightsNotFound(
        f"pretrained weights for {arch} not found locally; looked in {where}; "
        f"set pretrained_path=/path/to/weights or pretrained=false"
    )
