"""The GAN trainable: `train_gan(config, report, checkpoint=None, *, data=None) -> dict`.

Trains the conditional generator on one-hot labels of a dataset's train split (as the GeMix authors
did), StyleGAN2-ADA style: per step one G update (non-saturating loss through D and ADA) and one D
update (logistic loss, lazy R1 on the reals), then the EMA of G and, every `ada_interval` steps, ADA's p.

Every `report_every` steps (and after the last) it calls `report(metrics, checkpoint_dir)`:
metrics = {step, kimg, g_loss, d_loss, r1, ada_p, r_t, d_real, d_fake, sec_per_step} (losses are
means over the steps since the last report; r1 is the last evaluated ||grad D(real)||^2; r_t the
last E[sign D(real)] ADA measured). `checkpoint_dir` holds `state.pt` (G, D, G_ema, both Adam states,
step, ADA state, every RNG state, the config), `config.json` and `samples.png` (G_ema, one row per
class, fixed z and noise). The directory is temporary: it is deleted when `report` returns, so the
callback copies it if it keeps it (Ray's `tune.report(checkpoint=Checkpoint.from_directory(d))` does).
Passing such a directory as `checkpoint` resumes exactly where it stopped (the fp16 loss scalers'
state included).

Precision keys (`workloads.precision`): G and D run their forward passes under the config's autocast,
losses and the R1 penalty are float32, and with fp16 each network has its own GradScaler (their
gradients differ in scale by orders of magnitude); the R1 gradient is taken of the scaled logits and
unscaled exactly (the scales are powers of two). `channels_last` null means off for the GAN: the
modulated convolutions reshape activations per sample, which NHWC turns into layout copies, and
NVIDIA's StyleGAN2-ADA keeps it off by default too (`benchmarks/gpu.py` measures both).
`compile` compiles G and D; D's R1 pass (every `r1_interval` steps) runs the uncompiled D because
compiled graphs do not support its double backward. The real images stay on the device when they fit
(`workloads.placement`), else in host memory with a pinned, asynchronous copy per batch.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from workloads.checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from workloads.data.resize import resized_chunks
from workloads.device import resolve_device
from workloads.gan.ada import AdaController, AugmentPipe
from workloads.gan.config import ARCH_KEYS, GanConfig
from workloads.gan.discriminator import Discriminator
from workloads.gan.ema import ema_beta, make_ema, update_ema
from workloads.gan.grid import save_grid, to_uint8
from workloads.gan.losses import discriminator_loss, generator_loss, r1_loss
from workloads.gan.networks import Generator
from workloads.losses import one_hot
from workloads.placement import gather, keep_on_device
from workloads.precision import Runtime, load_scaler_state
from workloads.trainable import Report

SAMPLES_FILE = "samples.png"


def generator_arch(cfg: GanConfig, num_classes: int, channels: int) -> dict[str, Any]:
    """Keyword arguments of `Generator` (stored in checkpoints so `load_generator` can rebuild G)."""
    return {
        "z_dim": cfg.z_dim, "c_dim": num_classes, "w_dim": cfg.w_dim,
        "img_resolution": cfg.resolution, "img_channels": channels,
        "channel_base": cfg.channel_base, "channel_max": cfg.channel_max,
        "mapping_layers": cfg.mapping_layers,
    }


def prepare_images(images: np.ndarray, resolution: int, device: torch.device) -> torch.Tensor:
    """uint8 `(N, H, W, C)` -> uint8 `(N, C, R, R)` on `device`, resized once (bilinear, antialiased)."""
    return torch.cat([x.to(device) for x in resized_chunks(images, (resolution, resolution))])


def _real_batch(images: torch.Tensor, idx: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Float `(b, C, R, R)` in [-1, 1] on `device` of uint8 `images` (on the device or in host memory)."""
    return gather(images, idx.to(images.device), device).to(torch.float32) / 127.5 - 1.0


class GanTraining:
    """All state of one GAN run (networks, optimizers, ADA, RNGs) and its step function."""

    def __init__(self, cfg: GanConfig, images: np.ndarray, labels: np.ndarray, num_classes: int):
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.num_classes = num_classes
        channels = images.shape[-1]
        self.arch = generator_arch(cfg, num_classes, channels)
        torch.manual_seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)  # batches, z, labels, augmentation
        channels_res = images.shape[-1] * cfg.resolution**2
        self.data_on_device = keep_on_device(len(images) * channels_res, self.device)
        self.images = prepare_images(images, cfg.resolution, self.device if self.data_on_device else torch.device("cpu"))
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        if len(self.labels) and (int(self.labels.min()) < 0 or int(self.labels.max()) >= num_classes):
            raise ValueError(f"labels must lie in [0, {num_classes}), got "
                             f"{int(self.labels.min())}..{int(self.labels.max())}")
        self.G = Generator(**self.arch).to(self.device).train()
        self.D = Discriminator(num_classes, cfg.resolution, channels, channel_base=cfg.channel_base,
                               channel_max=cfg.channel_max).to(self.device).train()
        self.runtime = Runtime.resolve(cfg, self.device, channels_last_auto=False)  # see the module docstring
        self.runtime.prepare_model(self.G)
        self.runtime.prepare_model(self.D)
        self.G_ema = make_ema(self.G)
        # Forward passes go through these (compiled or the modules themselves); state dicts use G and D.
        self.g_net = self.runtime.compiled(self.G)
        self.d_net = self.runtime.compiled(self.D)
        self.g_scaler = self.runtime.grad_scaler()
        self.d_scaler = self.runtime.grad_scaler()
        betas = (cfg.beta1, cfg.beta2)
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas, eps=1e-8)
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas, eps=1e-8)
        self.ada = AdaController(target=cfg.ada_target, interval=cfg.ada_interval, ada_kimg=cfg.ada_kimg,
                                 batch_size=cfg.batch_size, p=cfg.ada_p_init if cfg.ada else 0.0)
        self.augment = AugmentPipe(self.ada.p)
        self.step = 0
        self.last_r1 = float("nan")
        self.grid_z = torch.randn(num_classes * cfg.grid_cols, cfg.z_dim,
                                  generator=torch.Generator().manual_seed(cfg.seed))

    # -- sampling helpers -------------------------------------------------------------------------
    def _one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        """(n,) int64 CPU labels -> (n, K) float32 one-hot on the device; no range check (a host sync
        per step): `__init__` checked the labels once."""
        return one_hot(labels.to(self.device), self.num_classes, check=False)

    def _latents(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """z ~ N(0, I) and one-hot labels drawn from the real label distribution (NVIDIA's scheme)."""
        z = torch.randn(n, self.cfg.z_dim, generator=self.gen).to(self.device)
        idx = torch.randint(len(self.labels), (n,), generator=self.gen)
        return z, self._one_hot(self.labels[idx])

    def train_step(self) -> dict[str, float]:
        cfg, b, rt = self.cfg, self.cfg.batch_size, self.runtime
        # G: non-saturating loss through the (augmented) discriminator.
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        z, c = self._latents(b)
        with rt.autocast():
            fake_logits = self.d_net(self.augment(self.g_net(z, c), self.gen), c).float()
        g_loss = generator_loss(fake_logits)
        self.g_opt.zero_grad(set_to_none=True)
        # Disabled scalers (fp32, bf16) are the plain backward() + step().
        self.g_scaler.scale(g_loss).backward()
        self.g_scaler.step(self.g_opt)
        self.g_scaler.update()

        # D: logistic loss on fresh fakes and a real batch, plus lazy R1 on the un-augmented reals.
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        z, c = self._latents(b)
        with torch.no_grad(), rt.autocast():
            fake = self.g_net(z, c)
        idx = torch.randint(len(self.labels), (b,), generator=self.gen)
        real = rt.batch(_real_batch(self.images, idx, self.device))
        c_real = self._one_hot(self.labels[idx])
        do_r1 = cfg.r1_gamma > 0 and self.step % cfg.r1_interval == 0
        real = real.detach().requires_grad_(do_r1)
        with rt.autocast():
            fake_logits = self.d_net(self.augment(fake, self.gen), c).float()
            # The R1 pass needs a double backward: the uncompiled D.
            real_logits = (self.D if do_r1 else self.d_net)(self.augment(real, self.gen), c_real).float()
        d_loss = discriminator_loss(real_logits, fake_logits)
        loss = d_loss
        if do_r1:
            # fp16: the gradient of the scaled logits does not underflow; the scale is a power of two,
            # so dividing the squared norm by its square is exact.
            scale = self.d_scaler.get_scale() if self.d_scaler.is_enabled() else 1.0
            scaled = real_logits if scale == 1.0 else real_logits * scale
            term, penalty = r1_loss(scaled, real, cfg.r1_gamma, cfg.r1_interval)
            if scale != 1.0:
                term, penalty = term / scale**2, penalty / scale**2
            loss = loss + term
            self.last_r1 = float(penalty)
        self.d_opt.zero_grad(set_to_none=True)
        self.d_scaler.scale(loss).backward()
        self.d_scaler.step(self.d_opt)
        self.d_scaler.update()

        self.step += 1
        update_ema(self.G_ema, self.G, ema_beta(b, cfg.ema_kimg, self.step * b, cfg.ema_rampup))
        if cfg.ada:
            self.ada.accumulate(real_logits)
            self.ada.step()
            self.augment.p = self.ada.p
        return {"g_loss": float(g_loss.detach()), "d_loss": float(d_loss.detach()),
                "d_real": float(real_logits.detach().mean()), "d_fake": float(fake_logits.detach().mean())}

    @torch.no_grad()
    def sample_grid(self) -> np.ndarray:
        """uint8 `(K * grid_cols, H, W, C)` from G_ema: row k is class k, fixed z, constant noise."""
        cols = self.cfg.grid_cols
        c = self._one_hot(torch.arange(self.num_classes).repeat_interleave(cols))
        with self.runtime.autocast():
            return to_uint8(self.G_ema(self.grid_z.to(self.device), c, noise_mode="const"))

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": "mixbench-gan", "config": self.cfg.to_flat(), "arch": self.arch, "step": self.step,
            "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
            "g_opt": self.g_opt.state_dict(), "d_opt": self.d_opt.state_dict(),
            "ada": self.ada.state_dict(), "last_r1": self.last_r1,
            "g_scaler": self.g_scaler.state_dict(), "d_scaler": self.d_scaler.state_dict(),  # {} unless fp16
            "rng": capture_rng_state({"train": self.gen}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "mixbench-gan":
            raise ValueError("checkpoint is not a mixbench GAN checkpoint (state.pt kind != 'mixbench-gan')")
        saved = state["config"]
        changed = [k for k in ARCH_KEYS if saved[k] != getattr(self.cfg, k)]
        if changed or state["arch"] != self.arch:
            raise ValueError(
                f"checkpoint was trained with other network shapes ({changed or 'classes/channels'}); "
                f"resume with its values: {[f'{k}={saved[k]}' for k in ARCH_KEYS]}"
            )
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.g_opt.load_state_dict(state["g_opt"])
        self.d_opt.load_state_dict(state["d_opt"])
        load_scaler_state(self.g_scaler, state.get("g_scaler"))
        load_scaler_state(self.d_scaler, state.get("d_scaler"))
        self.ada.load_state_dict(state["ada"])
        self.augment.p = self.ada.p if self.cfg.ada else 0.0
        self.step = int(state["step"])
        self.last_r1 = float(state["last_r1"])
        restore_rng_state(state["rng"], {"train": self.gen})

    def write_checkpoint(self, directory: Path) -> None:
        save_checkpoint(directory, self.state_dict())
        (directory / "config.json").write_text(json.dumps(self.cfg.to_flat(), indent=1, sort_keys=True))
        save_grid(self.sample_grid(), self.num_classes, directory / SAMPLES_FILE)


def train_gan(
    config: Mapping[str, Any] | GanConfig,
    report: Report,
    checkpoint: str | None = None,
    *,
    data=None,
) -> dict[str, Any]:
    """Train (or resume) the conditional GAN; returns the last reported metrics.

    data: a `workloads.data.DatasetArrays` with uint8 `(N, H, W, C)` images (C = 1 or 3); None reads
    the config's `dataset` from its `data_root`.
    """
    cfg = config if isinstance(config, GanConfig) else GanConfig.from_flat(config)
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(cfg.dataset, cfg.data_root)
    if not data.is_image or data.channels not in (1, 3):
        raise ValueError(f"dataset {data.name!r} is not an image dataset with 1 or 3 channels; the GAN needs one")
    data = data.subset(cfg.max_images, seed=cfg.seed)
    train = data.splits["train"]
    run = GanTraining(cfg, train.images, train.labels, data.num_classes)
    if checkpoint is not None:
        run.load_state_dict(load_checkpoint(checkpoint, map_location=run.device))

    sums: dict[str, float] = {}
    count, started = 0, time.perf_counter()
    metrics: dict[str, Any] = {}
    while run.step < cfg.steps:
        for key, value in run.train_step().items():
            sums[key] = sums.get(key, 0.0) + value
        count += 1
        if run.step % cfg.report_every == 0 or run.step == cfg.steps:
            metrics = {key: value / count for key, value in sums.items()}
            metrics.update(
                step=run.step, kimg=run.step * cfg.batch_size / 1000, r1=run.last_r1, ada_p=run.ada.p,
                r_t=run.ada.last_rt, sec_per_step=(time.perf_counter() - started) / count,
            )
            with tempfile.TemporaryDirectory(prefix="mixbench-gan-") as tmp:
                run.write_checkpoint(Path(tmp))
                report(dict(metrics), tmp)
            sums, count, started = {}, 0, time.perf_counter()
    return metrics
