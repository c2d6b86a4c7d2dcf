"""Fig. 8 of the ζ-mixup paper as a trainable ("figure-fig8"): feature-space neighbourhoods of the test
images ζ-mixup classifies correctly and ERM and mixup do not (Table 6 models: ISIC 2017 ResNet-50,
derm7pt-clinical ResNet-18).

It reads what a finished zeta-table6 run leaves behind, below `source` (a work directory or one
invocation's folder): each model's per-sample test predictions from the run's `predictions` table
(the results store, read by `workloads.predictions_table`), and the model itself from the final
checkpoint folder its rows name (`state.pt`, whose config says how it trained); for a variant the
table lacks (a run recorded before it existed), the final checkpoint folders holding `predictions.npz`
beside `state.pt` (`workloads.predictions`, written by the classify trainable). For the trial's
dataset, arch and seed it takes the models of variants `erm`, `mixup` and `zeta-<γ>` for each of
`zeta_gammas` (the labels of search_spaces.methods); where several runs left one (a work directory
with several invocations) the latest written wins. `source=train` instead trains those models here
first, one after the other, with the classifier keys given (the recipe's; `models_epochs` epochs) and
writes them as a final checkpoint does (state.pt + predictions.npz) under
`{artifacts_dir}/fig8/<dataset>-<arch>/models/<variant>/`: what `--smoke` does, where no zeta-table6
run exists.

Then (`workloads.analysis.neighbourhoods`): the test images ERM and mixup misclassify and every ζ
model gets right (the paper's selection); the training split (`synth_samples` images of it, or all)
mixed by each method as it trained (batches of the model's `batch_size`, its γ / α, seed), embedded
with that method's model (penultimate features); each test image's `fig8_k` (128) nearest
synthesised samples by cosine distance and how many carry its label; the paper's totals against
mixup; a t-SNE of each method's neighbourhoods with the test images. The same counts over ALL test
images are kept beside (ours: the selection is often small, and empty on small data).

Writes into `{artifacts_dir}/fig8/<dataset>-<arch>/`: `selected.png` (the selected test images),
`fig8.png` (t-SNE), `neighbourhoods.csv`, `neighbourhoods_all.csv`, `agreement.csv`, `tsne.csv`,
`predictions.csv` and `summary.json`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping, Optional

import numpy as np
import pandas as pd
import torch

from workloads.analysis import montage, neighbourhoods as nb
from workloads.analysis.batch_mixing import MixSpec, mix_dataset, one_hot_np
from workloads.analysis.plots_neighbourhoods import plot_fig8
from workloads.figures.base import FigureConfig, Summary, check_gammas, fmt, write_csv
from workloads.figures.table9 import check_source
from workloads.predictions import PREDICTIONS_FILE, Predictions, find_predictions
from workloads.predictions_table import read_table_predictions
from workloads.trainable import Report
from workloads.validate import check_float, check_int

TRAIN = "train"
# The paper's Fig. 8 numbers (text, "Explaining ζ-mixup's performance"): test images with more correctly
# labelled neighbours under ζ than mixup, of the 14 shown, and the total's increase over mixup.
PAPER = {"derm7pt-clinical": (12, 14, 208.2), "isic2017": (14, 14, 1908.8)}
# The classifier keys a self-trained model takes from this config (null: the classifier's default).
MODEL_KEYS = ("batch_size", "eval_batch_size", "lr", "momentum", "nesterov", "weight_decay", "milestones", "lr_decay",
              "optimizer", "loss", "pretrained", "pretrained_path", "flip", "crop_padding", "subset", "precision",
              "channels_last", "compile", "cudnn_benchmark")


@dataclass(frozen=True)
class Fig8Config(FigureConfig):
    TRAINABLE = "figure-fig8"
    FOLDER: ClassVar[str] = "fig8"

    dataset: str = "isic2017"
    arch: Optional[str] = "resnet50"
    seed: int = 0
    source: Optional[str] = None
    zeta_gammas: tuple[float, ...] = (2.4, 2.8, 4.0)
    fig8_k: int = nb.K_NEIGHBOURS
    synth_samples: Optional[int] = None
    tsne_perplexity: float = 30.0
    tsne_max_iter: int = 1000
    models_epochs: int = 50
    batch_size: Optional[int] = None
    eval_batch_size: Optional[int] = None
    lr: Optional[float] = None
    momentum: Optional[float] = None
    nesterov: Optional[bool] = None
    weight_decay: Optional[float] = None
    milestones: Optional[tuple[int, ...]] = None
    lr_decay: Optional[float] = None
    optimizer: Optional[str] = None
    loss: Optional[str] = None
    pretrained: Optional[bool] = None
    pretrained_path: Optional[str] = None
    flip: Optional[bool] = None
    crop_padding: Optional[int] = None
    subset: Optional[int] = None
    precision: Optional[str] = None
    channels_last: Optional[bool] = None
    compile: Optional[bool] = None
    cudnn_benchmark: Optional[bool] = None

    @classmethod
    def check(cls, cfg: dict[str, Any], prefix: str = "") -> None:
        from workloads.classify import validate as validate_classifier

        super().check(cfg, prefix)
        if cfg["source"] is None:
            raise ValueError("figure-fig8 reads the models of a finished zeta-table6 run: --set source=<work directory "
                             "or invocation folder>, or source=train to train them here (what --smoke does)")
        if cfg["source"] != TRAIN:
            check_source(cfg)
        if not cfg["arch"]:
            raise ValueError("figure-fig8 needs the arch of the models it reads (e.g. resnet50)")
        check_gammas(cfg, "zeta_gammas", lo=1e-9)
        check_int(cfg, "fig8_k", 1)
        check_int(cfg, "synth_samples", 2, optional=True)
        check_float(cfg, "tsne_perplexity", 0.0, 1e4, lo_open=True)
        check_int(cfg, "tsne_max_iter", 250)
        check_int(cfg, "models_epochs", 1)
        # The self-trained models' keys are the classifier's: its validation checks and normalizes them.
        checked = validate_classifier(model_flat(cfg, "erm")).to_flat()
        cfg.update({key: tuple(checked[key]) if key == "milestones" else checked[key]
                    for key in MODEL_KEYS if cfg[key] is not None})

    @property
    def label(self) -> str:
        return f"{self.dataset}-{self.arch}"

    @property
    def variants(self) -> dict[str, tuple[str, Optional[float]]]:
        """variant label -> (method, gamma): erm, mixup, then one ζ per gamma (search_spaces.methods' labels)."""
        out: dict[str, tuple[str, Optional[float]]] = {"erm": ("erm", None), "mixup": ("mixup", None)}
        out.update({f"zeta-{g:.1f}": ("zeta", g) for g in self.zeta_gammas})
        return out


Config = Fig8Config


def model_flat(cfg: Mapping[str, Any], variant: str, method: str = "erm", gamma: Optional[float] = None) -> dict[str, Any]:
    """The classify config of a self-trained model (`source=train`)."""
    flat = {key: cfg[key] for key in MODEL_KEYS if cfg[key] is not None}
    flat.update(dataset=cfg["dataset"], data_root=cfg["data_root"], arch=cfg["arch"], seed=cfg["seed"],
                device=cfg["device"], method=method, variant=variant, epochs=cfg["models_epochs"])
    if method == "mixup":
        flat["alpha"] = 1.0
    if gamma is not None:
        flat["gamma"] = gamma
    return flat


def train_models(cfg: Fig8Config, data: Any) -> None:
    """`source=train`: train every variant's classifier and leave state.pt + predictions.npz per variant."""
    from workloads.checkpoint import save_checkpoint
    from workloads.classify import build_trainer
    from workloads.predictions import save_predictions

    flat = cfg.to_flat()
    for variant, (method, gamma) in cfg.variants.items():
        trainer = build_trainer(model_flat(flat, variant, method, gamma), data)
        while trainer.epoch < trainer.total_epochs:
            trainer.run_epoch()
        directory = cfg.out_dir / "models" / variant
        save_checkpoint(directory, trainer.state_dict())
        save_predictions(directory, trainer)


def latest_models(found: list[Predictions], cfg: Fig8Config) -> dict[str, Predictions]:
    """variant -> the last of `found` (oldest first) for the trial's dataset, arch and seed."""
    chosen: dict[str, Predictions] = {}
    for p in found:
        c = p.config
        if (c.get("dataset"), c.get("arch"), c.get("seed")) != (cfg.dataset, cfg.arch, cfg.seed):
            continue
        v = c.get("variant") or c.get("method")
        if v in cfg.variants:
            chosen[v] = p
    return chosen


def with_model_config(p: Predictions) -> Predictions:
    """Predictions read from the table, with the whole config their model trained with (its state.pt)."""
    from workloads.checkpoint import load_checkpoint

    config = load_checkpoint(p.directory, map_location="cpu").get("config")
    if not config or any(config.get(k) != p.config.get(k) for k in ("dataset", "arch", "seed")):
        raise ValueError(f"the model in {p.directory} is not the {p.config.get('dataset')} / {p.config.get('arch')} / "
                         f"seed {p.config.get('seed')} one its predictions rows name (or its state.pt has no config)")
    return replace(p, config={**p.config, **config})


def select_models(root: Any, cfg: Fig8Config) -> tuple[dict[str, Predictions], dict[str, str]]:
    """(variant -> its Predictions, variant -> where they were read) for the trial's dataset, arch and seed:
    from the predictions table below `root` first, from predictions.npz files for what it lacks."""
    found = read_table_predictions(root, {"dataset": cfg.dataset, "arch": cfg.arch, "seed": cfg.seed})
    chosen = {v: with_model_config(p) for v, p in latest_models(found, cfg).items()}
    origin = dict.fromkeys(chosen, "predictions table")
    if any(v not in chosen for v in cfg.variants):  # file times order the files: the newest wins
        files = sorted(find_predictions(root), key=lambda p: (p.directory / PREDICTIONS_FILE).stat().st_mtime)
        for v, p in latest_models(files, cfg).items():
            if v not in chosen:
                chosen[v], origin[v] = p, PREDICTIONS_FILE
        found += files
    missing = [v for v in cfg.variants if v not in chosen]
    if missing:
        have = sorted({f"{p.config.get('dataset')}/{p.config.get('arch')}/{p.config.get('variant')}/"
                       f"s{p.config.get('seed')}" for p in found})
        raise ValueError(f"source has no finished model for {cfg.dataset} / {cfg.arch} / seed {cfg.seed} of variant(s) "
                         f"{', '.join(missing)} (neither predictions table rows nor predictions.npz beside state.pt); "
                         f"found: {', '.join(have) or 'none'}")
    return {v: chosen[v] for v in cfg.variants}, origin


def load_model(p: Predictions, data: Any, device: torch.device) -> torch.nn.Module:
    from workloads.checkpoint import load_checkpoint
    from workloads.models import build_model

    c = p.config
    model = build_model(c["arch"], data.channels, data.num_classes, data.image_size, False, None)
    model.load_state_dict(load_checkpoint(p.directory, map_location="cpu")["model"])
    return model.to(device).eval()


def model_data(p: Predictions, data: Any) -> tuple[Any, Any]:
    """(the model's ClassifyConfig, the dataset as its trial saw it: `subset` / `train_subset` applied).

    Only the keys that shape the data and the mixing matter here; pretrained weights, offline training
    sets and the device of the machine that trained it are not needed to read the model back."""
    from workloads.classify import prepare_data
    from workloads.config import ClassifyConfig

    flat = {k: v for k, v in p.config.items() if k in ClassifyConfig.keys()}
    flat.update(pretrained=False, pretrained_path=None, device="cpu", train_sources="real", artifacts_dir=None,
                compile=False)
    mcfg = ClassifyConfig.from_flat(flat)
    return mcfg, prepare_data(mcfg, data)


@torch.no_grad()
def features(model: torch.nn.Module, x: torch.Tensor, device: torch.device, batch_size: int = 256) -> np.ndarray:
    """float32 `(N, D)`: the input of `model`'s classifier head for normalized float inputs `(N, C, H, W)`."""
    from workloads.gemix.quality_stage import classifier_head

    captured: list[torch.Tensor] = []
    hook = classifier_head(model).register_forward_pre_hook(lambda _m, a: captured.append(a[0].flatten(1).float().cpu()))
    try:
        for i in range(0, len(x), batch_size):
            model(x[i : i + batch_size].to(device))
    finally:
        hook.remove()
    return torch.cat(captured).numpy()


def _embed(cfg: Fig8Config, p: Predictions, data: Any, device: torch.device) -> dict[str, np.ndarray]:
    """A model's test features, and its training split mixed as it trained, embedded: arrays by name."""
    from workloads.augment import BatchAugment

    mcfg, prepared = model_data(p, data)
    train, test = prepared.splits["train"], prepared.splits["test"]
    if not np.array_equal(test.labels[p.test_index], p.label):
        raise ValueError(f"the test labels of {p.directory} differ from {cfg.dataset}'s here (another data_root or "
                         "subset?): fig8 must read the data the models were tested on")
    augment = BatchAugment.from_train(train.images, device="cpu")
    model = load_model(p, prepared, device)
    n = len(train)
    pick = np.arange(n) if not cfg.synth_samples or cfg.synth_samples >= n else np.sort(
        np.random.default_rng(cfg.seed).choice(n, size=cfg.synth_samples, replace=False))
    x = augment.eval(torch.from_numpy(np.ascontiguousarray(train.images[pick])))
    y = one_hot_np(np.asarray(train.labels)[pick], prepared.num_classes)
    method, gamma = p.config["method"], p.config.get("gamma")
    spec = MixSpec("zeta", gamma=float(gamma)) if method == "zeta" else MixSpec(
        "mixup", alpha=float(p.config.get("alpha") or 1.0))
    xm, ym = mix_dataset(x, y, spec, batch_size=int(mcfg.batch_size), seed=cfg.seed)
    test_x = augment.eval(torch.from_numpy(np.ascontiguousarray(test.images[p.test_index])))
    return {"synth": features(model, torch.from_numpy(xm), device), "soft": ym,
            "test": features(model, test_x, device)}


def _claims(summary: Summary, cfg: Fig8Config, agreement: pd.DataFrame, n_selected: int) -> None:
    paper = PAPER.get(cfg.dataset)
    paper_text = (f"{paper[0]} of {paper[1]} shown test images have more correctly labelled neighbours under ζ than "
                  f"mixup; +{paper[2]:g} % correctly labelled neighbours in total" if paper else
                  "the paper analyses ISIC 2017 (ResNet-50) and derm7pt-clinical (ResNet-18) only")
    rows = agreement.set_index("method") if len(agreement) else None
    for method in (v for v in cfg.variants if v.startswith("zeta")):
        if rows is None or method not in rows.index:
            ours, holds = "no test image meets the selection", None
        else:
            row = rows.loc[method]
            ours = (f"{int(row['n_more_than_reference'])} of {n_selected} selected test images have more, "
                    f"{int(row['n_fewer_than_reference'])} fewer; total {fmt(row['pct_more_than_reference'])} % vs mixup")
            holds = bool(row["pct_more_than_reference"] > 0
                         and row["n_more_than_reference"] > row["n_fewer_than_reference"])
        summary.claim(f"{method}: the selected test images have more correctly labelled nearest synthesised "
                      f"neighbours (k = {cfg.fig8_k}, cosine) under ζ than under mixup (rule: more in total and for more "
                      "images than fewer)", paper_text, ours, holds)


def train(config: Mapping[str, Any], report: Report, checkpoint: Optional[str] = None, *, data: Any = None) -> dict:
    """Select, embed, count neighbours, draw the t-SNE; write summary.json; report the key numbers once."""
    cfg = Fig8Config.from_flat(config)
    device = cfg.setup()
    if data is None:
        from workloads.data import load_dataset

        data = load_dataset(cfg.dataset, cfg.data_root)
    out = cfg.out_dir
    if cfg.source == TRAIN:
        train_models(cfg, data)
    root = out / "models" if cfg.source == TRAIN else cfg.source
    models, origin = select_models(root, cfg)
    first = models["mixup"]
    labels_seen = first.label
    preds = {v: p.predicted for v, p in models.items()}
    zeta = [v for v in cfg.variants if v.startswith("zeta")]
    selected = nb.fig8_candidates(labels_seen, preds, erm="erm", mixup="mixup", zeta=zeta)
    frame = pd.DataFrame({"test_index": first.test_index, "label": labels_seen,
                          **{f"pred_{v}": p.predicted for v, p in models.items()}})
    frame["selected"] = np.isin(np.arange(len(frame)), selected)

    summary = Summary("Fig. 8", f"feature-space neighbourhoods, {cfg.dataset} / {cfg.arch}", cfg.dataset, cfg.label)
    summary.table_file(write_csv(frame, out / "predictions.csv"),
                       "every test image: true label, each model's predicted class, and whether it is selected")
    embedded = {v: _embed(cfg, models[v], data, device) for v in ["mixup", *zeta]}
    tests = {v: e["test"] for v, e in embedded.items()}
    synth = {v: e["synth"] for v, e in embedded.items()}
    soft = {v: e["soft"] for v, e in embedded.items()}
    k = min(cfg.fig8_k, *(len(s) for s in synth.values()))
    everything, _ = nb.neighbourhood_analysis(labels_seen, np.arange(len(labels_seen)), tests, synth, soft, k=k)
    summary.table_file(write_csv(everything, out / "neighbourhoods_all.csv"),
                       "ours, over ALL test images: correctly labelled neighbours per method")
    if len(selected):
        table, neighbours = nb.neighbourhood_analysis(labels_seen, selected, tests, synth, soft, k=k)
    else:  # nothing meets the paper's selection (small or stand-in data): the all-images counts stand alone
        table, neighbours = everything.iloc[:0], {}
    summary.table_file(write_csv(table, out / "neighbourhoods.csv"),
                       "per selected test image and method: correctly labelled neighbours among the k nearest")
    agreement = nb.agreement_summary(table, "mixup") if len(selected) else pd.DataFrame(
        columns=["method", "n_test", "mean_agreement", "total_correct", "pct_more_than_reference",
                 "n_more_than_reference", "n_fewer_than_reference"])
    all_agreement = nb.agreement_summary(everything, "mixup")
    agreement["test_images"], all_agreement["test_images"] = "selected", "all"
    summary.table_file(write_csv(pd.concat([agreement, all_agreement], ignore_index=True), out / "agreement.csv"),
                       "the paper's totals per method against mixup, over the selected and over all test images")
    names = list(data.class_names)
    if len(selected):
        test_images = np.asarray(model_data(first, data)[1].splits["test"].images)[first.test_index]
        png = montage.save_montage(test_images[selected], out / "selected.png", ncols=min(10, len(selected)))
        summary.figure_file(png, f"Fig. 8a: the {len(selected)} test images ERM and mixup misclassify and every ζ model "
                                 "classifies correctly")
        n_points = len(np.unique(np.concatenate([neighbours[v].ravel() for v in neighbours]))) + len(selected)
        if n_points >= 4 and all(len(np.unique(i)) + len(selected) >= 4 for i in neighbours.values()):
            tsne = nb.neighbourhood_tsne(labels_seen, selected, tests, synth, soft, neighbours,
                                         perplexity=cfg.tsne_perplexity, max_iter=cfg.tsne_max_iter, seed=cfg.seed)
            summary.table_file(write_csv(tsne, out / "tsne.csv"), "the t-SNE coordinates drawn")
            png = plot_fig8(tsne, out / "fig8.png", class_names=names)
            summary.figure_file(png, f"Fig. 8b–e: t-SNE of each method's {k} nearest synthesised training samples "
                                     "(circles, soft-label class) around the selected test images (squares, true class)")
    _claims(summary, cfg, agreement, len(selected))
    every = all_agreement.set_index("method")
    for method in (v for v in cfg.variants if v.startswith("zeta")):
        summary.claim(f"{method}, over ALL {len(labels_seen)} test images (ours, not the paper's selection): more "
                      f"correctly labelled neighbours than under mixup (rule: mean agreement higher)",
                      "not in the paper", f"mean agreement {fmt(every.loc[method, 'mean_agreement'])} vs mixup "
                      f"{fmt(every.loc['mixup', 'mean_agreement'])}",
                      bool(every.loc[method, "mean_agreement"] > every.loc["mixup", "mean_agreement"]))
    for _, row in all_agreement.iterrows():
        summary.metric(f"all_{row['method']}_mean_agreement", row["mean_agreement"])
    for _, row in agreement[agreement["method"] != "mixup"].iterrows():
        summary.metric(f"selected_{row['method']}_pct_more_than_mixup", row["pct_more_than_reference"])
    summary.metric("selected_test_images", len(selected))
    summary.metric("test_images", len(labels_seen))
    for v, p in models.items():
        summary.metric(f"{v}_test_acc", float(np.mean(p.predicted == p.label)))
    summary.choices += [
        "models: " + ("trained here (source=train), " + f"{cfg.models_epochs} epochs each" if cfg.source == TRAIN
                      else f"read from {cfg.source}") + f"; {cfg.dataset} / {cfg.arch} / seed {cfg.seed}, variants "
        + ", ".join(cfg.variants) + "; per-sample test predictions from "
        + "; ".join(f"the {where} ({', '.join(v for v in cfg.variants if origin[v] == where)})"
                    for where in dict.fromkeys(origin.values())),
        f"selection: test images that erm and mixup misclassify and {', '.join(zeta)} all classify correctly: "
        f"{len(selected)} of {len(labels_seen)}",
        f"synthesised samples: the training split ({'all' if not cfg.synth_samples else f'at most {cfg.synth_samples}'}"
        " images) mixed by each method as it trained (its batch size, γ, α; seed "
        f"{cfg.seed}), embedded with that method's own model (penultimate features)",
        f"neighbours: the {k} nearest synthesised samples by cosine distance; a neighbour is correct when its soft "
        "label's largest class is the test image's class",
        "t-SNE: scikit-learn, each method's neighbourhoods and the test images embedded jointly (the paper used "
        "openTSNE and projected the test images)",
    ]
    summary.write(out)
    return summary.report_once(report)
