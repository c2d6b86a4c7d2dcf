"""The published numbers: shape, units, consistency with the experiments, and the papers' own text."""
from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from search_spaces.experiment import Grid
from search_spaces.published import GEMIX_VARIANTS, METRICS, PUBLISHED, Published, paper_arch, published
from search_spaces.zeta_paper import EXPERIMENTS


def value(table, dataset, arch, variant, metric) -> float:
    (row,) = published(table, dataset=dataset, arch=arch, variant=variant, metric=metric)
    return row.value


def test_row_counts_per_table():
    counts = Counter(p.table for p in PUBLISHED)
    assert counts == {
        "zeta-table4": 6 * 5,  # datasets x methods, one metric
        "zeta-table5": 2 * 4 * 2,  # datasets x archs x methods
        "zeta-table6": 10 * 2 * 5 * 3,  # datasets x archs x methods x metrics
        "zeta-table7": 10 * 3 * 2,  # datasets x methods x (AUC, ACC)
        "zeta-table8": 4,
        "gemix-table1": 3 * 8 * 3,  # archs x setups x (P, R, F1)
    }


def test_rows_are_unique_fractions_with_a_cited_source():
    keys = [(p.table, p.dataset, p.arch, p.variant, p.metric) for p in PUBLISHED]
    assert len(keys) == len(set(keys))
    for p in PUBLISHED:
        assert 0 <= p.value <= 1, p
        assert p.std is None or 0 <= p.std < 0.01, p  # all printed stds are below 0.5 points
        assert p.metric in METRICS
        expected = "GeMix Table I" if p.table == "gemix-table1" else \
            "zeta-mixup Table " + p.table.removeprefix("zeta-table")
        assert p.source == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        PUBLISHED[0].value = 0.5  # type: ignore[misc]


@pytest.mark.parametrize("table", ["zeta-table4", "zeta-table5", "zeta-table6", "zeta-table7",
                                   "zeta-table8"])
def test_every_zeta_row_is_a_cell_of_its_experiment(table):
    cells = {(d, paper_arch(a), m.label) for st in EXPERIMENTS[table].stages if isinstance(st, Grid)
             for d in st.datasets for a in st.archs for m in st.methods}
    rows = published(table)
    for p in rows:
        assert (p.dataset, p.arch, p.variant) in cells, p
        assert p.metric in EXPERIMENTS[table].report_metrics
        assert EXPERIMENTS[table].paper == p.source
    # and every cell x metric of the experiment has its published number
    assert {(p.dataset, p.arch, p.variant, p.metric) for p in rows} == {
        (*cell, m) for cell in cells for m in EXPERIMENTS[table].report_metrics}


def test_gemix_rows():
    rows = published("gemix-table1")
    assert {p.dataset for p in rows} == {"covidx-ct3"}
    assert {p.arch for p in rows} == {"resnet50", "resnet101", "efficientnet_b0"}
    assert {p.variant for p in rows} == set(GEMIX_VARIANTS)
    assert {p.metric for p in rows} == {"test_precision_macro", "test_recall_macro",
                                        "test_f1_macro"}
    assert all(p.std is None for p in rows)


def test_spot_checks_against_the_paper_text():
    # Table 4: "ERM  5.48 ± 0.03" (CIFAR-10) and "ζ-mixup (γ = 2.8) ... 5.70 ± 0.07" (F-MNIST)
    (row,) = published("zeta-table4", dataset="cifar10", variant="erm")
    assert (row.value, row.std, row.arch) == (0.0548, 0.0003, "resnet18")
    assert value("zeta-table4", "fashion-mnist", "resnet18", "zeta-2.8", "test_err") == 0.057
    assert value("zeta-table4", "imagewoof", "resnet18", "zeta-4.0", "test_err") == 0.3067
    # Table 5: "CutMix 4.13 ± 0.01 4.08 ± 0.12 8.97 ± 0.08 9.99 ± 0.29" (CIFAR-10)
    assert [value("zeta-table5", "cifar10", a, "cutmix", "test_err") for a in
            ("resnet18", "resnet50", "mobilenetv2_100", "efficientnet_b0")] == \
           [0.0413, 0.0408, 0.0897, 0.0999]
    # Table 6, ISIC 2016 ResNet-18: "ζ-mixup (2.4) 74.53% 0.8417 0.7180"
    assert [value("zeta-table6", "isic2016", "resnet18", "zeta-2.4", m) for m in
            ("test_bacc", "test_f1_micro", "test_f1_macro")] == [0.7453, 0.8417, 0.7180]
    # Table 6, PH2 ResNet-18: "ζ-mixup (2.8) 96.88% 0.9500 0.9283"; MED-NODE ResNet-50 ERM:
    # "74.64% 0.7647 0.7509"; UDA ResNet-50 ERM (before the page break): "66.85% 0.6917 0.6593"
    assert value("zeta-table6", "ph2", "resnet18", "zeta-2.8", "test_bacc") == 0.9688
    assert value("zeta-table6", "mednode", "resnet50", "erm", "test_f1_micro") == 0.7647
    assert value("zeta-table6", "uda", "resnet50", "erm", "test_f1_macro") == 0.6593
    # Table 7: "ERM 0.962 84.4%" (PathMNIST); OrganMNIST_C "066.0" is a rotated 0.990
    assert value("zeta-table7", "pathmnist", "resnet18", "erm", "test_auc") == 0.962
    assert value("zeta-table7", "pathmnist", "resnet18", "erm", "test_acc") == 0.844
    assert value("zeta-table7", "organcmnist", "resnet18", "mixup", "test_auc") == 0.990
    # Table 8: "✓ T = m  X weights from a Dirichlet(α) distribution; α = 1  -  94.69 ± 0.08"
    (row,) = published("zeta-table8", variant="dirichlet-batch")
    assert (row.value, row.std) == (0.9469, 0.0008)
    # GeMix Table I: "ResNet-101 ... Real+GeMix (ours) 0.924 0.920 0.921"
    assert [value("gemix-table1", "covidx-ct3", "resnet101", "real+gemix", m) for m in
            ("test_precision_macro", "test_recall_macro", "test_f1_macro")] == [0.924, 0.92, 0.921]
    assert value("gemix-table1", "covidx-ct3", "efficientnet_b0", "gemix",
                 "test_f1_macro") == 0.466


# Percentage relative improvements over mixup (Table 4) and CutMix (Table 5) as printed beside
# each value. They check that every value sits in the right column.
TABLE4_IMPROVEMENTS = {  # "ζ-mixup (γ = 2.4)  4.42 ± 0.02 +5.56%  21.50 ± 0.04 + 1.60% ..."
    "zeta-2.4": (5.56, 1.60, 0.00, 4.62, 6.42, 0.26),
    "zeta-2.8": (0.21, 2.29, 5.63, 1.94, 3.58, 1.92),
    "zeta-4.0": (5.56, 2.61, 2.48, 1.54, 1.73, 0.42),
}
TABLE5_IMPROVEMENTS = {  # "+ζ-mixup  3.84 ± 0.08 + 7.02% ..."
    "cifar10": (7.02, 11.52, 8.81, 8.41),
    "cifar100": (2.15, 0.68, 2.14, 2.29),
}


def _improvement(base: float, ours: float) -> float:
    return round(100 * (base - ours) / base, 2)


def test_table4_relative_improvements_match_the_printed_ones():
    datasets = ("cifar10", "cifar100", "fashion-mnist", "stl10", "imagenette", "imagewoof")
    for variant, printed in TABLE4_IMPROVEMENTS.items():
        got = tuple(_improvement(value("zeta-table4", d, "resnet18", "mixup", "test_err"),
                                 value("zeta-table4", d, "resnet18", variant, "test_err"))
                    for d in datasets)
        assert got == pytest.approx(printed, abs=0.011), variant


def test_table5_relative_improvements_match_the_printed_ones():
    archs = ("resnet18", "resnet50", "mobilenetv2_100", "efficientnet_b0")
    for dataset, printed in TABLE5_IMPROVEMENTS.items():
        got = [_improvement(value("zeta-table5", dataset, a, "cutmix", "test_err"),
                            value("zeta-table5", dataset, a, "cutmix+zeta", "test_err"))
               for a in archs]
        if dataset == "cifar100":
            # the paper's own slip: 31.55 -> 30.73 is +2.60%, printed "+ 2.29%"; carried as printed
            assert got[3] == 2.60
            got, printed = got[:3], printed[:3]
        assert got == pytest.approx(list(printed), abs=0.011), dataset


def test_table4_claim_17_of_18():
    # "17 of the 18 models in Table 4 trained with ζ-mixup outperform their ERM and mixup
    # counterparts, with the lone exception being a model that is as accurate as mixup"
    better, ties = 0, 0
    for d in ("cifar10", "cifar100", "fashion-mnist", "stl10", "imagenette", "imagewoof"):
        erm, mix = (value("zeta-table4", d, "resnet18", v, "test_err") for v in ("erm", "mixup"))
        for v in ("zeta-2.4", "zeta-2.8", "zeta-4.0"):
            z = value("zeta-table4", d, "resnet18", v, "test_err")
            better += z < min(erm, mix)
            ties += z == mix
    assert (better, ties) == (17, 1)


def test_table6_claim_and_underlines():
    # "For both ResNet-18 and ResNet-50 and for all the 10 SKIN datasets, ζ-mixup outperforms both
    # mixup and ERM": the best of each metric is reached by a ζ-mixup model (ties allowed)
    for dataset in {p.dataset for p in published("zeta-table6")}:
        for arch in ("resnet18", "resnet50"):
            for metric in ("test_bacc", "test_f1_micro", "test_f1_macro"):
                rows = published("zeta-table6", dataset=dataset, arch=arch, metric=metric)
                best = max(p.value for p in rows)
                assert any(p.value == best for p in rows if p.variant.startswith("zeta-")), \
                    (dataset, arch, metric)
    # values the paper underlines as second best: MSK ResNet-50 "<u>65.62%</u>" (mixup),
    # DermoFit ResNet-50 "<u>86.26%</u>" (2.4), derm7point-D ResNet-50 "<u>62.98%</u>" (2.8),
    # derm7point-C ResNet-50 F1-macro "<u>0.4828</u>" (4.0)
    for dataset, variant, metric, underlined in (
            ("msk", "mixup", "test_bacc", 0.6562), ("dermofit", "zeta-2.4", "test_bacc", 0.8626),
            ("derm7pt-dermoscopic", "zeta-2.8", "test_bacc", 0.6298),
            ("derm7pt-clinical", "zeta-4.0", "test_f1_macro", 0.4828)):
        ranked = sorted((p.value for p in published("zeta-table6", dataset=dataset,
                                                    arch="resnet50", metric=metric)), reverse=True)
        assert value("zeta-table6", dataset, "resnet50", variant, metric) == underlined
        assert ranked[1] == underlined


def test_table7_claim_8_of_10():
    # "In 8 out of the 10 datasets, ζ-mixup outperforms both mixup and ERM, and in the other 2,
    # ζ-mixup achieves the highest value for 1 metric out of 2 each."
    wins = Counter()
    for dataset in {p.dataset for p in published("zeta-table7")}:
        n = 0
        for metric in ("test_auc", "test_acc"):
            z = value("zeta-table7", dataset, "resnet18", "zeta-2.8", metric)
            n += z > max(value("zeta-table7", dataset, "resnet18", v, metric)
                         for v in ("erm", "mixup"))
        wins[n] += 1
    assert wins == {2: 8, 1: 2}


def test_table8_rows_repeat_table4():
    # the ablation's mixup and ζ-mixup rows are Table 4's CIFAR-100 mixup and γ = 2.8 results
    for variant in ("mixup", "zeta-2.8"):
        (t8,) = published("zeta-table8", variant=variant)
        (t4,) = published("zeta-table4", dataset="cifar100", variant=variant)
        assert (t8.value, t8.std) == (t4.value, t4.std)


def test_gemix_text_claims():
    def f1(arch, variant):
        return value("gemix-table1", "covidx-ct3", arch, variant, "test_f1_macro")

    for arch in ("resnet50", "resnet101", "efficientnet_b0"):
        # "combining real data with GeMix consistently outperforms ... Real+Mixup or Real+MMixup"
        assert f1(arch, "real+gemix") > max(f1(arch, "real+mixup"), f1(arch, "real+mmixup"))
        # "the performance levels of all augmentation strategies are far below ... only real"
        assert max(f1(arch, v) for v in ("mixup", "mmixup", "gemix")) < f1(arch, "real") - 0.2
    # "Real+MMixup+GeMix exhibits performance drops for ResNet-50 and ResNet-101. The only model
    # for which the Real+MMixup+GeMix setup works is EfficientNet-B0."
    assert f1("resnet50", "real+mmixup+gemix") < f1("resnet50", "real+gemix")
    assert f1("resnet101", "real+mmixup+gemix") < f1("resnet101", "real+gemix")
    assert f1("efficientnet_b0", "real+mmixup+gemix") > f1("efficientnet_b0", "real+gemix")
    # "for ResNet-101, the Real+GeMix setting achieves the best performance across all metrics"
    for metric in ("test_precision_macro", "test_recall_macro", "test_f1_macro"):
        rows = published("gemix-table1", arch="resnet101", metric=metric)
        assert value("gemix-table1", "covidx-ct3", "resnet101", "real+gemix", metric) == \
            max(p.value for p in rows)


def test_published_filters_and_errors():
    assert len(published("zeta-table6", dataset="ph2")) == 2 * 5 * 3
    assert len(published("zeta-table6", arch="resnet50", variant="erm")) == 10 * 3
    assert all(isinstance(p, Published) for p in published("zeta-table5", metric="test_err"))
    # figures and other experiments carry no numbers in the text
    for name in ("zeta-fig9", "zeta-fig10-sensitivity", "zeta-fig10-sweep", "demo"):
        assert published(name) == []
    assert published("zeta-table4", dataset="isic2016") == []
    with pytest.raises(ValueError, match="test_err"):
        published("zeta-table4", metric="err")
