"""The conditional GAN: network math, projection conditioning, ADA, losses, training, exact resume."""
from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from workloads.checkpoint import load_checkpoint
from workloads.gan.ada import AdaController, AugmentPipe
from workloads.gan.config import GanConfig
from workloads.gan.discriminator import Discriminator
from workloads.gan.ema import ema_beta, make_ema, update_ema
from workloads.gan.layers import normalize_2nd_moment
from workloads.gan.losses import discriminator_loss, generator_loss, r1_penalty
from workloads.gan.networks import Generator, MappingNetwork, modulate_weights, modulated_conv2d
from workloads.gan.train import train_gan

TINY = dict(channel_base=128, channel_max=16, z_dim=16, w_dim=16, mapping_layers=2)
TINY_CFG = dict(resolution=16, **TINY, batch_size=8, ema_kimg=0.01, ada_kimg=0.5, ada_interval=1,
                r1_interval=2, r1_gamma=1.0, device="cpu", max_images=120, grid_cols=3)


def tiny_g(res=16, channels=1, c_dim=3):
    return Generator(16, c_dim, 16, res, channels, channel_base=TINY["channel_base"], channel_max=16)


# -- networks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("res,channels", [(16, 1), (32, 3)])
def test_generator_output_shape(res, channels):
    torch.manual_seed(0)
    G = tiny_g(res, channels)
    x = G(torch.randn(5, 16), torch.eye(3)[[0, 1, 2, 0, 1]])
    assert x.shape == (5, channels, res, res)
    assert torch.isfinite(x).all()
    assert G.z_dim == 16 and G.c_dim == 3 and G.img_resolution == res


def test_generator_rejects_wrong_label_width():
    with pytest.raises(ValueError, match="c_dim|c \\(N, 3\\)"):
        tiny_g()(torch.randn(2, 16), torch.eye(4)[:2])


def test_demodulated_weights_have_unit_norm_per_output_channel():
    torch.manual_seed(0)
    weight = torch.randn(6, 4, 3, 3)
    styles = torch.rand(5, 4) * 3 + 0.1
    w = modulate_weights(weight, styles, demodulate=True)
    assert w.shape == (5, 6, 4, 3, 3)
    norms = w.square().sum(dim=[2, 3, 4]).sqrt()
    assert torch.allclose(norms, torch.ones(5, 6), atol=1e-5)
    # Without demodulation: plain per-input-channel scaling.
    raw = modulate_weights(weight, styles, demodulate=False)
    assert torch.allclose(raw[2], weight * styles[2][None, :, None, None])


def test_modulated_conv_equals_per_sample_convolution():
    torch.manual_seed(0)
    x, weight, styles = torch.randn(3, 4, 8, 8), torch.randn(6, 4, 3, 3), torch.randn(3, 4)
    out = modulated_conv2d(x, weight, styles, demodulate=True)
    per_sample = modulate_weights(weight, styles, True)
    expected = torch.cat([F.conv2d(x[i : i + 1], per_sample[i], padding=1) for i in range(3)])
    assert torch.allclose(out, expected, atol=1e-5)
    for demodulate in (True, False):  # the training path (modulate activations) computes the same
        assert torch.allclose(modulated_conv2d(x, weight, styles, demodulate, fused=False),
                              modulated_conv2d(x, weight, styles, demodulate, fused=True), atol=1e-4)


def test_mapping_normalizes_inputs_and_uses_the_label():
    torch.manual_seed(0)
    assert torch.allclose(normalize_2nd_moment(torch.randn(4, 7) * 5).square().mean(1), torch.ones(4), atol=1e-5)
    m = MappingNetwork(8, 3, 8).eval()
    z = torch.randn(1, 8).repeat(3, 1)
    w = m(z, torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0.5, 0.5, 0]]))
    assert not torch.allclose(w[0], w[1])
    # A soft label is a valid input and gives a third, different style.
    assert not torch.allclose(w[2], w[0]) and not torch.allclose(w[2], w[1])
    # z is scale-free (second-moment normalized): scaling z does not change w.
    assert torch.allclose(m(z * 10, torch.eye(3)), m(z, torch.eye(3)), atol=1e-5)


def test_projection_discriminator_uses_labels():
    torch.manual_seed(0)
    D = Discriminator(3, 16, 1, channel_base=128, channel_max=16).eval()
    x = torch.randn(1, 1, 16, 16).repeat(3, 1, 1, 1)
    scores = D(x, torch.eye(3))
    assert scores.shape == (3,)
    assert len(set(np.round(scores.detach().numpy(), 6).tolist())) == 3
    assert torch.allclose(D(x[:2], torch.eye(3)[[1, 1]]), scores[[1, 1]], atol=1e-5)


# -- ADA ---------------------------------------------------------------------------------------------

def test_ada_p_rises_when_d_overfits_and_falls_otherwise():
    ada = AdaController(target=0.6, interval=2, ada_kimg=0.1, batch_size=10, p=0.5)
    for _ in range(4):
        ada.accumulate(torch.full((10,), 3.0))  # D certain that every real is real: r_t = 1
        ada.step()
    assert ada.last_rt == 1.0 and ada.p > 0.5
    high = ada.p
    for _ in range(4):
        ada.accumulate(torch.tensor([1.0] * 5 + [-1.0] * 5))  # r_t = 0 < 0.6
        ada.step()
    assert ada.last_rt == 0.0 and ada.p < high
    for _ in range(200):
        ada.accumulate(torch.full((10,), -1.0))
        ada.step()
    assert ada.p == 0.0  # clamped


def test_augment_pipe_identity_at_zero_and_differentiable():
    x = torch.randn(6, 3, 16, 16, requires_grad=True)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(AugmentPipe(0.0)(x, g), x)
    y = AugmentPipe(1.0)(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape and not torch.allclose(y, x)
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    y2 = AugmentPipe(1.0)(x, torch.Generator().manual_seed(1))
    assert torch.equal(y, y2)


def test_augment_translation_moves_pixels_without_inventing_values():
    pipe = AugmentPipe(1.0, brightness_std=0.0, contrast_std=0.0)
    x = torch.arange(2 * 16 * 16, dtype=torch.float32).reshape(2, 1, 16, 16)
    y = pipe(x, torch.Generator().manual_seed(3))
    assert set(y.unique().tolist()) <= set(x.unique().tolist())


# -- losses and EMA ----------------------------------------------------------------------------------

def test_losses_match_closed_forms():
    zero = torch.zeros(4)
    assert math.isclose(float(generator_loss(zero)), math.log(2), rel_tol=1e-6)
    assert math.isclose(float(discriminator_loss(zero, zero)), 2 * math.log(2), rel_tol=1e-6)
    w = torch.randn(1, 2, 4, 4)
    x = torch.randn(3, 2, 4, 4, requires_grad=True)
    logits = (x * w).sum(dim=[1, 2, 3])  # linear D: grad = w for every sample
    assert torch.allclose(r1_penalty(logits, x), w.square().sum(), atol=1e-5)


def test_ema_half_life():
    beta = ema_beta(batch_size=10, ema_kimg=0.1)  # half-life 100 images = 10 steps
    assert math.isclose(beta**10, 0.5, rel_tol=1e-9)
    G = tiny_g()
    ema = make_ema(G)
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    before = [p.clone() for p in ema.parameters()]
    update_ema(ema, G, 0.5)
    for b, e, g in zip(before, ema.parameters(), G.parameters()):
        assert torch.allclose(e, (b + g) / 2, atol=1e-6)


# -- config ------------------------------------------------------------------------------------------

def test_config_defaults_and_validation():
    cfg = GanConfig.from_flat({})
    assert cfg == GanConfig() and cfg.to_flat() == GanConfig.defaults() and cfg.ada_target == 0.6
    for bad, key in [({"resolution": 48}, "resolution"), ({"lr": 0}, "lr"), ({"ada_target": 1.5}, "ada_target"),
                     ({"batch_size": 1}, "batch_size"), ({"r1_gama": 1}, "r1_gama"), ({"device": "tpu"}, "device")]:
        with pytest.raises(ValueError, match=key):
            GanConfig.from_flat(bad)


# -- training ----------------------------------------------------------------------------------------

def _keep(store, root):
    """A report callback that copies each (temporary) checkpoint directory under `root`."""
    def report(metrics, directory):
        dest = None
        if directory is not None:
            dest = str(root / f"ckpt-{len(list(root.iterdir()))}")
            shutil.copytree(directory, dest)
        store.append((metrics, dest))
    return report


def test_training_reports_finite_losses_checkpoints_and_sample_grid(digits, tmp_path):
    reports = []
    out = train_gan({**TINY_CFG, "steps": 6, "report_every": 3, "ada_p_init": 0.2}, _keep(reports, tmp_path), data=digits)
    assert [m["step"] for m, _ in reports] == [3, 6] and out["step"] == 6
    for metrics, directory in reports:
        for key in ("g_loss", "d_loss", "r1", "ada_p", "r_t"):
            assert math.isfinite(metrics[key]), key
        assert 0.0 <= metrics["ada_p"] <= 1.0
        with Image.open(f"{directory}/samples.png") as grid:
            # one row per class (10 digits), grid_cols columns, 16 px images with 1 px padding
            assert grid.size == (3 * 17 + 1, 10 * 17 + 1) and grid.mode == "L"
        state = load_checkpoint(directory)
        assert {"G", "D", "G_ema", "g_opt", "d_opt", "ada", "rng", "step"} <= set(state)
    first, last = load_checkpoint(reports[0][1]), load_checkpoint(reports[1][1])
    assert not torch.equal(first["G"]["blocks.0.const"], last["G"]["blocks.0.const"])  # G learns


def test_resume_equals_uninterrupted(digits, tmp_path):
    cfg = {**TINY_CFG, "report_every": 2, "ada_p_init": 0.1, "seed": 3}
    whole = []
    train_gan({**cfg, "steps": 4}, _keep(whole, tmp_path), data=digits)
    part = []
    train_gan({**cfg, "steps": 2}, _keep(part, tmp_path), data=digits)
    resumed = []
    train_gan({**cfg, "steps": 4}, _keep(resumed, tmp_path), checkpoint=part[-1][1], data=digits)
    a, b = whole[-1], resumed[-1]
    assert b[0]["step"] == 4
    for key in ("g_loss", "d_loss", "r1", "ada_p", "r_t"):
        assert math.isclose(a[0][key], b[0][key], rel_tol=1e-5, abs_tol=1e-7), key
    sa, sb = load_checkpoint(a[1]), load_checkpoint(b[1])
    for net in ("G", "D", "G_ema"):
        for name, tensor in sa[net].items():
            assert torch.allclose(tensor, sb[net][name], atol=1e-6), f"{net}.{name}"


def test_resume_refuses_other_network_shapes(digits, tmp_path):
    store = []
    train_gan({**TINY_CFG, "steps": 1, "report_every": 1}, _keep(store, tmp_path), data=digits)
    with pytest.raises(ValueError, match="z_dim"):
        train_gan({**TINY_CFG, "z_dim": 8, "steps": 2}, _keep([], tmp_path), checkpoint=store[-1][1], data=digits)


def test_labels_out_of_range_are_refused_once_up_front():
    from workloads.gan.train import GanTraining

    cfg = GanConfig.from_flat(dict(resolution=16, channel_base=64, channel_max=8, z_dim=4, w_dim=4, batch_size=2,
                                   device="cpu", grid_cols=1))
    images = np.zeros((4, 16, 16, 1), np.uint8)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got 0..3"):
        GanTraining(cfg, images, np.array([0, 1, 2, 3]), 3)
    run = GanTraining(cfg, images, np.array([0, 1, 2, 2]), 3)
    assert run.sample_grid().shape == (3, 16, 16, 1)  # one row per class
    assert torch.equal(run._one_hot(torch.tensor([2, 0])), torch.tensor([[0, 0, 1.0], [1, 0, 0]]))
