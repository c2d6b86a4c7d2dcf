"""workloads.data.resize: one chunked resize for the GAN, the GeMix sets stage and offline train sets."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from workloads.data.resize import resize_images, resized_chunks
from workloads.gan.train import prepare_images


def test_resize_images() -> None:
    flat = np.full((3, 12, 10, 1), 77, np.uint8)
    out = resize_images(flat, (6, 5))
    assert out.shape == (3, 6, 5, 1) and out.dtype == np.uint8 and (out == 77).all()
    same = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    assert resize_images(same, (4, 4)) is same
    up = resize_images(np.array([[[[0], [200]]]], np.uint8), (1, 4))
    assert up[0, 0, 0, 0] == 0 and up[0, 0, -1, 0] == 200 and np.all(np.diff(up[0, 0, :, 0].astype(int)) >= 0)


def test_chunks_do_not_change_the_result(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, (11, 16, 12, 3), dtype=np.uint8)
    whole = resize_images(images, (8, 6), chunk=100)
    np.testing.assert_array_equal(resize_images(images, (8, 6), chunk=3), whole)
    # A read-only memory map (how sets are read) resizes alike.
    np.save(tmp_path / "x.npy", images)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    np.testing.assert_array_equal(resize_images(mapped, (8, 6), chunk=4), whole)
    # Shrinking is antialiased: a one-pixel checkerboard averages to grey instead of aliasing.
    board = ((np.indices((16, 16)).sum(0) % 2) * 255).astype(np.uint8)[None, :, :, None]
    assert np.abs(resize_images(board, (4, 4)).astype(int) - 128).max() <= 1


def test_resized_chunks_are_channel_first_and_in_order() -> None:
    images = np.random.default_rng(1).integers(0, 256, (7, 8, 8, 1), dtype=np.uint8)
    chunks = list(resized_chunks(images, (8, 8), chunk=3))
    assert [tuple(c.shape) for c in chunks] == [(3, 1, 8, 8), (3, 1, 8, 8), (1, 1, 8, 8)]
    np.testing.assert_array_equal(torch.cat(chunks).permute(0, 2, 3, 1).numpy(), images)


def test_gan_images_are_the_same_resize_channel_first() -> None:
    images = np.random.default_rng(2).integers(0, 256, (5, 12, 12, 3), dtype=np.uint8)
    prepared = prepare_images(images, 8, torch.device("cpu"))
    assert prepared.dtype == torch.uint8 and prepared.shape == (5, 3, 8, 8)
    np.testing.assert_array_equal(prepared.permute(0, 2, 3, 1).numpy(), resize_images(images, (8, 8)))
