"""Tiny copies of every dataset in its official on-disk layout, for tests (no downloads here).

`fabricate(name, root)` writes dataset `name` under `root` (directly, as each reader accepts) with
a few small images per class and returns {split: number of samples} as the reader must report it.
Image content encodes the class (a brightness per class) so a smoke epoch has something to learn.
Where val is carved from an official train split, the expected sizes come from the same carve rule
(`carved_counts`); the tests of that rule itself use real-sized class counts.
"""
from __future__ import annotations

import csv
import gzip
import pickle
import struct
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from search_spaces.datasets import get_dataset_spec

RNG_SEED = 0
PER_CLASS = 5  # stratified sets need >= 3 per class for every split to get one


def pixels(label: int, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    base = 40 + 30 * (label % 7)
    return np.clip(base + rng.integers(0, 20, shape), 0, 255).astype(np.uint8)


def save_image(path: Path, label: int, rng: np.random.Generator, size=(20, 16), grey=False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (size[1], size[0]) if grey else (size[1], size[0], 3)
    Image.fromarray(pixels(label, shape, rng)).save(path)


def write_csv(path: Path, rows: list[list], header: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)


def carved_counts(train_labels, n_test: int) -> dict[str, int]:
    """Split sizes when val is carved from an official train split with these labels."""
    from workloads.data.split import carve_val

    rest, val = carve_val(np.asarray(train_labels))
    return {"train": len(rest), "val": len(val), "test": n_test}


def cifar(name: str, root: Path, text_keys: bool = False) -> dict[str, int]:
    """CIFAR batches with bytes keys as the official (Python 2) files, or str keys (`text_keys`) as
    batches re-pickled under Python 3."""
    rng = np.random.default_rng(RNG_SEED)
    k = get_dataset_spec(name).num_classes
    per = 2
    folder, key = ("cifar-10-batches-py", "labels") if name == "cifar10" else ("cifar-100-python", "fine_labels")
    (root / folder).mkdir(parents=True)
    as_key = (lambda k: k) if text_keys else (lambda k: k.encode())

    def batch(path: Path, labels: list[int]) -> None:
        data = np.stack([pixels(c, (3072,), rng) for c in labels])
        with open(path, "wb") as handle:
            pickle.dump({as_key("data"): data, as_key(key): labels}, handle, protocol=2)

    labels = [c for c in range(k) for _ in range(per)]
    names = [n if text_keys else n.encode() for n in get_dataset_spec(name).class_names]
    if name == "cifar10":
        for i in range(1, 6):
            batch(root / folder / f"data_batch_{i}", labels)
        batch(root / folder / "test_batch", labels)
        with open(root / folder / "batches.meta", "wb") as handle:
            pickle.dump({as_key("label_names"): names}, handle)
        return carved_counts(labels * 5, len(labels))
    batch(root / folder / "train", labels)
    batch(root / folder / "test", labels)
    with open(root / folder / "meta", "wb") as handle:
        pickle.dump({as_key("fine_label_names"): names}, handle)
    return carved_counts(labels, len(labels))


def idx(name: str, root: Path, flat: bool = False) -> dict[str, int]:
    """torchvision's layout (`ROOT/MNIST/raw/`, train gzipped, test plain), or with `flat` the four
    official .gz files directly in `root` (the caller passes ROOT/<name>)."""
    rng = np.random.default_rng(RNG_SEED)
    raw = root if flat else root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    counts = {}
    for prefix, per, gz in (("train", 3, True), ("t10k", 2, flat)):
        labels = np.repeat(np.arange(10), per).astype(np.uint8)
        images = np.stack([pixels(int(c), (28, 28), rng) for c in labels])
        blobs = {
            f"{prefix}-images-idx3-ubyte": struct.pack(">IIII", 0x803, len(labels), 28, 28) + images.tobytes(),
            f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 0x801, len(labels)) + labels.tobytes(),
        }
        for stem, blob in blobs.items():
            # The train files gzipped as downloaded, the test files plain: both forms must read.
            (raw / (stem + ".gz" if gz else stem)).write_bytes(gzip.compress(blob) if gz else blob)
        counts["train" if prefix == "train" else "test"] = len(labels)
    return carved_counts(np.repeat(np.arange(10), 3), counts["test"])


def stl10(name: str, root: Path) -> dict[str, int]:
    rng = np.random.default_rng(RNG_SEED)
    folder = root / "stl10_binary"
    folder.mkdir(parents=True)
    counts = {}
    for split, per in (("train", 2), ("test", 1)):
        labels = np.repeat(np.arange(10), per)
        images = np.stack([pixels(int(c), (3, 96, 96), rng) for c in labels])
        images.tofile(folder / f"{split}_X.bin")
        (labels + 1).astype(np.uint8).tofile(folder / f"{split}_y.bin")
        counts[split] = len(labels)
    (folder / "class_names.txt").write_text("\n".join(get_dataset_spec(name).class_names))
    return carved_counts(np.repeat(np.arange(10), 2), counts["test"])


WNIDS = {
    "imagenette": ["n01440764", "n02102040", "n02979186", "n03000684", "n03028079", "n03394916", "n03417042",
                   "n03425413", "n03445777", "n03888257"],
    "imagewoof": ["n02086240", "n02087394", "n02088364", "n02089973", "n02093754", "n02096294", "n02099601",
                  "n02105641", "n02111889", "n02115641"],
}


def imagefolder(name: str, root: Path) -> dict[str, int]:
    rng = np.random.default_rng(RNG_SEED)
    top = root / ("imagenette2-160" if name == "imagenette" else "imagewoof2")
    for split, per in (("train", 2), ("val", 1)):
        for label, wnid in enumerate(WNIDS[name]):
            for i in range(per):
                save_image(top / split / wnid / f"{wnid}_{i}.JPEG", label, rng)
    return carved_counts(np.repeat(np.arange(10), 2), 10)


def medmnist(name: str, root: Path) -> dict[str, int]:
    rng = np.random.default_rng(RNG_SEED)
    spec = get_dataset_spec(name)
    arrays = {}
    for split, per in (("train", 3), ("val", 1), ("test", 1)):
        labels = np.repeat(np.arange(spec.num_classes), per)
        shape = (28, 28) if spec.channels == 1 else (28, 28, 3)
        arrays[f"{split}_images"] = np.stack([pixels(int(c), shape, rng) for c in labels])
        arrays[f"{split}_labels"] = labels.astype(np.uint8)[:, None]
    np.savez_compressed(root / f"{name}.npz", **arrays)
    return {s: len(arrays[f"{s}_labels"]) for s in ("train", "val", "test")}


def isic(name: str, root: Path, train_per: int = 2) -> dict[str, int]:
    """ISIC 2016 / 2017 / 2018 as released; 2017 and 2018 with `train_per` training images per class
    (per column for 2018), e.g. enough for the 100-image montages of Figs. 4-5."""
    rng = np.random.default_rng(RNG_SEED)
    counts = {}
    if name == "isic2016":
        for split, part, per in (("train", "Training", 3), ("test", "Test", 2)):
            rows = []
            for label, value in ((0, "benign"), (1, "malignant")):
                for i in range(per):
                    image_id = f"ISIC_{part}{label}{i}"
                    save_image(root / f"ISBI2016_ISIC_Part3_{part}_Data" / f"{image_id}.jpg", label, rng)
                    # The test ground truth uses 0.0/1.0, the training one words.
                    rows.append([image_id, value if part == "Training" else f"{float(label)}"])
            write_csv(root / f"ISBI2016_ISIC_Part3_{part}_GroundTruth.csv", rows)
            counts[split] = len(rows)
        return carved_counts(np.repeat(np.arange(2), 3), counts["test"])
    if name == "isic2017":
        for split, part in (("train", "Training"), ("val", "Validation"), ("test", "Test_v2")):
            rows = []
            for label, (mel, sk) in enumerate(((0, 0), (1, 0), (0, 1))):
                for i in range(train_per if part == "Training" else 2):
                    image_id = f"ISIC_{part}{label}{i}"
                    save_image(root / f"ISIC-2017_{part}_Data" / f"{image_id}.jpg", label, rng)
                    save_image(root / f"ISIC-2017_{part}_Data" / f"{image_id}_superpixels.png", 6, rng)
                    rows.append([image_id, f"{mel:.1f}", f"{sk:.1f}"])
            write_csv(root / f"ISIC-2017_{part}_Part3_GroundTruth.csv", rows, ["image_id", "melanoma", "seborrheic_keratosis"])
            counts[split] = len(rows)
        return counts
    # Training: train_per images per column; Validation (the test split) and Test (not read): 1 per column.
    columns = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
    for part, per in (("Training", train_per), ("Validation", 1), ("Test", 1)):
        rows = []
        for j, column in enumerate(columns):
            for i in range(per):
                image_id = f"ISIC_{part}{j}{i}"
                save_image(root / f"ISIC2018_Task3_{part}_Input" / f"{image_id}.jpg", j, rng)
                rows.append([image_id] + ["1.0" if k == j else "0.0" for k in range(7)])
        folder = root / f"ISIC2018_Task3_{part}_GroundTruth"
        write_csv(folder / f"ISIC2018_Task3_{part}_GroundTruth.csv", rows, ["image"] + columns)
    group = [2, 1, 0, 4, 3, 4, 4]  # MEL NV BCC AKIEC BKL DF VASC -> SKIN5
    return carved_counts(np.repeat(group, train_per), len(columns))


DERM7PT_DIAGNOSES = ["basal cell carcinoma", "clark nevus", "melanoma (in situ)", "seborrheic keratosis", "lentigo"]


def derm7pt(name: str, root: Path, per_class: tuple[int, ...] = (10,) * 5, size=(20, 16)) -> dict[str, int]:
    """release_v0 with `per_class[k]` cases of DERM7PT_DIAGNOSES[k] (the real release: 42, 575, 252,
    45, 97 = 1,011 cases), and the official index files, which the reader must ignore."""
    rng = np.random.default_rng(RNG_SEED)
    release = root / "release_v0"
    rows, labels = [], []
    for label, n in enumerate(per_class):
        for i in range(n):
            case = len(rows)
            clinic, derm = f"Aaa/case{case}_c.jpg", f"Aaa/case{case}_d.jpg"
            save_image(release / "images" / clinic, label, rng, size)
            save_image(release / "images" / derm, label, rng, size)
            rows.append([case + 1, DERM7PT_DIAGNOSES[label], 0, clinic, derm])
            labels.append(label)
    write_csv(release / "meta" / "meta.csv", rows, ["case_num", "diagnosis", "seven_point_score", "clinic", "derm"])
    official = {"train_indexes.csv": range(0, len(rows), 2), "valid_indexes.csv": range(1, len(rows), 4),
                "test_indexes.csv": range(3, len(rows), 4)}
    for fname, idx in official.items():
        write_csv(release / "meta" / fname, [[i] for i in idx], ["indexes"])
    return exact_counts(np.array(labels))


def exact_counts(labels: np.ndarray) -> dict[str, int]:
    """Split sizes of the skin sets' stratified 70/10/20 (exact totals) over `labels`."""
    from workloads.data.split import stratified_split

    return {s: len(v) for s, v in stratified_split(labels, exact_totals=True).items()}


def stratified_counts(per_class: int, k: int, extra: int = 0) -> dict[str, int]:
    """Split sizes of k classes of `per_class` samples (the last class `extra` more), stratified."""
    return exact_counts(np.concatenate([np.repeat(np.arange(k), per_class), np.full(extra, k - 1)]))


# The ISIC Archive's hierarchical diagnosis (diagnosis_1, _2, _3) of current exports.
HIERARCHY = {
    "nevus": ("Benign", "Benign melanocytic proliferations", "Nevus"),
    "melanoma": ("Malignant", "Malignant melanocytic proliferations (Melanoma)", "Melanoma in situ"),
    "seborrheic keratosis": ("Benign", "Benign epidermal proliferations", "Seborrheic keratosis"),
    "solar lentigo": ("Benign", "Benign epidermal proliferations", "Solar lentigo"),
}


def isic_archive(name: str, root: Path) -> dict[str, int]:
    """MSK as a current export (diagnosis_1..diagnosis_5 columns), UDA as an older one (`diagnosis`)."""
    rng = np.random.default_rng(RNG_SEED)
    collections = [f"MSK-{i}" for i in range(1, 6)] if name == "msk" else ["UDA-1", "UDA-2"]
    diagnoses = ["nevus", "melanoma", "seborrheic keratosis", "solar lentigo"] if name == "msk" else ["nevus", "melanoma"]
    hierarchical = name == "msk"
    for j, collection in enumerate(collections):
        rows = []
        for label, diagnosis in enumerate(diagnoses):
            for i in range(PER_CLASS if j == 0 else 0):
                image_id = f"ISIC_{collection}{label}{i}"
                save_image(root / collection / f"{image_id}.jpg", label, rng)
                cells = list(HIERARCHY[diagnosis]) + ["", ""] if hierarchical else [diagnosis]
                rows.append([image_id, "CC-BY"] + cells)
        # No diagnosis: dropped (and counted), and needs no image.
        rows.append(["ISIC_unlabelled", "CC-BY"] + ([""] * 5 if hierarchical else [""]))
        columns = [f"diagnosis_{i}" for i in range(1, 6)] if hierarchical else ["diagnosis"]
        write_csv(root / collection / "metadata.csv", rows, ["isic_id", "copyright_license"] + columns)
    return stratified_counts(PER_CLASS, len(diagnoses))


def dermofit(name: str, root: Path, upper: bool = False) -> dict[str, int]:
    """The release's lower-case class folders (`upper`: upper case), each lesion `<ID>/<ID>.png` with
    its `<ID>mask.png`, and lesionlist.txt."""
    rng = np.random.default_rng(RNG_SEED)
    groups = {"ak": 4, "bcc": 0, "df": 4, "iec": 4, "mel": 2, "ml": 1, "pyo": 4, "scc": 4, "sk": 3, "vasc": 4}
    per_folder = {"ak": 1, "df": 1, "iec": 1, "pyo": 1, "scc": 1, "vasc": 1}  # "others": 6
    listed = []
    for folder, label in groups.items():
        name_on_disk = folder.upper() if upper else folder
        (root / name_on_disk).mkdir(parents=True)
        for i in range(per_folder.get(folder, PER_CLASS)):
            lesion = f"{folder.upper()}{i}"
            save_image(root / name_on_disk / lesion / f"{lesion}.png", label, rng)
            save_image(root / name_on_disk / lesion / f"{lesion}mask.png", 6, rng, grey=True)
            listed.append(f"{lesion} {folder.upper()}")
    (root / "lesionlist.txt").write_text("\n".join(listed) + "\n")
    return stratified_counts(PER_CLASS, 5, extra=1)


def ph2(name: str, root: Path) -> dict[str, int]:
    rng = np.random.default_rng(RNG_SEED)
    top = root / "PH2Dataset"
    lines = ["|| Name || Histological Diagnosis || Clinical Diagnosis || Asymmetry ||"]
    diagnoses = [0, 1, 0, 1, 0, 2, 2, 2, 2, 2]  # 5 nevi (common or atypical) and 5 melanomas
    for i, diagnosis in enumerate(diagnoses):
        image = f"IMD{i:03d}"
        save_image(top / "PH2 Dataset images" / image / f"{image}_Dermoscopic_Image" / f"{image}.bmp", diagnosis // 2, rng)
        lines.append(f"|| {image} ||                  ||        {diagnosis}        ||     0     ||")
    lines.append("Legend: Clinical Diagnosis: 0 - Common Nevus; 1 - Atypical Nevus; 2 - Melanoma")
    (top / "PH2_dataset.txt").write_text("\n".join(lines) + "\n")
    return stratified_counts(PER_CLASS, 2)


def mednode(name: str, root: Path, twice: bool = False) -> dict[str, int]:
    """complete_mednode_dataset/{naevus,melanoma}/, or with `twice` the archive unzipped twice."""
    rng = np.random.default_rng(RNG_SEED)
    top = root / "complete_mednode_dataset"
    top = top / "complete_mednode_dataset" if twice else top
    for label, folder in enumerate(("naevus", "melanoma")):
        for i in range(PER_CLASS):
            save_image(top / folder / f"{i}.jpg", label, rng)
    return stratified_counts(PER_CLASS, 2)


def covidx(name: str, root: Path) -> dict[str, int]:
    rng = np.random.default_rng(RNG_SEED)
    counts = {}
    for split, per in (("train", 3), ("val", 1), ("test", 1)):
        lines = []
        for label in range(3):
            for i in range(per):
                fname = f"{split}_{label}_{i}.png"
                save_image(root / "3A_images" / fname, label, rng, size=(24, 20), grey=True)
                lines.append(f"{fname} {label} 2 3 20 18")
        (root / f"{split}_COVIDx_CT-3A.txt").write_text("\n".join(lines) + "\n")
        counts[split] = len(lines)
    return counts


def built_in(name: str, root: Path) -> dict[str, int]:
    return {}


FABRICATORS: dict[str, Callable[[str, Path], dict[str, int]]] = {
    "digits": built_in, "ct-toy": built_in, "crescents": built_in, "spirals": built_in, "helix-3d": built_in, "helix-12d": built_in,
    "cifar10": cifar, "cifar100": cifar, "mnist": idx, "fashion-mnist": idx, "stl10": stl10,
    "imagenette": imagefolder, "imagewoof": imagefolder,
    **{n: medmnist for n in ("pathmnist", "dermamnist", "octmnist", "pneumoniamnist", "bloodmnist", "tissuemnist",
                             "breastmnist", "organamnist", "organcmnist", "organsmnist")},
    "isic2016": isic, "isic2017": isic, "isic2018": isic,
    "derm7pt-clinical": derm7pt, "derm7pt-dermoscopic": derm7pt,
    "msk": isic_archive, "uda": isic_archive, "dermofit": dermofit, "ph2": ph2, "mednode": mednode,
    "covidx-ct3": covidx, "covidx-ct3-box": covidx,
}


def fabricate(name: str, root: Path) -> dict[str, int]:
    """Write a tiny `name` in its official layout directly under `root`; the expected split sizes."""
    root.mkdir(parents=True, exist_ok=True)
    return FABRICATORS[name](name, root)
