"""The classifier keys GeMix's protocol added: grey images as RGB, one normalization for every channel,
the first N images of each offline set, and the pretrained weights' file recorded with the trial."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workloads.augment import BatchAugment
from workloads.classify import Trainer, train, validate
from workloads.data import DatasetArrays
from workloads.gan.sets import save_set
from workloads.train_sources import load_train_sources, set_dir

FAST = {"dataset": "ct-toy", "arch": "small_cnn", "lr": 0.01, "batch_size": 32, "device": "cpu", "num_threads": 1,
        "subset": 60, "epochs": 1}


def test_the_new_keys_default_to_the_earlier_behaviour():
    cfg = validate({})
    assert (cfg.grey_to_rgb, cfg.norm_mean, cfg.norm_std, cfg.set_images, cfg.split) == (False, None, None, None,
                                                                                         "official")


@pytest.mark.parametrize("override,message", [
    ({"norm_mean": 0.5}, "norm_mean and norm_std are set together .* got 0.5 and None"),
    ({"norm_mean": 0.5, "norm_std": 0}, r"norm_std must be a number in \(0.0, inf\) or null"),
    ({"norm_mean": 2, "norm_std": 1}, r"norm_mean must be a number in \[0.0, 1.0\] or null"),
    ({"set_images": 0}, "set_images must be an integer >= 1 or null"),
    ({"grey_to_rgb": "yes"}, "grey_to_rgb must be true or false"),
    ({"split": "gemix", "split_test_per_class": 0}, "split_test_per_class must be an integer >= 1"),
])
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ValueError, match=message):
        validate(override)


def test_grey_images_become_three_equal_channels_normalized_by_half():
    """torchvision's convert("RGB") then Normalize([0.5] * 3, [0.5] * 3), as the GeMix authors feed their nets."""
    pixels = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 1, 3, 1).expand(2, 1, 3, 1).contiguous()
    augment = BatchAugment(np.full(1, 0.5), np.full(1, 0.5), to_rgb=True)
    out = augment.eval(pixels)
    assert out.shape == (2, 3, 1, 3)
    torch.testing.assert_close(out[:, 0], out[:, 2])
    torch.testing.assert_close(out[0, 1, 0], torch.tensor([-1.0, 51 / 255 * 2 - 1, 1.0]))
    rgb = torch.zeros(2, 4, 4, 3, dtype=torch.uint8)
    assert BatchAugment(np.zeros(3), np.ones(3), to_rgb=True).eval(rgb).shape == (2, 3, 4, 4)  # already RGB


def test_a_trainer_with_grey_to_rgb_feeds_an_rgb_stem(ct_toy: DatasetArrays):
    cfg = validate({**FAST, "grey_to_rgb": True, "norm_mean": 0.5, "norm_std": 0.5})
    trainer = Trainer(cfg, ct_toy.subset(60))
    assert trainer.model.features[0].in_channels == 3
    x = trainer.augment.eval(torch.from_numpy(np.asarray(ct_toy.splits["test"].images[:4])))
    assert x.shape == (4, 3, 32, 32) and x.min() >= -1 and x.max() <= 1
    metrics = trainer.run_epoch()
    assert np.isfinite(metrics["train_loss"]) and "pretrained_weights" not in metrics
    plain = Trainer(validate(FAST), ct_toy.subset(60))
    assert plain.model.features[0].in_channels == 1


def test_each_set_gives_its_first_set_images(tmp_path: Path, ct_toy: DatasetArrays):
    rng = np.random.default_rng(0)
    for name in ("mixup", "gemix"):
        save_set(set_dir(tmp_path, name), rng.integers(0, 256, (30, 32, 32, 1), dtype=np.uint8),
                 rng.dirichlet(np.ones(3), 30).astype(np.float32), {"kind": name})
    real = ct_toy.splits["train"]
    base = {"dataset": "ct-toy", "artifacts_dir": str(tmp_path), "train_sources": "real+mixup+gemix"}
    images, labels = load_train_sources(validate({**base, "set_images": 24}), ct_toy)
    assert len(images) == len(real) + 2 * 24
    whole, _ = load_train_sources(validate(base), ct_toy)
    np.testing.assert_array_equal(images[len(real):len(real) + 24], whole[len(real):len(real) + 24])
    np.testing.assert_array_equal(images[-24:], whole[len(real) + 30:len(real) + 54])
    with pytest.raises(ValueError, match="set 'mixup' at .* holds 30 images, fewer than set_images=31"):
        load_train_sources(validate({**base, "set_images": 31}), ct_toy)


def test_the_weights_file_is_recorded_and_arch_in_the_path_names_each_archs(tmp_path, monkeypatch, ct_toy):
    import timm

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.save(timm.create_model("resnet18", pretrained=False).state_dict(), tmp_path / "resnet18.pth")
    config = {**FAST, "arch": "resnet18", "pretrained": True, "pretrained_path": str(tmp_path / "{arch}.pth"),
              "subset": 32, "grey_to_rgb": True, "norm_mean": 0.5, "norm_std": 0.5}
    final = train(config, lambda metrics, directory: None, data=ct_toy)
    assert final["pretrained_weights"] == str(tmp_path / "resnet18.pth")
    with pytest.raises(ValueError, match=r"pretrained weights for resnet50 not found locally; looked in "
                                         r".*resnet50.pth.*timm.create_model\('resnet50', pretrained=True\)"):
        validate({**config, "arch": "resnet50"})
