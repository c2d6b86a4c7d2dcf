"""`mixbench data list|check|prepare|download`, in-process and as a subprocess."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile

import pytest

from orchestrator.cli.data import main
from tests.workloads.fabricate import fabricate

from tests.orchestrator.conftest import REPO


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_dataset_with_its_layout(capsys):
    from search_spaces.datasets import DATASET_SPECS

    code, out, _ = run(["data", "list"], capsys)
    assert code == 0
    for name, spec in DATASET_SPECS.items():
        assert f"\n{name} " in "\n" + out and spec.layout in out
    assert "cifar10              natural        10   32x32x3" in out


def test_check_found_missing_invalid(tmp_path, capsys):
    fabricate("mednode", tmp_path)
    fabricate("pathmnist", tmp_path)
    code, out, _ = run(["data", "check", "--root", str(tmp_path), "mednode", "digits"], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("mednode: found: 6/2/2 train/val/test samples, 2 classes")
    code, out, _ = run(["data", "check", "--root", str(tmp_path), "mednode", "isic2017"], capsys)
    assert code == 2
    assert out.splitlines()[1] == (
        f"isic2017: missing: {tmp_path / 'isic2017' / 'ISIC-2017_Training_Data'}: missing (isic2017 is expected "
        f"in its official layout at {tmp_path / 'ISIC-2017_Training_Data'} or {tmp_path / 'isic2017' / 'ISIC-2017_Training_Data'})"
    )
    (tmp_path / "pathmnist.npz").write_bytes(b"PK\x03\x04broken")
    code, out, _ = run(["data", "check", "--root", str(tmp_path), "pathmnist"], capsys)
    assert code == 2 and out.startswith(f"pathmnist: invalid: {tmp_path / 'pathmnist.npz'}: truncated or corrupt npz")
    assert len(out.strip().splitlines()) == 1


def test_check_root_defaults_to_mixbench_data(tmp_path, capsys, monkeypatch):
    fabricate("ph2", tmp_path)
    monkeypatch.setenv("MIXBENCH_DATA", str(tmp_path))
    code, out, _ = run(["data", "check", "ph2"], capsys)
    assert code == 0 and out.startswith("ph2: found:")


def test_unknown_name_is_one_line_exit_2(capsys):
    code, out, err = run(["data", "check", "--root", ".", "cifar11"], capsys)
    assert code == 2 and err.strip().startswith("mixbench: error: unknown dataset 'cifar11'; valid choices:")
    assert len(err.strip().splitlines()) == 1


def test_prepare_writes_into_workdir_cache(tmp_path, capsys):
    fabricate("covidx-ct3", tmp_path / "data")
    code, out, _ = run(["data", "prepare", "--root", str(tmp_path / "data"), "--workdir", str(tmp_path / "runs"),
                        "--size", "8", "--no-progress", "covidx-ct3"], capsys)
    assert code == 0
    folders = list((tmp_path / "runs" / "cache").glob("covidx-ct3-*"))
    assert len(folders) == 1 and (folders[0] / "meta.json").exists() and str(folders[0]) in out
    code, out, _ = run(["data", "prepare", "--root", str(tmp_path / "nothing"), "--workdir", str(tmp_path / "runs"),
                        "--no-progress", "mednode"], capsys)
    assert code == 2 and out.startswith("mednode: not prepared:") and "does not exist" in out


def test_download_fetches_verifies_and_extracts(tmp_path, capsys, monkeypatch):
    """A fabricated CIFAR-10 archive served by file://; the MD5 check and extraction are the real ones."""
    from workloads.data import download as dl

    fabricate("cifar10", tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    resource = dl.Resource(archive.as_uri(), md5, "cifar-10-python.tar.gz", extract=True)
    monkeypatch.setitem(dl.DOWNLOADS, "cifar10", (resource,))
    root = tmp_path / "data"
    code, out, _ = run(["data", "download", "--root", str(root), "cifar10"], capsys)
    assert code == 0 and "downloaded and verified 1 file" in out
    code, out, _ = run(["data", "check", "--root", str(root), "cifar10"], capsys)
    assert code == 0 and out.startswith("cifar10: found: 90/10/20")  # val: 10 % carved from the 100 train

    bad = dl.Resource(archive.as_uri(), "0" * 32, "other.tar.gz", extract=True)
    monkeypatch.setitem(dl.DOWNLOADS, "cifar10", (bad,))
    code, out, _ = run(["data", "download", "--root", str(root), "cifar10"], capsys)
    assert code == 2 and f"does not match the published {'0' * 32}" in out
    assert not (root / "other.tar.gz").exists() and not (root / "other.tar.gz.part").exists()


def test_download_refuses_archive_members_outside_root(tmp_path):
    from workloads.data import download as dl
    from workloads.data.types import DatasetError

    evil = tmp_path / "evil.tar"
    (tmp_path / "payload").write_text("x")
    with tarfile.open(evil, "w") as tar:
        tar.add(tmp_path / "payload", arcname="../escaped")
    with pytest.raises(DatasetError, match="cannot extract"):
        dl.extract(evil, tmp_path / "into")
    assert not (tmp_path / "escaped").exists()


def test_download_with_fetch_monkeypatched_and_existing_file_not_refetched(tmp_path):
    from workloads.data import download as dl

    calls = []
    payload = b"npz bytes"

    def fake_fetch(url, dest):
        calls.append(url)
        dest.write_bytes(payload)

    name = "breastmnist"
    real = dl.DOWNLOADS[name][0]
    assert real.url.startswith("https://zenodo.org/") and real.md5 == "750601b1f35ba3300ea97c75c52ff8f6"
    resource = dl.Resource(real.url, hashlib.md5(payload).hexdigest(), real.filename)
    dl.DOWNLOADS[name] = (resource,)
    try:
        assert dl.download(name, tmp_path, fetch=fake_fetch) == [tmp_path / "breastmnist.npz"]
        dl.download(name, tmp_path, fetch=fake_fetch)
    finally:
        dl.DOWNLOADS[name] = (real,)
    assert calls == [real.url]  # the second call found the verified file


def test_download_without_direct_download_says_where(tmp_path, capsys):
    code, out, _ = run(["data", "download", "--root", str(tmp_path), "isic2017"], capsys)
    assert code == 2
    assert out.startswith("isic2017: no direct download: obtain it from https://challenge.isic-archive.com/data/#2017")
    assert "ISIC-2017_{Training,Validation,Test_v2}_Data" in out


def test_subprocess_exit_codes(tmp_path):
    fabricate("mednode", tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, "-m", "orchestrator.cli.data", "data", "check", "--root", str(tmp_path),
                         "mednode"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("mednode: found:")
    bad = subprocess.run([sys.executable, "-m", "orchestrator.cli.data", "data", "check", "--root", str(tmp_path),
                          "mednode", "ph2"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert bad.returncode == 2 and bad.stdout.splitlines()[1].startswith("ph2: missing: ")
