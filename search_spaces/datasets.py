"""Dataset specs as plain data: what each benchmark dataset is, how it is split, what is reported.

The readers live in workloads.data (registered under the same names); this module imports none of
them. Metric names are those of workloads.metrics (rates in [0, 1]).
"""
from __future__ import annotations

from dataclasses import dataclass

from workloads.registry import Registry

GROUPS = ("natural", "skin", "medmnist", "ct", "synthetic")
# What each split is, in words a report can quote. Validation is never the test split: a set
# without an official validation split has one carved, stratified and seeded, from its train split.
OFFICIAL = "official train/val/test"
CARVED = ("official train/test; train: 90 % of the official train, val: the other 10 % (stratified, seed 0; "
          "indices saved beside the cache), test: the official test set (the paper evaluates on it)")
CARVED_FROM_VAL = ("official train/val; train: 90 % of the official train, val: the other 10 % (stratified, "
                   "seed 0; saved beside the cache), test: the official val set (the paper evaluates on it)")
STRATIFIED = "stratified 70/10/20 of all samples, seed 0"
STRATIFIED_SAVED = ("stratified 70/10/20 of all images as the paper (split sizes round(20 % of N) etc., "
                    "each class by largest remainder), seed 0 (saved beside the cache)")
ISIC2018 = ("official train/validation; train: 90 % of the official training set, val: the other 10 % "
            "(stratified, seed 0; saved beside the cache), test: the official validation set (193 images; "
            "the paper's Table 6 is scored on it); the official test set is not used")
DERM7PT = ("stratified 70/10/20 of all 1,011 cases as the paper (708/101/202; not the official index "
           "files), seed 0 (saved beside the cache)")
SKIN5 = ("basal cell carcinoma", "nevus", "melanoma", "seborrheic keratosis", "others")
SKIN_PAPER = "https://challenge.isic-archive.com/data/"


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset.

    channels: image channels, or the feature dimension D of a vector set (image_size 1 there).
    image_size: edge in pixels of the arrays trials see (after the recipe's resize).
    splits: what each split is, in words a report can quote ("official ...", or the split rule);
        val is never the test split. metrics: what the papers report for it.
    layout: the official on-disk layout expected under ROOT or ROOT/<name> (for messages).
    source: where to obtain it. download: whether `mixbench data download` can fetch it.
    """

    name: str
    group: str
    class_names: tuple[str, ...]
    channels: int
    image_size: int
    splits: str
    metrics: tuple[str, ...]
    layout: str
    source: str
    download: bool = False
    paper: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


NATURAL_METRICS = ("err", "acc")
SKIN_METRICS = ("bacc", "f1_micro", "f1_macro")
MEDMNIST_METRICS = ("auc", "acc")
ORGAN = ("bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver",
         "lung-left", "lung-right", "pancreas", "spleen")


def _natural(name, classes, channels, size, layout, source, download=True, splits=CARVED):
    return DatasetSpec(name, "natural", classes, channels, size, splits, NATURAL_METRICS, layout, source,
                       download, "zeta-mixup Table 4")


def _skin(name, classes, layout, source, splits=STRATIFIED_SAVED):
    return DatasetSpec(name, "skin", classes, 3, 256, splits, SKIN_METRICS, layout, source, False, "zeta-mixup Table 6")


def _medmnist(name, classes, channels):
    return DatasetSpec(name, "medmnist", classes, channels, 28, OFFICIAL + " of the MedMNIST v2 file (the paper's)",
                       MEDMNIST_METRICS, f"{name}.npz",
                       "https://zenodo.org/record/6496656 (https://medmnist.com)", True, "zeta-mixup Table 7")


def _synthetic(name, classes, dim, text):
    return DatasetSpec(name, "synthetic", classes, dim, 1, STRATIFIED, ("acc",), f"(generated: {text})",
                       "built in", False, "zeta-mixup Fig. 2, 6")


CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR100 = tuple("""
apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle
bowl boy bridge bus butterfly camel can castle caterpillar cattle
chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur
dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard
lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain
mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree
plain plate poppy porcupine possum rabbit raccoon ray road rocket
rose sea seal shark shrew skunk skyscraper snail snake spider
squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor
train trout tulip turtle wardrobe whale willow_tree wolf woman worm
""".split())
STL10 = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
# Classes ordered by sorted WordNet id, as the reader orders them.
IMAGENETTE = ("tench", "English springer", "cassette player", "chain saw", "church", "French horn",
              "garbage truck", "gas pump", "golf ball", "parachute")
IMAGEWOOF = ("Shih-Tzu", "Rhodesian ridgeback", "Beagle", "English foxhound", "Border terrier",
             "Australian terrier", "Golden retriever", "Old English sheepdog", "Samoyed", "Dingo")
IDX = ("{0}/raw/{{train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte}}[.gz]"
       " (or the four .gz files flat in ROOT/{1}/)")

_SPECS = [
    DatasetSpec("digits", "natural", tuple(str(d) for d in range(10)), 1, 8, STRATIFIED, NATURAL_METRICS,
                "(built in: scikit-learn's digits)", "built in", False, "visualization"),
    _natural("mnist", tuple(str(d) for d in range(10)), 1, 28, IDX.format("MNIST", "mnist"), "http://yann.lecun.com/exdb/mnist/"),
    _natural("fashion-mnist", FASHION, 1, 28, IDX.format("FashionMNIST", "fashion-mnist"), "https://github.com/zalandoresearch/fashion-mnist"),
    _natural("cifar10", CIFAR10, 3, 32, "cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}",
             "https://www.cs.toronto.edu/~kriz/cifar.html"),
    _natural("cifar100", CIFAR100, 3, 32, "cifar-100-python/{train, test, meta}",
             "https://www.cs.toronto.edu/~kriz/cifar.html"),
    _natural("stl10", STL10, 3, 96, "stl10_binary/{train_X.bin, train_y.bin, test_X.bin, test_y.bin}",
             "https://cs.stanford.edu/~acoates/stl10/"),
    _natural("imagenette", IMAGENETTE, 3, 224, "imagenette2/{train,val}/<wnid>/*.JPEG (or imagenette2-320, -160)",
             "https://github.com/fastai/imagenette", splits=CARVED_FROM_VAL),
    _natural("imagewoof", IMAGEWOOF, 3, 224, "imagewoof2/{train,val}/<wnid>/*.JPEG (or imagewoof2-320, -160)",
             "https://github.com/fastai/imagenette", splits=CARVED_FROM_VAL),
    _skin("isic2016", ("benign", "malignant"),
          "ISBI2016_ISIC_Part3_{Training,Test}_Data/ISIC_*.jpg + ISBI2016_ISIC_Part3_{Training,Test}_GroundTruth.csv",
          SKIN_PAPER + "#2016", splits=CARVED),
    _skin("isic2017", ("nevus", "melanoma", "seborrheic keratosis"),
          "ISIC-2017_{Training,Validation,Test_v2}_Data/ISIC_*.jpg + ISIC-2017_{...}_Part3_GroundTruth.csv",
          SKIN_PAPER + "#2017", splits=OFFICIAL),
    _skin("isic2018", SKIN5,
          "ISIC2018_Task3_{Training,Validation}_Input/ISIC_*.jpg + "
          "ISIC2018_Task3_{...}_GroundTruth/ISIC2018_Task3_{...}_GroundTruth.csv (the Test folders are not read)",
          SKIN_PAPER + "#2018", splits=ISIC2018),
    _skin("msk", ("nevus", "melanoma", "seborrheic keratosis", "others"),
          "MSK-1/ .. MSK-5/, each ISIC_*.jpg + metadata.csv (isic_id, diagnosis or diagnosis_1..diagnosis_3); "
          "classes: those present",
          "https://www.isic-archive.com (collections MSK-1..MSK-5)"),
    _skin("uda", ("nevus", "melanoma"),
          "UDA-1/, UDA-2/, each ISIC_*.jpg + metadata.csv (isic_id, diagnosis or diagnosis_1..diagnosis_3); "
          "classes: those present",
          "https://www.isic-archive.com (collections UDA-1, UDA-2)"),
    _skin("dermofit", SKIN5, "{ak,bcc,df,iec,mel,ml,pyo,scc,sk,vasc}/<ID>/<ID>.png (+ <ID>mask.png; any case)",
          "https://licensing.edinburgh-innovations.ed.ac.uk/product/dermofit-image-library (licence)"),
    _skin("derm7pt-clinical", SKIN5, "release_v0/meta/meta.csv + release_v0/images/",
          "https://derm.cs.sfu.ca/", splits=DERM7PT),
    _skin("derm7pt-dermoscopic", SKIN5, "release_v0/meta/meta.csv + release_v0/images/",
          "https://derm.cs.sfu.ca/", splits=DERM7PT),
    _skin("ph2", ("nevus", "melanoma"),
          "PH2Dataset/PH2_dataset.txt + PH2Dataset/PH2 Dataset images/IMD*/IMD*_Dermoscopic_Image/IMD*.bmp",
          "https://www.fc.up.pt/addi/ph2%20database.html"),
    _skin("mednode", ("nevus", "melanoma"),
          "complete_mednode_dataset/{naevus,melanoma}/*.jpg (or complete_mednode_dataset/ twice)",
          "https://www.cs.rug.nl/~imaging/databases/melanoma_naevi/"),
    _medmnist("pathmnist", ("adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle",
                            "normal colon mucosa", "cancer-associated stroma", "colorectal adenocarcinoma epithelium"), 3),
    _medmnist("dermamnist", ("actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma",
                             "benign keratosis-like lesions", "dermatofibroma", "melanoma", "melanocytic nevi",
                             "vascular lesions"), 3),
    _medmnist("octmnist", ("choroidal neovascularization", "diabetic macular edema", "drusen", "normal"), 1),
    _medmnist("pneumoniamnist", ("normal", "pneumonia"), 1),
    _medmnist("bloodmnist", ("basophil", "eosinophil", "erythroblast", "immature granulocytes", "lymphocyte",
                             "monocyte", "neutrophil", "platelet"), 3),
    _medmnist("tissuemnist", ("Collecting Duct, Connecting Tubule", "Distal Convoluted Tubule",
                              "Glomerular endothelial cells", "Interstitial endothelial cells", "Leukocytes",
                              "Podocytes", "Proximal Tubule Segments", "Thick Ascending Limb"), 1),
    _medmnist("breastmnist", ("malignant", "normal, benign"), 1),
    _medmnist("organamnist", ORGAN, 1),
    _medmnist("organcmnist", ORGAN, 1),
    _medmnist("organsmnist", ORGAN, 1),
    DatasetSpec("covidx-ct3", "ct", ("normal", "pneumonia", "COVID-19"), 1, 128, OFFICIAL,
                ("precision_macro", "bacc", "f1_macro"),
                "3A_images/*.png + {train,val,test}_COVIDx_CT-3A.txt (filename class xmin ymin xmax ymax)",
                "https://www.kaggle.com/datasets/hgunraj/covidxct", False, "GeMix Table I"),
    # The same files, each slice cropped to its box before resizing (COVIDNet-CT's preprocessing).
    DatasetSpec("covidx-ct3-box", "ct", ("normal", "pneumonia", "COVID-19"), 1, 128, OFFICIAL,
                ("precision_macro", "bacc", "f1_macro"),
                "3A_images/*.png + {train,val,test}_COVIDx_CT-3A.txt (filename class xmin ymin xmax ymax)",
                "https://www.kaggle.com/datasets/hgunraj/covidxct", False, "box-cropped variant of covidx-ct3"),
    DatasetSpec("ct-toy", "ct", ("normal", "pneumonia", "COVID-19"), 1, 32, STRATIFIED,
                ("precision_macro", "bacc", "f1_macro"), "(generated: 384 grey 32x32 images, 3 classes)",
                "built in", False, "GeMix --smoke stand-in for covidx-ct3"),
    _synthetic("crescents", ("upper", "lower"), 2, "512 points, noise 0.1"),
    _synthetic("spirals", ("spiral 0", "spiral 1"), 2, "512 points, noise 0.1"),
    _synthetic("helix-3d", ("first half", "second half"), 3, "8,192 points on a 1-D helix in R^3"),
    _synthetic("helix-12d", ("first half", "second half"), 12, "8,192 points on a 1-D helix in R^12"),
]

DATASET_SPECS: Registry[DatasetSpec] = Registry("dataset")
for _spec in _SPECS:
    if _spec.group not in GROUPS:
        raise ValueError(f"dataset spec {_spec.name!r}: group {_spec.group!r} not one of {', '.join(GROUPS)}")
    DATASET_SPECS.add(_spec.name, _spec)


def get_dataset_spec(name: str) -> DatasetSpec:
    """The spec of dataset `name`; ValueError naming the valid choices otherwise."""
    return DATASET_SPECS.get(name)


def dataset_names(group: str | None = None) -> list[str]:
    """All dataset names, or those of one group (natural, skin, medmnist, ct, synthetic)."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown dataset group {group!r}; valid choices: {', '.join(GROUPS)}")
    return [n for n, s in DATASET_SPECS.items() if group is None or s.group == group]
