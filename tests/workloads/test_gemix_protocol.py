"""GeMix's data protocol: disjoint, class-balanced, patient-disjoint subsets, deterministic, written and reused."""
from __future__ import annotations

import numpy as np
import pytest

from workloads.data import FILE_DATASETS, load_dataset
from workloads.data.catalog import Catalog, array_catalog, catalog_of, file_catalog
from workloads.data.types import DatasetError, Split
from workloads.gemix.protocol import PARTS, load_view, protocol_parts, protocol_split, protocol_views, read_split
from workloads.split_keys import ProtocolSizes, SplitKeys

SIZES = ProtocolSizes(gan_per_class=30, classifier_per_class=25, val_fraction=0.2, test_per_class=10, seed=3)


def patients_catalog(seed: int = 0) -> Catalog:
    """3 classes; 120 patients of 1..9 slices each (one class per patient, a few with a second class's
    slices too); official train 100 patients, test 20. Pixels: each image's position, so `take` is checkable."""
    rng = np.random.default_rng(seed)
    labels, groups, split = [], [], []
    for p in range(120):
        k = p % 3
        n = int(rng.integers(1, 10))
        labels += [k] * n + ([(k + 1) % 3] if p % 17 == 0 else [])
        groups += [f"patient{p}"] * (n + (1 if p % 17 == 0 else 0))
        split += ["train" if p < 100 else "test"] * (n + (1 if p % 17 == 0 else 0))
    labels, groups, split = np.asarray(labels), np.asarray(groups), np.asarray(split)
    order = np.argsort(split == "test", kind="stable")  # train first, then test, as catalogs are laid out
    labels, groups, split = labels[order], groups[order], split[order]
    official = {s: np.flatnonzero(split == s) for s in ("train", "test")}
    ids = np.asarray([f"{g}-{i:04d}.png" for i, g in enumerate(groups)])

    def take(positions):
        return Split(np.asarray(positions, dtype=np.uint8).reshape(-1, 1, 1, 1), labels[positions])

    return Catalog("fake-ct", ("normal", "pneumonia", "COVID-19"), ids, labels.astype(np.int64), official, groups, take)


def test_parts_are_disjoint_balanced_and_from_their_official_splits():
    catalog = patients_catalog()
    parts = protocol_split(catalog, SIZES)
    assert set(parts) == set(PARTS)
    for i, a in enumerate(PARTS):
        for b in PARTS[i + 1:]:
            assert not set(parts[a]) & set(parts[b]), (a, b)
    per_class = {"gan": 30, "train": 20, "val": 5, "test": 10}
    for part, n in per_class.items():
        assert np.bincount(catalog.labels[parts[part]], minlength=3).tolist() == [n] * 3, part
    train, test = set(catalog.official["train"]), set(catalog.official["test"])
    assert all(set(parts[p]) <= train for p in ("gan", "train", "val")) and set(parts["test"]) <= test


def test_the_gan_and_the_classifier_share_no_patient():
    for seed in range(5):
        catalog = patients_catalog(seed)
        parts = protocol_split(catalog, ProtocolSizes(30, 25, 0.2, 10, seed))
        gan = set(catalog.groups[parts["gan"]])
        classifier = set(catalog.groups[np.concatenate([parts["train"], parts["val"]])])
        assert gan and classifier and not gan & classifier
        assert len(gan) > 10 and len(classifier) > 10  # both sides spread over many patients


def test_the_same_seed_draws_the_same_split_and_another_seed_another():
    catalog = patients_catalog()
    first, again = protocol_split(catalog, SIZES), protocol_split(catalog, SIZES)
    assert all(np.array_equal(first[p], again[p]) for p in PARTS)
    other = protocol_split(catalog, ProtocolSizes(30, 25, 0.2, 10, seed=4))
    assert not np.array_equal(first["gan"], other["gan"])
    # Each part has its own stream: a bigger test set leaves the GAN's and the classifier's draws alone.
    bigger_test = protocol_split(catalog, ProtocolSizes(30, 25, 0.2, 12, seed=3))
    assert all(np.array_equal(first[p], bigger_test[p]) for p in ("gan", "train", "val"))


def test_a_short_class_names_the_size_key():
    with pytest.raises(ValueError, match=r"class 'normal' has \d+ images for the classifier's subset .*"
                                         r"fewer than split_classifier_per_class=200; lower it"):
        protocol_split(patients_catalog(), ProtocolSizes(5, 200, 0.2, 10, 0))
    with pytest.raises(ValueError, match="fewer than split_test_per_class=500"):
        protocol_split(patients_catalog(), ProtocolSizes(30, 25, 0.2, 500, 0))


def test_the_split_is_written_as_id_lists_and_reused(tmp_path):
    catalog = patients_catalog()
    directory = tmp_path / "splits"
    parts = protocol_parts(catalog, SIZES, directory)
    assert sorted(p.name for p in directory.iterdir()) == ["gan.txt", "split.json", "test.txt", "train.txt", "val.txt"]
    lines = (directory / "gan.txt").read_text().splitlines()
    assert lines == catalog.ids[parts["gan"]].tolist() and len(lines) == 90
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}
    # A resumed run reads the files back: the same positions, nothing rewritten.
    again = protocol_parts(catalog, SIZES, directory)
    assert all(np.array_equal(parts[p], again[p]) for p in PARTS)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()} == before
    # The files are the truth: an edited list is what a later run gets.
    (directory / "test.txt").write_text("".join(f"{i}\n" for i in catalog.ids[parts["test"][:3]]))
    assert len(read_split(directory, catalog, SIZES)["test"]) == 3


def test_a_split_of_other_sizes_or_data_is_refused_and_an_interrupted_one_drawn_again(tmp_path):
    catalog = patients_catalog()
    directory = tmp_path / "splits"
    protocol_parts(catalog, SIZES, directory)
    with pytest.raises(ValueError, match="holds the split of 'fake-ct' with .*start a new run"):
        protocol_parts(catalog, ProtocolSizes(30, 25, 0.2, 9, 3), directory)
    (directory / "val.txt").write_text("not-a-file.png\n")
    with pytest.raises(DatasetError, match="val.txt: lists 'not-a-file.png', which is not in dataset 'fake-ct'"):
        protocol_parts(catalog, SIZES, directory)
    (directory / "split.json").unlink()  # an interrupted write: drawn (and written) again
    parts = protocol_parts(catalog, SIZES, directory)
    assert (directory / "val.txt").read_text().splitlines() == catalog.ids[parts["val"]].tolist()


def test_views_hold_only_the_chosen_images():
    catalog = patients_catalog()
    parts = protocol_split(catalog, SIZES)
    views = protocol_views(catalog, parts)
    assert set(views["gan"].splits) == {"train"} and set(views["classifier"].splits) == {"train", "val", "test"}
    assert views["gan"].splits["train"].images.ravel().tolist() == (parts["gan"] % 256).tolist()
    assert np.array_equal(views["classifier"].splits["val"].labels, catalog.labels[parts["val"]])


def test_ct_toy_follows_the_protocol_too():
    """The --smoke stand-in: an array dataset; ids name its official split and row."""
    ct_toy = load_dataset("ct-toy")
    catalog = array_catalog(ct_toy)
    assert catalog.ids[0] == "train/00000" and catalog.groups is None
    sizes = ProtocolSizes(40, 40, 0.2, 20, 0)
    parts = protocol_split(catalog, sizes)
    views = protocol_views(catalog, parts)
    counts = {s: np.bincount(v.labels).tolist() for s, v in views["classifier"].splits.items()}
    assert counts == {"train": [32] * 3, "val": [8] * 3, "test": [20] * 3}
    gan = views["gan"].splits["train"]
    assert np.bincount(gan.labels).tolist() == [40] * 3 and gan.images.shape[1:] == (32, 32, 1)
    test_row = int(parts["test"][0] - catalog.official["test"][0])
    assert np.array_equal(views["classifier"].splits["test"].images[0], ct_toy.splits["test"].images[test_row])
    standalone = load_view("ct-toy", None, {"split": "gemix", **{f"split_{k}": v for k, v in
                                            {"gan_per_class": 40, "classifier_per_class": 40, "val_fraction": 0.2,
                                             "test_per_class": 20, "seed": 0}.items()}}, "classifier")
    assert np.array_equal(standalone.splits["train"].images, views["classifier"].splits["train"].images)


def fabricate_covidx(root):
    """COVIDx CT-3A's layout: per class 4 train patients (CNCB names) of 1 slice, 1 val and 1 test patient."""
    from PIL import Image

    (root / "3A_images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, patients in (("train", range(4)), ("val", range(10, 11)), ("test", range(20, 21))):
        lines = []
        for label, cls in enumerate(("Normal", "CP", "NCP")):
            for p in patients:
                name = f"{cls}_{p}_{p + 100}_0001.png"
                Image.fromarray(rng.integers(0, 256, (12, 10), dtype=np.uint8)).save(root / "3A_images" / name)
                lines.append(f"{name} {label} 0 0 10 12")
        (root / f"{split}_COVIDx_CT-3A.txt").write_text("\n".join(lines) + "\n")


def test_a_file_dataset_decodes_only_the_chosen_files_once(tmp_path, monkeypatch):
    from workloads.data import images

    fabricate_covidx(tmp_path / "data")
    decoded = []
    real_decode = images.decode
    monkeypatch.setattr(images, "decode", lambda path, *a: decoded.append(path.name) or real_decode(path, *a))
    catalog = catalog_of("covidx-ct3", tmp_path / "data", cache_dir=tmp_path / "cache", size=8)
    assert catalog.groups[:4].tolist() == ["Normal_0", "Normal_1", "Normal_2", "Normal_3"]
    parts = protocol_split(catalog, ProtocolSizes(1, 2, 0.5, 1, 0))
    views = protocol_views(catalog, parts)
    assert len(decoded) == 3 * (1 + 2 + 1)  # gan, classifier (train + val) and test per class; no val file
    assert not any(name.split("_")[1] == "10" for name in decoded)
    assert views["classifier"].splits["test"].images.shape == (3, 8, 8, 1)
    again = protocol_views(catalog_of("covidx-ct3", tmp_path / "data", cache_dir=tmp_path / "cache", size=8), parts)
    assert len(decoded) == 12  # the cache answered
    assert np.array_equal(again["gan"].splits["train"].images, views["gan"].splits["train"].images)
    uncached = protocol_views(file_catalog(FILE_DATASETS.get("covidx-ct3")(tmp_path / "data").resized(8)), parts)
    assert np.array_equal(uncached["gan"].splits["train"].images, views["gan"].splits["train"].images)


@pytest.mark.parametrize("override,message", [
    ({"split": "paper"}, "unknown split 'paper'; valid choices: official, gemix"),
    ({"split_gan_per_class": 0}, "split_gan_per_class must be an integer >= 1"),
    ({"split_val_fraction": 1.0}, r"split_val_fraction must be a number in \(0.0, 1.0\)"),
    ({"split": "gemix", "split_classifier_per_class": 2, "split_val_fraction": 0.1},
     "split_val_fraction=0.1 leaves no val or no train image"),
])
def test_split_keys_are_validated(override, message):
    cfg = {**SplitKeys.defaults(), **override}
    with pytest.raises(ValueError, match=message):
        SplitKeys.check_split(cfg)
