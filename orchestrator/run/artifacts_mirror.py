"""Stage artifacts on `--storage`: the files one stage hands the next (`workloads.artifacts`: the
generator, the offline sets, the quality files, the protocol split) where every node reaches them,
without a shared work directory.

With `--storage URI`, an invocation's artifacts live at `URI/artifacts/NAME/<invocation>/`:
- the driver pushes the ones it writes (the protocol split) before the first stage, and pulls
  everything into `WORKDIR/artifacts/NAME/<invocation>/` after each stage (the report reads them there);
- a trial pulls them into a folder of its own before training, trains with `artifacts_dir` set to it,
  and pushes what it wrote or changed once it returns (a trial that fails pushes nothing).
Without `--storage` every node reads and writes the work directory's folder itself, as before.
"""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from orchestrator.record.storage import Storage

Manifest = dict[str, tuple[int, int]]  # relative path -> (size, mtime_ns) of a local file


def local_files(folder: Path) -> Manifest:
    files = (p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else ()
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def remote_files(storage: Storage, key: str) -> dict[str, int]:
    """Relative path -> size of every file under `key` on the storage ({} if there is none). `storage`
    here is always a `--storage` URI's, so it has a pyarrow filesystem (a local path's included)."""
    import pyarrow.fs

    base = storage.path(key)
    infos = storage.fs.get_file_info(pyarrow.fs.FileSelector(base, recursive=True, allow_not_found=True))
    return {i.path[len(base):].lstrip("/"): i.size for i in infos if i.type == pyarrow.fs.FileType.File}


def pull(storage: Storage, key: str, folder: Path) -> Manifest:
    """Copy every file under `key` on the storage into `folder`; the manifest of `folder` afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    for relative in remote_files(storage, key):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.fs.open_input_stream(f"{storage.path(key)}/{relative}") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, length=1 << 22)
    return local_files(folder)


def push(storage: Storage, key: str, folder: Path, since: Manifest | None = None) -> list[str]:
    """Copy the files of `folder` to `key` on the storage: those not in `since` or changed after it
    (`since` None: those the storage lacks or holds at another size). The relative paths pushed."""
    remote = remote_files(storage, key) if since is None else {}
    pushed = []
    for relative, (size, mtime) in sorted(local_files(folder).items()):
        unchanged = since.get(relative) == (size, mtime) if since is not None else remote.get(relative) == size
        if unchanged:
            continue
        destination = f"{storage.path(key)}/{relative}"
        storage.fs.create_dir(destination.rpartition("/")[0], recursive=True)
        with open(folder / relative, "rb") as source, storage.fs.open_output_stream(destination) as out:
            shutil.copyfileobj(source, out, length=1 << 22)
        pushed.append(relative)
    return pushed


@contextmanager
def trial_artifacts(storage_uri: str, key: str) -> Iterator[str]:
    """A folder of this trial's own holding the invocation's artifacts from `storage_uri`; what the
    trial wrote there is pushed back when the block ends without an error, then the folder is removed."""
    storage = Storage(storage_uri, Path.cwd())
    folder = Path(tempfile.mkdtemp(prefix="mixbench-artifacts-"))
    try:
        before = pull(storage, key, folder)
        yield str(folder)
        push(storage, key, folder, since=before)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
