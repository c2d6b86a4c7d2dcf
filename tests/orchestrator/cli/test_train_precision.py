"""`mixbench train` with the precision keys, as users type it (issue 14's "Done when")."""
from __future__ import annotations

import json
import math

import pytest

from tests.orchestrator.conftest import mixbench


@pytest.mark.e2e  # bf16 autocast on a CPU without native bf16 (AVX512-BF16/AMX) runs ~10x slower than fp32
def test_bf16_channels_last_train_on_the_cpu_ends_with_finite_metrics(tmp_path):
    done = mixbench("train", "--dataset", "digits", "--method", "zeta", "--arch", "small_cnn",
                    "--set", "precision=bf16", "--set", "channels_last=true", "--json", cwd=tmp_path, timeout=1800)
    assert done.returncode == 0, done.stderr
    final = json.loads(done.stdout.strip().splitlines()[-1])
    assert final["epoch"] == final["epochs_total"] == 10
    numbers = {k: v for k, v in final.items() if isinstance(v, (int, float))}
    assert all(math.isfinite(v) for v in numbers.values()), numbers
    assert final["test_acc"] > 0.5  # chance is 0.1


@pytest.mark.parametrize("setting, needle", [
    ("precision=fp8", "unknown precision 'fp8'; valid choices: auto, fp32, bf16, fp16"),
    ("channels_last=maybe", "channels_last must be one of auto (or null), true, false, got 'maybe'"),
    ("compile=2", "compile must be true or false, got 2"),
])
def test_bad_precision_keys_exit_2_with_one_line_naming_the_choices(tmp_path, setting, needle):
    done = mixbench("train", "--dataset", "digits", "--method", "zeta", "--arch", "small_cnn", "--set", setting,
                    cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
