"""GeMix sampling (the paper's Algorithm 1) and loading a generator.

Algorithm 1, per image: c ~ Uniform{1..K}; l ~ Dirichlet(theta) with theta_c = a_dominant (2) and
theta_j = a_other (1) for j != c; z ~ N(0, I); x = G(z, l). The soft label l is the image's training
target.

Bring your own generator: `load_generator("package.module:name")` imports `name` from the module.
- If it has attributes `z_dim` and `c_dim` (NVIDIA's StyleGAN2-ADA `Generator` has both, as has ours),
  it is the generator itself: `G(z (N, z_dim), c (N, c_dim))` returning `(N, C, H, W)` in [-1, 1].
- Otherwise, if it can be called without arguments, it is a factory: it is called once and must return
  such a generator (this is how to load a network pickled by NVIDIA's code, e.g.
  `def load(): import dnnlib, legacy; return legacy.load_network_pkl(open(PATH, "rb"))["G_ema"]`,
  with their repository on `sys.path`).
- A plain function `G(z, c)` without those attributes works when `z_dim` (and optionally
  `num_classes`) are passed to `load_generator`.
Noise inside a generator that draws from torch's global RNG is reproducible too: sampling seeds the
global RNG from `seed` in a forked RNG context, so the caller's RNG state is left as it was.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from workloads.checkpoint import STATE_FILE, load_checkpoint
from workloads.gan.grid import to_uint8
from workloads.mixing.sampling import pivot_dirichlet


@dataclass
class CallableGenerator:
    """Wraps a bare callable `fn(z, c)` with the dimensions sampling needs."""

    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    z_dim: int
    c_dim: int | None = None

    def __call__(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.fn(z, c)


def _checkpoint_file(spec: str | Path) -> Path | None:
    path = Path(spec).expanduser()
    if path.is_dir() and (path / STATE_FILE).is_file():
        return path / STATE_FILE
    if path.is_file():
        return path
    return None


def generator_fingerprint(spec: str | Path) -> str:
    """sha256 of a checkpoint's state.pt; for "module:callable" generators, the spec itself."""
    file = _checkpoint_file(spec)
    if file is None:
        return f"callable:{spec}"
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_generator(spec: str | Path, *, device: str = "cpu", z_dim: int | None = None,
                   num_classes: int | None = None) -> Any:
    """A generator ready for `sample_gemix`, from a GAN checkpoint (dir or state.pt) or "module:callable".

    Checkpoints give G_ema in eval mode. See the module docstring for the callable forms.
    """
    file = _checkpoint_file(spec)
    if file is not None:
        from workloads.gan.networks import Generator

        state = load_checkpoint(file.parent, map_location=device) if file.name == STATE_FILE else \
            torch.load(file, map_location=device, weights_only=True)
        if not isinstance(state, dict) or state.get("kind") != "mixbench-gan":
            raise ValueError(f"generator {spec}: not a mixbench GAN checkpoint (a directory with state.pt from train_gan)")
        G = Generator(**state["arch"])
        G.load_state_dict(state["G_ema"])
        return G.to(device).eval().requires_grad_(False)
    spec = str(spec)
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"generator must be a checkpoint path that exists or 'module:callable', got {spec!r}")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"generator {spec!r}: cannot import it ({err})") from None
    if not callable(obj):
        raise ValueError(f"generator {spec!r} is not callable")
    if not hasattr(obj, "z_dim") and z_dim is None and _takes_no_arguments(obj):
        obj = obj()
    if hasattr(obj, "z_dim"):
        if isinstance(obj, torch.nn.Module):
            obj = obj.to(device).eval().requires_grad_(False)
        return obj
    if z_dim is None:
        raise ValueError(
            f"generator {spec!r} has no z_dim attribute; give z_dim (and num_classes) or expose "
            "attributes z_dim and c_dim on it"
        )
    return CallableGenerator(obj, int(z_dim), num_classes)


def _takes_no_arguments(fn: Callable) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def dirichlet_soft_labels(n: int, num_classes: int, *, a_dominant: float = 2.0, a_other: float = 1.0,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(dominant classes int64 (n,), soft labels float32 (n, K)) as in Algorithm 1, lines 9-13.

    Every draw comes from `generator` (`workloads.mixing.sampling.pivot_dirichlet`), so a seed fixes
    the labels.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if not (a_dominant > 0 and a_other > 0):
        raise ValueError(f"a_dominant and a_other must be > 0, got {a_dominant}, {a_other}")
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    c, labels = pivot_dirichlet(n, num_classes, a_dominant, a_other, gen)
    return c.cpu(), labels.to(device="cpu", dtype=torch.float32)


@torch.no_grad()
def sample_with_labels(generator: Callable, labels: torch.Tensor, *, seed: int = 0, batch_size: int = 256,
                       device: str = "cpu", progress: bool = True, noise_mode: str | None = None) -> np.ndarray:
    """uint8 `(N, H, W, C)` images G(z, labels[i]) with z ~ N(0, I) drawn from `seed`, in batches;
    `noise_mode` is passed to G where given (StyleGAN2's "random", "const" or "none"; None: G's default)."""
    z_dim = int(getattr(generator, "z_dim"))
    c_dim = getattr(generator, "c_dim", None)
    if c_dim is not None and c_dim != labels.shape[1]:
        raise ValueError(f"num_classes ({labels.shape[1]}) does not match the generator's c_dim ({c_dim})")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    gen = torch.Generator().manual_seed(seed)
    z_all = torch.randn(len(labels), z_dim, generator=gen)
    devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
    out = []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        starts = range(0, len(labels), batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="GeMix sampling", unit="batch")
        for start in starts:
            z = z_all[start : start + batch_size].to(device)
            c = labels[start : start + batch_size].to(device)
            images = generator(z, c) if noise_mode is None else generator(z, c, noise_mode=noise_mode)
            if images.ndim != 4 or images.shape[0] != len(z):
                raise ValueError(f"generator returned shape {tuple(images.shape)}; expected (N, C, H, W)")
            out.append(to_uint8(images))
    return np.concatenate(out) if out else np.zeros((0, 1, 1, 1), np.uint8)


def sample_gemix(generator: Callable, num_classes: int, n: int, *, a_dominant: float = 2.0, a_other: float = 1.0,
                 seed: int = 0, batch_size: int = 256, device: str = "cpu", progress: bool = True,
                 noise_mode: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1: `n` GeMix images and their soft labels.

    Returns (images uint8 (n, H, W, C), soft_labels float32 (n, K)). The same seed gives the same
    labels and z; images are identical for the same seed and batch_size (noise inside G is drawn
    batch by batch from the seeded global RNG, so another batch size gives other noise).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    label_gen = torch.Generator().manual_seed(seed)
    _, labels = dirichlet_soft_labels(n, num_classes, a_dominant=a_dominant, a_other=a_other, generator=label_gen)
    # z comes from a different stream than the labels, so n does not change which labels come first.
    images = sample_with_labels(generator, labels, seed=seed + 1, batch_size=batch_size, device=device,
                                progress=progress, noise_mode=noise_mode)
    return images, labels.numpy()


def onehot_samples(generator: Callable, num_classes: int, per_class: int, *, seed: int = 0, batch_size: int = 256,
                   device: str = "cpu", progress: bool = False,
                   noise_mode: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` images of each class from one-hot labels (for label fidelity): (uint8 images, (N, K) one-hot)."""
    labels = torch.eye(num_classes).repeat_interleave(per_class, dim=0)
    images = sample_with_labels(generator, labels, seed=seed, batch_size=batch_size, device=device, progress=progress,
                                noise_mode=noise_mode)
    return images, labels.numpy()
