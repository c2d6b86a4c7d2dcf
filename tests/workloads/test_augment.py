"""Batch augmentation: every output is a valid crop/flip of its input, normalized with train stats."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workloads.augment import BatchAugment, channel_stats


def images(n: int = 32, h: int = 8, w: int = 8, c: int = 3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, h, w, c), generator=g, dtype=torch.uint8)


def reference_normalize(x: torch.Tensor, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    """What torchvision's ToTensor + Normalize compute, per image."""
    t = x.permute(0, 3, 1, 2).double() / 255.0
    return (t - torch.tensor(mean)[None, :, None, None]) / torch.tensor(std)[None, :, None, None]


def test_channel_stats_match_numpy() -> None:
    x = images(50).numpy()
    mean, std = channel_stats(x)
    np.testing.assert_allclose(mean, (x / 255.0).mean(axis=(0, 1, 2)), rtol=1e-10)
    np.testing.assert_allclose(std, (x / 255.0).std(axis=(0, 1, 2)), rtol=1e-8)


def test_eval_normalizes_like_torchvision() -> None:
    x = images(16)
    aug = BatchAugment.from_train(x)
    out = aug.eval(x)
    assert out.dtype == torch.float32 and out.shape == (16, 3, 8, 8) and out.is_contiguous()
    mean, std = channel_stats(x)
    torch.testing.assert_close(out.double(), reference_normalize(x, mean, std), atol=1e-5, rtol=1e-5)
    per_channel = out.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(per_channel.std(1, unbiased=False), torch.ones(3), atol=1e-4, rtol=0)


def test_flip_only_returns_original_or_mirror_and_both_occur() -> None:
    x = images(64)
    aug = BatchAugment.from_train(x, flip=True)
    plain = aug.eval(x)
    out = aug.train(x, torch.Generator().manual_seed(1))
    same = (out == plain).flatten(1).all(1)
    mirrored = (out == plain.flip(3)).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 10 < int(mirrored.sum()) < 54


@pytest.mark.parametrize("flip", [False, True])
def test_crop_is_a_window_of_the_zero_padded_image(flip: bool) -> None:
    p = 2
    x = images(48, h=6, w=7)
    aug = BatchAugment.from_train(x, flip=flip, crop_padding=p)
    out = aug.train(x, torch.Generator().manual_seed(2))
    padded = torch.nn.functional.pad(x, (0, 0, p, p, p, p))
    offsets_seen, flips_seen = set(), set()
    for i in range(len(x)):
        matches = []
        for top in range(2 * p + 1):
            for left in range(2 * p + 1):
                window = padded[i : i + 1, top : top + 6, left : left + 7]
                candidates = [(False, window)] + ([(True, window.flip(2))] if flip else [])
                for mirrored, cand in candidates:
                    if torch.equal(aug.eval(cand), out[i : i + 1]):
                        matches.append((top, left, mirrored))
        assert matches, f"sample {i} is not a crop of its padded input"
        offsets_seen.add(matches[0][:2])
        flips_seen.add(matches[0][2])
    assert len(offsets_seen) >= 10  # offsets spread over the (2p+1)^2 = 25 choices
    assert flips_seen == ({False, True} if flip else {False})


def test_same_generator_seed_same_batch() -> None:
    x = images(32)
    aug = BatchAugment.from_train(x, flip=True, crop_padding=4)
    a = aug.train(x, torch.Generator().manual_seed(7))
    b = aug.train(x, torch.Generator().manual_seed(7))
    c = aug.train(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_no_augmentation_equals_eval() -> None:
    x = images(8)
    aug = BatchAugment.from_train(x)
    assert torch.equal(aug.train(x, torch.Generator()), aug.eval(x))


def test_vectors_are_standardized_not_cropped() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100, 3, generator=g) * torch.tensor([1.0, 5.0, 0.1]) + torch.tensor([2.0, -1.0, 0.0])
    aug = BatchAugment.from_train(x.numpy(), flip=True, crop_padding=4)
    out = aug.train(x, torch.Generator().manual_seed(0))
    assert out.shape == (100, 3, 1, 1)
    torch.testing.assert_close(out, aug.eval(x))
    torch.testing.assert_close(out.mean((0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std((0, 2, 3), unbiased=False), torch.ones(3), atol=1e-4, rtol=0)


def test_constant_channel_does_not_divide_by_zero() -> None:
    x = images(8)
    x[..., 1] = 7
    out = BatchAugment.from_train(x).eval(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[:, 1], torch.zeros_like(out[:, 1]), atol=1e-6, rtol=0)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="crop_padding must be >= 0"):
        BatchAugment(np.zeros(3), np.ones(3), crop_padding=-1)
    with pytest.raises(ValueError, match="empty split"):
        channel_stats(np.zeros((0, 4, 4, 3), dtype=np.uint8))
