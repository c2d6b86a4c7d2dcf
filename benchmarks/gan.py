"""GeMix GAN cost at 32x32: sampling throughput and training step time, against a DCGAN baseline.

Baseline, in the same process and interleaved: a plain unconditional DCGAN (transposed-conv G with
batch norm, strided-conv D) sized to about the same parameter count as our conditional StyleGAN2-style
G and D. Our training step = one G step + one D step with ADA (p fixed at 0.2), lazy R1 (every 16 steps,
so the median over rounds of 16 steps includes it once per round) and the G_ema update; the DCGAN step
= one G step + one D step with the same non-saturating logistic loss, nothing else.

    python benchmarks/gan.py [--batch 32] [--sample-batch 256] [--rounds 5] [--threads 2] [--device cpu]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

K = 3
RES = 32
ARCH = dict(channel_base=1024, channel_max=64, z_dim=64, w_dim=64, mapping_layers=2)


class DCGANGenerator(nn.Module):
    """z (N, z_dim) -> (N, 1, 32, 32) in [-1, 1]: 4x4 projection, three stride-2 transposed convs."""

    def __init__(self, z_dim: int, width: int):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, width * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(width * 4), nn.ReLU(True),
            nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU(True),
            nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, width * 2, 4, 2, 1), nn.BatchNorm2d(width * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width * 2, width * 4, 4, 2, 1), nn.BatchNorm2d(width * 4), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width * 4, 1, 4, 1, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def matched_width(target: int, make) -> int:
    """The smallest width whose module has at least `target` parameters."""
    width = 4
    while n_params(make(width)) < target:
        width += 2
    return width


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="training batch size")
    parser.add_argument("--sample-batch", type=int, default=256, help="sampling batch size")
    parser.add_argument("--sample-images", type=int, default=1024, help="images per sampling round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    from workloads.gan.config import GanConfig
    from workloads.gan.sample import sample_gemix
    from workloads.gan.train import GanTraining

    cfg = GanConfig.from_flat(dict(resolution=RES, batch_size=args.batch, device=args.device, ada=True,
                                   ada_p_init=0.2, ada_kimg=1e9, r1_interval=16, r1_gamma=0.01, **ARCH))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2048, RES, RES, 1), dtype=np.uint8)
    run = GanTraining(cfg, images, np.arange(len(images)) % K, K)
    g_width = matched_width(n_params(run.G), lambda w: DCGANGenerator(cfg.z_dim, w))
    d_width = matched_width(n_params(run.D), DCGANDiscriminator)
    dc_g = DCGANGenerator(cfg.z_dim, g_width).to(device)
    dc_d = DCGANDiscriminator(d_width).to(device)
    dc_gopt = torch.optim.Adam(dc_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    dc_dopt = torch.optim.Adam(dc_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1).to(device)

    def dcgan_step() -> None:
        z = torch.randn(args.batch, cfg.z_dim, device=device)
        g_loss = F.softplus(-dc_d(dc_g(z))).mean()
        dc_gopt.zero_grad(set_to_none=True)
        g_loss.backward()
        dc_gopt.step()
        with torch.no_grad():
            fake = dc_g(torch.randn(args.batch, cfg.z_dim, device=device))
        x = real[torch.randint(len(real), (args.batch,), device=device)]
        d_loss = F.softplus(dc_d(fake)).mean() + F.softplus(-dc_d(x)).mean()
        dc_dopt.zero_grad(set_to_none=True)
        d_loss.backward()
        dc_dopt.step()

    @torch.no_grad()
    def dcgan_sample() -> None:
        dc_g.eval()
        for s in range(0, args.sample_images, args.sample_batch):
            out = dc_g(torch.randn(min(args.sample_batch, args.sample_images - s), cfg.z_dim, device=device))
            ((out + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu()
        dc_g.train()

    def ours_sample() -> None:
        sample_gemix(run.G_ema, K, args.sample_images, seed=0, batch_size=args.sample_batch,
                     device=args.device, progress=False)

    @torch.no_grad()
    def ours_forward() -> None:
        for s in range(0, args.sample_images, args.sample_batch):
            n = min(args.sample_batch, args.sample_images - s)
            run.G_ema(torch.randn(n, cfg.z_dim, device=device), torch.eye(K, device=device)[torch.arange(n) % K])

    steps = 16
    for fn in (dcgan_step, run.train_step, dcgan_sample, ours_sample):  # warm-up
        fn()
    results: dict[str, list[float]] = {k: [] for k in ("ours_step", "dcgan_step", "ours_sample", "ours_forward", "dcgan_sample")}
    for _ in range(args.rounds):
        results["ours_step"].append(timed(lambda: [run.train_step() for _ in range(steps)], device) / steps)
        results["dcgan_step"].append(timed(lambda: [dcgan_step() for _ in range(steps)], device) / steps)
        results["ours_sample"].append(args.sample_images / timed(ours_sample, device))
        results["ours_forward"].append(args.sample_images / timed(ours_forward, device))
        results["dcgan_sample"].append(args.sample_images / timed(dcgan_sample, device))
    med = {k: statistics.median(v) for k, v in results.items()}

    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}, {args.threads} threads, device {device}"
    print(f"machine: {machine}")
    print(f"params  ours G {n_params(run.G):,} / D {n_params(run.D):,};  DCGAN G {n_params(dc_g):,} (width {g_width}) / D {n_params(dc_d):,} (width {d_width})")
    print(f"{RES}x{RES} grey, K={K}, train batch {args.batch}, sampling batch {args.sample_batch}, median of {args.rounds} rounds")
    print("| measurement | ours (conditional StyleGAN2-ADA style) | DCGAN baseline | ours / DCGAN |")
    print("|---|---|---|---|")
    print(f"| training step (G + D{' + ADA + R1/16 + EMA'}) | {med['ours_step'] * 1e3:.1f} ms | {med['dcgan_step'] * 1e3:.1f} ms | {med['ours_step'] / med['dcgan_step']:.2f}x time |")
    print(f"| sampling, `sample_gemix` (Dirichlet labels, uint8) | {med['ours_sample']:.0f} img/s | {med['dcgan_sample']:.0f} img/s | {med['ours_sample'] / med['dcgan_sample']:.2f}x throughput |")
    print(f"| G_ema forward only | {med['ours_forward']:.0f} img/s | – | sample_gemix / forward = {med['ours_sample'] / med['ours_forward']:.2f} |")


if __name__ == "__main__":
    main()
