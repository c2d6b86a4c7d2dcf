"""The classifier's typed config: its flat keys, defaults, normalization and one-line errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from workloads.config import ClassifyConfig, mixer_param_defaults


def validate_config(flat: dict) -> dict:
    return ClassifyConfig.from_flat(flat).to_flat()


def test_config_defaults_list_every_key() -> None:
    required = {
        "dataset", "data_root", "arch", "method", "variant", "gamma", "gamma_range", "alpha", "t",
        "epochs", "batch_size", "eval_batch_size", "lr", "momentum", "nesterov", "weight_decay",
        "milestones", "lr_decay", "optimizer", "loss", "pretrained", "seed", "device", "subset",
        "checkpoint_every", "num_threads", "flip", "crop_padding", "epochs_factor", "train_sources",
        "artifacts_dir",
    }
    defaults = ClassifyConfig.defaults()
    assert required <= set(defaults) == ClassifyConfig.keys()
    assert defaults["momentum"] == 0.9 and defaults["nesterov"] is True
    assert defaults["pretrained"] is False and defaults["device"] == "auto"
    assert validate_config({}) == defaults | {"milestones": []}
    assert set(mixer_param_defaults()) <= set(defaults)


def test_the_typed_config_gives_the_training_code_its_derived_values() -> None:
    cfg = ClassifyConfig.from_flat({"method": "manifold-mixup", "epochs": 20, "epochs_factor": 10.0,
                                    "milestones": [5, 15]})
    assert cfg.epochs == 20 and cfg.epochs_factor == 10  # the recipe's own epochs are kept
    assert cfg.epochs_total == 200 and cfg.milestones_total == [50, 150]
    assert cfg.mixer_params == {} and cfg.build_method().alpha == 2.0  # alpha unset: the method's own default
    assert cfg.is_trainer_method
    tuned = ClassifyConfig.from_flat({"method": "manifold-mixup", "alpha": 1.5, "gamma": 2.8})
    assert tuned.mixer_params == {"alpha": 1.5}  # gamma belongs to other methods
    # alpha's default differs between mixup (1.0) and manifold mixup (2.0): None = "the method's own"
    defaults = ClassifyConfig.defaults()
    assert defaults["alpha"] is None and defaults["epochs_factor"] == 1
    assert defaults["train_sources"] == "real" and defaults["artifacts_dir"] is None
    cfg = ClassifyConfig.from_flat({"train_sources": "real+mmixup+gemix", "artifacts_dir": "/tmp/art"})
    assert cfg.train_source_names == ("real", "mmixup", "gemix")


def test_the_flat_form_round_trips_through_json() -> None:
    import json

    cfg = ClassifyConfig.from_flat({"method": "zeta", "gamma": 2.8, "milestones": [3, 4], "variant": "z"})
    flat = cfg.to_flat()
    assert flat["milestones"] == [3, 4] and flat["gamma"] == 2.8 and flat["variant"] == "z"
    assert ClassifyConfig.from_flat(json.loads(json.dumps(flat))) == cfg


def test_another_trainables_keys_are_unknown_here() -> None:
    # Each stage of an experiment gets only its own trainable's keys (the planner filters them).
    with pytest.raises(ValueError, match=r"unknown classify config key\(s\) gan_steps; valid keys: .*lr"):
        validate_config({"gan_steps": 30})


def test_validate_config_normalizes() -> None:
    cfg = validate_config({"epochs": 5.0, "milestones": "3, 4", "nesterov": "false", "lr": 1})
    assert cfg["epochs"] == 5 and isinstance(cfg["epochs"], int)
    assert cfg["milestones"] == [3, 4]
    assert cfg["nesterov"] is False
    assert cfg["lr"] == 1.0 and isinstance(cfg["lr"], float)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ({"learning_rate": 0.1}, r"unknown classify config key\(s\) learning_rate; valid keys: .*lr"),
        ({"dataset": "nope"}, r"unknown dataset 'nope'; valid choices: .*digits"),
        ({"arch": "vgg"}, r"unknown arch 'vgg'; valid choices: .*small_cnn"),
        ({"method": "cutmix2"}, r"unknown method 'cutmix2'; valid choices: .*erm"),
        ({"optimizer": "rmsprop"}, r"unknown optimizer 'rmsprop'; valid choices: sgd, adam"),
        ({"loss": "mse"}, r"unknown loss 'mse'; valid choices: soft_ce, bce"),
        ({"lr": 0}, r"lr must be a number in \(0.0, inf\)"),
        ({"lr": float("nan")}, r"lr must be a number"),
        ({"momentum": 1.0}, r"momentum must be a number in \[0.0, 1.0\)"),
        ({"weight_decay": -1e-4}, r"weight_decay must be a number in \[0.0, inf\)"),
        ({"lr_decay": 0}, r"lr_decay must be a number in \(0.0, 1.0\]"),
        ({"epochs": 0}, r"epochs must be an integer >= 1"),
        ({"epochs": 2.5}, r"epochs must be an integer >= 1"),
        ({"epochs_factor": 0}, r"epochs_factor must be an integer >= 1"),
        ({"method": "manifold-mixup", "alpha": -1}, r"alpha must be a finite number > 0"),
        ({"train_sources": "real+gan"}, r"unknown source\(s\) 'gan'; valid choices: real, mixup, mmixup, gemix"),
        ({"train_sources": ""}, r"unknown source\(s\) ''; valid choices: real, mixup"),
        ({"train_sources": ["real"]}, r"train_sources must be a string of '\+'-joined names"),
        ({"train_sources": "real+gemix+real"}, r"names a source twice"),
        ({"train_sources": "real+gemix"}, r"train_sources 'real\+gemix' needs artifacts_dir"),
        ({"artifacts_dir": "runs/art"}, r"artifacts_dir must be an absolute folder path or null"),
        ({"batch_size": 1}, r"batch_size must be an integer >= 2"),
        ({"subset": 0}, r"subset must be an integer >= 1 or null"),
        ({"checkpoint_every": 0}, r"checkpoint_every must be an integer >= 1"),
        ({"crop_padding": -1}, r"crop_padding must be an integer >= 0"),
        ({"flip": "yes"}, r"flip must be true or false"),
        ({"milestones": [5, 3]}, r"milestones must be increasing positive epoch numbers"),
        ({"device": "gpu"}, r"device must be one of auto, cpu, cuda, cuda:N, mps"),
        ({"momentum": 0.0}, r"nesterov=true needs momentum in \(0, 1\)"),
        ({"pretrained": True}, r"arch 'small_cnn' has no pretrained weights; set pretrained=false"),
    ],
)
def test_validate_config_rejects(override: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        validate_config(override)


def test_validate_config_checks_pretrained_weights_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="pretrained weights for resnet18 not found locally"):
        validate_config({"arch": "resnet18", "pretrained": True})
