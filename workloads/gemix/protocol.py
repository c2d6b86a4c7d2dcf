"""GeMix's data protocol ("Experimental setup"): disjoint, class-balanced subsets drawn with a seed.

- `gan`: `gan_per_class` images of each class from the official train split (the GAN's 10K per class);
- `train` / `val`: `classifier_per_class` images of each class from the rest of the official train
  split, split per class `1 - val_fraction` / `val_fraction` (24K / 6K at the paper's 10K and 20 %);
- `test`: `test_per_class` images of each class from the official test split (the paper's 1K).
The official val split is not used, as in the authors' data preparation (their test set is drawn from
the official test list, both training sets from the official train list).

Patients. Where the dataset names each sample's patient (`Catalog.groups`: COVIDx CT's file names,
`workloads.data.covidx.patient_of`), the GAN's and the classifier's images come from disjoint sets of
patients: the official train split's patients are dealt, in a seeded random order, each to the side
whose share of that patient's (main) class is below its target share gan / (gan + classifier); each
side then draws its images uniformly from its own patients, so both still spread over many patients.
(The authors only leave the GAN's file names out of the classifier's pool: image-disjoint.) Without
patients every image is its own and each class's images are drawn uniformly. Train and val are cut
per image from the classifier's subset, as the authors' `random_split` (a patient may have slices in
both); the official test split shares no patient with the official train split (COVIDx splits by patient).

Every part comes from its own random stream of `seed`, so changing one size leaves the others' draws.
`protocol_parts` writes the split as `{artifacts_dir}/splits/{gan,train,val,test}.txt` (one id per
line: the image's file name relative to the dataset, or `<split>/<row>` for array datasets) and
`split.json` (the dataset, sizes and counts; written last: a folder without it is an interrupted
write), and a later call (a resumed run) reads them back instead of drawing again.

Config keys: `workloads.split_keys.SplitKeys` (`split="gemix"` and the sizes), shared by the classifier
and GeMix's stage trainables; each says which view it trains on (`SPLIT_PART`: the GAN stage "gan",
the others "classifier").
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from workloads.data.types import DatasetArrays, DatasetError
from workloads.split_keys import ProtocolSizes, sizes_of

if TYPE_CHECKING:  # the configs import this module; the readers load only when data is read
    from workloads.data.catalog import Catalog

PARTS = ("gan", "train", "val", "test")
VIEWS = ("gan", "classifier")  # what a trainable sees: the GAN's subset, or the classifier's train/val/test
RECORD_FILE = "split.json"
RULE = ("GeMix protocol: gan and classifier subsets from the official train split (patient-disjoint where "
        "patients are known), classifier subset cut per image into train/val, test from the official test split")


def _names(catalog: Catalog, k: int) -> str:
    return repr(catalog.class_names[k])


def _deal(catalog: Catalog, train: np.ndarray, sizes: ProtocolSizes, rng: np.random.Generator) -> np.ndarray:
    """True where a train position goes to the GAN's side, patient by patient (see the module docstring)."""
    labels = catalog.labels[train]
    if catalog.groups is None:  # every image its own patient: a uniform draw per class does it exactly
        gan_side = np.zeros(len(train), dtype=bool)
        for k in range(catalog.num_classes):
            mine = np.flatnonzero(labels == k)
            gan_side[rng.permutation(mine)[: sizes.gan_per_class]] = True
        return gan_side
    patients, patient_of = np.unique(catalog.groups[train], return_inverse=True)
    counts = np.zeros((len(patients), catalog.num_classes), dtype=np.int64)
    np.add.at(counts, (patient_of, labels), 1)
    target = sizes.gan_per_class / (sizes.gan_per_class + sizes.classifier_per_class)
    dealt = np.zeros((2, catalog.num_classes), dtype=np.int64)  # images per class on each side (gan, classifier)
    to_gan = np.zeros(len(patients), dtype=bool)
    for p in rng.permutation(len(patients)):
        k = int(counts[p].argmax())
        total = dealt[:, k].sum()
        to_gan[p] = total == 0 or dealt[0, k] / total < target
        dealt[0 if to_gan[p] else 1] += counts[p]
    return to_gan[patient_of]


def _draw(pool: np.ndarray, labels: np.ndarray, k: int, n: int, rng: np.random.Generator, what: str,
          catalog: Catalog, key: str) -> np.ndarray:
    mine = pool[labels[pool] == k]
    if len(mine) < n:
        raise ValueError(f"{catalog.name}: class {_names(catalog, k)} has {len(mine)} images for the {what}, fewer "
                         f"than {key}={n}; lower it")
    return rng.permutation(mine)[:n]


def protocol_split(catalog: Catalog, sizes: ProtocolSizes) -> dict[str, np.ndarray]:
    """Positions of each part (`PARTS`), sorted; ValueError naming the size key where a class is short."""
    if "train" not in catalog.official or "test" not in catalog.official:
        raise ValueError(f"{catalog.name}: the GeMix protocol needs official train and test splits")
    streams = {part: np.random.default_rng([sizes.seed, i]) for i, part in enumerate(("deal", "gan", "classifier", "test"))}
    labels, train = catalog.labels, np.asarray(catalog.official["train"])
    gan_side = _deal(catalog, train, sizes, streams["deal"])
    n_val = sizes.val_per_class()
    if not 1 <= n_val < sizes.classifier_per_class:
        raise ValueError(f"split_val_fraction={sizes.val_fraction} leaves no val or no train image of "
                         f"split_classifier_per_class={sizes.classifier_per_class} per class")
    parts: dict[str, list[np.ndarray]] = {part: [] for part in PARTS}
    for k in range(catalog.num_classes):
        parts["gan"].append(_draw(train[gan_side], labels, k, sizes.gan_per_class, streams["gan"],
                                  "GAN's subset", catalog, "split_gan_per_class"))
        chosen = _draw(train[~gan_side], labels, k, sizes.classifier_per_class, streams["classifier"],
                       "classifier's subset (the GAN's patients left out)", catalog, "split_classifier_per_class")
        parts["val"].append(chosen[:n_val])
        parts["train"].append(chosen[n_val:])
        parts["test"].append(_draw(np.asarray(catalog.official["test"]), labels, k, sizes.test_per_class,
                                   streams["test"], "test set (official test split)", catalog, "split_test_per_class"))
    return {part: np.sort(np.concatenate(chunks)) for part, chunks in parts.items()}


def _record(catalog: Catalog, sizes: ProtocolSizes, parts: dict[str, np.ndarray]) -> dict[str, Any]:
    counts = {part: np.bincount(catalog.labels[p], minlength=catalog.num_classes).tolist() for part, p in parts.items()}
    record: dict[str, Any] = {"dataset": catalog.name, "rule": RULE, "sizes": asdict(sizes),
                              "class_names": list(catalog.class_names), "counts_per_class": counts}
    if catalog.groups is not None:
        gan, classifier = (set(catalog.groups[parts["gan"]].tolist()),
                           set(catalog.groups[np.concatenate([parts["train"], parts["val"]])].tolist()))
        record["patients"] = {"gan": len(gan), "classifier": len(classifier), "shared": len(gan & classifier)}
    return record


def write_split(directory: Path, catalog: Catalog, sizes: ProtocolSizes, parts: dict[str, np.ndarray]) -> None:
    """`{part}.txt` (one id per line), then split.json; each written beside its place and renamed into it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RECORD_FILE).unlink(missing_ok=True)
    for name, text in [*((f"{part}.txt", "".join(f"{i}\n" for i in catalog.ids[parts[part]])) for part in PARTS),
                       (RECORD_FILE, json.dumps(_record(catalog, sizes, parts), indent=1))]:
        tmp = directory / f".{name}.tmp-{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, directory / name)


def read_split(directory: Path, catalog: Catalog, sizes: ProtocolSizes) -> Optional[dict[str, np.ndarray]]:
    """The split written in `directory`, or None where there is no complete one. ValueError when it was
    made for another dataset or other sizes (a resumed run must keep the data it started with)."""
    record_path = directory / RECORD_FILE
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text())
        made = ProtocolSizes(**record["sizes"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{record_path}: unreadable ({type(err).__name__}); delete {directory} to draw the split again") from None
    if record.get("dataset") != catalog.name or made != sizes:
        raise ValueError(f"{directory} holds the split of {record.get('dataset')!r} with {asdict(made)}; this run asks "
                         f"for {catalog.name!r} with {asdict(sizes)}; start a new run (a run keeps its split)")
    return {part: catalog.positions((directory / f"{part}.txt").read_text().split("\n")[:-1], str(directory / f"{part}.txt"))
            for part in PARTS}


def protocol_parts(catalog: Catalog, sizes: ProtocolSizes, directory: Optional[Path] = None) -> dict[str, np.ndarray]:
    """The split of `catalog`: read from `directory` where a complete one is, else drawn (and written
    there when a directory is given)."""
    if directory is not None:
        found = read_split(directory, catalog, sizes)
        if found is not None:
            return found
    parts = protocol_split(catalog, sizes)
    if directory is not None:
        write_split(directory, catalog, sizes, parts)
    return parts


def protocol_views(catalog: Catalog, parts: dict[str, np.ndarray], views: tuple[str, ...] = VIEWS) -> dict[str, DatasetArrays]:
    """{"gan": the GAN's subset as the train split, "classifier": train, val and test}, those of `views`;
    pixels only of those."""
    splits = {"gan": {"train": "gan"}, "classifier": {s: s for s in ("train", "val", "test")}}
    return {view: DatasetArrays(catalog.name, catalog.class_names,
                                {split: catalog.take(parts[part]) for split, part in splits[view].items()})
            for view in views}


def load_view(dataset: str, root: Optional[str], config: Any, part: str) -> DatasetArrays:
    """What a trainable run on its own (no orchestrator sharing data) trains on: the dataset as read
    where `split` is "official", else view `part` of the protocol's split, drawn in memory (decoding
    only the chosen images; no files written)."""
    from workloads.data import load_dataset
    from workloads.data.catalog import catalog_of

    split = config.get("split") if isinstance(config, dict) else config.split
    if split == "official":
        return load_dataset(dataset, root)
    catalog = catalog_of(dataset, root)
    return protocol_views(catalog, protocol_split(catalog, sizes_of(config)), (part,))[part]
