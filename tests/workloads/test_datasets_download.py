"""Imagenette/Imagewoof downloads: size + first-MiB MD5 and whole-file MD5, fetched once, extracted once.

A fabricated imagewoof2.tgz is served over file://, with the expected sums patched to its own; the
published sums are only compared as constants (no real download here).
"""
from __future__ import annotations

import hashlib
import shutil
import tarfile

import pytest

from tests.workloads.fabricate import fabricate
from workloads.data import DATASETS, DatasetError
from workloads.data import download as dl


def test_published_sums_of_the_fastai_archives():
    woof, nette = dl.DOWNLOADS["imagewoof"][0], dl.DOWNLOADS["imagenette"][0]
    assert (woof.md5, woof.size, woof.head_md5) == (
        "9aafe18bcdb1632c4249a76c458465ba", 1_343_715_595, "2cc1c1e36e20cb6fd24ffb978edcb487")
    assert (nette.md5, nette.size, nette.head_md5) == (
        "fe2fc210e6bb7c5664d602c3cd71e612", 1_557_161_267, "2c774ecb40005b35d7937d50f5d42336")
    assert all(res.checkable for resources in dl.DOWNLOADS.values() for res in resources)


@pytest.fixture
def archive(tmp_path):
    """A tiny imagewoof2.tgz in the official layout, and its size, first-MiB MD5 and MD5."""
    fabricate("imagewoof", tmp_path / "src")
    path = tmp_path / "imagewoof2.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tmp_path / "src" / "imagewoof2", arcname="imagewoof2")
    blob = path.read_bytes()
    return path, len(blob), hashlib.md5(blob[: 1 << 20]).hexdigest(), hashlib.md5(blob).hexdigest()


@pytest.fixture
def calls(monkeypatch):
    """Counts of fetches and extractions (the real ones run)."""
    counts = {"fetch": 0, "extract": 0}
    fetch, extract = dl.fetch_url, dl.extract

    def counted_fetch(url, dest):
        counts["fetch"] += 1
        fetch(url, dest)

    def counted_extract(path, into):
        counts["extract"] += 1
        return extract(path, into)

    monkeypatch.setattr(dl, "extract", counted_extract)
    monkeypatch.setattr(dl, "fetch_url", counted_fetch)
    return counts


def get(root):
    """download("imagewoof") with dl.fetch_url looked up at call time, so the counting patch applies."""
    return dl.download("imagewoof", root, fetch=lambda url, dest: dl.fetch_url(url, dest))


def serve(monkeypatch, archive, **wrong):
    path, size, head, md5 = archive
    sums = {"md5": md5, "size": size, "head_md5": head, **wrong}
    res = dl.Resource(path.as_uri(), sums["md5"], "imagewoof2.tgz", extract=True, size=sums["size"], head_md5=sums["head_md5"])
    monkeypatch.setitem(dl.DOWNLOADS, "imagewoof", (res,))


def test_verified_archive_is_not_fetched_or_extracted_again(tmp_path, monkeypatch, archive, calls):
    serve(monkeypatch, archive)
    root = tmp_path / "data"
    target = root / "imagewoof2.tgz"
    assert get(root) == [target]
    assert calls == {"fetch": 1, "extract": 1} and dl.marker(target).exists()
    assert len(DATASETS.get("imagewoof")(root, size=8).splits["test"]) == 10
    get(root)
    assert calls == {"fetch": 1, "extract": 1}  # the marker vouches for the file and its extraction

    shutil.rmtree(root / "imagewoof2")  # extracted folder gone: extract again, but do not fetch
    get(root)
    assert calls == {"fetch": 1, "extract": 2} and (root / "imagewoof2" / "val").is_dir()

    dl.marker(target).unlink()  # a verified file without a marker: checked by its sums, not fetched
    get(root)
    assert calls["fetch"] == 1 and dl.marker(target).exists()


def test_changed_file_is_checked_again_and_fetched_again(tmp_path, monkeypatch, archive, calls):
    serve(monkeypatch, archive)
    root = tmp_path / "data"
    get(root)
    target = root / "imagewoof2.tgz"
    target.write_bytes(target.read_bytes()[:-10])  # truncated after it was verified
    get(root)
    assert calls["fetch"] == 2 and target.stat().st_size == archive[1]


@pytest.mark.parametrize("wrong,message", [
    ({"size": 1_343_715_595}, "bytes, the published size is 1,343,715,595"),
    ({"head_md5": "2cc1c1e36e20cb6fd24ffb978edcb487"}, "MD5 of the first MiB"),
    ({"md5": "9aafe18bcdb1632c4249a76c458465ba"}, "does not match the published 9aafe18bcdb1632c4249a76c458465ba"),
])
def test_wrong_size_or_sum_is_refused_and_the_partial_file_removed(wrong, message, tmp_path, monkeypatch, archive, calls):
    serve(monkeypatch, archive, **wrong)
    root = tmp_path / "data"
    with pytest.raises(DatasetError, match=message):
        get(root)
    assert sorted(p.name for p in root.iterdir()) == [] and calls["extract"] == 0
