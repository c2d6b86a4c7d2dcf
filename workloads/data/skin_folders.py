"""Skin-lesion sets without official splits: MSK, UDA, DermoFit, PH2, MED-NODE.

All are split stratified 70/10/20 (seed 0; the split is saved beside the cache) and use the skin
crop (center 0.8 * min side, 256 x 256). Layouts, each under ROOT or ROOT/<name>:

msk, uda (ISIC Archive collection exports: images plus the archive's metadata.csv per collection):
    MSK-1/ ... MSK-5/   each: ISIC_*.jpg and metadata.csv with columns isic_id, diagnosis
    UDA-1/, UDA-2/      the same
    (a newer export's `diagnosis_3` column is used when there is no `diagnosis`; images with an
    empty diagnosis are unlabelled and skipped). Classes: the 5-class grouping, those present.
dermofit (the Dermofit Image Library's ten class archives, extracted):
    AK/ BCC/ DF/ IEC/ MEL/ ML/ PYO/ SCC/ SK/ VASC/   each: <id>/<id>.png (+ <id>mask.png, skipped)
    Classes: BCC, ML (nevus), MEL, SK, and the other six as others.
ph2 (PH2Dataset as distributed):
    PH2Dataset/PH2_dataset.txt   `||`-separated table with columns Name and Clinical Diagnosis
                                 (0 common nevus, 1 atypical nevus, 2 melanoma)
    PH2Dataset/PH2 Dataset images/IMD003/IMD003_Dermoscopic_Image/IMD003.bmp
    Classes: nevus (common and atypical), melanoma.
mednode (complete_mednode_dataset.zip):
    complete_mednode_dataset/melanoma/*.jpg   complete_mednode_dataset/naevus/*.jpg
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import column, locate, read_csv_rows, require
from workloads.data.skin import skin_preprocess, SKIN5, group_diagnosis, image_path, present_classes, skin_index
from workloads.data.types import DatasetError, MissingDataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
DERMOFIT = {"AK": "others", "BCC": "basal cell carcinoma", "DF": "others", "IEC": "others",
            "MEL": "melanoma", "ML": "nevus", "PYO": "others", "SCC": "others",
            "SK": "seborrheic keratosis", "VASC": "others"}
TWO_CLASS = ("nevus", "melanoma")


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def index_isic_archive(name: str, root: Optional[Path], collections: tuple[str, ...]) -> FileIndex:
    base = locate(root, name, [f"{collections[0]}/metadata.csv"]).parent.parent
    paths, groups = [], []
    for collection in collections:
        csv_path = require(base / collection / "metadata.csv", "ISIC Archive metadata file")
        head, rows = read_csv_rows(csv_path)
        i_id = column(csv_path, head, "isic_id")
        i_diag = column(csv_path, head, "diagnosis" if "diagnosis" in head or "diagnosis_3" not in head else "diagnosis_3")
        for row in rows:
            if not row[i_diag].strip():
                continue
            paths.append(image_path(base / collection, row[i_id].strip(), (".jpg", ".jpeg", ".png")))
            groups.append(group_diagnosis(row[i_diag]))
    classes = present_classes(groups)
    labels = [classes.index(g) for g in groups]
    return skin_index(name, base, base / collections[0] / "metadata.csv", paths, labels, classes)


def index_msk(root: Optional[Path]) -> FileIndex:
    """MSK-1..MSK-5 (Memorial Sloan-Kettering) from the ISIC Archive: 3,551 dermoscopic images."""
    return index_isic_archive("msk", root, tuple(f"MSK-{i}" for i in range(1, 6)))


def index_uda(root: Optional[Path]) -> FileIndex:
    """UDA-1 and UDA-2 from the ISIC Archive: 601 dermoscopic images."""
    return index_isic_archive("uda", root, ("UDA-1", "UDA-2"))


def index_dermofit(root: Optional[Path]) -> FileIndex:
    """Dermofit Image Library: 1,300 clinical images, 10 diagnoses grouped into 5 classes."""
    base = locate(root, "dermofit", ["MEL"]).parent
    paths, labels = [], []
    for folder, group in DERMOFIT.items():
        if not (base / folder).is_dir():
            raise MissingDataError(f"{base / folder}: missing class folder")
        files = [p for p in images_in(base / folder) if not p.stem.lower().endswith("mask")]
        if not files:
            raise DatasetError(f"{base / folder}: class {folder!r} has no images (empty class)")
        paths += files
        labels += [SKIN5.index(group)] * len(files)
    return skin_index("dermofit", base, base, paths, labels, SKIN5)


def read_ph2_table(path: Path) -> dict[str, int]:
    """{image name: clinical diagnosis 0/1/2} from PH2_dataset.txt's `||`-separated table."""
    try:
        lines = require(path, "PH2 table").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise DatasetError(f"{path}: unreadable ({err})") from None
    i_name = i_diag = None
    table: dict[str, int] = {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("||")]
        if i_name is None:
            if "Name" in cells and "Clinical Diagnosis" in cells:
                i_name, i_diag = cells.index("Name"), cells.index("Clinical Diagnosis")
            continue
        if len(cells) > max(i_name, i_diag) and cells[i_name].startswith("IMD"):
            value = cells[i_diag]
            if value not in ("0", "1", "2"):
                raise DatasetError(f"{path}: {cells[i_name]} has clinical diagnosis {value!r}, expected 0, 1 or 2")
            table[cells[i_name]] = int(value)
    if i_name is None:
        raise DatasetError(f"{path}: no header row with 'Name' and 'Clinical Diagnosis'")
    return table


def index_ph2(root: Optional[Path]) -> FileIndex:
    """PH2: 200 dermoscopic images; common and atypical nevi vs melanoma."""
    top = locate(root, "ph2", ["PH2Dataset"])
    table_path = top / "PH2_dataset.txt"
    table = read_ph2_table(table_path)
    paths, labels = [], []
    for image, diagnosis in sorted(table.items()):
        paths.append(require(top / "PH2 Dataset images" / image / f"{image}_Dermoscopic_Image" / f"{image}.bmp", "image file"))
        labels.append(1 if diagnosis == 2 else 0)
    return skin_index("ph2", top, table_path, paths, labels, TWO_CLASS)


def index_mednode(root: Optional[Path]) -> FileIndex:
    """MED-NODE: 170 clinical images, 100 naevi and 70 melanomas."""
    top = locate(root, "mednode", ["complete_mednode_dataset"])
    paths, labels = [], []
    for label, folder in enumerate(("naevus", "melanoma")):
        if not (top / folder).is_dir():
            raise MissingDataError(f"{top / folder}: missing class folder")
        files = images_in(top / folder)
        if not files:
            raise DatasetError(f"{top / folder}: class {folder!r} has no images (empty class)")
        paths += files
        labels += [label] * len(files)
    return skin_index("mednode", top, top, paths, labels, TWO_CLASS)


register_file_dataset("msk", index_msk, skin_preprocess())
register_file_dataset("uda", index_uda, skin_preprocess())
register_file_dataset("dermofit", index_dermofit, skin_preprocess())
register_file_dataset("ph2", index_ph2, skin_preprocess())
register_file_dataset("mednode", index_mednode, skin_preprocess())
