"""The GPU benchmark: one command, one Markdown section, ratios first (issue 14).

    python benchmarks/gpu.py [--quick] [--out gpu.md]      # ~5 min on one H200 (--quick: ~1.5 min)
    python benchmarks/gpu.py --cpu-smoke                   # checks the script itself on a CPU, tiny sizes

Exits 2 with one line when no CUDA device is present (unless `--cpu-smoke`); 1 when a section failed
(the others still run and print); 0 otherwise. Every baseline runs in the same process as what it is
compared with, interleaved with it; medians decide. Sections:

(a) mixing on the device: every mixer (`workloads.mixing.MIXERS`) on a `[32, 3, 224, 224]` float32
    batch against a device-to-device copy (`x.clone()`, the memory-traffic floor) and torchvision's
    `v2.MixUp` (target: zeta <= 0.6x MixUp; the paper measured 345 us vs 745 us, 0.46). The mixers
    draw from a CPU generator, as the trainer's do (their small weights travel over asynchronously).
(b) the classify trainable's training step against a bare PyTorch loop of the same model, precision
    and memory format (pre-normalized float tensors, `F.cross_entropy`; target >= 0.95x), on random
    32x32x3 images, batch 128, in fp32 (NCHW, what mixbench ran before issue 14) and bf16 +
    channels_last (what `auto` gives on an Ampere-or-later GPU); `cifar_resnet18` when that arch is
    registered, else timm's `resnet18` (the header says which ran). Also the paper's realistic trial
    (zeta, flip, crop 4) and evaluation images/s, and from those the projected time of the paper's
    200-epoch CIFAR recipe (50,000 training images per epoch; val and test are both the 10,000
    official test images, so 20,000 evaluated per epoch).
(c) packed trials: 1, 2 and 4 concurrent trials of that model on one GPU through the orchestrator
    (`orchestrator.run.runner.execute`, what `mixbench run --gpus-per-trial 1/k` runs; Ray, Parquet and
    MLflow included), with random 32x32x3 images under the registered name `cifar10`: total training
    images/s (the sum of each trial's median epoch, first epoch excluded) against one trial.
(d) the GAN at 128 px (GeMix's config: `workloads.gan.config` defaults, batch 32, ADA p = 0.2, lazy R1
    every 16 steps, so each 16-step block holds one R1 step): training steps/s in fp32, bf16, and
    bf16 + channels_last (the GAN's `channels_last` default is off; this row says whether it should be),
    and sampling images/s (`sample_gemix`, batch 256).
(e) peak GPU memory per trial: `torch.cuda.max_memory_allocated` of each configuration of (b) and (d)
    (its own tensors: data, model, optimizer, activations), and each packed trial's `peak_memory_mib`.

`--compile` adds a `torch.compile` row to (b) (compilation takes a minute or more, outside the timed
blocks). The Markdown goes to stdout at the end (progress to stderr) and to `--out` after every section.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import math
import random
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from workloads.device import synchronize  # noqa: E402

NO_CUDA = ("benchmarks/gpu.py: no CUDA device (torch.cuda.is_available() is False); run it on a machine with an "
           "NVIDIA GPU, or pass --cpu-smoke to check the script")
MiB = 2**20
CIFAR_TRAIN, CIFAR_EVAL, CIFAR_EPOCHS = 50_000, 20_000, 200


@dataclass
class Sizes:
    """What each section runs; `full`, `quick` and `smoke` below."""

    mix_shape: tuple[int, int, int, int] = (32, 3, 224, 224)
    mix_rounds: int = 40
    mix_inner: int = 10
    train_images: int = 10_240
    eval_images: int = 10_000
    train_rounds: int = 5
    image_size: int = 32
    arch: str | None = None  # None: cifar_resnet18 if registered, else resnet18
    packed_levels: tuple[int, ...] = (1, 2, 4)
    packed_epochs: int = 4
    packed_images: int = 20_000
    gan: dict[str, Any] = field(default_factory=dict)  # GanConfig overrides (none: GeMix's 128 px config)
    gan_images: int = 1024
    gan_steps: int = 16
    gan_rounds: int = 3
    gan_samples: int = 1024


FULL = Sizes()
QUICK = Sizes(mix_rounds=15, train_images=4096, eval_images=4096, train_rounds=2, packed_levels=(1, 2),
              packed_epochs=2, packed_images=8192, gan_steps=16, gan_rounds=1, gan_samples=512, gan_images=256)
SMOKE = Sizes(mix_shape=(4, 3, 16, 16), mix_rounds=3, mix_inner=1, train_images=128, eval_images=64, train_rounds=1,
              image_size=16, arch="small_cnn", packed_levels=(1, 2), packed_epochs=2, packed_images=128,
              gan=dict(resolution=16, channel_base=64, channel_max=8, z_dim=8, w_dim=8), gan_images=32, gan_steps=2,
              gan_rounds=1, gan_samples=16)


class Report:
    """The Markdown being built: the ratio table first, then one part per section."""

    def __init__(self, header: str, out: Path | None) -> None:
        self.header, self.out = header, out
        self.ratios: list[tuple[str, float | None, str]] = []  # (what, value, target and verdict)
        self.parts: list[str] = []
        self.failed: list[str] = []

    def ratio(self, what: str, value: float | None, target: str = "for information") -> None:
        self.ratios.append((what, value, target))

    def markdown(self) -> str:
        rows = ["| ratio | value | target |", "|---|---:|---|"]
        rows += [f"| {what} | {'–' if v is None else f'{v:.2f}'} | {target} |" for what, v, target in self.ratios]
        failed = [f"\n**Failed sections:** {', '.join(self.failed)} (see the error lines below)."] if self.failed else []
        return "\n".join([self.header, "", *rows, *failed, "", *self.parts]) + "\n"

    def save(self) -> None:
        if self.out is not None:
            self.out.write_text(self.markdown())


def verdict(value: float, target: float, at_most: bool) -> str:
    ok = value <= target if at_most else value >= target
    return f"{'≤' if at_most else '≥'} {target}: {'met' if ok else 'NOT met'}"


def progress(text: str) -> None:
    print(f"[gpu.py {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any], device: torch.device, repeat: int = 1) -> float:
    """Seconds per call of `fn` (the device's queue drained before and after)."""
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    synchronize(device)
    return (time.perf_counter() - start) / repeat


def peak_mib(device: torch.device, base: int) -> float | None:
    if device.type != "cuda":
        return None
    return (torch.cuda.max_memory_allocated(device) - base) / MiB


def start_peak(device: torch.device) -> int:
    """Reset the peak counter; returns the bytes allocated now (what earlier configurations hold)."""
    if device.type != "cuda":
        return 0
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    return torch.cuda.memory_allocated(device)


def random_images(n: int, size: int, eval_n: int, seed: int = 0):
    """DatasetArrays of uint8 `(n, size, size, 3)` random images, 10 classes; val = test = `eval_n` more."""
    from workloads.data import DatasetArrays, Split

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n + eval_n, size, size, 3), dtype=np.uint8)
    labels = (np.arange(n + eval_n) % 10).astype(np.int64)
    held_out = Split(images[n:], labels[n:])
    return DatasetArrays("bench-random", tuple(str(c) for c in range(10)),
                         {"train": Split(images[:n], labels[:n]), "val": held_out, "test": held_out})


def pick_arch(sizes: Sizes) -> str:
    from workloads.models import ARCHS

    if sizes.arch:
        return sizes.arch
    return "cifar_resnet18" if "cifar_resnet18" in ARCHS else "resnet18"


# -- (a) mixing ---------------------------------------------------------------------------------------

def section_mixing(device: torch.device, sizes: Sizes, report: Report) -> None:
    from torchvision.transforms import v2

    from workloads.losses import one_hot
    from workloads.mixing import MIXERS, get_mixer

    k = 10
    g = torch.Generator().manual_seed(0)
    x = torch.rand(*sizes.mix_shape, generator=g).to(device)
    labels = torch.randint(k, (sizes.mix_shape[0],), generator=g).to(device)
    y = one_hot(labels, k).to(device)
    mixer_gen = torch.Generator().manual_seed(1)  # CPU, as the trainer's mixer generator
    tv_mixup = v2.MixUp(alpha=1.0, num_classes=k)
    floor, tv = "x.clone() (device-to-device copy)", "torchvision v2.MixUp"
    entries: dict[str, Callable[[], Any]] = {floor: lambda: x.clone(), tv: lambda: tv_mixup(x, labels)}
    for name in MIXERS:
        mixer = get_mixer(name)
        entries[name] = lambda mixer=mixer: mixer(x, y, generator=mixer_gen)
    times: dict[str, list[float]] = {name: [] for name in entries}
    order, shuffle, warmup = list(entries), random.Random(0), 3
    for r in range(warmup + sizes.mix_rounds):
        shuffle.shuffle(order)
        for name in order:
            t = timed(entries[name], device, sizes.mix_inner)
            if r >= warmup:
                times[name].append(t)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    zeta_tv, zeta_floor = med["zeta"] / med[tv], med["zeta"] / med[floor]
    report.ratio("mixing: zeta / torchvision v2.MixUp", zeta_tv, f"{verdict(zeta_tv, 0.6, True)} (paper: 0.46)")
    report.ratio("mixing: zeta / x.clone()", zeta_floor, verdict(zeta_floor, 3.0, True) + " (issue 2)")
    rows = [f"### (a) Mixing on the device: x {list(sizes.mix_shape)} float32, {sizes.mix_rounds} interleaved "
            f"rounds of {sizes.mix_inner} calls, median per call", "",
            "| entry | median µs | min µs | × x.clone() | × torchvision MixUp |", "|---|---:|---:|---:|---:|"]
    for name, ts in times.items():
        rows.append(f"| {name} | {med[name] * 1e6:.0f} | {min(ts) * 1e6:.0f} | {med[name] / med[floor]:.2f} "
                    f"| {med[name] / med[tv]:.2f} |")
    report.parts.append("\n".join(rows) + "\n")


# -- (b) the trainable against a bare loop ----------------------------------------------------------

class BareLoop:
    """The minimal loop: normalized float tensors on the device, randperm, autocast forward, backward, step."""

    def __init__(self, data, device: torch.device, arch: str, batch: int, precision: str, channels_last: bool) -> None:
        from workloads.augment import BatchAugment
        from workloads.models import build_model
        from workloads.precision import Runtime

        split = data.splits["train"]
        self.x = BatchAugment.from_train(split.images, device=device).eval(torch.from_numpy(split.images).to(device))
        self.y = torch.from_numpy(split.labels).to(device)
        torch.manual_seed(0)
        self.model = build_model(arch, 3, 10, split.images.shape[1:3]).to(device)
        self.rt = Runtime(device, precision, channels_last, compile=False)
        self.rt.prepare_model(self.model)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        self.scaler = self.rt.grad_scaler()
        self.batch, self.device = batch, device
        self.gen = torch.Generator().manual_seed(0)

    def train_epoch(self, _epoch: int = 0) -> tuple[float, float]:
        self.model.train()
        n = len(self.y)
        synchronize(self.device)
        start = time.perf_counter()
        order = torch.randperm(n, generator=self.gen).to(self.device)
        for i in range(0, n - 1, self.batch):
            idx = order[i : i + self.batch]
            with self.rt.autocast():
                logits = self.model(self.rt.batch(self.x[idx]))
            loss = F.cross_entropy(logits.float(), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        synchronize(self.device)
        return float("nan"), n / (time.perf_counter() - start)


def section_trainable(device: torch.device, sizes: Sizes, report: Report, use_compile: bool, memory: list) -> None:
    from workloads.classify import Trainer, validate

    arch = pick_arch(sizes)
    data = random_images(sizes.train_images, sizes.image_size, sizes.eval_images)
    # The trainers set it from their config when built; the bare loops must not warm up without it.
    torch.backends.cudnn.benchmark = True
    base = {"dataset": "cifar10", "arch": arch, "batch_size": 128, "eval_batch_size": 1024, "lr": 0.01,
            "weight_decay": 5e-4, "epochs": 1000, "device": str(device), "cudnn_benchmark": True}
    precisions = {"fp32": ("fp32", False), "bf16 + channels_last": ("bf16", True)}
    if use_compile:
        precisions["bf16 + channels_last + compile"] = ("bf16", True)
    loops: dict[tuple[str, str], Any] = {}
    for label, (precision, cl) in precisions.items():
        keys = {**base, "precision": precision, "channels_last": cl, "compile": "compile" in label}
        builders = {
            "bare": lambda: BareLoop(data, device, arch, 128, precision, cl),
            "erm": lambda: Trainer(validate({**keys, "method": "erm"}), data),
            "zeta": lambda: Trainer(validate({**keys, "method": "zeta", "gamma": 2.8, "flip": True, "crop_padding": 4}),
                                    data),
        }
        if "compile" in label:
            builders.pop("bare")
        for kind, build in builders.items():
            before = start_peak(device)
            loop = build()
            loop.train_epoch(0)  # warm-up: cuDNN autotuning, allocator, compilation
            memory.append((f"classify {arch}, {label}, {kind}", peak_mib(device, before)))
            loops[(label, kind)] = loop
            progress(f"(b) {label} {kind} warmed up")
    ips: dict[tuple[str, str], list[float]] = {key: [] for key in loops}
    for r in range(sizes.train_rounds):
        keys = list(loops) if r % 2 == 0 else list(reversed(loops))
        for key in keys:
            ips[key].append(loops[key].train_epoch(r + 1)[1])
    med = {key: statistics.median(v) for key, v in ips.items()}
    # Evaluation throughput of the realistic trial (val and test are forward passes without mixing).
    eval_ips: dict[str, float] = {}
    for label in precisions:
        trainer = loops[(label, "zeta")]
        n_eval = len(trainer.y["test"])
        eval_ips[label] = n_eval / statistics.median(timed(lambda: trainer.evaluate("test"), device) for _ in range(3))
    fp32, bf16 = "fp32", "bf16 + channels_last"
    for label in (fp32, bf16):
        ratio = med[(label, "erm")] / med[(label, "bare")]
        report.ratio(f"classify trainable / bare loop, {label} ({arch})", ratio, verdict(ratio, 0.95, False))
    report.ratio(f"classify images/s, bf16 + channels_last / fp32 ({arch}, zeta + flip + crop)",
                 med[(bf16, "zeta")] / med[(fp32, "zeta")])
    rows = [f"### (b) The classify trainable against a bare loop: {arch} on random "
            f"{sizes.image_size}x{sizes.image_size}x3 images, batch 128, {sizes.train_images} images per epoch, "
            f"{sizes.train_rounds} interleaved epochs after one warm-up epoch each, medians", "",
            "| precision | loop | training img/s | × bare loop | evaluation img/s | projected 200-epoch CIFAR recipe |",
            "|---|---|---:|---:|---:|---:|"]
    for (label, kind), value in med.items():
        bare = med.get((label, "bare"))
        ratio = f"{value / bare:.3f}" if bare else "–"
        name = {"bare": "bare PyTorch loop", "erm": "mixbench: erm, no augmentation",
                "zeta": "mixbench: zeta (γ 2.8), flip + crop 4"}[kind]
        evaluation = projected = "–"
        if kind == "zeta":
            evaluation = f"{eval_ips[label]:,.0f}"
            seconds = CIFAR_EPOCHS * (CIFAR_TRAIN / value + CIFAR_EVAL / eval_ips[label])
            projected = f"{seconds / 60:.1f} min"
        rows.append(f"| {label} | {name} | {value:,.0f} | {ratio} | {evaluation} | {projected} |")
    rows.append("")
    rows.append("Projection: 200 × (50,000 / training img/s + 20,000 / evaluation img/s), the paper's recipe "
                "(batch 128, flip + crop 4); the paper's own CIFAR-100 run took about 80 min.")
    report.parts.append("\n".join(rows) + "\n")
    loops.clear()


# -- (c) packed trials ------------------------------------------------------------------------------

def section_packed(device: torch.device, sizes: Sizes, report: Report, memory: list, deadline: float) -> None:
    from orchestrator.plan.expand import plan_experiment
    from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id
    from orchestrator.record.results import epochs_table
    from orchestrator.run.ray_cluster import init_ray
    from orchestrator.run.runner import execute
    from orchestrator.workdir import WorkDir
    from search_spaces import EXPERIMENTS, register_experiment
    from search_spaces.experiment import Experiment, Grid, Method

    arch = pick_arch(sizes)
    data = random_images(sizes.packed_images, sizes.image_size, 2000 if device.type == "cuda" else 32, seed=1)
    epochs = sizes.packed_epochs
    fixed = {"epochs": epochs, "milestones": [], "checkpoint_every": epochs, "eval_batch_size": 1024,
             "precision": "auto", "device": "auto", "num_threads": 2}
    root = Path(tempfile.mkdtemp(prefix="mixbench-gpu-bench-"))
    init_ray(None)
    rows_out: dict[int, dict[str, Any]] = {}
    last_wall = 0.0
    for k in sizes.packed_levels:
        # k trials take about as long as the previous level did (each gets 1/k of the GPU); a level
        # that would end past the deadline is not started.
        if time.monotonic() + 1.5 * last_wall > deadline:
            report.parts.append(f"(c) {k} concurrent trials skipped: the time budget was spent.\n")
            break
        name = f"bench-gpu-packed-{k}"
        if name not in EXPERIMENTS:
            register_experiment(Experiment(
                name=name, description=f"{k} trials packed onto one GPU", fixed=fixed,
                stages=(Grid(datasets=("cifar10",), methods=(Method("zeta", "zeta", {"gamma": 2.8}),), archs=(arch,),
                             seeds=tuple(range(k))),)))
        plans = plan_experiment(EXPERIMENTS[name])
        gpus = 1.0 / k if device.type == "cuda" else 0.0
        options = RunOptions(gpus_per_trial=gpus, cpus_per_trial=2 if device.type == "cuda" else 1, max_concurrent=k)
        workdir = WorkDir.at(root / f"packed-{k}").create()
        invocation = Invocation(name, new_invocation_id(), options, workdir.default_tracking_uri())
        progress(f"(c) {k} concurrent trial(s), --gpus-per-trial {gpus:g}")
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # Tune's progress lines stay out of the Markdown
            summary = execute(invocation, plans, {"cifar10": data}, workdir, resume=False)
        wall = last_wall = time.perf_counter() - start
        frame = epochs_table(workdir.results).read()
        frame = frame[frame["invocation"] == invocation.invocation]
        per_trial, peaks = [], []
        for _, trial in frame.groupby("trial_id"):
            trial = trial.sort_values("epoch")
            later = trial[trial["epoch"] > 1] if len(trial) > 1 else trial
            per_trial.append(float(later["train_images_per_s"].median()))
            if "peak_memory_mib" in trial:
                peaks.append(float(trial["peak_memory_mib"].max()))
        rows_out[k] = {"trials": len(per_trial), "errored": summary.errored, "total": sum(per_trial),
                       "each": per_trial, "wall": wall, "images": k * epochs * sizes.packed_images}
        for i, peak in enumerate(peaks):
            memory.append((f"packed trial {i + 1} of {k} ({arch}, precision auto)", peak))
    one = rows_out.get(1, {}).get("total")
    for k, row in rows_out.items():
        if k > 1 and one:
            report.ratio(f"packed trials: {k} on one GPU / 1 (total training img/s)", row["total"] / one)
    rows = [f"### (c) Packed trials: k concurrent `classify` trials ({arch}, zeta, precision auto, batch 128) on one "
            f"GPU through the orchestrator (`--gpus-per-trial 1/k`), {epochs} epochs of {sizes.packed_images} "
            f"random {sizes.image_size}x{sizes.image_size}x3 images each", "",
            "| trials | errored | total training img/s | × 1 trial | per trial img/s | wall s (whole run) | "
            "end-to-end img/s |", "|---:|---:|---:|---:|---|---:|---:|"]
    for k, row in rows_out.items():
        ratio = f"{row['total'] / one:.2f}" if one else "–"
        each = ", ".join(f"{v:,.0f}" for v in row["each"])
        rows.append(f"| {k} | {row['errored']} | {row['total']:,.0f} | {ratio} | {each} | {row['wall']:.1f} "
                    f"| {row['images'] / row['wall']:,.0f} |")
    rows.append("")
    rows.append("Total = the sum of each trial's median epoch (first epoch excluded: cuDNN autotuning). End-to-end "
                "divides every image trained by the whole run's wall time (Ray start of workers, data transfer, "
                "evaluation, checkpoints, Parquet, MLflow, report).")
    report.parts.append("\n".join(rows) + "\n")


# -- (d) the GAN --------------------------------------------------------------------------------------

def section_gan(device: torch.device, sizes: Sizes, report: Report, memory: list) -> None:
    from workloads.gan.config import GanConfig
    from workloads.gan.sample import sample_gemix
    from workloads.gan.train import GanTraining

    k = 3
    variants = {"fp32": ("fp32", False), "bf16": ("bf16", False), "bf16 + channels_last": ("bf16", True)}
    runs: dict[str, GanTraining] = {}
    for label, (precision, cl) in variants.items():
        cfg = GanConfig.from_flat({"device": str(device), "ada_p_init": 0.2, "ada_kimg": 1e9, "precision": precision,
                                   "channels_last": cl, **sizes.gan})
        res = cfg.resolution
        images = np.random.default_rng(0).integers(0, 256, (sizes.gan_images, res, res, 1), dtype=np.uint8)
        before = start_peak(device)
        run = GanTraining(cfg, images, np.arange(len(images)) % k, k)
        for _ in range(2):  # warm-up; step 0 is an R1 step (autotunes its passes too)
            run.train_step()
        memory.append((f"GAN {res} px, batch {cfg.batch_size}, {label}", peak_mib(device, before)))
        runs[label] = run
        progress(f"(d) GAN {label} warmed up")
    steps: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(sizes.gan_rounds):
        for label, run in runs.items():
            seconds = timed(lambda: [run.train_step() for _ in range(sizes.gan_steps)], device)
            steps[label].append(sizes.gan_steps / seconds)
    sample: dict[str, float] = {}
    for label in ("fp32", "bf16"):
        run = runs[label]

        def draw(n: int) -> None:
            sample_gemix(run.G_ema, k, n, seed=0, batch_size=256, device=str(device), progress=False)

        with run.runtime.autocast():
            draw(min(256, sizes.gan_samples))  # warm-up: cuDNN autotunes the grouped (per-sample) convolutions
            sample[label] = sizes.gan_samples / timed(lambda: draw(sizes.gan_samples), device)
    med = {label: statistics.median(v) for label, v in steps.items()}
    cfg = runs["fp32"].cfg
    report.ratio(f"GAN training steps/s at {cfg.resolution} px, bf16 / fp32", med["bf16"] / med["fp32"])
    report.ratio("GAN training steps/s, bf16 + channels_last / bf16", med["bf16 + channels_last"] / med["bf16"],
                 "> 1 would argue for channels_last on by default for the GAN")
    report.ratio("GAN sampling img/s, bf16 / fp32", sample["bf16"] / sample["fp32"])
    n_g = sum(p.numel() for p in runs["fp32"].G.parameters())
    n_d = sum(p.numel() for p in runs["fp32"].D.parameters())
    rows = [f"### (d) The GAN at {cfg.resolution} px: G {n_g:,} / D {n_d:,} parameters, batch "
            f"{cfg.batch_size}, ADA p = 0.2, R1 every {cfg.r1_interval} steps; {sizes.gan_rounds} rounds of "
            f"{sizes.gan_steps} steps, medians; sampling {sizes.gan_samples} images with `sample_gemix`, batch 256", "",
            "| precision | training steps/s | training img/s | × fp32 | sampling img/s |", "|---|---:|---:|---:|---:|"]
    for label, value in med.items():
        s = f"{sample[label]:,.0f}" if label in sample else "–"
        rows.append(f"| {label} | {value:.2f} | {value * cfg.batch_size:,.0f} | {value / med['fp32']:.2f} | {s} |")
    report.parts.append("\n".join(rows) + "\n")
    runs.clear()


# -- (e) memory, and the command --------------------------------------------------------------------

def memory_part(memory: list) -> str:
    rows = ["### (e) Peak GPU memory per trial (MiB: the trial's own tensors at their peak, "
            "`torch.cuda.max_memory_allocated`)", "", "| configuration | peak MiB |", "|---|---:|"]
    for what, mib in memory:
        rows.append(f"| {what} | {'–' if mib is None or not math.isfinite(mib) else f'{mib:,.0f}'} |")
    return "\n".join(rows) + "\n"


def header(device: torch.device, mode: str) -> str:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        what = (f"{props.name} ({props.total_memory / 2**30:.0f} GiB, compute capability {props.major}.{props.minor}), "
                f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    else:
        what = "CPU (--cpu-smoke: checks the script; the numbers mean nothing)"
    return (f"## GPU benchmark (`benchmarks/gpu.py{mode}`)\n\n{what}; torch {torch.__version__}; "
            f"{datetime.date.today().isoformat()}. Ratios first; sections (a)–(e) below.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="about a minute and a half: fewer rounds, 1 and 2 packed trials")
    ap.add_argument("--cpu-smoke", action="store_true", help="run every section tiny on the CPU (checks the script)")
    ap.add_argument("--sections", default="abcde", help="which of a, b, c, d, e to run (default: all)")
    ap.add_argument("--compile", action="store_true", help="add a torch.compile row to (b)")
    ap.add_argument("--budget-s", type=float, default=None, help="start no section (or packed-trial level) that "
                    "would end after this many seconds (default 450, --quick 100, --cpu-smoke 3600)")
    ap.add_argument("--out", type=Path, default=None, help="also write the Markdown here (after every section)")
    args = ap.parse_args(argv)
    bad = set(args.sections) - set("abcde")
    if bad:
        ap.error(f"--sections takes letters among a, b, c, d, e; got {''.join(sorted(bad))}")
    if not args.cpu_smoke and not torch.cuda.is_available():
        print(NO_CUDA, file=sys.stderr)
        return 2
    started = time.monotonic()
    deadline = started + (args.budget_s or (3600.0 if args.cpu_smoke else 100.0 if args.quick else 450.0))
    device = torch.device("cpu" if args.cpu_smoke else "cuda")
    sizes = SMOKE if args.cpu_smoke else QUICK if args.quick else FULL
    mode = " --cpu-smoke" if args.cpu_smoke else " --quick" if args.quick else ""
    report = Report(header(device, mode), args.out)
    memory: list[tuple[str, float | None]] = []
    sections = {
        "a": ("(a) mixing", lambda: section_mixing(device, sizes, report)),
        "b": ("(b) trainable vs bare loop", lambda: section_trainable(device, sizes, report, args.compile, memory)),
        "d": ("(d) GAN", lambda: section_gan(device, sizes, report, memory)),
        "c": ("(c) packed trials", lambda: section_packed(device, sizes, report, memory, deadline)),
    }
    for letter, (title, run) in sections.items():  # (c) last: it is the longest and stops at the deadline
        if letter not in args.sections:
            continue
        if time.monotonic() > deadline:
            report.parts.append(f"{title}: skipped, the time budget was spent.\n")
            continue
        progress(f"{title} ...")
        try:
            run()
        except Exception as exc:  # one failing section must not lose the others' numbers
            report.failed.append(title)
            first = str(exc).splitlines()[0] if str(exc) else ""
            report.parts.append(f"{title}: **failed**: `{type(exc).__name__}: {first}`\n")
            traceback.print_exc()
        report.save()
        progress(f"{title} done ({time.monotonic() - started:.0f} s so far)")
    if "e" in args.sections:
        report.parts.append(memory_part(memory))
    report.parts.append(f"Total wall time of the script: {time.monotonic() - started:.0f} s.\n")
    report.save()
    print(report.markdown())
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
