"""Trainable throughput: workloads.classify's training step vs a bare PyTorch loop, same tensors.

Both train timm resnet18 on the same random 32x32x3 images (10 classes, batch 128) with SGD
(Nesterov momentum 0.9, weight decay 5e-4), in the same process, in interleaved blocks of `--steps`
steps. The bare loop gets pre-normalized float tensors and plain `F.cross_entropy`; mixbench's step
does everything a trial does (uint8 -> normalized float on the device, one-hot targets, the mixer,
soft cross-entropy, loss kept on the device). Rows:

- `erm` without augmentation: the trainable's own overhead (target: ratio >= 0.95).
- `zeta` with flip + crop: what a realistic ζ-mixup trial costs on top (for information).

    python benchmarks/trainable.py [--steps 2] [--rounds 15] [--device auto] [--threads 2]

Short blocks, many rounds: on a shared machine the load drifts, and fine interleaving exposes both
loops to the same drift. The median block decides the ratio; the best block is printed beside it.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

from workloads.device import synchronize
import torch.nn.functional as F


def make_data(n: int):
    from workloads.data import DatasetArrays, Split

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.int64)
    small = Split(images[:256], labels[:256])
    return DatasetArrays("bench-random32", tuple(str(c) for c in range(10)), {
        "train": Split(images, labels), "val": small, "test": small,
    })


class BareLoop:
    """The minimal loop: float tensors already on the device, randperm, forward, backward, step."""

    def __init__(self, data, device: torch.device, batch: int) -> None:
        import timm

        from workloads.augment import BatchAugment

        split = data.splits["train"]
        aug = BatchAugment.from_train(split.images, device=device)
        self.x = aug.eval(torch.from_numpy(split.images).to(device))
        self.y = torch.from_numpy(split.labels).to(device)
        torch.manual_seed(0)
        self.model = timm.create_model("resnet18", pretrained=False, in_chans=3, num_classes=10).to(device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        self.batch = batch
        self.device = device
        self.gen = torch.Generator().manual_seed(0)

    def epoch(self) -> float:
        self.model.train()
        n = len(self.y)
        synchronize(self.device)
        start = time.perf_counter()
        order = torch.randperm(n, generator=self.gen).to(self.device)
        for i in range(0, n, self.batch):
            idx = order[i : i + self.batch]
            loss = F.cross_entropy(self.model(self.x[idx]), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        synchronize(self.device)
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2, help="training steps per timed block")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved blocks per loop")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="print every block's images/s")
    args = parser.parse_args()

    from workloads.classify import Trainer, resolve_device, validate

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = make_data(args.steps * args.batch)
    base = {
        "dataset": "digits",  # a registered name for validation; the data itself is passed in
        "arch": "resnet18", "batch_size": args.batch, "lr": 0.01, "epochs": 1000,
        "device": str(device), "weight_decay": 5e-4,
    }
    variants = {
        "erm, no augmentation": {**base, "method": "erm"},
        "zeta (gamma 2.8), flip + crop 4": {**base, "method": "zeta", "gamma": 2.8, "flip": True, "crop_padding": 4},
    }
    trainers = {name: Trainer(validate(cfg), data) for name, cfg in variants.items()}
    bare = BareLoop(data, device, args.batch)

    # Warm-up (allocator, oneDNN primitives, cuDNN autotuning) outside the timed blocks.
    for t in trainers.values():
        t.train_epoch(0)
    bare.epoch()

    results: dict[str, list[float]] = {"bare": [], **{name: [] for name in trainers}}
    for r in range(args.rounds):
        order = ["bare", *trainers] if r % 2 == 0 else [*trainers, "bare"]
        for name in order:
            results[name].append(bare.epoch() if name == "bare" else trainers[name].train_epoch(r + 1)[1])

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs visible, torch threads {args.threads}, device {device}")
    print(f"resnet18, 32x32x3, batch {args.batch}, {args.steps} steps per block, {args.rounds} interleaved rounds")
    bare_med, bare_best = statistics.median(results["bare"]), max(results["bare"])
    print(f"{'loop':<52} {'median img/s':>12} {'ratio':>7} {'best img/s':>11} {'ratio':>7}")
    print(f"{'bare PyTorch loop':<52} {bare_med:>12,.1f} {1.0:>7.3f} {bare_best:>11,.1f} {1.0:>7.3f}")
    for name in trainers:
        med, best = statistics.median(results[name]), max(results[name])
        label = "workloads.classify: " + name
        print(f"{label:<52} {med:>12,.1f} {med / bare_med:>7.3f} {best:>11,.1f} {best / bare_best:>7.3f}")
    if args.verbose:
        for name, values in results.items():
            print(f"{name}: " + " ".join(f"{v:.0f}" for v in values))
    print("target: erm ratio >= 0.95")


if __name__ == "__main__":
    main()
