"""Offline quality of generated sets, measured by an oracle classifier trained on the real set.

- label_fidelity: oracle accuracy on images generated from one-hot labels (does G(z, e_k) look like k?)
- mean_entropy: mean entropy (nats) of the oracle's predictions; low = confidently recognisable images
  (the realism proxy of the zeta-mixup paper's Fig. 3)
- soft_label_ce: mean cross-entropy -sum_k l_k log p_k between each image's soft label l and the
  oracle's prediction p (label correctness of soft-label samples)
- dominant_agreement: fraction of images whose oracle argmax equals the label's argmax
FID/KID come from torch-fidelity only when it is importable and its Inception weights are on disk;
otherwise `fid_kid` returns None with a one-line notice. Nothing is ever downloaded.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

INCEPTION_WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "MIXBENCH_INCEPTION_WEIGHTS"


def _batches(images: np.ndarray, batch_size: int):
    for start in range(0, len(images), batch_size):
        yield start, torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size]))


@torch.no_grad()
def oracle_probabilities(oracle: nn.Module, images: np.ndarray, *, batch_size: int = 256, device: str = "cpu",
                         preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """float64 `(N, K)` softmax of the oracle's logits for uint8 `(N, H, W, C)` images.

    The oracle sees float `(N, C, H, W)` in [0, 1], passed through `preprocess` first if given
    (e.g. the normalization and resizing the oracle was trained with).
    """
    was_training = oracle.training
    oracle.eval()
    out = []
    try:
        for _, batch in _batches(images, batch_size):
            x = batch.to(device).permute(0, 3, 1, 2).to(torch.float32) / 255.0
            if preprocess is not None:
                x = preprocess(x)
            out.append(torch.softmax(oracle(x).to(torch.float64), dim=1).cpu())
    finally:
        oracle.train(was_training)
    return torch.cat(out)


def oracle_quality(oracle: nn.Module, images: np.ndarray, labels: np.ndarray, *, batch_size: int = 256,
                   device: str = "cpu", preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict:
    """Oracle metrics of generated `images` (uint8 (N, H, W, C)) with `labels` (N, K) probabilities.

    Returns {label_fidelity, mean_entropy, soft_label_ce, dominant_agreement, n, n_onehot};
    label_fidelity is computed on the one-hot rows only and is None when there are none.
    """
    labels_t = torch.as_tensor(np.asarray(labels), dtype=torch.float64)
    if labels_t.ndim != 2 or len(labels_t) != len(images) or len(images) == 0:
        raise ValueError(f"labels must be (N={len(images)}, K) with N >= 1, got {tuple(labels_t.shape)}")
    probs = oracle_probabilities(oracle, images, batch_size=batch_size, device=device, preprocess=preprocess)
    if probs.shape[1] != labels_t.shape[1]:
        raise ValueError(f"oracle predicts {probs.shape[1]} classes but labels have {labels_t.shape[1]}")
    log_p = probs.clamp_min(1e-12).log()
    pred = probs.argmax(1)
    onehot = (labels_t.max(1).values > 1 - 1e-6)
    fidelity = float((pred[onehot] == labels_t[onehot].argmax(1)).double().mean()) if onehot.any() else None
    return {
        "label_fidelity": fidelity,
        "mean_entropy": float(-(probs * log_p).sum(1).mean()),
        "soft_label_ce": float(-(labels_t * log_p).sum(1).mean()),
        "dominant_agreement": float((pred == labels_t.argmax(1)).double().mean()),
        "n": int(len(images)),
        "n_onehot": int(onehot.sum()),
    }


def inception_weights_path(path: str | Path | None = None) -> Path | None:
    """The local torch-fidelity Inception weights: `path`, $MIXBENCH_INCEPTION_WEIGHTS, or torch hub's cache."""
    candidates = [path, os.environ.get(WEIGHTS_ENV)]
    candidates.append(Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_FILE)
    for cand in candidates:
        if cand and Path(cand).expanduser().is_file():
            return Path(cand).expanduser()
    return None


class _Uint8Images(torch.utils.data.Dataset):
    """uint8 (N, H, W, C) as torch-fidelity wants it: uint8 (3, H, W) per item (grey repeated)."""

    def __init__(self, images: np.ndarray):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(self.images[i])).permute(2, 0, 1)
        return x.expand(3, -1, -1).contiguous() if x.shape[0] == 1 else x


def fid_kid(real: np.ndarray, fake: np.ndarray, *, weights: str | Path | None = None, cuda: bool = False,
            notice: Callable[[str], None] = print) -> dict | None:
    """{'fid', 'kid_mean', 'kid_std'} between uint8 image sets, or None (with one notice line) when
    torch-fidelity is not installed or its Inception weights are not present locally."""
    try:
        import torch_fidelity  # noqa: F401
    except ImportError:
        notice("FID/KID skipped: torch-fidelity is not installed (pip install torch-fidelity)")
        return None
    path = inception_weights_path(weights)
    if path is None:
        notice(f"FID/KID skipped: Inception weights {INCEPTION_WEIGHTS_FILE} not found locally "
               f"(set ${WEIGHTS_ENV} or place them in {Path(torch.hub.get_dir()) / 'checkpoints'})")
        return None
    metrics = torch_fidelity.calculate_metrics(
        input1=_Uint8Images(fake), input2=_Uint8Images(real), cuda=cuda, fid=True, kid=True,
        kid_subset_size=min(1000, len(real), len(fake)), feature_extractor_weights_path=str(path),
        cache=False, verbose=False,
    )
    return {"fid": float(metrics["frechet_inception_distance"]),
            "kid_mean": float(metrics["kernel_inception_distance_mean"]),
            "kid_std": float(metrics["kernel_inception_distance_std"])}
