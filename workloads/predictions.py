"""Per-sample test predictions of a classify trial's final model: `predictions.npz` beside `state.pt`.

The classify trainable writes this file into its FINAL checkpoint directory (the one reported with the
last epoch), so a finished trial leaves, in one folder, the model (`state.pt`, `workloads.checkpoint`)
and what it predicted on every test sample. The ζ-mixup paper's Fig. 8 (`workloads.figures.fig8`)
reads both; anything that keeps or copies a trial's final checkpoint keeps them together.

`predictions.npz` (numpy, `allow_pickle=False`):

| field | dtype, shape | meaning |
|---|---|---|
| `test_index` | int64 `(N,)` | position in the test split the trial evaluated: the dataset's test split capped by the trial's `subset` key (`DatasetArrays.subset`, deterministic); the official test index when `subset` is null |
| `label` | int64 `(N,)` | the true class |
| `logits` | float32 `(N, K)` | the final model's outputs (eval mode, the eval transform, the trial's autocast) |
| `probs` | float32 `(N, K)` | softmax of `logits` (rows sum to 1) |
| `class_names` | str `(K,)` | the dataset's class names |
| `epoch` | int64 `()` | the epoch the model finished (= `epochs * epochs_factor`) |
| `config` | str `()` | the trial's flat config as JSON (dataset, arch, method, variant, seed, gamma, subset, batch_size, ...) |
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

if TYPE_CHECKING:
    import torch

PREDICTIONS_FILE = "predictions.npz"
FIELDS = ("test_index", "label", "logits", "probs", "class_names", "epoch", "config")


def test_logits(trainer: Any) -> "torch.Tensor":
    """float32 `(N, K)` logits of a `workloads.classify.Trainer`'s model on its test split, computed
    as `Trainer.evaluate` does (eval mode, the eval transform, the trial's autocast)."""
    import torch  # here: reading predictions back (the Tune driver's recorder does) needs numpy only

    from workloads.placement import rows

    trainer.model.eval()
    x_all, n = trainer.x["test"], len(trainer.y["test"])
    ebs, rt = trainer.cfg.eval_batch_size, trainer.runtime
    with torch.inference_mode(), rt.autocast():
        out = [trainer.net(rt.batch(trainer.augment.eval(rows(x_all, i, i + ebs, trainer.device)))).float()
               for i in range(0, n, ebs)]
    return torch.cat(out) if out else torch.zeros(0, trainer.num_classes)


def save_predictions(directory: str | Path, trainer: Any) -> Path:
    """Write `predictions.npz` (see the module docstring) for `trainer`'s current model into `directory`."""
    import torch

    logits = test_logits(trainer).cpu()
    labels = trainer.y["test"].cpu().numpy().astype(np.int64)
    path = Path(directory) / PREDICTIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:  # a reader scanning folders never sees half a file
        np.savez(fh, test_index=np.arange(len(labels), dtype=np.int64), label=labels,
                 logits=logits.numpy().astype(np.float32),
                 probs=torch.softmax(logits, dim=1).numpy().astype(np.float32),
                 class_names=np.asarray(trainer.data.class_names, dtype=str),
                 epoch=np.int64(trainer.epoch), config=np.asarray(json.dumps(trainer.cfg.to_flat(), sort_keys=True)))
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class Predictions:
    """One `predictions.npz` read back, with the folder it lies in (its `state.pt` beside it)."""

    directory: Path
    test_index: np.ndarray
    label: np.ndarray
    probs: np.ndarray
    class_names: tuple[str, ...]
    epoch: int
    config: dict[str, Any]

    @property
    def predicted(self) -> np.ndarray:
        """int64 `(N,)`: the most probable class of each test sample."""
        return self.probs.argmax(axis=1).astype(np.int64)


def load_predictions(path: str | Path) -> Predictions:
    """Read a `predictions.npz` (a file, or a folder holding one); ValueError naming a missing field."""
    path = Path(path)
    path = path / PREDICTIONS_FILE if path.is_dir() else path
    with np.load(path, allow_pickle=False) as data:
        missing = [f for f in FIELDS if f not in data.files]
        if missing:
            raise ValueError(f"{path} lacks field(s) {', '.join(missing)}; expected {', '.join(FIELDS)}")
        return Predictions(path.parent, data["test_index"].astype(np.int64), data["label"].astype(np.int64),
                           data["probs"].astype(np.float64), tuple(str(c) for c in data["class_names"]),
                           int(data["epoch"]), json.loads(str(data["config"])))


def find_predictions(root: str | Path) -> Iterator[Predictions]:
    """Every `predictions.npz` below `root` (a work directory, an invocation folder, a trial's
    checkpoint folder), in sorted path order."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"source {str(root)!r} is not a folder (a work directory or an invocation's folder)")
    for path in sorted(root.rglob(PREDICTIONS_FILE)):
        yield load_predictions(path)
