"""Figs. 4 and 5 of the ζ-mixup paper as a trainable ("figure-montage"): 100 skin lesion images mixed by
mixup and by ζ-mixup at γ = 2.4, 2.8, 4.0, as montages (ISIC 2017: Fig. 4; ISIC 2018: Fig. 5).

`montage_images` (100) training images are drawn at random (seed; the paper does not say how its 100
were chosen), resized to `montage_edge` pixels (the montage's cell; mixing is linear and so is
resizing, so mixing first and shrinking after gives the same cells up to rounding), and mixed as ONE
batch (T = 100, one mixup λ) by `workloads.analysis.montage`. Output i sits in input i's cell.

The paper's argument is visual ("mixup synthesizes unrealistic images with ghosting [...] ζ-mixup
produces visibly more realistic images", with the caveat that realism of medical images needs
experts). Beside the montages we measure two things the eye judges: each output's distance to the
nearest of the 100 real images (RMS over pixels in [0, 1]; ghosting puts an output between two real
images) and its soft label's largest weight.

Writes into `{artifacts_dir}/montage/<dataset>/`: one full-resolution PNG per panel, an overview
PNG, `soft_labels.csv`, `distances.csv` and `summary.json`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional

import numpy as np
import pandas as pd
import torch

from workloads.analysis import montage
from workloads.analysis.batch_mixing import MixSpec
from workloads.figures.base import FigureConfig, Summary, check_gammas, fmt, write_csv
from workloads.trainable import Report
from workloads.validate import check_int

FIGURES = {"isic2017": "Fig. 4", "isic2018": "Fig. 5"}


@dataclass(frozen=True)
class MontageConfig(FigureConfig):
    TRAINABLE = "figure-montage"
    FOLDER: ClassVar[str] = "montage"

    dataset: str = "isic2017"
    gammas: tuple[float, ...] = (2.4, 2.8, 4.0)
    montage_images: int = 100
    montage_edge: int = 128

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        check_gammas(cfg, "gammas", lo=1e-9)
        check_int(cfg, "montage_images", 2)
        check_int(cfg, "montage_edge", 8)

    @property
    def specs(self) -> tuple[MixSpec, ...]:
        return (MixSpec("mixup"),) + tuple(MixSpec("zeta", gamma=g) for g in self.gammas)

    @property
    def figure(self) -> str:
        return FIGURES.get(self.dataset, f"Figs. 4–5 (on {self.dataset})")


Config = MontageConfig


def nearest_real_distance(mixed: np.ndarray, real: np.ndarray) -> np.ndarray:
    """RMS pixel distance (pixels scaled to [0, 1]) from each uint8 image of `mixed` `(N, H, W, C)` to the
    nearest image of `real` `(M, H, W, C)`: float64 `(N,)`."""
    a = torch.as_tensor(mixed.reshape(len(mixed), -1), dtype=torch.float64) / 255.0
    b = torch.as_tensor(real.reshape(len(real), -1), dtype=torch.float64) / 255.0
    return (torch.cdist(a, b).min(dim=1).values / np.sqrt(a.shape[1])).numpy()


def _file(name: str) -> str:
    return name.replace("zeta γ=", "zeta-").replace(" ", "-")


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Mix, draw the montages, measure distances; write summary.json; report the key numbers once."""
    from workloads.data.resize import resize_images

    cfg = MontageConfig.from_flat(config)
    cfg.setup()
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(cfg.dataset, cfg.data_root)
    if not data.is_image:
        raise ValueError(f"figure-montage needs an image dataset; {cfg.dataset!r} holds points")
    out, train_split = cfg.out_dir, data.splits["train"]
    n = min(cfg.montage_images, len(train_split))
    idx = montage.sample_indices(len(train_split), n, seed=cfg.seed)
    images = np.asarray(train_split.images)[idx]
    edge = min(cfg.montage_edge, images.shape[1])
    images = resize_images(images, (edge, edge)) if images.shape[1:3] != (edge, edge) else images
    labels = np.asarray(train_split.labels)[idx]
    mixed = montage.mix_images(images, labels, cfg.specs, num_classes=data.num_classes, seed=cfg.seed)

    stem = cfg.figure.split(" (")[0].lower().replace(". ", "").replace("figs", "fig").replace("–", "-")
    summary = Summary(cfg.figure, f"{n} {cfg.dataset} images under mixup and ζ-mixup", cfg.dataset, cfg.label)
    letters = "abcdefgh"
    for i, (name, (imgs, _)) in enumerate(mixed.items()):
        path = montage.save_montage(imgs, out / f"{stem}{letters[i]}-{_file(name)}.png")
        summary.figure_file(path, f"{cfg.figure}{letters[i]}: {name.replace('zeta', 'ζ-mixup')}, {n} images at "
                                  f"{edge} px (one pixel per image pixel)")
    overview = montage.plot_montages(mixed, out / f"{stem}-overview.png")
    summary.figure_file(overview, f"{cfg.figure}: all panels side by side")
    soft = montage.soft_label_table(mixed, labels)
    summary.table_file(write_csv(soft, out / "soft_labels.csv"), "every cell's soft label, per panel")

    rows = []
    for name, (imgs, y) in mixed.items():
        d = nearest_real_distance(imgs, images)
        rows += [{"panel": name, "index": i, "distance": float(d[i]), "max_weight": float(y[i].max())}
                 for i in range(len(d))]
    distances = pd.DataFrame(rows)
    summary.table_file(write_csv(distances, out / "distances.csv"),
                       "per cell: RMS distance (pixels in [0, 1]) to the nearest of the real images, and the soft "
                       "label's largest weight")
    means = distances.groupby("panel", sort=False)[["distance", "max_weight"]].mean()
    mix_d = float(means.loc["mixup", "distance"])
    zeta = [p for p in means.index if p.startswith("zeta")]
    summary.claim("ζ-mixup's outputs stay closer to a real image than mixup's (rule: mean RMS distance to the "
                  "nearest real image below mixup's at every γ; a proxy: the paper judges realism by eye)",
                  "qualitative: mixup shows ghosting (overlapping lesions, artifacts); ζ-mixup 'visibly more "
                  "realistic' for all γ, realism 'difficult to estimate without expert assessment'",
                  f"mixup {fmt(mix_d)}; " + ", ".join(f"{p.replace('zeta ', 'ζ ')} {fmt(means.loc[p, 'distance'])}"
                                                     for p in zeta),
                  all(means.loc[p, "distance"] < mix_d for p in zeta))
    summary.choices += [
        f"{n} training images of {cfg.dataset} drawn at random (seed {cfg.seed})"
        + (f" (the train split has only {len(train_split)})" if n < cfg.montage_images else ""),
        f"resized to {edge} px before mixing (linear, so the same as shrinking the mixed images)",
        "one batch: T = the batch for ζ-mixup, one λ ~ Beta(1, 1) for mixup, seed " + str(cfg.seed),
    ]
    for p in means.index:
        key = "original" if p == "original" else "mixup" if p == "mixup" else f"zeta_{p.split('=')[1]}"
        summary.metric(f"{key}_nearest_real_distance", means.loc[p, "distance"])
        summary.metric(f"{key}_max_label_weight", means.loc[p, "max_weight"])
    summary.write(out)
    return summary.report_once(report)
