"""Diagnosis names -> the derm7pt paper's 5 classes (SKIN5), by explicit names only, and what was dropped.

No substring rule: "Epidermal nevus" (an epidermal proliferation), "Nevus sebaceus" (adnexal) and
"Nevus anemicus" (vascular) are not melanocytic nevi, so none of them may become "nevus". Every
table below lists its names; a name in no table is not guessed at but dropped and counted.

- derm7pt: its 20 diagnoses, grouped as the derm7pt paper does (Kawahara et al. 2019, Table 1).
- ISIC Archive, flat `diagnosis` column (exports before the 2023 diagnosis hierarchy; the paper's
  era): the archive's clinical diagnosis vocabulary.
- ISIC Archive, hierarchical `diagnosis_1` .. `diagnosis_5` (current exports; the ISIC diagnosis
  taxonomy, level 1 Benign / Indeterminate / Malignant, level 2 a category, level 3 the diagnosis):
    melanoma   level 2 "Malignant melanocytic proliferations (Melanoma)" (all its level-3 names are
               melanomas), with or without a level 3; or level 3 "Melanoma Invasive", "Melanoma in
               situ", "Melanoma, NOS", "Melanoma metastasis";
    nevus, BCC, SK   level 3 exactly "Nevus", "Basal cell carcinoma", "Seborrheic keratosis";
    others     any other level-3 diagnosis under a level-2 category of the taxonomy (ISIC_CATEGORIES);
    dropped    labelled only at levels 1-2 (no level 3, not melanoma); a level 3 under a category
               outside the taxonomy; no diagnosis at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

SKIN5 = ("basal cell carcinoma", "nevus", "melanoma", "seborrheic keratosis", "others")
BCC, NEVUS, MELANOMA, SK, OTHERS = SKIN5

DERM7PT = {
    "basal cell carcinoma": BCC,
    **{n: NEVUS for n in ("blue nevus", "clark nevus", "combined nevus", "congenital nevus", "dermal nevus",
                          "recurrent nevus", "reed or spitz nevus")},
    **{n: MELANOMA for n in ("melanoma", "melanoma (in situ)", "melanoma (less than 0.76 mm)",
                             "melanoma (0.76 to 1.5 mm)", "melanoma (more than 1.5 mm)", "melanoma metastasis")},
    "seborrheic keratosis": SK,
    **{n: OTHERS for n in ("dermatofibroma", "lentigo", "melanosis", "miscellaneous", "vascular lesion")},
}

# The ISIC Archive's flat clinical `diagnosis` vocabulary (lower case; matched case-insensitively).
ISIC_FLAT = {
    "nevus": NEVUS, "nevus spilus": NEVUS,
    "melanoma": MELANOMA, "melanoma metastasis": MELANOMA,
    "basal cell carcinoma": BCC,
    "seborrheic keratosis": SK,
    **{n: OTHERS for n in (
        "aimp", "acrochordon", "actinic keratosis", "adnexal tumor", "angiofibroma or fibrous papule",
        "angiokeratoma", "angioma", "atypical melanocytic proliferation", "atypical spitz tumor",
        "cafe-au-lait macule", "clear cell acanthoma", "dermatofibroma", "lentigo nos", "lentigo simplex",
        "lichenoid keratosis", "merkel cell carcinoma", "mucosal melanosis", "neurofibroma", "other",
        "pigmented benign keratosis", "pyogenic granuloma", "scar", "sebaceous adenoma", "sebaceous hyperplasia",
        "solar lentigo", "squamous cell carcinoma", "verruca", "vascular lesion")},
}

MELANOMA_CATEGORY = "Malignant melanocytic proliferations (Melanoma)"
ISIC_LEVEL3 = {"Nevus": NEVUS, "Basal cell carcinoma": BCC, "Seborrheic keratosis": SK,
               **{n: MELANOMA for n in ("Melanoma Invasive", "Melanoma in situ", "Melanoma, NOS", "Melanoma metastasis")}}
# Level-2 categories of the ISIC diagnosis taxonomy (ImageMarkup's DiagnosisEnum, 2024).
ISIC_CATEGORIES = frozenset({
    "Benign - Other", "Benign adnexal epithelial proliferations - Apocrine or Eccrine",
    "Benign adnexal epithelial proliferations - Follicular", "Benign adnexal epithelial proliferations - Sebaceous",
    "Benign epidermal proliferations", "Benign melanocytic proliferations",
    "Benign soft tissue proliferations - Adipocytic", "Benign soft tissue proliferations - Cartilagenous and ossifying",
    "Benign soft tissue proliferations - Fibro-histiocytic",
    "Benign soft tissue proliferations - Muscle tissue or myofibroblastic",
    "Benign soft tissue proliferations - Myoepithelial", "Benign soft tissue proliferations - Neural",
    "Benign soft tissue proliferations - Vascular", "Collision - Only benign proliferations", "Cysts", "Exogenous",
    "Flat melanotic pigmentations - not melanocytic nevus", "Hemorrhagic lesions",
    "Inflammatory or infectious diseases", "Langerhans cell proliferations", "Mast cell proliferations",
    "Indeterminate epidermal proliferations", "Indeterminate melanocytic proliferations",
    "Collision - At least one malignant proliferation", "Lymphocytic proliferations - B-Cell",
    "Lymphocytic proliferations - T-Cell/NK", "Malignant adnexal epithelial proliferations - Apocrine or Eccrine",
    "Malignant adnexal epithelial proliferations - Follicular",
    "Malignant adnexal epithelial proliferations - Sebaceous", "Malignant epidermal proliferations",
    MELANOMA_CATEGORY, "Malignant soft tissue proliferations - Adipocytic",
    "Malignant soft tissue proliferations - Cartilagenous and ossifying",
    "Malignant soft tissue proliferations - Fibro-histiocytic",
    "Malignant soft tissue proliferations - Muscle tissue or myofibroblastic",
    "Malignant soft tissue proliferations - Myoepithelial", "Malignant soft tissue proliferations - Neural",
    "Malignant soft tissue proliferations - Unknown or other histiogenesis",
    "Malignant soft tissue proliferations - Vascular", "Merkel cell proliferation",
    "Skin metastasis of internal solid cancer - non-hematological",
})

UNLABELLED = "without any diagnosis"
LEVELS_1_2 = "labelled only at diagnosis levels 1-2"
UNKNOWN = "with a diagnosis outside the known names"


def derm7pt_group(diagnosis: str) -> Optional[str]:
    """derm7pt's diagnosis -> SKIN5 class, None for a name derm7pt does not use."""
    return DERM7PT.get(diagnosis.strip().lower())


def isic_flat_group(diagnosis: str) -> tuple[Optional[str], Optional[str]]:
    """(SKIN5 class, None) for the archive's flat `diagnosis`, or (None, the reason it is dropped)."""
    text = diagnosis.strip()
    if not text:
        return None, UNLABELLED
    group = ISIC_FLAT.get(text.lower())
    return (group, None) if group else (None, UNKNOWN)


def isic_hierarchy_group(levels: tuple[str, ...]) -> tuple[Optional[str], Optional[str]]:
    """(SKIN5 class, None) for `(diagnosis_1, diagnosis_2, diagnosis_3)`, or (None, the reason it is dropped)."""
    level1, level2, level3 = (v.strip() for v in levels[:3])
    if not (level1 or level2 or level3):
        return None, UNLABELLED
    if level2 == MELANOMA_CATEGORY:
        return MELANOMA, None
    if not level3:
        return None, LEVELS_1_2
    if level3 in ISIC_LEVEL3:
        return ISIC_LEVEL3[level3], None
    return (OTHERS, None) if level2 in ISIC_CATEGORIES else (None, UNKNOWN)


@dataclass
class Dropped:
    """Rows a reader dropped, per reason, with a few examples for the message."""

    what: str = "images"
    rows: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.rows.setdefault(reason, []).append(example)

    def notes(self) -> tuple[str, ...]:
        """One line per reason: "dropped 3 images labelled only at ... (e.g. ISIC_1: 'Benign'; ...)"."""
        lines = []
        for reason, examples in self.rows.items():
            shown = "; ".join(examples[:3]) + ("; ..." if len(examples) > 3 else "")
            noun = self.what if len(examples) != 1 else self.what.rstrip("s")
            lines.append(f"dropped {len(examples)} {noun} {reason} (e.g. {shown})")
        return tuple(lines)
