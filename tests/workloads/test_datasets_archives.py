"""Readers against the real archives' quirks, each on files fabricated in that archive's layout:
lower-case Dermofit, flat MNIST .gz, MED-NODE unzipped twice, CIFAR re-pickled under Python 3 (and a
malicious pickle), MedMNIST releases by their counts, the ISIC Archive's hierarchical diagnoses."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from tests.workloads.fabricate import cifar, dermofit, idx, isic_archive, mednode, save_image, write_csv
from workloads.data import FILE_DATASETS, DatasetError, MissingDataError, load_dataset
from workloads.data.check import check_dataset


# ---------------------------------------------------------------- folder layouts


@pytest.mark.parametrize("upper", [False, True], ids=["release-lower-case", "upper-case"])
def test_dermofit_class_folders_in_any_case_and_masks_are_not_images(upper, tmp_path):
    expected = dermofit("dermofit", tmp_path, upper=upper)
    index = FILE_DATASETS.get("dermofit")(tmp_path)
    assert len(index.paths) == sum(expected.values()) == 26
    assert not any(p.stem.endswith("mask") for p in index.paths)
    assert {p.parts[-3].lower() for p in index.paths} == {"ak", "bcc", "df", "iec", "mel", "ml", "pyo", "scc", "sk", "vasc"}
    assert index.labels[[p.parts[-3].lower() == "ml" for p in index.paths]].tolist() == [1] * 5  # ML is nevus


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_mnist_official_gz_files_flat_in_root_slash_name(name, tmp_path):
    expected = idx(name, tmp_path / name, flat=True)
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(
        f"{s}.gz" for s in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
    data = load_dataset(name, tmp_path)
    assert {s: len(data.splits[s]) for s in expected} == expected


def test_flat_mnist_directly_under_root_is_not_taken_for_either_set(tmp_path):
    idx("mnist", tmp_path, flat=True)  # MNIST and Fashion-MNIST files share their names
    with pytest.raises(MissingDataError, match=f"or the four official .gz files flat in {tmp_path / 'mnist'}"):
        load_dataset("mnist", tmp_path)


def test_mednode_unzipped_twice_is_found(tmp_path):
    expected = mednode("mednode", tmp_path, twice=True)
    index = FILE_DATASETS.get("mednode")(tmp_path)
    assert index.base == tmp_path / "complete_mednode_dataset" / "complete_mednode_dataset"
    assert {s: len(v) for s, v in index.split_indices().items()} == expected


# ---------------------------------------------------------------- CIFAR pickles


def test_cifar_batches_with_str_keys_read_as_the_bytes_ones(tmp_path):
    cifar("cifar10", tmp_path / "bytes")
    cifar("cifar10", tmp_path / "text", text_keys=True)
    cifar("cifar100", tmp_path / "text100", text_keys=True)
    python2, python3 = load_dataset("cifar10", tmp_path / "bytes"), load_dataset("cifar10", tmp_path / "text")
    for split in python2.splits:
        np.testing.assert_array_equal(python2.splits[split].images, python3.splits[split].images)
        np.testing.assert_array_equal(python2.splits[split].labels, python3.splits[split].labels)
    assert load_dataset("cifar100", tmp_path / "text100").class_names[:3] == ("apple", "aquarium_fish", "baby")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batch_of_any_protocol_with_numpy_labels(protocol, tmp_path):
    cifar("cifar10", tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    data = np.full((20, 3072), 7, np.uint8)
    with open(path, "wb") as handle:  # labels as numpy integers, as list(array) gives them
        pickle.dump({"data": data, "labels": list(np.arange(20) % 10)}, handle, protocol=protocol)
    official = load_dataset("cifar10", tmp_path)
    assert (official.splits["train"].images == 7).any()


class RunsCode:
    """A pickle that runs `command` in the shell when loaded by the plain pickle machinery."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class Evaluates:
    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self):
        return (eval, (self.source,))


@pytest.mark.parametrize("payload", ["os.system", "builtins.eval"])
def test_malicious_cifar_pickle_is_refused_and_runs_nothing(payload, tmp_path):
    cifar("cifar10", tmp_path)
    witness = tmp_path / "witness"
    if payload == "os.system":
        evil = {b"data": RunsCode(f"touch {witness}"), b"labels": [0]}
    else:
        evil = {b"data": Evaluates(f"open({str(witness)!r}, 'w').write('ran')"), b"labels": [0]}
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(DatasetError) as err:
        load_dataset("cifar10", tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}: not a plain data pickle: the unpickler refuses global ") and "\n" not in message
    assert (".system" if payload == "os.system" else ".eval") in message  # __builtin__.eval at protocol 2
    assert not witness.exists()


def test_codecs_encode_is_admitted_only_for_latin1(tmp_path):
    import codecs

    from workloads.data.safe_pickle import load_data_pickle

    class Rot13:
        def __reduce__(self):
            return (codecs.encode, ("abc", "rot13"))

    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({"data": Rot13()}, protocol=2))
    with pytest.raises(DatasetError, match="codec 'rot13'"):
        load_data_pickle(path)


# ---------------------------------------------------------------- MedMNIST releases


def write_npz(path, counts, classes=11, channels=1):
    arrays = {}
    for split, n in zip(("train", "val", "test"), counts):
        shape = (n, 28, 28) if channels == 1 else (n, 28, 28, 3)
        arrays[f"{split}_images"] = np.zeros(shape, np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % classes).astype(np.uint8)[:, None]
    np.savez(path, **arrays)


def test_medmnist_plus_organ_file_is_refused_naming_its_release(tmp_path):
    write_npz(tmp_path / "organsmnist.npz", (13932, 2452, 8827))  # MedMNIST+'s OrganSMNIST
    with pytest.raises(DatasetError) as err:
        load_dataset("organsmnist", tmp_path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 'organsmnist.npz'}: a MedMNIST+ (medmnist >= 2.2.4")
    assert "(25,211 samples, 13,932/2,452/8,827 train/val/test)" in message
    assert "MedMNIST v2 file the paper used (25,221 samples, 13,940/2,452/8,829 train/val/test)" in message


def test_medmnist_counts_other_than_v2_are_noted_and_v2_counts_are_not(tmp_path):
    write_npz(tmp_path / "breastmnist.npz", (546, 78, 156), classes=2)  # BreastMNIST v2
    assert load_dataset("breastmnist", tmp_path).notes == ()
    write_npz(tmp_path / "breastmnist.npz", (500, 78, 156), classes=2)
    (note,) = load_dataset("breastmnist", tmp_path).notes
    assert note == ("breastmnist.npz: 734 samples, 500/78/156 train/val/test, not MedMNIST v2's 780 samples, "
                    "546/78/156 train/val/test (a subset, or not the release the paper used)")
    assert check_dataset("breastmnist", tmp_path).splitlines()[1] == f"  {note}"


# ---------------------------------------------------------------- ISIC Archive diagnoses (MSK, UDA)


def test_msk_classes_from_the_diagnosis_hierarchy_by_explicit_names(tmp_path):
    isic_archive("msk", tmp_path)
    head = ["isic_id", "copyright_license"] + [f"diagnosis_{i}" for i in range(1, 6)]
    rows = [
        ["ISIC_epi", "CC-0", "Benign", "Benign epidermal proliferations", "Epidermal nevus", "", ""],
        ["ISIC_seb", "CC-0", "Benign", "Benign adnexal epithelial proliferations - Sebaceous", "Nevus sebaceus", "", ""],
        ["ISIC_mel", "CC-0", "Malignant", "Malignant melanocytic proliferations (Melanoma)", "", "", ""],
        ["ISIC_blue", "CC-0", "Benign", "Benign melanocytic proliferations", "Nevus", "Blue nevus", ""],
        ["ISIC_lvl2", "CC-0", "Benign", "Benign melanocytic proliferations", "", "", ""],
        ["ISIC_lvl1", "CC-0", "Indeterminate", "", "", "", ""],
        ["ISIC_new", "CC-0", "Benign", "A category of a future taxonomy", "Something new", "", ""],
    ]
    for image_id in ("ISIC_epi", "ISIC_seb", "ISIC_mel", "ISIC_blue"):
        save_image(tmp_path / "MSK-2" / f"{image_id}.jpg", 0, np.random.default_rng(0))
    write_csv(tmp_path / "MSK-2" / "metadata.csv", rows, head)
    index = FILE_DATASETS.get("msk")(tmp_path)
    label = {p.stem: index.class_names[y] for p, y in zip(index.paths, index.labels)}
    assert (label["ISIC_epi"], label["ISIC_seb"], label["ISIC_mel"], label["ISIC_blue"]) == (
        "others", "others", "melanoma", "nevus")
    assert not {"ISIC_lvl2", "ISIC_lvl1", "ISIC_new"} & set(label)
    summary = check_dataset("msk", tmp_path).splitlines()
    assert summary[1:] == [
        "  dropped 4 images without any diagnosis (e.g. ISIC_unlabelled; ISIC_unlabelled; ISIC_unlabelled; ...)",
        "  dropped 2 images labelled only at diagnosis levels 1-2 (e.g. ISIC_lvl2: 'Benign', "
        "'Benign melanocytic proliferations'; ISIC_lvl1: 'Indeterminate')",
        "  dropped 1 image with a diagnosis outside the known names "
        "(e.g. ISIC_new: 'Benign', 'A category of a future taxonomy', 'Something new')",
    ]


def test_uda_flat_diagnosis_column_by_explicit_names(tmp_path):
    isic_archive("uda", tmp_path)
    rows = [["ISIC_a", "CC-0", "Melanoma"], ["ISIC_b", "CC-0", "nevus spilus"], ["ISIC_c", "CC-0", "benign-ish nevus"]]
    for image_id, _, _ in rows[:2]:
        save_image(tmp_path / "UDA-2" / f"{image_id}.jpg", 0, np.random.default_rng(0))
    write_csv(tmp_path / "UDA-2" / "metadata.csv", rows, ["isic_id", "copyright_license", "diagnosis"])
    index = FILE_DATASETS.get("uda")(tmp_path)
    label = {p.stem: index.class_names[y] for p, y in zip(index.paths, index.labels)}
    assert (label["ISIC_a"], label["ISIC_b"]) == ("melanoma", "nevus") and "ISIC_c" not in label
    assert "dropped 1 image with a diagnosis outside the known names (e.g. ISIC_c: 'benign-ish nevus')" in index.notes


def test_export_with_only_diagnosis_3_names_its_classes_explicitly(tmp_path):
    isic_archive("uda", tmp_path)
    rows = [["ISIC_a", "Melanoma in situ"], ["ISIC_b", "Nevus"], ["ISIC_c", "Solar lentigo"]]
    for image_id, _ in rows[:2]:
        save_image(tmp_path / "UDA-1" / f"{image_id}.jpg", 0, np.random.default_rng(0))
    write_csv(tmp_path / "UDA-1" / "metadata.csv", rows, ["isic_id", "diagnosis_3"])
    index = FILE_DATASETS.get("uda")(tmp_path)
    label = {p.stem: index.class_names[y] for p, y in zip(index.paths, index.labels)}
    assert label == {"ISIC_a": "melanoma", "ISIC_b": "nevus"}  # "others" needs the level-2 category
    assert "dropped 1 image with a diagnosis outside the known names (e.g. ISIC_c: 'Solar lentigo')" in index.notes
