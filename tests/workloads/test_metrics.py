"""Classification metrics against scikit-learn, including absent classes and edge cases."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from workloads.metrics import (
    as_probabilities,
    binary_auc,
    classification_metrics,
    confusion_json,
    confusion_matrix,
)


def random_case(seed: int, n: int = 200, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, k, (n,), generator=g)
    logits = torch.randn(n, k, generator=g) + 1.5 * torch.nn.functional.one_hot(labels, k)
    return logits, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn(seed: int) -> None:
    logits, labels = random_case(seed)
    m = classification_metrics(logits, labels, 5)
    probs = torch.softmax(logits.double(), 1).numpy()
    preds = probs.argmax(1)
    y = labels.numpy()
    assert m["acc"] == pytest.approx(skm.accuracy_score(y, preds))
    assert m["err"] == pytest.approx(1 - m["acc"])
    assert m["bacc"] == pytest.approx(skm.balanced_accuracy_score(y, preds))
    assert m["f1_macro"] == pytest.approx(skm.f1_score(y, preds, average="macro"))
    assert m["f1_micro"] == pytest.approx(skm.f1_score(y, preds, average="micro"))
    assert m["precision_macro"] == pytest.approx(skm.precision_score(y, preds, average="macro"))
    assert m["recall_macro"] == pytest.approx(skm.recall_score(y, preds, average="macro"))
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, probs, multi_class="ovr", average="macro"))


def test_rates_are_fractions() -> None:
    logits, labels = random_case(3)
    m = classification_metrics(logits, labels, 5)
    for key in ("acc", "err", "bacc", "precision_macro", "recall_macro", "f1_macro", "f1_micro", "auc"):
        assert 0.0 <= m[key] <= 1.0, key


def test_binary_auc_uses_positive_class() -> None:
    logits, labels = random_case(4, k=2)
    m = classification_metrics(logits, labels, 2)
    probs = torch.softmax(logits.double(), 1).numpy()
    assert m["auc"] == pytest.approx(skm.roc_auc_score(labels.numpy(), probs[:, 1]))


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_absent_class_is_nan_safe() -> None:
    logits, labels = random_case(5, k=4)
    labels[labels == 3] = 0  # class 3 never occurs in the labels
    m = classification_metrics(logits, labels, 4)
    probs = torch.softmax(logits.double(), 1).numpy()
    y = labels.numpy()
    expected_auc = np.mean([skm.roc_auc_score(y == c, probs[:, c]) for c in range(3)])
    assert m["auc"] == pytest.approx(expected_auc)
    preds = probs.argmax(1)
    assert m["bacc"] == pytest.approx(skm.balanced_accuracy_score(y, preds))
    assert m["f1_macro"] == pytest.approx(skm.f1_score(y, preds, average="macro"))
    assert m["precision_macro"] == pytest.approx(skm.precision_score(y, preds, average="macro", zero_division=0))
    assert m["recall_macro"] == pytest.approx(skm.recall_score(y, preds, average="macro", zero_division=0))
    assert not any(math.isnan(v) for v in m.values())


def test_precision_recall_with_unpredicted_and_unlabelled_classes() -> None:
    # Class 1 is labelled but never predicted (precision 0/0), class 3 predicted but never labelled
    # (recall 0/0); both count as 0 in the macro means, as scikit-learn with zero_division=0.
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 2, 0])
    preds = torch.tensor([0, 2, 0, 2, 2, 3, 2, 0])
    m = classification_metrics(torch.nn.functional.one_hot(preds, 4).double(), labels, 4)
    y, p = labels.numpy(), preds.numpy()
    assert m["precision_macro"] == pytest.approx(skm.precision_score(y, p, average="macro", zero_division=0))
    assert m["recall_macro"] == pytest.approx(skm.recall_score(y, p, average="macro", zero_division=0))
    # precision: class 0 2/3, 1 0, 2 2/4, 3 0; recall: 0 2/3, 1 0, 2 2/3, 3 0
    assert m["precision_macro"] == pytest.approx((2 / 3 + 2 / 4) / 4)
    assert m["recall_macro"] == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert m["bacc"] == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)  # over labelled classes only


def test_single_class_gives_nan_auc_only() -> None:
    logits = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    labels = torch.zeros(6, dtype=torch.long)
    m = classification_metrics(logits, labels, 3)
    assert math.isnan(m["auc"])
    assert not math.isnan(m["acc"]) and not math.isnan(m["bacc"])


def test_probabilities_are_used_as_given() -> None:
    probs = torch.tensor([[0.6, 0.4], [0.3, 0.7], [0.45, 0.55], [0.8, 0.2]])
    labels = torch.tensor([0, 1, 0, 1])
    assert torch.equal(as_probabilities(probs), probs.double())
    m = classification_metrics(probs, labels, 2)
    assert m["auc"] == pytest.approx(skm.roc_auc_score(labels.numpy(), probs[:, 1].numpy()))
    assert m["acc"] == pytest.approx(0.5)


def test_binary_auc_ties_count_half() -> None:
    scores = np.array([0.5, 0.5, 0.5, 0.5])
    assert binary_auc(scores, np.array([True, False, True, False])) == pytest.approx(0.5)
    assert binary_auc(np.array([0.1, 0.9]), np.array([False, True])) == 1.0
    assert math.isnan(binary_auc(scores, np.ones(4, dtype=bool)))


def test_confusion_matrix_rows_are_true_classes() -> None:
    preds = torch.tensor([0, 1, 1, 2, 2, 2])
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    cm = confusion_matrix(preds, labels, 3)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(labels, preds, labels=[0, 1, 2]))
    assert json.loads(confusion_json(cm)) == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        classification_metrics(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="labels must not be empty"):
        classification_metrics(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), 3)
