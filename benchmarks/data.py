"""Training input pipeline throughput: mixbench's device batch augmentation vs torchvision + PIL.

Both pipelines produce normalized float32 batches (128, 3, 32, 32) of randomly cropped (padding 4) and
horizontally flipped images from the same CIFAR-sized uint8 set, in the same process, interleaved.

    python benchmarks/data.py [--images 10000] [--batch 128] [--rounds 3] [--device auto] [--threads 2]
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


def device_pipeline(images: torch.Tensor, batch: int, device: torch.device, seed: int) -> float:
    """Images/s of one epoch of `BatchAugment.train` over a device-resident uint8 set."""
    from workloads.augment import BatchAugment

    aug = BatchAugment.from_train(images, flip=True, crop_padding=4, device=device)
    gen = torch.Generator(device).manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    synchronize(device)
    start = time.perf_counter()
    order = torch.randperm(len(images), generator=shuffle).to(device)
    checksum = torch.zeros((), device=device)
    for i in range(0, len(images), batch):
        out = aug.train(images[order[i : i + batch]], gen)
        checksum += out[0, 0, 0, 0]  # consume the batch without a host sync
    synchronize(device)
    return len(images) / (time.perf_counter() - start)


class PILDataset(torch.utils.data.Dataset):
    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def torchvision_pipeline(images: np.ndarray, labels: np.ndarray, batch: int, workers: int, seed: int) -> float:
    """Images/s of one epoch of a DataLoader with PIL transforms (the usual CIFAR recipe)."""
    from torchvision import transforms as T

    mean = (images / 255.0).mean(axis=(0, 1, 2))
    std = (images / 255.0).std(axis=(0, 1, 2))
    transform = T.Compose(
        [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean.tolist(), std.tolist())]
    )
    loader = torch.utils.data.DataLoader(
        PILDataset(images, labels, transform),
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=False,
    )
    start = time.perf_counter()
    n = 0
    for x, _ in loader:
        n += len(x)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the device pipeline on CPU")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader num_workers to try")
    args = parser.parse_args()

    from workloads.classify import resolve_device

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, args.images)
    on_device = torch.from_numpy(images).to(device)

    ours: list[float] = []
    theirs: dict[int, list[float]] = {w: [] for w in args.workers}
    device_pipeline(on_device[: args.batch * 4], args.batch, device, 0)  # warm-up
    for r in range(args.rounds):
        ours.append(device_pipeline(on_device, args.batch, device, r))
        for w in args.workers:
            theirs[w].append(torchvision_pipeline(images, labels, args.batch, w, r))

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs visible, torch threads {args.threads}, device {device}")
    print(f"{args.images} random 32x32x3 uint8 images, batch {args.batch}, median of {args.rounds} interleaved rounds")
    ours_med = statistics.median(ours)
    print(f"{'pipeline':<44} {'images/s':>12}")
    print(f"{'mixbench BatchAugment (flip+crop4+normalize)':<44} {ours_med:>12,.0f}")
    best = 0.0
    for w, values in theirs.items():
        med = statistics.median(values)
        best = max(best, med)
        print(f"{f'torchvision DataLoader + PIL, {w} workers':<44} {med:>12,.0f}")
    print(f"ratio vs best torchvision configuration: {ours_med / best:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
