"""The classification trainable on real digits: learning, determinism, resume, checkpoints, config."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from workloads.classify import train, validate
from workloads.data import DatasetArrays, Split
from workloads.manifold import TRAINER_METHODS
from workloads.mixing import MIXERS

# Keys whose values depend on wall time, not on the computation.
TIMING_KEYS = {"train_images_per_s"}

# One thread: this small net gains nothing from more, and a shared, busy machine slows 2 threads a lot.
FAST = {"dataset": "digits", "arch": "small_cnn", "lr": 0.05, "batch_size": 64, "device": "cpu", "num_threads": 1}


def strip_timing(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMING_KEYS}


class Recorder:
    """A `report` callable that keeps every epoch's metrics and, optionally, copies checkpoints."""

    def __init__(self, keep_dir: Path | None = None, stop_after: int | None = None) -> None:
        self.metrics: list[dict] = []
        self.checkpoints: list[str | None] = []
        self.keep_dir = keep_dir
        self.stop_after = stop_after

    def __call__(self, metrics: dict, checkpoint: str | None) -> None:
        self.metrics.append(dict(metrics))
        self.checkpoints.append(checkpoint)
        if checkpoint is not None:
            assert (Path(checkpoint) / "state.pt").is_file()
            if self.keep_dir is not None:
                shutil.copytree(checkpoint, self.keep_dir / f"epoch{metrics['epoch']}")
        if self.stop_after is not None and metrics["epoch"] == self.stop_after:
            raise Interrupted()


class Interrupted(Exception):
    """Simulates a trial killed between epochs."""


@pytest.mark.parametrize("method", ["erm", "zeta", "manifold-mixup"])
def test_learns_digits(method: str, digits: DatasetArrays) -> None:
    rec = Recorder()
    final = train({**FAST, "method": method, "epochs": 3}, rec, data=digits)
    assert [m["epoch"] for m in rec.metrics] == [1, 2, 3]
    assert final["test_acc"] > 0.8, final  # chance is 0.1
    assert final["test_err"] == pytest.approx(1 - final["test_acc"])
    assert rec.metrics[-1]["train_loss"] < rec.metrics[0]["train_loss"]


@pytest.mark.parametrize("method", MIXERS.names() + TRAINER_METHODS.names())
def test_every_registered_method_trains_one_epoch(method: str, digits: DatasetArrays) -> None:
    final = train({**FAST, "method": method, "epochs": 1, "subset": 96, "batch_size": 32}, Recorder(), data=digits)
    assert np.isfinite(final["train_loss"]) and 0.0 <= final["test_acc"] <= 1.0


def test_metric_names_and_final_confusion(digits: DatasetArrays) -> None:
    rec = Recorder()
    final = train({**FAST, "epochs": 2, "subset": 120}, rec, data=digits)
    expected = {"epoch", "epochs_total", "lr", "train_loss", "train_images_per_s"} | {
        f"{split}_{m}"
        for split in ("val", "test")
        for m in ("loss", "acc", "err", "bacc", "precision_macro", "recall_macro", "f1_macro", "f1_micro", "auc")
    }
    assert set(rec.metrics[0]) == expected
    assert set(final) == expected | {"test_confusion"}
    matrix = np.array(json.loads(final["test_confusion"]))
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 120  # subset caps the test split at 120 samples
    assert np.trace(matrix) / 120 == pytest.approx(final["test_acc"])
    assert final["lr"] == pytest.approx(0.05)
    assert final["train_images_per_s"] > 0
    assert [m["epochs_total"] for m in rec.metrics] == [2, 2]


def test_same_seed_same_metrics_other_seed_differs(digits: DatasetArrays) -> None:
    config = {**FAST, "method": "zeta", "epochs": 2, "subset": 300, "flip": True, "crop_padding": 1}
    a, b, c = Recorder(), Recorder(), Recorder()
    train(config, a, data=digits)
    train(config, b, data=digits)
    train({**config, "seed": 1}, c, data=digits)
    assert [strip_timing(m) for m in a.metrics] == [strip_timing(m) for m in b.metrics]
    assert a.metrics[-1]["train_loss"] != c.metrics[-1]["train_loss"]


def test_resume_equals_uninterrupted_run(tmp_path: Path, digits: DatasetArrays) -> None:
    # zeta, flip and crop exercise the mixer, augment and shuffle generators; milestones the scheduler.
    config = {
        **FAST, "method": "zeta", "epochs": 3, "subset": 400, "flip": True, "crop_padding": 1,
        "milestones": [2], "lr_decay": 0.5, "seed": 3,
    }
    full = Recorder()
    full_final = train(config, full, data=digits)

    interrupted = Recorder(keep_dir=tmp_path, stop_after=1)
    with pytest.raises(Interrupted):
        train(config, interrupted, data=digits)
    # Scramble the global RNGs, as a fresh worker process would have them.
    torch.manual_seed(12345)
    np.random.seed(12345)
    resumed = Recorder()
    resumed_final = train(config, resumed, checkpoint=str(tmp_path / "epoch1"), data=digits)

    assert [m["epoch"] for m in resumed.metrics] == [2, 3]
    assert strip_timing(interrupted.metrics[0]) == strip_timing(full.metrics[0])
    for got, want in zip(resumed.metrics, full.metrics[1:]):
        assert strip_timing(got) == strip_timing(want)
    assert strip_timing(resumed_final) == strip_timing(full_final)
    assert full.metrics[2]["lr"] == pytest.approx(0.025)  # decayed after epoch 2


def test_manifold_mixup_resume_with_epochs_factor_is_bit_exact(tmp_path: Path, digits: DatasetArrays) -> None:
    # epochs 2 x factor 2 = 4 real epochs; milestone 1 -> after real epoch 2.
    config = {
        **FAST, "method": "manifold-mixup", "epochs": 2, "epochs_factor": 2, "subset": 300, "flip": True,
        "milestones": [1], "lr_decay": 0.5, "seed": 5,
    }
    full = Recorder()
    train(config, full, data=digits)
    assert [m["epoch"] for m in full.metrics] == [1, 2, 3, 4]
    assert {m["epochs_total"] for m in full.metrics} == {4}
    assert [m["lr"] for m in full.metrics] == pytest.approx([0.05, 0.05, 0.025, 0.025])
    assert "test_confusion" in full.metrics[3] and "test_confusion" not in full.metrics[1]

    interrupted = Recorder(keep_dir=tmp_path, stop_after=2)
    with pytest.raises(Interrupted):
        train(config, interrupted, data=digits)
    torch.manual_seed(999)
    resumed = Recorder()
    train(config, resumed, checkpoint=str(tmp_path / "epoch2"), data=digits)
    assert [strip_timing(m) for m in resumed.metrics] == [strip_timing(m) for m in full.metrics[2:]]


def test_manifold_mixup_mixes_hidden_layers_in_training(digits: DatasetArrays, monkeypatch: pytest.MonkeyPatch) -> None:
    from workloads.classify import Trainer
    from workloads.manifold import ManifoldMixup

    layers_used: list[int] = []
    draw = ManifoldMixup.draw

    def spy(self, n, num_layers, generator=None):
        d = draw(self, n, num_layers, generator)
        layers_used.append(d.layer)
        return d

    monkeypatch.setattr(ManifoldMixup, "draw", spy)
    trainer = Trainer(validate({**FAST, "method": "manifold-mixup", "subset": 320, "batch_size": 16}), digits.subset(320))
    assert trainer.mixer is None and trainer.manifold.alpha == 2.0  # Verma et al.'s default
    trainer.run_epoch()
    assert len(layers_used) == 20 and set(layers_used) == {0, 1, 2, 3}


def test_epochs_factor_scales_epochs_and_milestones(digits: DatasetArrays) -> None:
    rec = Recorder()
    final = train({**FAST, "epochs": 1, "epochs_factor": 3, "milestones": [1], "lr_decay": 0.1, "subset": 60},
                  rec, data=digits)
    assert [m["epoch"] for m in rec.metrics] == [1, 2, 3]
    assert [m["lr"] for m in rec.metrics] == pytest.approx([0.05, 0.05, 0.05])  # milestone 1 x 3 = epoch 3
    assert final["epochs_total"] == 3 and "test_confusion" in final


def test_resume_from_final_checkpoint_returns_its_metrics(tmp_path: Path, digits: DatasetArrays) -> None:
    config = {**FAST, "epochs": 1, "subset": 100}
    first = Recorder(keep_dir=tmp_path)
    final = train(config, first, data=digits)
    again = Recorder()
    assert train(config, again, checkpoint=str(tmp_path / "epoch1"), data=digits) == final
    assert again.metrics == []


def test_checkpoint_every_and_cleanup(digits: DatasetArrays) -> None:
    rec = Recorder()
    train({**FAST, "epochs": 3, "subset": 100, "checkpoint_every": 2}, rec, data=digits)
    assert rec.checkpoints[0] is None
    assert rec.checkpoints[1] is not None and rec.checkpoints[2] is not None  # every 2nd, and the last
    assert not any(os.path.exists(c) for c in rec.checkpoints if c)


def test_non_finite_loss_raises(digits: DatasetArrays) -> None:
    with pytest.raises(FloatingPointError, match=r"non-finite training loss \((nan|inf|-inf)\) at epoch 1 step \d+"):
        train({**FAST, "epochs": 2, "subset": 300, "lr": 1e30, "weight_decay": 0.0}, Recorder(), data=digits)


def test_feature_vectors_with_mlp(digits: DatasetArrays) -> None:
    flat = {
        name: Split(s.images.reshape(len(s), -1).astype(np.float32), s.labels) for name, s in digits.splits.items()
    }
    vectors = DatasetArrays("digits", digits.class_names, flat)
    final = train({**FAST, "arch": "mlp", "epochs": 3, "method": "zeta", "flip": True, "crop_padding": 4},
                  Recorder(), data=vectors)
    assert final["test_acc"] > 0.8


def test_loads_dataset_when_not_given() -> None:
    final = train({**FAST, "epochs": 1, "subset": 60, "loss": "bce", "optimizer": "adam", "lr": 1e-3}, Recorder())
    assert np.array(json.loads(final["test_confusion"])).sum() == 60


def test_num_threads_is_applied(digits: DatasetArrays) -> None:
    torch.set_num_threads(2)
    train({**FAST, "epochs": 1, "subset": 60, "num_threads": 1}, Recorder(), data=digits)
    assert torch.get_num_threads() == 1


def test_labels_out_of_range_raise(digits: DatasetArrays) -> None:
    splits = dict(digits.splits)
    bad = splits["val"].labels.copy()
    bad[0] = 10
    splits["val"] = Split(splits["val"].images, bad)
    with pytest.raises(ValueError, match=r"val labels must lie in \[0, 10\), got 0..10"):
        train({**FAST, "epochs": 1}, Recorder(), data=DatasetArrays("digits", digits.class_names, splits))


@pytest.mark.filterwarnings("error")
def test_read_only_shared_arrays_are_used_without_copy_or_warning(digits: DatasetArrays) -> None:
    # Ray's object store hands trials read-only numpy arrays; on the CPU they must be used in place.
    from workloads.classify import Trainer

    splits = {}
    for name, s in digits.subset(90).splits.items():
        images, labels = s.images.copy(), s.labels.copy()
        images.setflags(write=False)
        labels.setflags(write=False)
        splits[name] = Split(images, labels)
    data = DatasetArrays("digits", digits.class_names, splits)
    trainer = Trainer(validate({**FAST, "epochs": 1}), data)
    assert trainer.x["train"].data_ptr() == splits["train"].images.ctypes.data
    trainer.run_epoch()
    assert not splits["train"].images.flags.writeable


def test_train_subset_caps_only_the_training_split_stratified(digits):
    from workloads.classify import prepare_data

    data = prepare_data(validate({"dataset": "digits", "train_subset": 60}), digits)
    assert len(data.splits["train"]) == 60
    assert sorted(set(data.splits["train"].labels.tolist())) == list(range(10))  # 6 per class
    assert len(data.splits["test"]) == len(digits.splits["test"]) and len(data.splits["val"]) == len(digits.splits["val"])
    with pytest.raises(ValueError, match="train_subset"):
        validate({"train_subset": 0})
