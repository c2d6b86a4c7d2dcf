"""`mixbench gemix sample`: a GeMix training set from a generator (the paper's Algorithm 1).

    mixbench gemix sample --generator CKPT_OR_MODULE:CALLABLE --n N --out DIR
        [--a-dominant 2] [--a-other 1] [--seed S] [--num-classes K] [--z-dim Z] [--batch-size B]
        [--device D] [--overwrite] [--no-progress]

Per image: c ~ Uniform{1..K}, l ~ Dirichlet(a_dominant at c, a_other elsewhere), z ~ N(0, I),
x = G(z, l). The generator is a `gan-train` checkpoint (a directory with state.pt, e.g.
WORKDIR/artifacts/gemix-table1/<invocation>/generator) or "module:callable" (see
workloads.gan.sample): importing that module runs its code, which `--help` says. DIR receives images.npy (N, H, W, C uint8), soft_labels.npy (N, K float32)
and meta.json (generator sha256, seed, parameters), usable as a training source. The same seed and
batch size give the same set. Bad input raises ValueError (the CLI prints one line, exit 2).
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from workloads.validate import SEED_MAX


def add_gemix_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `gemix` (subcommand `sample`) to a `mixbench` subparsers object."""
    gemix = subparsers.add_parser("gemix", help="GeMix: sample a training set from a conditional generator")
    commands = gemix.add_subparsers(dest="gemix_command", required=True)
    sample = commands.add_parser(
        "sample", help="N images with Dirichlet soft labels (Algorithm 1) into a set folder",
        description="GeMix's Algorithm 1: N images from a conditional generator fed Dirichlet soft labels, "
                    "written with their labels to a set folder. A module:callable generator IMPORTS THAT MODULE, "
                    "WHICH RUNS ITS CODE with your permissions (and calls the callable): name only code you trust. "
                    "A checkpoint is read as tensors only (weights_only), never run.")
    sample.add_argument("--generator", required=True, metavar="CKPT_OR_MODULE:CALLABLE",
                        help="a gan-train checkpoint directory (or its state.pt), or module:callable "
                             "(importing the module runs its code: only code you trust)")
    sample.add_argument("--n", type=int, required=True, help="number of images")
    sample.add_argument("--out", required=True, help="folder to write the set to")
    sample.add_argument("--a-dominant", type=float, default=2.0, help="Dirichlet concentration of the dominant class")
    sample.add_argument("--a-other", type=float, default=1.0, help="Dirichlet concentration of the other classes")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--num-classes", type=int, default=None,
                        help="K (default: the generator's c_dim; required for a callable without one)")
    sample.add_argument("--z-dim", type=int, default=None, help="latent size, for a callable without z_dim")
    sample.add_argument("--batch-size", type=int, default=256)
    sample.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    sample.add_argument("--overwrite", action="store_true", help="replace an existing folder's set")
    sample.add_argument("--no-progress", action="store_true", help="no progress bar")
    return gemix


def _check(args: argparse.Namespace) -> None:
    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    for flag, value in (("--a-dominant", args.a_dominant), ("--a-other", args.a_other)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{flag} must be a number > 0, got {value}")
    if not 0 <= args.seed <= SEED_MAX:
        raise ValueError(f"--seed must be in [0, {SEED_MAX}], got {args.seed}")
    if args.num_classes is not None and args.num_classes < 2:
        raise ValueError(f"--num-classes must be >= 2, got {args.num_classes}")
    if args.z_dim is not None and args.z_dim < 1:
        raise ValueError(f"--z-dim must be >= 1, got {args.z_dim}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise ValueError(f"--out {out} is not empty; choose an empty folder or pass --overwrite")


def sample_to_folder(args: argparse.Namespace) -> dict[str, Any]:
    """Sample and write the set; returns its meta.json content plus elapsed seconds."""
    from workloads.device import resolve_device
    from workloads.gan.sets import gemix_set, save_set

    _check(args)
    started = time.perf_counter()
    made = gemix_set(args.generator, args.num_classes, args.n, a_dominant=args.a_dominant, a_other=args.a_other,
                     seed=args.seed, batch_size=args.batch_size, device=str(resolve_device(args.device)),
                     progress=not args.no_progress, z_dim=args.z_dim)
    elapsed = time.perf_counter() - started
    save_set(args.out, made.images, made.soft_labels, made.meta)
    return {**made.meta, "n": len(made), "image_shape": list(made.images.shape[1:]),
            "num_classes": int(made.soft_labels.shape[1]), "seconds": elapsed}


def run_gemix(args: argparse.Namespace) -> int:
    """Run a parsed `mixbench gemix ...` command; ValueError on bad input."""
    if args.gemix_command != "sample":
        raise ValueError(f"unknown gemix command {args.gemix_command!r}; valid choices: sample")
    done = sample_to_folder(args)
    rate = done["n"] / max(done["seconds"], 1e-9)
    shape = "x".join(str(s) for s in done["image_shape"])
    print(f"wrote {done['n']} GeMix images ({shape}, {done['num_classes']} classes) to {args.out} "
          f"in {done['seconds']:.1f} s ({rate:.0f} img/s); generator {done['generator_sha256'][:16]}")
    return 0
