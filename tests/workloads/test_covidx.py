"""COVIDx CT-3A: whole slices (GeMix) or box crops, and the patient each file name names."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workloads.data import FILE_DATASETS, load_dataset
from workloads.data.covidx import patient_of


def write_slice(root, name: str, label: int, box: str, split: str = "train") -> None:
    """A 20x24 grey slice: white inside columns 6..13 (the box), black elsewhere."""
    pixels = np.zeros((20, 24), np.uint8)
    pixels[:, 6:14] = 255
    (root / "3A_images").mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(root / "3A_images" / name)
    with open(root / f"{split}_COVIDx_CT-3A.txt", "a") as fh:
        fh.write(f"{name} {label} {box}\n")


def test_covidx_ct3_is_the_whole_slice_and_the_box_variant_crops(tmp_path):
    for split in ("train", "val", "test"):
        for label in range(3):
            write_slice(tmp_path, f"{split}_{label}.png", label, "6 0 14 20", split)
    whole = load_dataset("covidx-ct3", tmp_path).splits["train"].images
    boxed = load_dataset("covidx-ct3-box", tmp_path).splits["train"].images
    assert whole.shape == boxed.shape == (3, 128, 128, 1)
    assert boxed.min() == 255  # the box holds only the white band
    assert whole.min() == 0 and 0.2 < (whole > 127).mean() < 0.5  # the whole slice: 8 of 24 columns white
    assert FILE_DATASETS.get("covidx-ct3")(tmp_path).preprocess.crop == "none"
    assert FILE_DATASETS.get("covidx-ct3-box")(tmp_path).preprocess.crop == "box"


@pytest.mark.parametrize("name,patient", [
    ("NCP_96_1328_0032.png", "NCP_96"),
    ("CP_1092_3310_0136.png", "CP_1092"),
    ("Normal_1744_386_0001.png", "Normal_1744"),
    ("COVIDCTMD-cap026-IM0034.png", "COVIDCTMD-cap026"),
    ("COVIDCTMD-normal002-IM0009.png", "COVIDCTMD-normal002"),
    ("COVIDCTMD-P048-IM0085.png", "COVIDCTMD-P048"),
    ("137covid_patient10_SR_2_IM00012.png", "137covid_patient10"),
    ("cdnormal4_patient147_SR_2_IM00011.png", "cdnormal4_patient147"),
    ("LIDC-IDRI-0236-1.3.6.1.4.1.14519.5.2.1.6279.6001.10616497837-0039.png", "LIDC-IDRI-0236"),
    ("volume-covid19-A-0044_ct-0045.png", "volume-covid19-A-0044"),
    ("volume-covid19-A-0383_1_ct-0012.png", "volume-covid19-A-0383"),
    ("radiopaedia_36_86526_0-0001.png", "radiopaedia_36"),
    ("HUST-Patient12-0042.png", "HUST-Patient12"),
    ("STOIC-1234-0100.png", "STOIC-1234"),
    ("study_0306-0017.png", "study_0306"),
    ("coronacases_007-0078.png", "coronacases_007"),
    ("A002304-01-12-1901-NA-CT-CHEST-70694-2-0044.png", "A002304"),
    ("unknown-source-scan9-0012.png", "unknown-source-scan9"),  # no rule: the scan, less its slice number
])
def test_the_patient_comes_from_the_file_name(name, patient):
    assert patient_of(name) == patient
    assert patient_of("3A_images/" + name) == patient


def test_slices_of_one_patient_share_it_and_two_patients_differ():
    assert patient_of("NCP_96_1328_0032.png") == patient_of("NCP_96_1330_0101.png")  # two scans, one patient
    assert patient_of("NCP_96_1328_0032.png") != patient_of("CP_96_1328_0032.png")  # ids are per class in CNCB
    assert patient_of("volume-covid19-A-0383_1_ct-0012.png") == patient_of("volume-covid19-A-0383_ct-0001.png")


def test_the_index_carries_every_samples_patient(tmp_path):
    write_slice(tmp_path, "NCP_1_10_0001.png", 2, "6 0 14 20")
    write_slice(tmp_path, "NCP_1_10_0002.png", 2, "6 0 14 20")
    write_slice(tmp_path, "CP_7_3_0001.png", 1, "6 0 14 20", "val")
    write_slice(tmp_path, "Normal_2_5_0001.png", 0, "6 0 14 20", "test")
    index = FILE_DATASETS.get("covidx-ct3")(tmp_path)
    assert list(index.groups) == ["NCP_1", "NCP_1", "CP_7", "Normal_2"]
