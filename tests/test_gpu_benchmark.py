"""`benchmarks/gpu.py` must run once, unattended, on a GPU machine: without CUDA it says so in one line
(exit 2); `--cpu-smoke` runs its sections tiny on the CPU, which keeps the script from rotting."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu.py"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the script would run")
def test_without_cuda_it_exits_2_with_one_line(tmp_path):
    done = run(cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no CUDA device" in lines[0]


def test_cpu_smoke_of_the_mixing_section_prints_ratios_first(tmp_path):
    out = tmp_path / "gpu.md"
    done = run("--cpu-smoke", "--sections", "ae", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("## GPU benchmark") and text in done.stdout
    ratios, mixing = text.index("| ratio | value | target |"), text.index("### (a) Mixing on the device")
    assert ratios < mixing and "mixing: zeta / torchvision v2.MixUp" in text
    from workloads.mixing import MIXERS

    assert all(f"| {name} |" in text for name in MIXERS)
