"""workloads.validate: the config checks every trainable shares, and that all three configs use them."""
from __future__ import annotations

import math

import pytest
import torch

from workloads.config import ClassifyConfig
from workloads.gan.config import GanConfig
from workloads.gemix.gan_stage import GanStageConfig
from workloads.gemix.sets_stage import SetsStageConfig
from workloads.validate import (
    SEED_MAX,
    check_bool,
    check_choice,
    check_device,
    check_float,
    check_int,
    check_optional_str,
)


def test_check_int_normalizes_integral_floats_and_names_the_range():
    cfg = {"n": 5.0, "m": None}
    check_int(cfg, "n", 1, 10)
    assert cfg["n"] == 5 and isinstance(cfg["n"], int)
    check_int(cfg, "m", 1, optional=True)
    assert cfg["m"] is None
    for bad in (5.5, True, "5", 0, 11, None):
        with pytest.raises(ValueError, match=r"^n must be an integer in \[1, 10\], got"):
            check_int({"n": bad}, "n", 1, 10)
    with pytest.raises(ValueError, match=r"^gan_m must be an integer >= 1 or null, got 0$"):
        check_int({"m": 0}, "m", 1, optional=True, prefix="gan_")


def test_check_float_converts_ints_and_respects_open_ends():
    cfg = {"x": 1}
    check_float(cfg, "x", 0.0, 1.0)
    assert cfg["x"] == 1.0 and isinstance(cfg["x"], float)
    with pytest.raises(ValueError, match=r"^x must be a number in \[0.0, 1.0\), got 1$"):
        check_float({"x": 1}, "x", 0.0, 1.0, hi_open=True)
    with pytest.raises(ValueError, match=r"^p_x must be a number in \(0.0, inf\) or null, got 0$"):
        check_float({"x": 0}, "x", 0.0, math.inf, lo_open=True, hi_open=True, optional=True, prefix="p_")
    for bad in (float("nan"), float("inf"), False, "0.5"):
        with pytest.raises(ValueError, match="x must be a number"):
            check_float({"x": bad}, "x", 0.0, math.inf)


def test_check_bool_choice_str_and_device():
    cfg = {"b": "TRUE", "c": "false"}
    check_bool(cfg, "b")
    check_bool(cfg, "c")
    assert cfg == {"b": True, "c": False}
    with pytest.raises(ValueError, match="^b must be true or false, got 1$"):
        check_bool({"b": 1}, "b")
    with pytest.raises(ValueError, match="^unknown x_k 'z'; valid choices: a, b$"):
        check_choice({"k": "z"}, "k", ("a", "b"), prefix="x_")
    with pytest.raises(ValueError, match="^s must be a string or null, got 3$"):
        check_optional_str({"s": 3}, "s")
    for good in ("auto", "cpu", "cuda", "cuda:1", "mps"):
        check_device({"device": good})
    for bad in ("gpu", "cpu:0", "cuda:x", "mps:0", None):
        with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda, cuda:N, mps"):
            check_device({"device": bad})


def test_gan_config_accepts_what_the_classifier_accepts():
    """Search algorithms hand back 5.0 for 5, command lines "true" for True: the GAN takes both now."""
    cfg = GanConfig.from_flat({"steps": 5.0, "ada": "true", "lr": 1, "grid_cols": 4.0, "resolution": 32.0})
    assert cfg.steps == 5 and isinstance(cfg.steps, int) and cfg.ada is True
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.resolution == 32
    assert GanConfig.from_flat({"ada": "False"}).ada is False
    with pytest.raises(ValueError, match="ada must be true or false"):
        GanConfig.from_flat({"ada": "yes"})
    with pytest.raises(ValueError, match="ema_rampup must be a number in"):
        GanConfig.from_flat({"ema_rampup": 2.0})
    assert GanConfig.from_flat({"ema_rampup": None}).ema_rampup is None


def test_gan_config_prefix_names_the_keys_as_spelled():
    with pytest.raises(ValueError, match=r"^gan_steps must be an integer >= 1, got 0$"):
        GanConfig.from_flat({"steps": 0}, prefix="gan_")
    with pytest.raises(ValueError, match=r"^gan_resolution must be one of"):
        GanConfig.from_flat({"resolution": 48}, prefix="gan_")
    with pytest.raises(ValueError, match=r"unknown GAN config key\(s\) gan_stepz; valid keys: .*gan_steps"):
        GanConfig.from_flat({"stepz": 1}, prefix="gan_")


def test_every_seed_is_bounded_so_torch_can_take_it(tmp_path):
    torch.Generator().manual_seed(SEED_MAX + 2)  # the largest seed plus the offsets trainables add
    too_big = SEED_MAX + 1
    pattern = r"seed must be an integer in \[0, 9223372036854775807\]"
    with pytest.raises(ValueError, match=pattern):
        ClassifyConfig.from_flat({"seed": too_big})
    with pytest.raises(ValueError, match=pattern):
        GanConfig.from_flat({"seed": too_big})
    for stage in (GanStageConfig, SetsStageConfig):
        with pytest.raises(ValueError, match=pattern):
            stage.from_flat({"dataset": "ct-toy", "artifacts_dir": str(tmp_path), "seed": too_big})
    assert SetsStageConfig.from_flat({"dataset": "ct-toy", "artifacts_dir": str(tmp_path), "seed": 3.0}).seed == 3


def test_gemix_stage_normalizes_like_the_classifier(tmp_path):
    base = {"dataset": "ct-toy", "artifacts_dir": str(tmp_path)}
    gan = GanStageConfig.from_flat({**base, "gan_steps": 4.0, "gan_ada": "false", "gan_images_per_class": 7.0})
    assert (gan.gan.steps, gan.gan.ada, gan.gan_images_per_class) == (4, False, 7)
    assert gan.to_flat()["gan_steps"] == 4
    sets = SetsStageConfig.from_flat({**base, "sets_a_other": 2, "sets_images": 8.0})
    assert sets.sets_a_other == 2.0 and isinstance(sets.sets_a_other, float) and sets.sets_images == 8
