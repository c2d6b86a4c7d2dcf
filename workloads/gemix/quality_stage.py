"""GeMix's quality stage as a trainable ("gemix-quality"): `train(config, report, checkpoint=None, *, data=None)`.

An oracle classifier (the classify trainable's `Trainer`, ERM on the real train split only, with the
experiment's recipe keys, `quality_arch` for `quality_epochs` epochs: `QualityStageConfig.oracle`) measures
(`workloads.gan.quality.oracle_quality`, at most `quality_samples` images per row):
- `real`: the real test split (its label fidelity is the oracle's test accuracy; its entropy the
  reference for realism);
- every set in `{artifacts_dir}/sets/` (mixup, mmixup, gemix);
- `gemix_onehot`: `quality_samples` images the exported generator (`{artifacts_dir}/generator/`) draws
  from one-hot labels, equally many per class, with the noise mode the GeMix set was drawn with. Their accuracy is GeMix's label fidelity, so it is
  also the `gemix` row's `label_fidelity` (Dirichlet soft labels are never one-hot).
FID/KID of each generated or mixed row against the real train split come from `fid_kid` (None, with
one notice line, without torch-fidelity's Inception weights on disk).
Fig. 3 (GeMix): a 2-D t-SNE (sklearn, random_state = seed) of the oracle's penultimate features of
`quality_tsne_samples` images each of the real train split, the mixup set and the GeMix set.

Writes, each atomically (temporary file, then rename):
    {artifacts_dir}/quality/quality.json  {"oracle": {...}, "sets": {row: metrics}, "fid_notice", "tsne": {...}}
    {artifacts_dir}/quality/tsne.npz      coords float32 (n, 2), source str (n,), label int64 (n,)
                                          (the class, argmax of soft labels), class_names str (K,)
and reports once: {"epoch": 1, "oracle_test_acc", "<row>_<metric>": ...} (the numeric metrics).
The stage has no checkpoints: a trial resumed before its report measures again from the start.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np
import torch
from torch import nn

from workloads.artifacts import SET_NAMES, generator_dir, quality_dir, set_dir
from workloads.data.types import DatasetArrays
from workloads.gemix.stage_config import StageConfig
from workloads.trainable import Report
from workloads.validate import check_choice, check_float, check_int

QUALITY_FILE, TSNE_FILE = "quality.json", "tsne.npz"
TSNE_SOURCES = ("real", "mixup", "gemix")  # GeMix Fig. 3
REPORTED = ("label_fidelity", "mean_entropy", "soft_label_ce", "dominant_agreement", "fid", "kid_mean")
# The classifier keys the oracle is trained with (the experiment's recipe: optimizer, lr, batch, ...);
# null here means the classifier's own default.
ORACLE_KEYS = ("batch_size", "eval_batch_size", "lr", "momentum", "nesterov", "weight_decay", "optimizer", "loss",
               "pretrained", "pretrained_path", "flip", "crop_padding", "subset", "num_threads",
               "precision", "channels_last", "compile", "cudnn_benchmark", "grey_to_rgb", "norm_mean", "norm_std")
# The split keys the oracle shares with the stage (it trains on the same view of the data).
SPLIT_KEYS = ("split", "split_gan_per_class", "split_classifier_per_class", "split_val_fraction",
              "split_test_per_class", "split_seed")


@dataclass(frozen=True)
class QualityStageConfig(StageConfig):
    """The oracle (`quality_arch`, default: the stage's `arch`, else resnet50) trains `quality_epochs` on
    the real train split; `quality_samples` images per measured set (and as many one-hot GeMix
    samples), `quality_tsne_samples` per source in the t-SNE (GeMix Fig. 3: 100). The `ORACLE_KEYS`
    are the classifier's recipe keys, passed to the oracle where set."""

    TRAINABLE = "gemix-quality"

    quality_arch: Optional[str] = None
    quality_epochs: int = 5
    quality_samples: int = 2000
    quality_tsne_samples: int = 100
    quality_perplexity: float = 30.0
    batch_size: Optional[int] = None
    eval_batch_size: Optional[int] = None
    lr: Optional[float] = None
    momentum: Optional[float] = None
    nesterov: Optional[bool] = None
    weight_decay: Optional[float] = None
    optimizer: Optional[str] = None
    loss: Optional[str] = None
    pretrained: Optional[bool] = None
    pretrained_path: Optional[str] = None
    flip: Optional[bool] = None
    crop_padding: Optional[int] = None
    subset: Optional[int] = None
    num_threads: Optional[int] = None
    # workloads.precision's keys; the oracle also measures every set under its autocast.
    precision: Optional[str] = None
    channels_last: Optional[bool] = None  # null: the classifier's own auto
    compile: Optional[bool] = None
    cudnn_benchmark: Optional[bool] = None
    # What the oracle's network sees, as the classifiers' (null: the classifier's own default).
    grey_to_rgb: Optional[bool] = None
    norm_mean: Optional[float] = None
    norm_std: Optional[float] = None

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        from workloads.classify import validate as validate_classifier
        from workloads.models import ARCHS

        super().check(cfg, prefix)
        if cfg["quality_arch"] is not None:
            check_choice(cfg, "quality_arch", ARCHS.names())
        check_int(cfg, "quality_epochs", 1)
        check_int(cfg, "quality_samples", 1)
        check_int(cfg, "quality_tsne_samples", 2)
        check_float(cfg, "quality_perplexity", 0.0, math.inf, lo_open=True, hi_open=True)
        # The oracle's keys are the classifier's: its own validation checks and normalizes them.
        checked = validate_classifier(oracle_flat(cfg)).to_flat()
        cfg.update({key: checked[key] for key in ORACLE_KEYS if cfg[key] is not None})

    @property
    def oracle(self) -> dict[str, Any]:
        """The oracle's flat classifier config: ERM on the real train split for `quality_epochs` epochs
        (constant lr) with the recipe keys that are set."""
        return oracle_flat({key: getattr(self, key) for key in self.keys()})


def oracle_flat(cfg: Mapping[str, Any]) -> dict[str, Any]:
    arch = cfg["quality_arch"] or cfg["arch"] or "resnet50"
    return {**{key: cfg[key] for key in ORACLE_KEYS if cfg[key] is not None},
            **{key: cfg[key] for key in SPLIT_KEYS},
            "dataset": cfg["dataset"], "data_root": cfg["data_root"], "seed": cfg["seed"], "device": cfg["device"],
            "arch": arch, "method": "erm", "variant": "oracle", "epochs": cfg["quality_epochs"], "train_sources": "real"}


Config = QualityStageConfig


def classifier_head(model: nn.Module) -> nn.Module:
    """The final linear layer: timm's `get_classifier()`, else the last `nn.Linear` (small_cnn, mlp)."""
    if hasattr(model, "get_classifier"):
        return model.get_classifier()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no linear classifier layer to take features before")
    return linears[-1]


@torch.no_grad()
def penultimate_features(model: nn.Module, images: np.ndarray, preprocess: Callable[[torch.Tensor], torch.Tensor],
                         *, batch_size: int = 256, device: str = "cpu") -> np.ndarray:
    """float32 `(N, D)`: the input of `model`'s classifier head for uint8 `(N, H, W, C)` images
    (`preprocess` maps float `(n, C, H, W)` in [0, 1] to what the model was trained on)."""
    captured: list[torch.Tensor] = []
    hook = classifier_head(model).register_forward_pre_hook(lambda _m, args: captured.append(args[0].flatten(1).float().cpu()))
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size])).to(device)
            model(preprocess(x.permute(0, 3, 1, 2).to(torch.float32) / 255.0))
    finally:
        hook.remove()
        model.train(was_training)
    return torch.cat(captured).numpy() if captured else np.zeros((0, 0), np.float32)


def tsne_coords(features: np.ndarray, *, perplexity: float = 30.0, seed: int = 0) -> tuple[np.ndarray, float]:
    """(float32 (N, 2) t-SNE embedding, the perplexity used): capped at (N - 1) / 3, which t-SNE needs."""
    from sklearn.manifold import TSNE

    if len(features) < 4:
        raise ValueError(f"t-SNE needs at least 4 images, got {len(features)}; raise quality_tsne_samples")
    used = float(min(perplexity, (len(features) - 1) / 3))
    coords = TSNE(n_components=2, perplexity=used, init="pca", random_state=seed % 2**32).fit_transform(
        features.astype(np.float64))
    return coords.astype(np.float32), used


def _atomic_write(path: Path, write: Callable[[Any], None], mode: str = "w") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, mode) as fh:
        write(fh)
    os.replace(tmp, path)


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _onehot_gemix(cfg: QualityStageConfig, real_shape: tuple[int, ...], k: int, device: str,
                  batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    from workloads.data.resize import resize_images
    from workloads.gan.sample import load_generator, onehot_samples
    from workloads.gan.sets import is_set, load_set

    path = generator_dir(cfg.artifacts_dir)
    if not (path / "state.pt").is_file():
        raise ValueError(f"no generator at {path}: the gan-train stage must finish first")
    generator = load_generator(path, device=device)
    per_class = max(1, math.ceil(cfg.quality_samples / k))
    # The GeMix set's noise mode (its meta.json), so label fidelity measures the images that set holds.
    gemix = set_dir(cfg.artifacts_dir, "gemix")
    noise_mode = load_set(gemix, mmap=True).meta.get("noise_mode") if is_set(gemix) else None
    images, labels = onehot_samples(generator, k, per_class, seed=cfg.seed + 7, batch_size=batch_size, device=device,
                                    noise_mode=noise_mode)
    if images.shape[-1] != real_shape[-1]:
        raise ValueError(f"the generator makes {images.shape[-1]}-channel images, the real set has {real_shape[-1]}")
    return resize_images(images, real_shape[:2]), labels


def train(config: Mapping[str, Any], report: Report, checkpoint: str | None = None, *,
          data: DatasetArrays | None = None) -> dict[str, Any]:
    """Train the oracle, measure every row, write quality.json and tsne.npz; returns the reported metrics."""
    from workloads.classify import build_trainer
    from workloads.gan.quality import fid_kid, oracle_quality
    from workloads.gan.sets import is_set, load_set, one_hot

    cfg = QualityStageConfig.from_flat(config)
    trainer = build_trainer(cfg.oracle, data)
    ocfg, real = trainer.cfg, trainer.data
    if not real.is_image or real.channels not in (1, 3):
        raise ValueError(f"dataset {real.name!r} is not an image dataset with 1 or 3 channels; GeMix needs one")
    while trainer.epoch < trainer.total_epochs:
        trainer.run_epoch()
    oracle, device, k = trainer.model, str(trainer.device), real.num_classes
    # The oracle trained on BatchAugment.eval of uint8 pixels; x = uint8 / 255 maps back exactly.
    def preprocess(x: torch.Tensor) -> torch.Tensor:
        return trainer.augment.eval((x * 255).round().to(torch.uint8).permute(0, 2, 3, 1))

    n, ebs = cfg.quality_samples, ocfg.eval_batch_size
    autocast = trainer.runtime.autocast  # the oracle measures under the precision it was trained with
    train, test = real.splits["train"], real.splits["test"]
    rows: dict[str, tuple[np.ndarray, np.ndarray]] = {"real": (test.images[:n], one_hot(test.labels[:n], k))}
    for name in SET_NAMES:
        if is_set(set_dir(cfg.artifacts_dir, name)):
            soft = load_set(set_dir(cfg.artifacts_dir, name), mmap=True)
            rows[name] = (np.array(soft.images[:n]), soft.soft_labels[:n])  # a copy: the map is read-only
    rows["gemix_onehot"] = _onehot_gemix(cfg, train.images.shape[1:], k, device, ebs)

    notices: list[str] = []
    fid_available = True
    sets: dict[str, dict[str, Any]] = {}
    for name, (images, labels) in rows.items():
        with autocast():
            sets[name] = oracle_quality(oracle, images, labels, batch_size=ebs, device=device, preprocess=preprocess)
        distance = None
        if name != "real" and fid_available:
            distance = fid_kid(train.images, images, cuda=device.startswith("cuda"), notice=notices.append)
            fid_available = distance is not None
        sets[name].update(distance or {"fid": None, "kid_mean": None, "kid_std": None})
    if "gemix" in sets:
        sets["gemix"]["label_fidelity"] = sets["gemix_onehot"]["label_fidelity"]
    for line in notices:
        print(line)

    with autocast():
        tsne = _tsne(cfg, oracle, preprocess, train.images, train.labels, rows, k, device, ebs)
    arrays = {key: tsne.pop(key) for key in ("coords", "source", "label")}
    _atomic_write(quality_dir(cfg.artifacts_dir) / TSNE_FILE,
                  lambda fh: np.savez(fh, **arrays, class_names=np.asarray(real.class_names, dtype=str)), mode="wb")
    oracle_metrics = {key: trainer.last_metrics[key] for key in ("test_acc", "test_loss", "val_acc")
                      if key in trainer.last_metrics}
    summary = {"dataset": cfg.dataset, "class_names": list(real.class_names), "seed": cfg.seed,
               "oracle": {"arch": ocfg.arch, "epochs": ocfg.epochs, "train_images": len(train), **oracle_metrics},
               "sets": {name: {key: _json_value(v) for key, v in m.items()} for name, m in sets.items()},
               "fid_notice": notices[0] if notices else None, "tsne": {"file": TSNE_FILE, **tsne}}
    _atomic_write(quality_dir(cfg.artifacts_dir) / QUALITY_FILE,
                  lambda fh: fh.write(json.dumps(summary, indent=1)))  # rows in measuring order

    metrics: dict[str, Any] = {"epoch": 1, "oracle_test_acc": oracle_metrics.get("test_acc")}
    for name, values in sets.items():
        metrics.update({f"{name}_{key}": values[key] for key in REPORTED
                        if isinstance(values.get(key), float) and math.isfinite(values[key])})
    report(metrics, None)
    return metrics


def _tsne(cfg: QualityStageConfig, oracle: nn.Module, preprocess: Callable, train_images: np.ndarray,
          train_labels: np.ndarray, rows: dict[str, tuple[np.ndarray, np.ndarray]], k: int, device: str,
          batch_size: int) -> dict[str, Any]:
    """Fig. 3's embedding: up to `quality_tsne_samples` images per TSNE_SOURCES entry that exists."""
    from workloads.gan.sets import one_hot

    rng = np.random.default_rng(cfg.seed)
    m = cfg.quality_tsne_samples
    sources = {"real": (train_images, one_hot(train_labels, k)), **{s: rows[s] for s in TSNE_SOURCES[1:] if s in rows}}
    features, source, label, counts = [], [], [], {}
    for name, (images, labels) in sources.items():
        pick = np.sort(rng.choice(len(images), size=min(m, len(images)), replace=False))
        features.append(penultimate_features(oracle, np.asarray(images[pick]), preprocess, batch_size=batch_size,
                                             device=device))
        source += [name] * len(pick)
        label.append(np.asarray(labels)[pick].argmax(1).astype(np.int64))
        counts[name] = int(len(pick))
    coords, perplexity = tsne_coords(np.concatenate(features), perplexity=cfg.quality_perplexity, seed=cfg.seed)
    return {"coords": coords, "source": np.asarray(source, dtype=str), "label": np.concatenate(label),
            "per_source": counts, "perplexity": perplexity, "features": "oracle penultimate layer"}


__all__ = ["Config", "QualityStageConfig", "classifier_head", "penultimate_features", "train", "tsne_coords"]
