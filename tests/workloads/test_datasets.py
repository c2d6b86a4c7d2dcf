"""Every registered dataset, read from a tiny fabricated copy in its official layout; broken files."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from search_spaces.datasets import get_dataset_spec
from tests.workloads.fabricate import FABRICATORS, fabricate
from workloads.data import DATASETS, FILE_DATASETS, SPLITS, DatasetError, MissingDataError, load_dataset
from workloads.data.cache import cache_path, load_prepared, prepare, split_file
from workloads.data.check import check_dataset

SIZE = 8  # image edge for the image-file datasets in these tests
NAMES = DATASETS.names()


def read(name: str, root: Path):
    loader = DATASETS.get(name)
    return loader(root, size=SIZE) if name in FILE_DATASETS else loader(root)


def test_every_registered_dataset_has_a_fabricator():
    assert set(FABRICATORS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_reads_fabricated_official_layout(name, tmp_path):
    expected = fabricate(name, tmp_path)
    data = read(name, tmp_path)
    spec = get_dataset_spec(name)
    assert data.name == name
    assert data.class_names == spec.class_names
    assert set(data.splits) == set(SPLITS)
    for split in SPLITS:
        images, labels = data.splits[split].images, data.splits[split].labels
        assert labels.dtype == np.int64 and labels.ndim == 1
        assert labels.min() >= 0 and labels.max() < spec.num_classes
        if expected:
            assert len(labels) == expected[split], split
        if spec.group == "synthetic":
            assert images.dtype == np.float32 and images.shape[1] == spec.channels
        else:
            assert images.dtype == np.uint8 and images.ndim == 4 and images.shape[-1] == spec.channels
            edge = SIZE if name in FILE_DATASETS else spec.image_size
            assert images.shape[1:3] == (edge, edge)
    if name in FILE_DATASETS and expected:
        # Every class is represented in training (labels came from the files, not from order).
        assert set(np.unique(data.splits["train"].labels)) == set(range(spec.num_classes))


def test_pixels_follow_the_file_layout(tmp_path):
    """CIFAR rows are CHW and STL-10 is column-major: a known pixel lands where it should."""
    import pickle

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    data = np.zeros((10, 3, 32, 32), np.uint8)
    data[:, 0, 1, 2] = 200  # red channel, row 1, column 2
    for fname in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / fname, "wb") as handle:
            pickle.dump({b"data": data.reshape(10, -1), b"labels": list(range(10))}, handle)
    cifar = load_dataset("cifar10", tmp_path)
    assert cifar.splits["train"].images[0, 1, 2, 0] == 200 and cifar.splits["train"].images[0, 2, 1, 0] == 0
    stl = tmp_path / "stl10_binary"
    stl.mkdir()
    raw = np.zeros((10, 3, 96, 96), np.uint8)
    raw[:, 1, 5, 7] = 99  # green, x (column) 5, y (row) 7
    for split in ("train", "test"):
        raw.tofile(stl / f"{split}_X.bin")
        np.arange(1, 11, dtype=np.uint8).tofile(stl / f"{split}_y.bin")
    images = load_dataset("stl10", tmp_path).splits["train"].images
    assert images[0, 7, 5, 1] == 99 and images[0, 5, 7, 1] == 0


@pytest.mark.parametrize("name", ["cifar10", "isic2017", "pathmnist", "imagenette", "derm7pt-clinical"])
def test_found_under_root_slash_name(name, tmp_path):
    expected = fabricate(name, tmp_path / name)
    data = read(name, tmp_path)
    assert len(data.splits["train"]) == expected["train"]


def test_missing_root_and_missing_dataset_name_the_exact_path(tmp_path):
    with pytest.raises(MissingDataError, match="no data root"):
        load_dataset("cifar10", None)
    with pytest.raises(MissingDataError, match="does not exist"):
        load_dataset("cifar10", tmp_path / "nowhere")
    with pytest.raises(MissingDataError) as err:
        load_dataset("isic2017", tmp_path)
    assert str(tmp_path / "ISIC-2017_Training_Data") in str(err.value)


def test_superpixels_are_skipped_and_labels_come_from_the_csv(tmp_path):
    fabricate("isic2017", tmp_path)
    index = FILE_DATASETS.get("isic2017")(tmp_path)
    assert not any("superpixels" in p.name for p in index.paths)
    assert list(index.labels[:6]) == [0, 0, 1, 1, 2, 2]


def test_skin_center_crop_and_covidx_box_crop(tmp_path):
    from PIL import Image

    from workloads.data.images import Preprocess, decode

    img = np.zeros((10, 20, 3), np.uint8)
    img[:, 6:14] = 255  # the 0.8 * 10 = 8-pixel center square is all white
    Image.fromarray(img).save(tmp_path / "a.png")
    out = decode(tmp_path / "a.png", Preprocess(size=4, crop="center"))
    assert out.shape == (4, 4, 3) and out.min() == 255
    grey = decode(tmp_path / "a.png", Preprocess(size=5, crop="box", grey=True), np.array([6, 0, 14, 10]))
    assert grey.shape == (5, 5, 1) and grey.min() == 255
    with pytest.raises(DatasetError, match="outside"):
        decode(tmp_path / "a.png", Preprocess(size=5, crop="box"), np.array([0, 0, 30, 5]))


# ---------------------------------------------------------------- prepared cache


@pytest.mark.parametrize("name", sorted(FILE_DATASETS) + ["cifar10", "pathmnist"])
def test_prepare_then_load_prepared_matches_in_memory(name, tmp_path):
    fabricate(name, tmp_path / "data")
    cache = tmp_path / "cache"
    size = SIZE if name in FILE_DATASETS else None
    folder = prepare(name, tmp_path / "data", cache, size=size, progress=False)
    assert folder == cache_path(name, cache, size) and (folder / "meta.json").exists()
    prepared = load_prepared(name, None, cache, size=size)  # no root needed once prepared
    direct = read(name, tmp_path / "data")
    assert prepared.class_names == direct.class_names
    for split in SPLITS:
        assert isinstance(prepared.splits[split].images, np.memmap)
        np.testing.assert_array_equal(prepared.splits[split].images, direct.splits[split].images)
        np.testing.assert_array_equal(prepared.splits[split].labels, direct.splits[split].labels)
    # A split file records every split that is not wholly official: stratified sets and carved vals.
    splits = FILE_DATASETS.get(name)(tmp_path / "data").splits if name in FILE_DATASETS else None
    official = "val" in splits if splits is not None else name == "pathmnist"
    assert split_file(name, cache).exists() == (not official)


def test_cache_is_keyed_by_preprocessing_and_reused(tmp_path):
    fabricate("mednode", tmp_path / "data")
    cache = tmp_path / "cache"
    small = prepare("mednode", tmp_path / "data", cache, size=6, progress=False)
    large = prepare("mednode", tmp_path / "data", cache, size=10, progress=False)
    assert small != large
    stamp = (small / "train_images.npy").stat().st_mtime_ns
    shutil.rmtree(tmp_path / "data")  # prepared: the source is no longer read
    assert prepare("mednode", tmp_path / "data", cache, size=6, progress=False) == small
    assert (small / "train_images.npy").stat().st_mtime_ns == stamp
    assert load_prepared("mednode", None, cache, size=10).splits["train"].images.shape[1:] == (10, 10, 3)


def test_saved_split_is_reused_by_later_runs(tmp_path):
    fabricate("mednode", tmp_path / "data")
    cache = tmp_path / "cache"
    prepare("mednode", tmp_path / "data", cache, size=6, progress=False)
    record = json.loads(split_file("mednode", cache).read_text())
    moved = record["splits"]["train"].pop()  # a later run must follow the file, not re-split
    record["splits"]["test"].append(moved)
    split_file("mednode", cache).write_text(json.dumps(record))
    data = load_prepared("mednode", tmp_path / "data", cache, size=7)
    sizes = {s: len(record["splits"][s]) for s in SPLITS}
    assert {s: len(data.splits[s]) for s in SPLITS} == sizes
    record["splits"]["test"].append("naevus/ghost.jpg")
    split_file("mednode", cache).write_text(json.dumps(record))
    with pytest.raises(DatasetError, match="ghost.jpg"):
        prepare("mednode", tmp_path / "data", cache, size=9, progress=False)


def test_check_reports_counts_and_unreadable_images(tmp_path):
    fabricate("isic2016", tmp_path)  # 6 train images (val carved from them) and 4 test images
    assert check_dataset("isic2016", tmp_path).startswith("4/2/4 train/val/test samples, 2 classes")
    bad = next((tmp_path / "ISBI2016_ISIC_Part3_Test_Data").glob("*.jpg"))
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match=f"{bad.name}: unreadable image"):
        check_dataset("isic2016", tmp_path)


# ---------------------------------------------------------------- broken files, one reader each


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def break_cifar(root):
    path = root / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:100])
    return path, "truncated or corrupt pickle"


def break_mnist_magic(root):
    path = root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + path.read_bytes()[4:])
    return path, "IDX magic"


def break_mnist_gzip(root):
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    return path, "truncated"


def break_mnist_count(root):
    path = root / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    blob = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(blob[:-3]))
    return path, "data bytes"


def break_stl10(root):
    path = root / "stl10_binary" / "train_X.bin"
    path.write_bytes(path.read_bytes()[:-5])
    return path, "whole number"


def break_stl10_label(root):
    path = root / "stl10_binary" / "test_y.bin"
    path.write_bytes(bytes([11]) + path.read_bytes()[1:])
    return path, "outside the class range"


def break_npz_truncated(root):
    path = root / "pathmnist.npz"
    path.write_bytes(path.read_bytes()[:200])
    return path, "truncated or corrupt npz"


def break_npz_label(root):
    path = root / "pathmnist.npz"
    arrays = dict(np.load(path))
    arrays["val_labels"][0] = 9
    np.savez(path, **arrays)
    return path, "label 9 outside"


def break_npz_shape(root):
    path = root / "pathmnist.npz"
    arrays = dict(np.load(path))
    arrays["test_images"] = arrays["test_images"][..., 0]
    np.savez(path, **arrays)
    return path, "test_images has shape"


def break_npz_empty_class(root):
    path = root / "pathmnist.npz"
    arrays = dict(np.load(path))
    arrays["train_labels"][arrays["train_labels"] == 4] = 3
    np.savez(path, **arrays)
    return path, "empty class"


def break_imagenette_folder(root):
    path = root / "imagenette2-160" / "val" / "n03028079"
    shutil.rmtree(path)
    return path, "missing class folder"


def break_imagenette_image(root):
    path = root / "imagenette2-160" / "train" / "n01440764" / "n01440764_0.JPEG"
    path.write_bytes(b"\xff\xd8 truncated")
    return path, "unreadable image"


def break_isic2016_csv(root):
    path = root / "ISBI2016_ISIC_Part3_Test_GroundTruth.csv"
    path.unlink()
    return path, "missing CSV file"


def break_isic2017_both(root):
    path = root / "ISIC-2017_Validation_Part3_GroundTruth.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 2)[0] + ",1.0,1.0"
    path.write_text("\n".join(lines) + "\n")
    return path, "both melanoma and seborrheic keratosis"


def break_isic2017_image(root):
    path = root / "ISIC-2017_Test_v2_Data" / "ISIC_Test_v210.jpg"
    path.unlink()
    return path, "missing image file"


def break_isic2018_onehot(root):
    path = root / "ISIC2018_Task3_Validation_GroundTruth" / "ISIC2018_Task3_Validation_GroundTruth.csv"  # the test split
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("0.0", "1.0", 1)
    path.write_text("\n".join(lines) + "\n")
    return path, "not one-hot"


def break_derm7pt_diagnosis(root):
    path = root / "release_v0" / "meta" / "meta.csv"
    path.write_text(path.read_text().replace("clark nevus", "nevus-like thing", 1))
    return path, "diagnosis 'nevus-like thing' is not one of derm7pt's 20"


def break_msk_column(root):
    path = root / "MSK-3" / "metadata.csv"
    path.write_text("isic_id,copyright_license\nISIC_x,CC-BY\n")
    return path, "no column 'diagnosis'"


def break_dermofit_empty(root):
    path = root / "scc"
    shutil.rmtree(path)
    path.mkdir()
    return path, "empty class"


def break_ph2_value(root):
    path = root / "PH2Dataset" / "PH2_dataset.txt"
    path.write_text(path.read_text().replace("||        2        ||", "||        7        ||", 1))
    return path, "clinical diagnosis '7'"


def break_mednode_folder(root):
    path = root / "complete_mednode_dataset" / "melanoma"
    shutil.rmtree(path)
    return path, "missing class folder"


def break_covidx_label(root):
    path = root / "val_COVIDx_CT-3A.txt"
    path.write_text(path.read_text().replace(" 2 2 3 20 18", " 5 2 3 20 18"))
    return path, "label 5 outside"


def break_covidx_box(root):
    path = root / "test_COVIDx_CT-3A.txt"
    path.write_text(path.read_text().replace(" 2 3 20 18", " 2 3 90 18", 1))
    return root / "3A_images" / "test_0_0.png", "outside the 24x20 image"


BREAKERS = [
    ("cifar10", break_cifar), ("mnist", break_mnist_magic), ("mnist", break_mnist_gzip), ("mnist", break_mnist_count),
    ("stl10", break_stl10), ("stl10", break_stl10_label), ("pathmnist", break_npz_truncated),
    ("pathmnist", break_npz_label), ("pathmnist", break_npz_shape), ("pathmnist", break_npz_empty_class),
    ("imagenette", break_imagenette_folder), ("imagenette", break_imagenette_image),
    ("isic2016", break_isic2016_csv), ("isic2017", break_isic2017_both), ("isic2017", break_isic2017_image),
    ("isic2018", break_isic2018_onehot), ("derm7pt-dermoscopic", break_derm7pt_diagnosis), ("msk", break_msk_column),
    ("dermofit", break_dermofit_empty), ("ph2", break_ph2_value), ("mednode", break_mednode_folder),
    ("covidx-ct3", break_covidx_label), ("covidx-ct3-box", break_covidx_box),
]


@pytest.mark.parametrize("name,breaker", BREAKERS, ids=[b.__name__ for _, b in BREAKERS])
def test_broken_file_names_the_file_and_the_problem(name, breaker, tmp_path):
    fabricate(name, tmp_path)
    path, problem = breaker(tmp_path)
    with pytest.raises(DatasetError) as err:
        read(name, tmp_path)
    message = one_line(err)
    assert str(path) in message and problem in message, message


def test_every_reader_module_has_a_broken_file_test():
    modules = {DATASETS.get(name).__module__ if name not in FILE_DATASETS else FILE_DATASETS.get(name).__module__
               for name, _ in BREAKERS}
    readers = {FILE_DATASETS.get(n).__module__ if n in FILE_DATASETS else DATASETS.get(n).__module__ for n in NAMES}
    assert readers - modules <= {"workloads.data.digits", "workloads.data.synthetic", "workloads.data.ct_toy"}
