"""Skin-lesion sets in class folders or a table, without official splits: DermoFit, PH2, MED-NODE.

All are split stratified 70/10/20 of all images with exact totals (seed 0; the split is saved
beside the cache) and use the skin crop (center 0.8 * min side, 256 x 256). MSK and UDA are in
`isic_archive.py`. Layouts, each under ROOT or ROOT/<name>:

dermofit (the Dermofit Image Library's class archives, extracted; folder names in any case, the
release's are lower case):
    ak/ bcc/ df/ iec/ mel/ ml/ pyo/ scc/ sk/ vasc/   each: <ID>/<ID>.png (+ <ID>mask.png, skipped)
    lesionlist.txt (not needed: the class is the folder)
    Classes: BCC, ML (nevus), MEL, SK, and the other six as others.
ph2 (PH2Dataset as distributed):
    PH2Dataset/PH2_dataset.txt   `||`-separated table with columns Name and Clinical Diagnosis
                                 (0 common nevus, 1 atypical nevus, 2 melanoma)
    PH2Dataset/PH2 Dataset images/IMD003/IMD003_Dermoscopic_Image/IMD003.bmp
    Classes: nevus (common and atypical), melanoma.
mednode (complete_mednode_dataset.zip; unzipped once or, as some unzip tools do, twice):
    complete_mednode_dataset/{melanoma,naevus}/*.jpg
    complete_mednode_dataset/complete_mednode_dataset/{melanoma,naevus}/*.jpg
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from workloads.data.images import FileIndex, register_file_dataset
from workloads.data.layout import child_any_case, locate, require
from workloads.data.skin import SKIN5, skin_index, skin_preprocess
from workloads.data.types import DatasetError, MissingDataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
DERMOFIT = {"ak": "others", "bcc": "basal cell carcinoma", "df": "others", "iec": "others",
            "mel": "melanoma", "ml": "nevus", "pyo": "others", "scc": "others",
            "sk": "seborrheic keratosis", "vasc": "others"}
TWO_CLASS = ("nevus", "melanoma")
MEDNODE = "complete_mednode_dataset"


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def index_dermofit(root: Optional[Path]) -> FileIndex:
    """Dermofit Image Library: 1,300 clinical images, 10 diagnoses grouped into 5 classes."""
    base = locate(root, "dermofit", ["mel"], any_case=True).parent
    paths, labels = [], []
    for name, group in DERMOFIT.items():
        folder = child_any_case(base, name)
        if folder is None or not folder.is_dir():
            raise MissingDataError(f"{base / name}: missing class folder (any case: {name}/ or {name.upper()}/)")
        # Each lesion folder holds the image and its segmentation mask, which is not an image of the set.
        files = [p for p in images_in(folder) if not p.stem.lower().endswith("mask")]
        if not files:
            raise DatasetError(f"{folder}: class {name!r} has no images (empty class)")
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
    top = locate(root, "mednode", [f"{MEDNODE}/naevus", f"{MEDNODE}/{MEDNODE}/naevus"]).parent
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


register_file_dataset("dermofit", index_dermofit, skin_preprocess())
register_file_dataset("ph2", index_ph2, skin_preprocess())
register_file_dataset("mednode", index_mednode, skin_preprocess())
