"""Table 9 (b) of the ζ-mixup paper as a trainable ("figure-table9"): one augmentation call on a
[32, 3, 224, 224] batch, on the trial's device, for mixup, ζ-mixup, CutMix, CutMix + ζ-mixup and local
synthetic instances (LSI, the paper's ref. 57), with the paper's numbers beside.

`workloads.analysis.timing` measures: the batch (uniform floats, one-hot labels over `timing_classes`
classes) lives on the device; `timing_warmup` rounds, then `timing_repeats` rounds, each calling every
method once in a shuffled order with a device synchronisation around each call; medians and
quartiles in milliseconds. The paper's numbers come from the authors' GPU (not named in the paper):
absolute times are not comparable across devices, the ratios the paper argues with are.

Table 9 (a) (training wall time per method) is read from the recorded epochs of zeta-table4/5 runs by
the report (`source`, a work directory or an invocation folder; this trainable only records it).
Writes into `{artifacts_dir}/table9/<dataset>/`: `timing.csv` and `summary.json`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping, Optional

from workloads.analysis import timing
from workloads.figures.base import FigureConfig, Summary, fmt, write_csv
from workloads.trainable import Report
from workloads.validate import check_float, check_int

# Table 9, last column: (mean, std) in microseconds on the authors' GPU.
PAPER_US = {"mixup": (745.0, 9.55), "zeta": (345.0, 2.53), "cutmix": (176.0, 1.4), "cutmix+zeta": (169.0, 0.757),
            "lsi": (38700.0, 1330.0)}
LABELS = {"mixup": "mixup", "zeta": "ζ-mixup", "cutmix": "CutMix", "cutmix+zeta": "CutMix + ζ-mixup",
          "lsi": "local synthetic instances"}


@dataclass(frozen=True)
class Table9Config(FigureConfig):
    TRAINABLE = "figure-table9"
    FOLDER: ClassVar[str] = "table9"

    source: Optional[str] = None
    timing_methods: tuple[str, ...] = timing.TABLE9_METHODS
    timing_shape: tuple[int, ...] = timing.TABLE9_SHAPE
    timing_classes: int = 10
    timing_warmup: int = 3
    timing_repeats: int = 20
    gamma: float = 2.8

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        super().check(cfg, prefix)
        check_source(cfg)
        methods = cfg["timing_methods"]
        if not isinstance(methods, (list, tuple)) or not methods or any(m not in timing.TABLE9_METHODS for m in methods):
            raise ValueError(f"timing_methods must be a non-empty list among {', '.join(timing.TABLE9_METHODS)}, "
                             f"got {methods!r}")
        cfg["timing_methods"] = tuple(dict.fromkeys(methods))
        shape = cfg["timing_shape"]
        if not isinstance(shape, (list, tuple)) or len(shape) != 4 or any(
                isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape) or shape[0] < 2:
            raise ValueError(f"timing_shape must be [N, C, H, W] with N >= 2 (e.g. [32, 3, 224, 224]), got {shape!r}")
        cfg["timing_shape"] = tuple(shape)
        check_int(cfg, "timing_classes", 2)
        check_int(cfg, "timing_warmup", 0)
        check_int(cfg, "timing_repeats", 1)
        check_float(cfg, "gamma", 0.0, 100.0, lo_open=True)


def check_source(cfg: dict[str, Any]) -> None:
    """`source`: null, or an existing folder (a work directory or an invocation's folder), made absolute."""
    source = cfg["source"]
    if source is None:
        return
    if not isinstance(source, str) or not Path(source).expanduser().is_dir():
        raise ValueError(f"source must name an existing folder (a work directory, or an invocation folder "
                         f"WORKDIR/ray/NAME/INVOCATION), got {source!r}")
    cfg["source"] = str(Path(source).expanduser().resolve())


Config = Table9Config


def duration(ms: float) -> str:
    """A time in milliseconds as '745 µs' or '38.7 ms'."""
    return f"{fmt(ms * 1000)} µs" if ms < 1 else f"{fmt(ms)} ms"


def _ratio_claims(summary: Summary, med: dict[str, float], device: str) -> None:
    def ratio(a: str, b: str) -> Optional[float]:
        return med[a] / med[b] if a in med and b in med and med[b] > 0 else None

    for a, b, bound, text in (("mixup", "zeta", 2.0, "ζ-mixup is over twice as fast as mixup"),
                              ("lsi", "zeta", 110.0, "ζ-mixup is over 110 times faster than local synthetic instances")):
        r = ratio(a, b)
        paper = PAPER_US[a][0] / PAPER_US[b][0]
        summary.claim(f"{text} (rule: median {LABELS[a]} / median {LABELS[b]} >= {bound:g})",
                      f"{paper:.3g}x ({PAPER_US[a][0]:g} µs / {PAPER_US[b][0]:g} µs, the authors' GPU)",
                      "not measured" if r is None else f"{r:.3g}x on {device}", None if r is None else r >= bound)
    r = ratio("cutmix+zeta", "cutmix")
    summary.claim("CutMix + ζ-mixup costs no more than CutMix alone (rule: ratio of medians <= 1.1)",
                  f"{PAPER_US['cutmix+zeta'][0] / PAPER_US['cutmix'][0]:.3g}x (169 µs / 176 µs)",
                  "not measured" if r is None else f"{r:.3g}x on {device}", None if r is None else r <= 1.1)


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Time every method once per round; write timing.csv and summary.json; report the medians once."""
    cfg = Table9Config.from_flat(config)
    device = cfg.setup()
    rows = timing.augmentation_timings(device, methods=cfg.timing_methods, shape=cfg.timing_shape,
                                       num_classes=cfg.timing_classes, gamma=cfg.gamma, warmup=cfg.timing_warmup,
                                       repeats=cfg.timing_repeats, seed=cfg.seed)
    rows.insert(1, "label", rows["method"].map(LABELS))
    rows["paper_us"] = rows["method"].map(lambda m: PAPER_US[m][0])
    rows["paper_std_us"] = rows["method"].map(lambda m: PAPER_US[m][1])
    out = cfg.out_dir
    summary = Summary("Table 9 (b)", "one augmentation call on a " + "x".join(map(str, cfg.timing_shape)) + " batch",
                      cfg.dataset, cfg.label)
    summary.table_file(write_csv(rows, out / "timing.csv"),
                       "timing.csv: per method, our median / quartiles / minimum in ms over the repeats on the named "
                       "device, and the paper's mean ± std in µs on the authors' GPU")
    name = str(rows["device_name"].iloc[0])
    where = f"{rows['device'].iloc[0]} ({name})"
    for _, r in rows.iterrows():
        mean, std = PAPER_US[r["method"]]
        paper = f"{mean / 1000:.3g} ms ± {std / 1000:.2g} ms" if mean >= 1000 else f"{mean:g} µs ± {std:g} µs"
        summary.claim(f"{r['label']}: one call on a {r['batch_shape']} batch", paper + " (the authors' GPU)",
                      f"{duration(r['median_ms'])} median (quartiles {duration(r['q25_ms'])}–"
                      f"{duration(r['q75_ms'])}) on {where}", None)
        summary.metric(f"{r['method']}_median_ms", r["median_ms"])
    _ratio_claims(summary, dict(zip(rows["method"], rows["median_ms"])), where)
    summary.choices += [
        f"device: {where}",
        f"batch: uniform floats {list(cfg.timing_shape)} with one-hot labels over {cfg.timing_classes} classes; ζ-mixup "
        f"γ = {cfg.gamma:g} (T = the batch), mixup and CutMix α = 1, LSI p from 1.2 to 3.0 over the batch (the "
        "reference implementation's defaults)",
        f"{cfg.timing_warmup} warm-up rounds, then {cfg.timing_repeats} rounds, each method once per round in a shuffled "
        "order, synchronised before and after each call; the mixers' random draws from a CPU generator",
        "Table 9 (a) (training wall time) comes from the recorded epochs of the runs named by source: "
        + (cfg.source or "none named"),
    ]
    summary.write(out)
    return summary.report_once(report)
