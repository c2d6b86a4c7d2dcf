"""Where an invocation keeps what every node of a cluster reads and writes: Ray Tune's experiment state,
the trials' checkpoints and Ray's per-trial result logs.

By default that is the work directory (`WORKDIR/ray/NAME/<invocation>/<stage>`): on one machine, or on
a cluster whose nodes share the work directory's path (NFS). `--storage URI` puts it on any filesystem
pyarrow can write instead, under the same layout (`URI/ray/NAME/<invocation>/<stage>`):

    s3://bucket/prefix                     AWS S3, or any S3-compatible server:
    s3://bucket/prefix?endpoint_override=host:9000&scheme=http
    gs://bucket/prefix                     Google Cloud Storage
    hdfs://namenode:8020/path              HDFS
    /mnt/shared/mixbench, file:///mnt/...  a path every node mounts

The files stages hand each other go there too, at `URI/artifacts/NAME/<invocation>/`
(`orchestrator.run.artifacts_mirror`). What stays on the driver's work directory whatever `--storage`
says: the invocation record (`mixbench.json`), the Parquet results, mlflow.db and the reports (the driver
writes them all), and the dataset cache (the driver reads the data and puts it in Ray's object store).

Credentials never reach the record, a console or Ray Tune's pickled state: `s3://KEY:SECRET@bucket/...`
moves them into this process's AWS environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, which
pyarrow reads and Ray workers started afterwards inherit) and the URI is kept without them; the nodes of
a cluster need their own (the environment `ray start` ran in, an instance role). A filesystem pyarrow
builds from a credential-free URI carries none when pickled (a test checks).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orchestrator.record.secrets import redact, strip

# pyarrow's filesystems (`pyarrow.fs.FileSystem.from_uri`); no scheme: a local path.
SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss", "file")
S3_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
HINT = "e.g. s3://bucket/prefix, gs://bucket/prefix or a path every node mounts"


def check_storage(uri: str) -> None:
    """A URI pyarrow can write: one of SCHEMES with a bucket or host, or a local path. One-line
    ValueError (never quoting a password) otherwise; nothing is contacted here."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not uri.strip():
        raise ValueError(f"--storage is empty; give a URI ({HINT})")
    if len(scheme) == 1 and uri[1:3] in (":\\", ":/"):
        scheme = ""  # a drive letter, not a scheme
    if scheme and scheme not in SCHEMES:
        raise ValueError(f"--storage {redact(uri)!r}: unsupported scheme {scheme!r}; valid: "
                         f"{', '.join(s + '://' for s in SCHEMES)} or a path ({HINT})")
    if scheme in ("s3", "gs", "gcs") and not parts.hostname:
        raise ValueError(f"--storage {redact(uri)!r} names no bucket ({HINT})")
    if parts.password is not None and scheme != "s3":
        raise ValueError(f"--storage {redact(uri)!r}: put the credentials of {scheme}:// in its environment, "
                         f"not in the URI")


def normalize(uri: str) -> str:
    """The URI as it is recorded: credentials moved into this process's environment (`adopt`), a local
    path made absolute (the nodes do not share the driver's current folder)."""
    uri = adopt(uri)
    scheme = urlsplit(uri).scheme
    if not scheme or (len(scheme) == 1 and uri[1:3] in (":\\", ":/")):
        return str(Path(uri).expanduser().resolve())
    return uri


def adopt(uri: str) -> str:
    """Move an s3:// URI's `KEY:SECRET@` into this process's AWS environment; the URI without them."""
    parts = urlsplit(uri)
    if parts.scheme.lower() == "s3" and parts.username is not None:
        os.environ[S3_ENV[0]] = parts.username
        if parts.password is not None:
            os.environ[S3_ENV[1]] = parts.password
    return strip(uri)


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path on it) of a storage URI (`pyarrow.fs.FileSystem.from_uri`: query
    options such as `endpoint_override` configure it). Raises ValueError in one line if pyarrow cannot
    build it."""
    import pyarrow.fs

    try:
        return pyarrow.fs.FileSystem.from_uri(uri)
    except (ValueError, OSError, TypeError) as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"--storage {redact(uri)}: {message}") from None


class Storage:
    """The root of an invocation's Tune state: the work directory (`uri` None) or a `--storage` URI.

    Paths under it are `join(root, relative)`: Tune gets `(storage_path, storage_filesystem)` for a
    stage (`tune_args`), Ray's logs are read back through `filesystem` (`open_text`, `list_dirs`)."""

    def __init__(self, uri: str | None, workdir_root: Path) -> None:
        self.uri = uri
        if uri:
            self.fs, self.root = filesystem(uri)
            self.root = self.root.rstrip("/")
        else:
            self.fs, self.root = None, str(workdir_root)

    def check(self) -> None:
        """One look before anything is written: a local folder can be created, a bucket exists and
        answers. ValueError in one line (exit 2) otherwise."""
        import pyarrow.fs

        if self.fs is None or isinstance(self.fs, pyarrow.fs.LocalFileSystem):
            root = Path(self.root)
            existing = next((p for p in (root, *root.parents) if p.exists()), None)
            if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise ValueError(f"--storage {self.uri or root}: {existing or root} cannot be written")
            return
        bucket = self.root.split("/", 1)[0]
        try:
            info = self.fs.get_file_info(bucket)
        except OSError as exc:
            message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ValueError(f"--storage {redact(self.uri)}: cannot be reached ({message})") from None
        if info.type == pyarrow.fs.FileType.NotFound:
            raise ValueError(f"--storage {redact(self.uri)}: no bucket {bucket!r} there; create it first")

    def path(self, relative: str) -> str:
        """A path under the root, as Ray and pyarrow take it (a local path, or bucket/prefix/...); a
        local absolute path is kept."""
        if self.fs is None:
            return str(Path(self.root) / relative)
        return f"{self.root}/{relative}" if relative else self.root

    def display(self, relative: str) -> str:
        """The location for a person: the URI (without credentials) or the local path."""
        if not self.uri:
            return self.path(relative)
        parts = urlsplit(self.uri)
        return urlunsplit((parts.scheme, parts.netloc, f"{parts.path.rstrip('/')}/{relative}", "", ""))

    def tune_args(self, relative: str) -> dict[str, Any]:
        """`storage_path` (and `storage_filesystem`) for the Tune experiment folder `relative`'s parent."""
        parent, _, _ = relative.rpartition("/")
        return {"storage_path": self.path(parent), "storage_filesystem": self.fs}

    def list_dirs(self, path: str) -> list[str]:
        """The folders directly under `path` (from `path()`), as full paths; [] if it is absent."""
        if self.fs is None:
            folder = Path(path)
            return [str(p) for p in sorted(folder.iterdir()) if p.is_dir()] if folder.is_dir() else []
        import pyarrow.fs

        try:
            infos = self.fs.get_file_info(pyarrow.fs.FileSelector(path, allow_not_found=True))
        except OSError:
            return []
        return sorted(i.path for i in infos if i.type == pyarrow.fs.FileType.Directory)

    def read_text(self, path: str) -> str | None:
        """A file's text (a full path from `list_dirs`), None if it is absent."""
        try:
            if self.fs is None:
                return Path(path).read_text()
            with self.fs.open_input_stream(path) as stream:
                return stream.read().decode()
        except (OSError, FileNotFoundError):
            return None
