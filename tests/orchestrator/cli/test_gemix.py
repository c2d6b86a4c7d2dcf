"""`mixbench gemix sample`: sets from a checkpoint trained here and from a module:callable; bad input."""
from __future__ import annotations

import argparse
import json
import textwrap

import numpy as np
import pytest

from orchestrator.cli.gemix import add_gemix_parser, run_gemix
from workloads.gan.sets import is_set, load_set

TINY_GAN = dict(dataset="digits", resolution=16, channel_base=128, channel_max=16, z_dim=16, w_dim=16,
                batch_size=8, steps=2, report_every=2, max_images=60, device="cpu", grid_cols=2)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mixbench")
    add_gemix_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["gemix", "sample", *argv])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A real gan-train checkpoint directory (2 steps of a tiny GAN on digits, 10 classes)."""
    from workloads.gan.train import train_gan

    target = tmp_path_factory.mktemp("gan") / "generator"

    def keep(metrics, directory):
        import shutil

        shutil.copytree(directory, target, dirs_exist_ok=True)

    train_gan(TINY_GAN, keep)
    return target


def sample(out, generator, *extra: str) -> int:
    return run_gemix(parse("--generator", str(generator), "--out", str(out), "--no-progress", *extra))


def test_sample_from_checkpoint_writes_a_deterministic_set(checkpoint, tmp_path, capsys):
    assert sample(tmp_path / "a", checkpoint, "--n", "37", "--batch-size", "16", "--seed", "5") == 0
    assert "wrote 37 GeMix images (16x16x1, 10 classes)" in capsys.readouterr().out
    a = load_set(tmp_path / "a")
    assert a.images.shape == (37, 16, 16, 1) and a.images.dtype == np.uint8
    assert a.soft_labels.shape == (37, 10) and np.allclose(a.soft_labels.sum(1), 1, atol=1e-5)
    meta = json.loads((tmp_path / "a" / "meta.json").read_text())
    import hashlib

    sha = hashlib.sha256((checkpoint / "state.pt").read_bytes()).hexdigest()
    assert meta["generator_sha256"] == sha and meta["seed"] == 5 and meta["batch_size"] == 16
    assert (meta["a_dominant"], meta["a_other"], meta["n"], meta["num_classes"]) == (2.0, 1.0, 37, 10)
    assert meta["generator"] == str(checkpoint.resolve())

    sample(tmp_path / "b", checkpoint / "state.pt", "--n", "37", "--batch-size", "16", "--seed", "5")
    b = load_set(tmp_path / "b")
    assert np.array_equal(a.images, b.images) and np.array_equal(a.soft_labels, b.soft_labels)
    sample(tmp_path / "c", checkpoint, "--n", "37", "--batch-size", "16", "--seed", "6")
    c = load_set(tmp_path / "c")
    assert not np.array_equal(a.soft_labels, c.soft_labels) and not np.array_equal(a.images, c.images)


def test_dirichlet_parameters_shape_the_soft_labels(checkpoint, tmp_path):
    """A large a_dominant makes each label nearly one-hot; equal concentrations give no dominant class."""
    sample(tmp_path / "peaked", checkpoint, "--n", "200", "--a-dominant", "200", "--a-other", "0.5")
    sample(tmp_path / "flat", checkpoint, "--n", "200", "--a-dominant", "1", "--a-other", "1")
    peaked, flat = load_set(tmp_path / "peaked").soft_labels, load_set(tmp_path / "flat").soft_labels
    assert peaked.max(1).mean() > 0.9
    assert flat.max(1).mean() < 0.5


CALLABLE_MODULE = textwrap.dedent('''
    import torch

    def plain(z, c):
        """A bare G(z, c): class-weighted constant images in [-1, 1] (K = 3, 8x8 RGB)."""
        level = (c * torch.tensor([-1.0, 0.0, 1.0])).sum(1)
        return level[:, None, None, None].expand(len(z), 3, 8, 8) * torch.tanh(z[:, :1, None, None]).abs()

    class WithDims(torch.nn.Module):
        z_dim, c_dim = 4, 3

        def forward(self, z, c):
            return plain(z, c)

    def factory():
        return WithDims()
''')


def test_sample_from_module_callable(tmp_path, monkeypatch):
    (tmp_path / "toy_generators.py").write_text(CALLABLE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sample(tmp_path / "f", "toy_generators:factory", "--n", "10")
    made = load_set(tmp_path / "f")
    assert made.images.shape == (10, 8, 8, 3) and made.soft_labels.shape == (10, 3)
    assert made.meta["generator"] == "toy_generators:factory"
    assert made.meta["generator_sha256"] == "callable:toy_generators:factory"
    # The image brightness follows the soft label: class 2 pushes towards white, class 0 towards black.
    weight = made.soft_labels[:, 2] - made.soft_labels[:, 0]
    brightness = made.images.astype(float).mean((1, 2, 3))
    assert np.corrcoef(weight, brightness)[0, 1] > 0.5
    sample(tmp_path / "p", "toy_generators:plain", "--n", "6", "--z-dim", "4", "--num-classes", "3")
    assert load_set(tmp_path / "p").images.shape == (6, 8, 8, 3)


@pytest.mark.parametrize("argv,message", [
    (["--n", "0"], "--n must be >= 1"),
    (["--n", "4", "--batch-size", "0"], "--batch-size must be >= 1"),
    (["--n", "4", "--a-dominant", "0"], "--a-dominant must be a number > 0"),
    (["--n", "4", "--a-other", "nan"], "--a-other must be a number > 0"),
    (["--n", "4", "--num-classes", "3"], "num_classes \\(3\\) does not match the generator's c_dim \\(10\\)"),
    (["--n", "4", "--seed", str(2**63)], "--seed must be in \\[0, 9223372036854775807\\]"),
    (["--n", "4", "--device", "tpu"], "device must be one of auto, cpu, cuda"),
])
def test_bad_input_is_one_value_error(checkpoint, tmp_path, argv, message):
    with pytest.raises(ValueError, match=message) as err:
        sample(tmp_path / "x", checkpoint, *argv)
    assert "\n" not in str(err.value)
    assert not is_set(tmp_path / "x")


def test_bad_generators_and_folders(checkpoint, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="checkpoint path that exists or 'module:callable'"):
        sample(tmp_path / "x", tmp_path / "nowhere", "--n", "2")
    with pytest.raises(ValueError, match="cannot import it"):
        sample(tmp_path / "x", "no_such_module_here:G", "--n", "2")
    (tmp_path / "toy_generators.py").write_text(CALLABLE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="no z_dim attribute"):
        sample(tmp_path / "x", "toy_generators:plain", "--n", "2")
    with pytest.raises(ValueError, match="no c_dim attribute; give num_classes"):
        sample(tmp_path / "x", "toy_generators:plain", "--n", "2", "--z-dim", "4")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.txt").write_text("keep me")
    with pytest.raises(ValueError, match="is not empty"):
        sample(tmp_path / "full", checkpoint, "--n", "2")
    sample(tmp_path / "full", checkpoint, "--n", "2", "--overwrite")
    assert is_set(tmp_path / "full") and (tmp_path / "full" / "other.txt").read_text() == "keep me"


def test_help_says_a_module_callable_runs_that_modules_code(tmp_path):
    from tests.orchestrator.conftest import mixbench

    done = mixbench("gemix", "sample", "--help", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # argparse wraps lines
    assert "IMPORTS THAT MODULE, WHICH RUNS ITS CODE" in text and "only code you trust" in text
    assert "importing the module runs its code" in text
