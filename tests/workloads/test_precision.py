"""Mixed precision, channels-last, torch.compile and cuDNN keys (`workloads.precision`) in the classifier,
the GAN and GeMix's stages: validation, what `auto` means where, training on the CPU, exact resume with
the fp16 loss scaler. Tests that need CUDA say so in their names and run only where CUDA is."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from workloads.classify import build_trainer, train
from workloads.config import ClassifyConfig
from workloads.data import DatasetArrays
from workloads.gan.config import GanConfig
from workloads.precision import PRECISIONS, Runtime, resolve_channels_last, resolve_precision

from tests.workloads.test_classify import FAST, Interrupted, Recorder, strip_timing

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
KEYS = {"precision": "auto", "channels_last": None, "compile": False, "cudnn_benchmark": True}
SMALL = {**FAST, "method": "zeta", "subset": 200, "epochs": 1}


# -- the keys ------------------------------------------------------------------------------------------

def test_every_training_config_has_the_four_keys_with_their_defaults() -> None:
    from workloads.gemix.gan_stage import GanStageConfig

    for config in (ClassifyConfig, GanConfig):
        assert {key: config.defaults()[key] for key in KEYS} == KEYS
    stage = GanStageConfig.defaults()  # GeMix's gan-train stage spells the GAN's keys with gan_
    assert {key: stage[f"gan_{key}"] for key in KEYS} == KEYS


@pytest.mark.parametrize("value, expected", [("auto", None), (None, None), ("true", True), (True, True),
                                             ("False", False), (False, False)])
def test_channels_last_is_auto_true_or_false(value, expected) -> None:
    assert ClassifyConfig.from_flat({"channels_last": value}).channels_last is expected
    assert GanConfig.from_flat({"channels_last": value}).channels_last is expected


@pytest.mark.parametrize("key, value, message", [
    ("precision", "fp8", "unknown precision 'fp8'; valid choices: auto, fp32, bf16, fp16"),
    ("precision", "float16", "valid choices: auto, fp32, bf16, fp16"),
    ("channels_last", "nhwc", "channels_last must be one of auto (or null), true, false, got 'nhwc'"),
    ("channels_last", 1, "channels_last must be one of auto (or null), true, false"),
    ("compile", "yes", "compile must be true or false, got 'yes'"),
    ("cudnn_benchmark", 0, "cudnn_benchmark must be true or false, got 0"),
])
def test_bad_values_are_one_line_errors_naming_the_choices(key, value, message) -> None:
    from workloads.gemix.gan_stage import GanStageConfig

    for config, name, extra in ((ClassifyConfig, key, {}), (GanConfig, key, {}),
                                (GanStageConfig, f"gan_{key}", {"artifacts_dir": "/tmp/art"})):
        with pytest.raises(ValueError) as info:
            config.from_flat({name: value, **extra})
        text = str(info.value)
        assert "\n" not in text and message.replace(key, name, 1) in text


def test_the_keys_travel_as_flat_json_values() -> None:
    cfg = ClassifyConfig.from_flat({"precision": "bf16", "channels_last": "true", "compile": "false"})
    flat = cfg.to_flat()
    assert {k: flat[k] for k in KEYS} == {"precision": "bf16", "channels_last": True, "compile": False,
                                          "cudnn_benchmark": True}
    assert ClassifyConfig.from_flat(json.loads(json.dumps(flat))) == cfg


def test_compile_is_refused_for_manifold_mixup() -> None:
    with pytest.raises(ValueError, match="compile=true does not work with method=manifold-mixup"):
        ClassifyConfig.from_flat({"method": "manifold-mixup", "compile": True})


def test_gemix_stages_pass_the_keys_to_the_gan_and_the_quality_oracle() -> None:
    from workloads.gemix.gan_stage import GanStageConfig
    from workloads.gemix.quality_stage import QualityStageConfig

    stage = GanStageConfig.from_flat({"artifacts_dir": "/tmp/art", "gan_precision": "bf16",
                                      "gan_channels_last": "true"})
    assert stage.gan.precision == "bf16" and stage.gan.channels_last is True
    assert stage.to_flat()["gan_precision"] == "bf16"
    quality = QualityStageConfig.from_flat({"artifacts_dir": "/tmp/art", "precision": "bf16",
                                            "channels_last": "false", "compile": "true"})
    oracle = ClassifyConfig.from_flat(quality.oracle)
    assert (oracle.precision, oracle.channels_last, oracle.compile) == ("bf16", False, True)
    unset = ClassifyConfig.from_flat(QualityStageConfig.from_flat({"artifacts_dir": "/tmp/art"}).oracle)
    assert {k: getattr(unset, k) for k in KEYS} == KEYS  # null: the classifier's own defaults
    with pytest.raises(ValueError, match="unknown precision 'fp12'"):
        QualityStageConfig.from_flat({"artifacts_dir": "/tmp/art", "precision": "fp12"})


# -- what auto means where ---------------------------------------------------------------------------

def test_auto_precision_is_fp32_on_cpu_and_bf16_only_on_cuda_with_native_bf16(monkeypatch) -> None:
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    assert resolve_precision("auto", torch.device("cuda")) == "fp32"  # e.g. a V100 or a T4
    for name in PRECISIONS[1:]:
        assert resolve_precision(name, torch.device("cpu")) == name  # asked for explicitly: as asked


def test_channels_last_auto_is_on_only_for_conv_nets_on_cuda() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert resolve_channels_last(None, gpu, conv_net=True) is True
    assert resolve_channels_last(None, gpu, conv_net=False) is False  # mlp on feature vectors
    assert resolve_channels_last(None, cpu, conv_net=True) is False  # CPU results do not change
    assert resolve_channels_last(True, cpu, conv_net=False) is True  # an explicit value wins


def test_fp32_runs_no_autocast_and_only_fp16_scales_the_loss() -> None:
    for precision, dtype, scaled in (("fp32", None, False), ("bf16", torch.bfloat16, False),
                                     ("fp16", torch.float16, True)):
        rt = Runtime(torch.device("cpu"), precision, channels_last=False, compile=False)
        assert rt.amp_dtype is dtype and rt.grad_scaler().is_enabled() is scaled
        with rt.autocast():
            assert torch.is_autocast_enabled("cpu") is (dtype is not None)
            y = torch.nn.Linear(4, 2)(torch.ones(3, 4))
        assert y.dtype == (dtype or torch.float32)


# -- training on the CPU -----------------------------------------------------------------------------

def test_auto_precision_on_cpu_is_bit_identical_to_fp32(digits: DatasetArrays) -> None:
    auto, fp32 = Recorder(), Recorder()
    train(SMALL, auto, data=digits)
    train({**SMALL, "precision": "fp32", "channels_last": False}, fp32, data=digits)
    assert [strip_timing(m) for m in auto.metrics] == [strip_timing(m) for m in fp32.metrics]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_cpu_trains_to_finite_metrics(precision: str, digits: DatasetArrays) -> None:
    trainer = build_trainer({**SMALL, "precision": precision, "channels_last": True}, digits)
    metrics = trainer.run_epoch()
    assert trainer.runtime.amp_dtype == {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    numbers = {k: v for k, v in metrics.items() if isinstance(v, float)}
    assert all(math.isfinite(v) for v in numbers.values()), numbers
    assert metrics["val_loss"] < math.log(10) + 0.5 and 0.0 <= metrics["test_acc"] <= 1.0


def test_channels_last_on_cpu_gives_the_same_predictions_within_rounding(digits: DatasetArrays) -> None:
    nchw = build_trainer(SMALL, digits)
    nhwc = build_trainer({**SMALL, "channels_last": True}, digits)
    assert nhwc.runtime.channels_last and not nchw.runtime.channels_last
    assert nhwc.model.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    before = nchw.evaluate("val"), nhwc.evaluate("val")
    assert before[0]["val_loss"] == pytest.approx(before[1]["val_loss"], rel=1e-5)
    a, b = nchw.run_epoch(), nhwc.run_epoch()
    assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-3)
    assert abs(a["val_acc"] - b["val_acc"]) <= 2 / len(digits.splits["val"].labels[:200])


def test_fp16_resume_restores_the_loss_scaler_and_continues_bit_for_bit(tmp_path: Path, digits: DatasetArrays) -> None:
    from workloads.checkpoint import load_checkpoint

    config = {**SMALL, "precision": "fp16", "epochs": 2, "flip": True, "seed": 5}
    full = Recorder()
    train(config, full, data=digits)
    interrupted = Recorder(keep_dir=tmp_path, stop_after=1)
    with pytest.raises(Interrupted):
        train(config, interrupted, data=digits)
    saved = load_checkpoint(tmp_path / "epoch1")["scaler"]
    steps = math.ceil(200 / FAST["batch_size"])  # no overflow at this scale: every step grew the tracker
    assert saved["scale"] == 2.0**16 and saved["_growth_tracker"] == steps

    torch.manual_seed(999)  # a fresh worker's global RNG
    resumed = Recorder()
    train(config, resumed, checkpoint=str(tmp_path / "epoch1"), data=digits)
    assert [strip_timing(m) for m in resumed.metrics] == [strip_timing(m) for m in full.metrics[1:]]

    # The state really is loaded: an edited scale comes back.
    state = load_checkpoint(tmp_path / "epoch1")
    state["scaler"] = {**saved, "scale": 2.0**7, "_growth_tracker": 3}
    trainer = build_trainer(config, digits)
    trainer.load_state_dict(state)
    assert trainer.scaler.get_scale() == 2.0**7 and trainer.scaler.state_dict()["_growth_tracker"] == 3


def test_a_checkpoint_without_scaler_state_resumes_under_fp16(tmp_path: Path, digits: DatasetArrays) -> None:
    # An fp32 checkpoint (or one written before the key existed) has no scale to restore: keep a fresh one.
    fp32 = build_trainer(SMALL, digits)
    state = fp32.state_dict()
    assert state["scaler"] == {}
    del state["scaler"]
    fp16 = build_trainer({**SMALL, "precision": "fp16"}, digits)
    fp16.load_state_dict(state)
    assert fp16.scaler.get_scale() == 2.0**16


def test_compile_trains_and_checkpoints_keep_the_plain_parameter_names(digits: DatasetArrays, monkeypatch) -> None:
    # aot_eager runs TorchDynamo and AOTAutograd as inductor would, without minutes of C++ compilation.
    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda model, **kw: real_compile(model, backend="aot_eager", **kw))
    trainer = build_trainer({**SMALL, "method": "erm", "compile": True}, digits)
    assert trainer.net is not trainer.model
    plain = build_trainer({**SMALL, "method": "erm"}, digits)
    a, b = trainer.run_epoch(), plain.run_epoch()
    assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    keys = list(trainer.state_dict()["model"])
    assert keys == list(plain.state_dict()["model"]) and not any("_orig_mod" in k for k in keys)


# -- the GAN -------------------------------------------------------------------------------------------

GAN_TINY = dict(resolution=16, channel_base=128, channel_max=16, z_dim=16, w_dim=16, mapping_layers=2, batch_size=8,
                ema_kimg=0.01, ada_kimg=0.5, ada_interval=1, r1_interval=2, r1_gamma=1.0, device="cpu",
                max_images=120, grid_cols=3, report_every=2)


def _gan_run(cfg: dict, root: Path, digits: DatasetArrays, checkpoint: str | None = None) -> list[tuple[dict, str]]:
    from workloads.gan.train import train_gan

    out: list[tuple[dict, str]] = []

    def report(metrics: dict, directory: str | None) -> None:
        dest = root / f"ckpt-{len(list(root.iterdir()))}"
        shutil.copytree(directory, dest)
        out.append((metrics, str(dest)))

    train_gan(cfg, report, checkpoint, data=digits)
    return out


@pytest.mark.parametrize("precision, steps", [("bf16", 2), ("fp16", 6)])
def test_gan_mixed_precision_on_cpu_reports_finite_losses(precision: str, steps: int, digits: DatasetArrays,
                                                          tmp_path: Path) -> None:
    from workloads.checkpoint import load_checkpoint

    # fp16: the first steps overflow at the initial scale 2^16 (the R1 gradient first); the scalers skip
    # them and halve the scale, so the R1 evaluated after that is finite.
    (metrics, directory), = _gan_run({**GAN_TINY, "steps": steps, "report_every": steps, "precision": precision},
                                     tmp_path, digits)
    for key in ("g_loss", "d_loss", "r1", "d_real", "d_fake"):
        assert math.isfinite(metrics[key]), key
    assert (Path(directory) / "samples.png").is_file()
    if precision == "fp16":
        assert load_checkpoint(directory)["d_scaler"]["scale"] < 2.0**16


def test_gan_fp16_resume_restores_both_loss_scalers(digits: DatasetArrays, tmp_path: Path) -> None:
    from workloads.checkpoint import load_checkpoint

    cfg = {**GAN_TINY, "precision": "fp16", "seed": 2}
    whole = _gan_run({**cfg, "steps": 4}, tmp_path, digits)
    part = _gan_run({**cfg, "steps": 2}, tmp_path, digits)
    state = load_checkpoint(part[-1][1])
    assert state["g_scaler"]["scale"] > 0 and state["d_scaler"]["scale"] > 0
    resumed = _gan_run({**cfg, "steps": 4}, tmp_path, digits, checkpoint=part[-1][1])
    a, b = whole[-1], resumed[-1]
    for key in ("g_loss", "d_loss", "r1", "ada_p"):
        assert math.isclose(a[0][key], b[0][key], rel_tol=1e-5, abs_tol=1e-7), key
    sa, sb = load_checkpoint(a[1]), load_checkpoint(b[1])
    assert sa["g_scaler"] == sb["g_scaler"] and sa["d_scaler"] == sb["d_scaler"]
    for name, tensor in sa["G"].items():
        assert torch.allclose(tensor, sb["G"][name], atol=1e-6), name


# -- CUDA only -----------------------------------------------------------------------------------------

@cuda
def test_bf16_channels_last_train_with_finite_metrics_and_report_peak_memory_cuda(digits: DatasetArrays) -> None:
    trainer = build_trainer({**SMALL, "device": "cuda", "precision": "auto"}, digits)
    assert trainer.runtime.channels_last  # auto: on for a conv net on CUDA
    assert trainer.runtime.precision == ("bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp32")
    assert torch.backends.cudnn.benchmark is True
    metrics = trainer.run_epoch()
    assert all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))
    assert metrics["peak_memory_mib"] > 0


@cuda
def test_fp16_resume_on_cuda_continues_where_it_stopped_cuda(tmp_path: Path, digits: DatasetArrays) -> None:
    config = {**SMALL, "device": "cuda", "precision": "fp16", "epochs": 2, "cudnn_benchmark": False}
    torch.backends.cudnn.deterministic = True
    try:
        full = Recorder()
        train(config, full, data=digits)
        interrupted = Recorder(keep_dir=tmp_path, stop_after=1)
        with pytest.raises(Interrupted):
            train(config, interrupted, data=digits)
        resumed = Recorder()
        train(config, resumed, checkpoint=str(tmp_path / "epoch1"), data=digits)
    finally:
        torch.backends.cudnn.deterministic = False
    got, want = resumed.metrics[0], full.metrics[1]
    assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-4)
    assert got["val_loss"] == pytest.approx(want["val_loss"], rel=1e-3)


@cuda
def test_gan_bf16_steps_on_cuda_cuda(digits: DatasetArrays, tmp_path: Path) -> None:
    (metrics, _), = _gan_run({**GAN_TINY, "device": "cuda", "precision": "bf16", "steps": 2}, tmp_path, digits)
    assert all(math.isfinite(metrics[k]) for k in ("g_loss", "d_loss", "r1"))

