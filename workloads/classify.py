"""The classification trainable: one trial = data, model, mixer and optimizer built from a flat config.

`train(config, report, checkpoint=None, data=None)` trains for `epochs * epochs_factor` epochs (the
milestones scaled alike); after each it evaluates on val and test and calls `report(metrics,
checkpoint_dir)`. Metric names are `{split}_{metric}` (train_loss, val_loss, val_acc, ..., test_auc)
plus `epoch` (1-based, counting real epochs up to `epochs * epochs_factor`), `epochs_total` (that
product), `lr` (the rate used in that epoch) and `train_images_per_s`; rates are fractions in [0, 1].
On CUDA, `peak_memory_mib` is the most device memory the trial's tensors held so far (MiB). The final
epoch adds `test_confusion`, a JSON list of lists (row = true class). Resuming from a checkpoint
directory continues bit-for-bit (on CPU) where the interrupted run would have gone, the fp16 loss
scaler's state included.

`precision`, `channels_last`, `compile` and `cudnn_benchmark` (`workloads.precision`) set how the
arithmetic runs: training and evaluation forward passes under the same autocast, losses in float32,
the mixers on float32 batches. A dataset too large for the device stays in host memory and is copied
per batch (`workloads.placement`).

`method` is a batch mixer applied to the augmented input, or manifold mixup (`workloads.manifold`),
which mixes the output of a random layer of `models.manifold_layers` inside the forward pass.
`train_sources` other than "real" train on the real split plus offline soft-label sets
(`workloads.train_sources`); val and test stay real.
"""
from __future__ import annotations

import random
import shutil
import tempfile
import time
import warnings
from typing import Any, Mapping, Optional

import numpy as np
import torch
import torch.nn.functional as F

from workloads.augment import BatchAugment
from workloads.checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from workloads.config import ClassifyConfig
from workloads.data import DatasetArrays
from workloads.device import resolve_device, synchronize
from workloads.losses import one_hot, soft_cross_entropy
from workloads.metrics import classification_metrics, confusion_json, confusion_matrix
from workloads.models import build_model, find_pretrained, manifold_layers
from workloads.placement import gather, keep_on_device, rows
from workloads.precision import Runtime, is_conv_net, load_scaler_state
from workloads.train_sources import load_train_sources
from workloads.trainable import Report

Config = ClassifyConfig
__all__ = ["Config", "Trainer", "build_trainer", "resolve_device", "train", "validate"]


def seed_everything(seed: int) -> None:
    """Seed the global torch (CPU and CUDA), numpy and python RNGs."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _to_device(array: np.ndarray, device: torch.device) -> torch.Tensor:
    # On the CPU the tensor shares the array's memory, so trials that receive the dataset from Ray's
    # object store (read-only, zero-copy) do not copy it; nothing here ever writes to it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        tensor = torch.from_numpy(array)
    return tensor.to(device) if device.type != "cpu" else tensor


class Trainer:
    """The state of one trial: data (device-resident unless too large), model, optimizer, scheduler,
    loss scaler, mixer, generators."""

    def __init__(self, cfg: ClassifyConfig, data: DatasetArrays) -> None:
        self.cfg = cfg
        self.data = data
        self.device = resolve_device(cfg.device)
        self.num_classes = data.num_classes
        seed = cfg.seed
        seed_everything(seed)
        if self.device.type == "cuda":  # peak_memory_mib counts from here (a reused Ray worker ran other trials)
            torch.cuda.reset_peak_memory_stats(self.device)
        images = {name: s.images for name, s in data.splits.items()}
        self.y = {name: _to_device(s.labels, self.device).long() for name, s in data.splits.items()}
        self._check_labels()
        # Soft train targets (N, K) only when offline sets join the real split; plain datasets keep
        # the integer labels and a per-batch one-hot scatter.
        self.train_soft: Optional[torch.Tensor] = None
        sources = load_train_sources(cfg, data)
        if sources is not None:
            images["train"] = sources[0]
            self.train_soft = _to_device(sources[1], self.device)
            del self.y["train"]  # the real labels are inside train_soft now
        # Images on the device when they fit (labels always: they are small), else in host memory,
        # copied per batch.
        self.data_on_device = keep_on_device(sum(a.nbytes for a in images.values()), self.device)
        place = self.device if self.data_on_device else torch.device("cpu")
        self.x = {name: _to_device(array, place) for name, array in images.items()}
        self.augment = make_augment(cfg, data, self.device)
        # Grey images reach the model as RGB when asked (an ImageNet stem, as the GeMix authors feed it).
        in_chans = 3 if cfg.grey_to_rgb and data.channels == 1 else data.channels
        self.model = build_model(
            cfg.arch, in_chans, data.num_classes, data.image_size, cfg.pretrained, cfg.pretrained_path
        ).to(self.device)
        # The weights file loaded, recorded with the final epoch (a report names where they came from).
        self.pretrained_weights = str(find_pretrained(cfg.arch, cfg.pretrained_path)) if cfg.pretrained else None
        self.runtime = Runtime.resolve(cfg, self.device, channels_last_auto=is_conv_net(self.model))
        self.runtime.prepare_model(self.model)  # before the optimizer: it holds the parameters
        # `net` runs the forward pass (compiled or `model` itself); `model` is what checkpoints save.
        self.net = self.runtime.compiled(self.model)
        self.optimizer = self._make_optimizer()
        self.scaler = self.runtime.grad_scaler()
        self.total_epochs = cfg.epochs_total
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, milestones=cfg.milestones_total, gamma=cfg.lr_decay
        )
        # Exactly one of the two: an input mixer, or a trainer-level method with its mixable layers.
        self.mixer = None
        self.manifold = None
        if cfg.is_trainer_method:
            self.manifold = cfg.build_method()
            self.mix_layers = manifold_layers(cfg.arch, self.model)
        else:
            self.mixer = cfg.build_method()
        # Separate streams, so changing one consumer (e.g. crop on/off) leaves the others' draws alone.
        # The mixer's generator stays on the CPU: mixers draw their small (N, N) weights on the
        # generator's device and read some draws back as Python floats, which on a GPU would be a
        # host sync every step; the CPU draws are tiny and the weights move over asynchronously.
        self.generators = {
            "shuffle": torch.Generator().manual_seed(seed),
            "augment": torch.Generator(self.device).manual_seed(seed + 1),
            "mixer": torch.Generator().manual_seed(seed + 2),
        }
        self.epoch = 0
        self.last_metrics: dict[str, Any] = {}

    def _make_optimizer(self) -> torch.optim.Optimizer:
        cfg = self.cfg
        params = self.model.parameters()
        if cfg.optimizer == "adam":
            return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean loss of logits `(N, K)` against probability targets `(N, K)`."""
        if self.cfg.loss == "bce":
            return F.binary_cross_entropy_with_logits(logits, targets)
        return soft_cross_entropy(logits, targets)

    def _one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        # No range check (it would read the labels back to the host every step): `_check_labels`
        # checked them once.
        return one_hot(labels, self.num_classes, check=False)

    def _check_labels(self) -> None:
        for name, labels in self.y.items():
            if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
                raise ValueError(
                    f"{name} labels must lie in [0, {self.num_classes}), got "
                    f"{int(labels.min())}..{int(labels.max())}"
                )


    def train_epoch(self, epoch: int) -> tuple[float, float]:
        """One pass over the shuffled train split; returns (mean train loss, images per second).

        Losses stay on the device until the end of the epoch (no per-step host sync); a non-finite
        loss raises FloatingPointError naming the first bad step (1-based).
        """
        self.model.train()
        x_all = self.x["train"]
        n = len(x_all)
        bs = self.cfg.batch_size
        # A trailing batch of one sample is dropped: batch norm cannot train on it.
        n_batches = n // bs + (1 if n % bs >= 2 else 0)
        order_host = torch.randperm(n, generator=self.generators["shuffle"])
        order = order_host.to(self.device)  # labels (and device-resident images) are indexed on the device
        losses = torch.zeros(n_batches, device=self.device)
        rt = self.runtime
        synchronize(self.device)
        start = time.perf_counter()
        seen = 0
        for step in range(n_batches):
            idx = order[step * bs : (step + 1) * bs]
            pixels = gather(x_all, idx if self.data_on_device else order_host[step * bs : (step + 1) * bs], self.device)
            inputs = self.augment.train(pixels, self.generators["augment"])
            targets = self._one_hot(self.y["train"][idx]) if self.train_soft is None else self.train_soft[idx]
            if self.manifold is not None:
                with rt.autocast():
                    logits, targets = self.manifold(
                        self.model, self.mix_layers, rt.batch(inputs), targets, generator=self.generators["mixer"]
                    )
            else:
                # Mixers see float32 batches: their weights are exact whatever the model's precision.
                inputs, targets = self.mixer(inputs, targets, generator=self.generators["mixer"])
                with rt.autocast():
                    logits = self.net(rt.batch(inputs))
            loss = self.loss(logits.float(), targets)
            self.optimizer.zero_grad(set_to_none=True)
            # A disabled scaler (fp32, bf16) is the plain backward() + step(); fp16 scales the loss,
            # unscales the gradients and skips steps whose gradients overflowed.
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            losses[step] = loss.detach() * len(idx)
            seen += len(idx)
        synchronize(self.device)
        elapsed = time.perf_counter() - start
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0])
            raise FloatingPointError(
                f"non-finite training loss ({float(losses[bad])}) at epoch {epoch} step {bad + 1}"
            )
        return float(losses.sum()) / max(seen, 1), seen / max(elapsed, 1e-9)

    @torch.inference_mode()
    def evaluate(self, split: str, confusion: bool = False) -> dict[str, Any]:
        """`{split}_loss` and the classification metrics of `split`, without augmentation or mixing."""
        self.model.eval()
        x_all, y_all = self.x[split], self.y[split]
        ebs, rt = self.cfg.eval_batch_size, self.runtime
        with rt.autocast():
            logits = torch.cat([
                self.net(rt.batch(self.augment.eval(rows(x_all, i, i + ebs, self.device)))).float()
                for i in range(0, len(y_all), ebs)
            ])
        loss = float(self.loss(logits, self._one_hot(y_all)))
        metrics = {"loss": loss, **classification_metrics(logits, y_all, self.num_classes)}
        if confusion:
            metrics["confusion"] = confusion_json(confusion_matrix(logits.argmax(1), y_all, self.num_classes))
        return {f"{split}_{k}": v for k, v in metrics.items()}

    def run_epoch(self) -> dict[str, Any]:
        """Train and evaluate the next epoch; returns its metrics."""
        epoch = self.epoch + 1
        lr = self.optimizer.param_groups[0]["lr"]
        train_loss, images_per_s = self.train_epoch(epoch)
        self.scheduler.step()
        self.epoch = epoch
        final = epoch == self.total_epochs
        metrics: dict[str, Any] = {
            "epoch": epoch,
            "epochs_total": self.total_epochs,
            "lr": lr,
            "train_loss": train_loss,
            "train_images_per_s": images_per_s,
            **self.evaluate("val"),
            **self.evaluate("test", confusion=final),
        }
        if self.device.type == "cuda":
            metrics["peak_memory_mib"] = torch.cuda.max_memory_allocated(self.device) / 2**20
        if final and self.pretrained_weights:
            metrics["pretrained_weights"] = self.pretrained_weights
        self.last_metrics = metrics
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),  # {} unless fp16
            "rng": capture_rng_state(self.generators),
            "metrics": self.last_metrics,
            "config": self.cfg.to_flat(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        load_scaler_state(self.scaler, state.get("scaler"))
        restore_rng_state(state["rng"], self.generators)
        self.epoch = int(state["epoch"])
        self.last_metrics = dict(state["metrics"])


def make_augment(cfg: ClassifyConfig, data: DatasetArrays, device: torch.device) -> BatchAugment:
    """Normalization by `norm_mean` / `norm_std` where set, else by the real train split's statistics
    (which val and test resemble); 3 channels out of grey images with `grey_to_rgb`."""
    if cfg.grey_to_rgb and not data.is_image:
        raise ValueError(f"grey_to_rgb=true needs images; dataset {data.name!r} holds feature vectors")
    options = dict(flip=cfg.flip, crop_padding=cfg.crop_padding, device=device, to_rgb=cfg.grey_to_rgb)
    if cfg.norm_mean is None:
        return BatchAugment.from_train(data.splits["train"].images, **options)
    channels = data.channels
    return BatchAugment(np.full(channels, cfg.norm_mean), np.full(channels, cfg.norm_std), **options)


def prepare_data(cfg: ClassifyConfig, data: Optional[DatasetArrays] = None) -> DatasetArrays:
    """The config's dataset (`data` if given, as the orchestrator shares it: already the view of its
    split; else read from `data_root`, and split by `split`), capped at `subset` per split and at
    `train_subset` training samples (a limited-data regime, where mixing matters most)."""
    if data is None:
        from workloads.gemix.protocol import load_view

        data = load_view(cfg.dataset, cfg.data_root, cfg, cfg.SPLIT_PART)
    data = data.subset(cfg.subset)
    if cfg.train_subset:
        train_only = DatasetArrays(data.name, data.class_names, {"train": data.splits["train"]})
        data = DatasetArrays(data.name, data.class_names,
                             {**data.splits, "train": train_only.subset(cfg.train_subset).splits["train"]})
    return data


def validate(config: Mapping[str, Any]) -> ClassifyConfig:
    """The typed config of a flat one (ValueError naming the key and the valid choices otherwise)."""
    return ClassifyConfig.from_flat(config)


def build_trainer(config: Mapping[str, Any] | ClassifyConfig, data: Optional[DatasetArrays] = None) -> Trainer:
    """A ready Trainer (epoch 0) for a flat or typed config: what other trainables use to train a
    classifier of their own (e.g. GeMix's quality oracle)."""
    cfg = config if isinstance(config, ClassifyConfig) else validate(config)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    return Trainer(cfg, prepare_data(cfg, data))


def train(
    config: Mapping[str, Any],
    report: Report,
    checkpoint: Optional[str] = None,
    *,
    data: Optional[DatasetArrays] = None,
) -> dict[str, Any]:
    """Train one trial for `epochs * epochs_factor` epochs; returns the final epoch's metrics.

    config: flat dict of `ClassifyConfig`'s keys (missing keys take their defaults).
    report: called once per epoch with the metrics and a checkpoint directory (or None on epochs
        skipped by `checkpoint_every`); the directory is deleted when `report` returns, so copy it then.
    checkpoint: a directory written by an earlier call, to resume after its epoch.
    data: the prepared dataset (shared by the orchestrator); read from `data_root` when None.
    """
    trainer = build_trainer(config, data)
    cfg = trainer.cfg
    if checkpoint is not None:
        trainer.load_state_dict(load_checkpoint(checkpoint))
    while trainer.epoch < trainer.total_epochs:
        metrics = trainer.run_epoch()
        if trainer.epoch % cfg.checkpoint_every == 0 or trainer.epoch == trainer.total_epochs:
            directory = tempfile.mkdtemp(prefix="mixbench-ckpt-")
            try:
                save_checkpoint(directory, trainer.state_dict())
                if trainer.epoch == trainer.total_epochs:  # the final model's per-sample test predictions
                    from workloads.predictions import save_predictions

                    save_predictions(directory, trainer)
                report(metrics, directory)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
        else:
            report(metrics, None)
    return trainer.last_metrics
