"""Fetch datasets that have a public direct download, verify their MD5s, extract the official layout.

Only CIFAR-10/100, MNIST, Fashion-MNIST, STL-10, Imagenette, Imagewoof and the MedMNIST npz files
have one; the others need a registration or a licence (see search_spaces.datasets for where to
obtain each). Files land so that the readers find them directly under `root`.

Verification: where fast.ai publishes the size and the MD5 of the first MiB of an archive (its
`checks.txt`), those are checked first (a truncated or replaced download fails in a second), then
the whole-file MD5. A verified file gets `<file>.verified` beside it (JSON: the sums it passed, its
size and mtime); while the file keeps that size and mtime it is neither hashed nor fetched again,
and an archive already extracted (its top-level entries present) is not extracted again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from workloads.data.types import DatasetError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Resource:
    """One file to fetch: saved as `root/dest/filename`, then extracted into `root` if `extract`.

    md5: the published whole-file checksum, or None where none is published.
    size, head_md5: the published size in bytes and MD5 of the first MiB (fast.ai's quick check), or None.
    A resource with none of the three is fetched on every call (nothing tells a good copy from a bad one).
    """

    url: str
    md5: Optional[str]
    filename: str
    dest: str = "."
    extract: bool = False
    size: Optional[int] = None
    head_md5: Optional[str] = None

    @property
    def checkable(self) -> bool:
        return bool(self.md5 or self.head_md5 or self.size is not None)

    def sums(self) -> dict:
        return {"md5": self.md5, "size": self.size, "head_md5": self.head_md5}


MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASTAI = "https://s3.amazonaws.com/fast-ai-imageclas/"
MEDMNIST_URL = "https://zenodo.org/record/6496656/files/{}.npz?download=1"
MEDMNIST_MD5 = {
    "pathmnist": "a8b06965200029087d5bd730944a56c1", "dermamnist": "0744692d530f8e62ec473284d019b0c7",
    "octmnist": "c68d92d5b585d8d81f7112f81e2d0842", "pneumoniamnist": "28209eda62fecd6e6a2d98b1501bb15f",
    "bloodmnist": "7053d0359d879ad8a5505303e11de1dc", "tissuemnist": "ebe78ee8b05294063de985d821c1c34b",
    "breastmnist": "750601b1f35ba3300ea97c75c52ff8f6", "organamnist": "866b832ed4eeba67bfb9edee1d5544e6",
    "organcmnist": "0afa5834fb105f7705a7d93372119a21", "organsmnist": "e5c39f1af030238290b9557d9503af9d",
}


def idx_files(base: str, dest: str, md5s: tuple[str, str, str, str]) -> tuple[Resource, ...]:
    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return tuple(Resource(f"{base}{s}.gz", m, f"{s}.gz", dest) for s, m in zip(stems, md5s))


DOWNLOADS: dict[str, tuple[Resource, ...]] = {
    "cifar10": (Resource("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                         "c58f30108f718f92721af3b95e74349a", "cifar-10-python.tar.gz", extract=True),),
    "cifar100": (Resource("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                          "eb9058c3a382ffc7106e4002c42a8d85", "cifar-100-python.tar.gz", extract=True),),
    "mnist": idx_files(MNIST_URL, "MNIST/raw", ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                                                "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c")),
    "fashion-mnist": idx_files(FASHION_URL, "FashionMNIST/raw", (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310")),
    "stl10": (Resource("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
                       "91f7769df0f17e558f3565bffb0c7dfb", "stl10_binary.tar.gz", extract=True),),
    # Whole-file MD5s as dataset libraries ship them (torchvision: Imagenette; catalyst: Imagewoof);
    # size and first-MiB MD5 as fast.ai's checks.txt publishes them.
    "imagenette": (Resource(f"{FASTAI}imagenette2.tgz", "fe2fc210e6bb7c5664d602c3cd71e612", "imagenette2.tgz",
                            extract=True, size=1557161267, head_md5="2c774ecb40005b35d7937d50f5d42336"),),
    "imagewoof": (Resource(f"{FASTAI}imagewoof2.tgz", "9aafe18bcdb1632c4249a76c458465ba", "imagewoof2.tgz",
                           extract=True, size=1343715595, head_md5="2cc1c1e36e20cb6fd24ffb978edcb487"),),
    **{name: (Resource(MEDMNIST_URL.format(name), md5, f"{name}.npz"),) for name, md5 in MEDMNIST_MD5.items()},
}


def fetch_url(url: str, dest: Path) -> None:
    """Stream `url` into `dest` (urllib; any scheme it supports, file:// included), with a progress bar."""
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:  # noqa: S310
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {dest.name}", leave=False) as bar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                bar.update(len(chunk))


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def head_md5(path: Path) -> str:
    """MD5 of the first MiB of `path` (fast.ai's quick check)."""
    with open(path, "rb") as handle:
        return hashlib.md5(handle.read(CHUNK)).hexdigest()


def problem(res: Resource, path: Path) -> Optional[str]:
    """Why `path` is not the published file (the cheap checks first), or None when it passes them all."""
    if res.size is not None and (got := path.stat().st_size) != res.size:
        return f"{got:,} bytes, the published size is {res.size:,}"
    if res.head_md5 and (got := head_md5(path)) != res.head_md5:
        return f"MD5 of the first MiB {got} does not match the published {res.head_md5}"
    if res.md5 and (got := md5sum(path)) != res.md5:
        return f"MD5 {got} does not match the published {res.md5}"
    return None


def marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def read_marker(res: Resource, path: Path) -> Optional[dict]:
    """The marker's record if it vouches for `path` as it is now (same sums, size and mtime), else None."""
    try:
        record = json.loads(marker(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("sums") != res.sums():
        return None
    return record if (record.get("bytes"), record.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns) else None


def write_marker(res: Resource, path: Path, extracted: Optional[list[str]] = None) -> None:
    stat = path.stat()
    record = {"sums": res.sums(), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "extracted": extracted}
    tmp = marker(path).with_name(f"{marker(path).name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, marker(path))


def extract(archive: Path, into: Path) -> list[str]:
    """Unpack a tar(.gz) archive into `into`, refusing members that would land outside it.

    Returns the archive's top-level entries (sorted), by which a later call sees it is extracted.
    """
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
            return sorted({Path(m.name).parts[0] for m in tar.getmembers() if Path(m.name).parts})
    except (tarfile.TarError, EOFError, OSError) as err:
        raise DatasetError(f"{archive}: cannot extract ({type(err).__name__}: {err})") from None


def has_direct_download(name: str) -> bool:
    return name in DOWNLOADS


def download(name: str, root: str | Path, *, fetch: Callable[[str, Path], None] = fetch_url) -> list[Path]:
    """Fetch, verify and (for archives) extract dataset `name` under `root`; the files written.

    A file already present and verified (by its marker, else by its sums) is not fetched again, and
    an archive whose extracted entries are present is not extracted again. Raises ValueError for a
    dataset without a direct download and DatasetError on a size or checksum mismatch or a bad
    archive (the partial download is removed).
    """
    if name not in DOWNLOADS:
        raise ValueError(f"dataset {name!r} has no direct download; datasets that have one: {', '.join(DOWNLOADS)}")
    root = Path(root).expanduser()
    written = []
    for res in DOWNLOADS[name]:
        folder = root / res.dest
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / res.filename
        record = read_marker(res, target) if target.exists() else None
        if record is None and target.exists() and res.checkable and problem(res, target) is None:
            write_marker(res, target)  # verified by its sums: later calls trust the marker
            record = read_marker(res, target)
        if record is None:
            partial = target.with_name(target.name + ".part")
            try:
                fetch(res.url, partial)
            except OSError as err:
                partial.unlink(missing_ok=True)
                raise DatasetError(f"{res.url}: download failed ({type(err).__name__}: {err})") from None
            if (wrong := problem(res, partial)) is not None:
                partial.unlink()
                raise DatasetError(f"{res.url}: {wrong}")
            marker(target).unlink(missing_ok=True)
            os.replace(partial, target)
            if res.checkable:
                write_marker(res, target)
            record = read_marker(res, target) or {}
        if res.extract:
            done = record.get("extracted")
            if not done or not all((root / entry).exists() for entry in done):
                entries = extract(target, root)
                if res.checkable:
                    write_marker(res, target, entries)
        written.append(target)
    return written
