"""GeMix sampling (Algorithm 1), loading generators (checkpoints, module:callable) and oracle quality."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from torch import nn

from workloads.gan.config import GanConfig
from workloads.gan.grid import to_uint8
from workloads.gan.quality import fid_kid, oracle_quality
from workloads.gan.sample import (
    dirichlet_soft_labels,
    generator_fingerprint,
    load_generator,
    onehot_samples,
    sample_gemix,
)
from workloads.gan.train import GanTraining

K = 3


class TinyG:
    """A bring-your-own generator: attributes z_dim, c_dim as NVIDIA's networks; noise from the global RNG."""

    z_dim, c_dim = 4, K

    def __call__(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        level = (c @ torch.tensor([-0.8, 0.0, 0.8]))[:, None, None, None]
        noise = 0.05 * torch.randn(len(z), 1, 8, 8)
        return torch.tanh(level + 0.1 * z[:, :1, None, None] + noise).expand(-1, 1, 8, 8)


TINY_G = TinyG()


def make_tiny_g() -> TinyG:
    """A factory, as used to unpickle a network trained with NVIDIA's code."""
    return TinyG()


def bare_g(z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    return TINY_G(z, c)


def test_dirichlet_soft_labels_are_rows_dominant_at_c():
    c, labels = dirichlet_soft_labels(6000, K, generator=torch.Generator().manual_seed(0))
    assert labels.dtype == torch.float32 and labels.shape == (6000, K)
    assert (labels >= 0).all() and torch.allclose(labels.sum(1), torch.ones(6000), atol=1e-5)
    dominant = labels[torch.arange(6000), c]
    # E[l_c] = a_dom / (a_dom + (K - 1) a_other) = 2 / 4 under Dirichlet(2, 1, 1)
    assert abs(float(dominant.mean()) - 0.5) < 0.02
    others = labels.sum(1) - dominant
    assert abs(float(others.mean()) / (K - 1) - 0.25) < 0.02
    assert float((labels.argmax(1) == c).float().mean()) > 0.5  # well above chance (1/3)
    # c ~ Uniform{1..K}
    counts = torch.bincount(c, minlength=K).float() / 6000
    assert torch.allclose(counts, torch.full((K,), 1 / K), atol=0.03)


def test_dirichlet_rejects_bad_concentrations():
    with pytest.raises(ValueError, match="a_dominant"):
        dirichlet_soft_labels(4, K, a_dominant=0.0)


def test_sample_gemix_deterministic_per_seed_and_keeps_caller_rng():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a_img, a_lab = sample_gemix(TINY_G, K, 50, seed=7, batch_size=16, progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    b_img, b_lab = sample_gemix(TINY_G, K, 50, seed=7, batch_size=32, progress=False)
    c_img, c_lab = sample_gemix(TINY_G, K, 50, seed=8, batch_size=16, progress=False)
    assert a_img.dtype == np.uint8 and a_img.shape == (50, 8, 8, 1)
    assert a_lab.dtype == np.float32 and a_lab.shape == (50, K)
    assert np.allclose(a_lab.sum(1), 1, atol=1e-5)
    assert np.array_equal(a_lab, b_lab)
    assert not np.array_equal(a_lab, c_lab) and not np.array_equal(a_img, c_img)
    # Same seed and batch size: identical images (in-generator noise comes from the seeded global RNG,
    # drawn batch by batch, so images also depend on the batch size; labels and z do not).
    again, _ = sample_gemix(TINY_G, K, 50, seed=7, batch_size=16, progress=False)
    assert np.array_equal(a_img, again)


def test_images_follow_their_soft_labels():
    images, labels = sample_gemix(TINY_G, K, 300, seed=1, progress=False)
    brightness = images.reshape(300, -1).mean(1)
    expected = labels @ np.array([-0.8, 0.0, 0.8])
    assert np.corrcoef(brightness, expected)[0, 1] > 0.9


def test_to_uint8_maps_range_ends():
    out = to_uint8(torch.tensor([-1.0, 0.0, 1.0, 3.0]).reshape(1, 1, 1, 4))
    assert out.tolist() == [[[[0], [128], [255], [255]]]] and out.dtype == np.uint8


def test_byo_generator_module_callable_forms():
    module = __name__
    assert load_generator(f"{module}:TINY_G") is TINY_G
    from_factory = load_generator(f"{module}:make_tiny_g")
    assert isinstance(from_factory, TinyG)
    bare = load_generator(f"{module}:bare_g", z_dim=4, num_classes=K)
    imgs, labels = sample_gemix(bare, K, 10, seed=2, progress=False)
    ref, ref_labels = sample_gemix(TINY_G, K, 10, seed=2, progress=False)
    assert np.array_equal(imgs, ref) and np.array_equal(labels, ref_labels)
    with pytest.raises(ValueError, match="z_dim"):
        load_generator(f"{module}:bare_g")
    with pytest.raises(ValueError, match="cannot import"):
        load_generator(f"{module}:no_such_thing")
    with pytest.raises(ValueError, match="module:callable"):
        load_generator("/no/such/checkpoint")
    with pytest.raises(ValueError, match="c_dim"):
        sample_gemix(TINY_G, 4, 5, progress=False)
    assert generator_fingerprint(f"{module}:TINY_G") == f"callable:{module}:TINY_G"


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory):
    cfg = GanConfig.from_flat(dict(resolution=16, channel_base=128, channel_max=16, z_dim=8, w_dim=8,
                                   batch_size=4, device="cpu", grid_cols=2))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 16, 16, 1), dtype=np.uint8)
    run = GanTraining(cfg, images, np.arange(12) % K, K)
    run.train_step()
    directory = tmp_path_factory.mktemp("gan-ckpt")
    run.write_checkpoint(directory)
    return directory, run


def test_checkpoint_generator_is_g_ema(checkpoint_dir):
    directory, run = checkpoint_dir
    G = load_generator(directory)
    assert (G.z_dim, G.c_dim, G.img_resolution) == (8, K, 16) and not G.training
    for name, tensor in run.G_ema.state_dict().items():
        assert torch.equal(G.state_dict()[name], tensor), name
    images, labels = sample_gemix(G, K, 9, seed=0, batch_size=4, progress=False)
    assert images.shape == (9, 16, 16, 1) and labels.shape == (9, K)
    again, _ = sample_gemix(load_generator(directory / "state.pt"), K, 9, seed=0, batch_size=4, progress=False)
    assert np.array_equal(images, again)
    assert generator_fingerprint(directory) == hashlib.sha256((directory / "state.pt").read_bytes()).hexdigest()


class BrightnessOracle(nn.Module):
    """Predicts class k from the mean intensity of [0, 1] images: dark 0, mid 1, bright 2."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = x.mean(dim=[1, 2, 3])[:, None]
        centres = torch.tensor([[0.1, 0.5, 0.9]])
        return -((m - centres) ** 2) * 200


def test_oracle_quality_metrics():
    oracle = BrightnessOracle()
    images, onehot = onehot_samples(TINY_G, K, 20, seed=0)
    q = oracle_quality(oracle, images, onehot)
    assert q["n_onehot"] == 60 and q["label_fidelity"] == 1.0 and q["dominant_agreement"] == 1.0
    # Fidelity is measured against the labels: shifted labels score 0.
    shifted = np.roll(onehot, 1, axis=1)
    assert oracle_quality(oracle, images, shifted)["label_fidelity"] == 0.0
    soft_imgs, soft = sample_gemix(TINY_G, K, 40, seed=3, progress=False)
    qs = oracle_quality(oracle, soft_imgs, soft, batch_size=7)
    assert qs["label_fidelity"] is None and qs["n_onehot"] == 0
    with torch.no_grad():
        x = torch.from_numpy(soft_imgs).permute(0, 3, 1, 2).float() / 255
        p = torch.softmax(oracle(x).double(), 1)
    expected_ce = float(-(torch.from_numpy(soft).double() * p.clamp_min(1e-12).log()).sum(1).mean())
    expected_h = float(-(p * p.clamp_min(1e-12).log()).sum(1).mean())
    assert np.isclose(qs["soft_label_ce"], expected_ce) and np.isclose(qs["mean_entropy"], expected_h)


def test_fid_kid_is_none_with_notice_without_local_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.delenv("MIXBENCH_INCEPTION_WEIGHTS", raising=False)
    notices = []
    imgs = np.zeros((4, 8, 8, 1), np.uint8)
    assert fid_kid(imgs, imgs, notice=notices.append) is None
    assert len(notices) == 1 and "FID/KID skipped" in notices[0]
