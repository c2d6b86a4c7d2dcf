"""Where reports go: one folder per invocation, each published whole, and the experiment's latest.

    reports/index.html            every experiment: its latest report and the older ones (index.py)
    reports/NAME/<invocation>/    one invocation's report: report.md, index.html, tables, figures, summary.json
    reports/NAME/latest           relative symlink -> <invocation>: the latest report
    reports/NAME/index.html       opens the latest report (a redirect; plain file, relative links)
    reports/NAME/report.md        the same pointer in Markdown, with every invocation's report
    reports/NAME/compare-*.html   comparisons (`mixbench report --compare`)

Why a link *and* pointer files. The link serves shells and scripts (`reports/NAME/latest/report.md`);
its target is relative, so it still resolves after the work directory is moved or copied (`mv`,
`cp -a`, `rsync -a`, tar; a copier that follows links copies the report itself). Where symlinks do
not exist (some SMB, FAT or object-store mounts, `aws s3 sync`) no link is made and nothing depends
on one: the pointer pages are plain files with relative links, and `latest_report` finds the folder by
the rule the link follows. No link holds an absolute path.

"Latest" is the newest invocation with a complete report folder (invocation ids begin with their start
time, so the greatest id is the newest, the order the results store lists them in), not the report
built last: rebuilding an older invocation's report (`--invocation`) does not move it back, and every
builder computes the same answer from what is on disk.

Concurrency (runs of one experiment sharing a work directory, `mixbench report` during a run). A report
is written into a hidden folder beside its place and renamed into place in one step, so a reader never
meets half a report and builders of different invocations never touch each other's files. Rebuilding
an invocation's report swaps the two folders in one step where Linux can (renameat2 EXCHANGE), else
renames the old one aside first (a moment without that folder). The link and the pointer pages are
replaced with os.replace, then the folder is listed again and they are rewritten if a newer report
appeared meanwhile (`settle`): whichever builder writes last has checked after its write, so they end
on the newest complete report and never name a partial one.
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Callable, TypeVar

from orchestrator.workdir import WorkDir

LATEST = "latest"
POINTERS = ("index.html", "report.md")
SUMMARY = "summary.json"  # what the indexes show about one report (index.py writes it)
NO_INVOCATION = "no-invocation"  # the report of an experiment that never ran here (every cell missing)
HIDDEN = ".building-"  # reports being written, and old ones being removed
STALE_S = 24 * 3600  # a hidden folder this old was left by a builder that died
FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
TRIES = 20

T = TypeVar("T")


def report_folder_name(invocation: str | None) -> str:
    """The folder name of `invocation`'s report; ValueError for a name that cannot be one (invocation
    ids are `<date>-<time>-<pid>`)."""
    if invocation is None:
        return NO_INVOCATION
    if not FOLDER_NAME.fullmatch(invocation) or invocation in (LATEST, NO_INVOCATION, *POINTERS):
        raise ValueError(f"invocation {invocation!r} cannot name a report folder (letters, digits and ._+- "
                         f"only, not {LATEST!r})")
    return invocation


def staging_folder(experiment_dir: Path, name: str) -> Path:
    """A new hidden folder beside the report's place, to write the report into before `publish`."""
    experiment_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale(experiment_dir)
    path = experiment_dir / f"{HIDDEN}{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def publish(staged: Path, final: Path) -> None:
    """Put the complete report folder `staged` at `final` in one step, replacing an older build there."""
    aside: list[Path] = []
    try:
        for _ in range(TRIES):
            try:
                os.rename(staged, final)  # atomic; `final` absent (or an empty folder)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            if _exchange(staged, final):
                aside.append(staged)  # it now holds the old build
                return
            old = final.with_name(f"{HIDDEN}{final.name}-old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                os.rename(final, old)
                aside.append(old)
            except FileNotFoundError:  # another builder moved it first
                pass
        raise OSError(f"cannot put the report {staged.name} at {final}: other builders kept replacing it")
    finally:
        for path in aside:
            shutil.rmtree(path, ignore_errors=True)


def retire(folder: Path) -> None:
    """Remove a published report folder: hidden first (one rename), then deleted."""
    old = folder.with_name(f"{HIDDEN}{folder.name}-old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(folder, old)
    except OSError:
        return
    shutil.rmtree(old, ignore_errors=True)


def report_invocations(experiment_dir: Path) -> list[str]:
    """The folder names of the experiment's complete reports, oldest invocation first; the report of no
    invocation only while there is no other."""
    try:
        entries = list(os.scandir(experiment_dir))
    except OSError:
        return []
    names = sorted(e.name for e in entries if FOLDER_NAME.fullmatch(e.name) and e.name != LATEST
                   and e.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(e.path, POINTERS[0])))
    real = [n for n in names if n != NO_INVOCATION]
    return real or names


def latest_report(workdir: WorkDir, experiment: str) -> Path | None:
    """The folder of the experiment's latest report, as a path inside the work directory: where the
    `latest` link leads, else (no symlinks here) the newest complete folder; None if there is none."""
    link = workdir.latest_report_link(experiment)
    if link.is_symlink() and (link / POINTERS[0]).is_file():
        return workdir.report(experiment, os.readlink(link))
    found = report_invocations(workdir.experiment_reports(experiment))
    return workdir.report(experiment, found[-1]) if found else None


def link_latest(experiment_dir: Path, folder: str) -> bool:
    """Point `experiment_dir/latest` at `folder` (a relative link, replaced in one step); False where the
    file system has no symlinks (the pointer pages serve alone)."""
    link = experiment_dir / LATEST
    if link.is_symlink() and os.readlink(link) == folder:
        return True
    tmp = experiment_dir / f".{LATEST}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        os.symlink(folder, tmp, target_is_directory=True)
    except (OSError, NotImplementedError):
        return False
    try:
        os.replace(tmp, link)
    except OSError:  # `latest` is a real folder: a copy of the work directory that followed the link
        if link.is_dir() and not link.is_symlink():
            retire(link)
        try:
            os.replace(tmp, link)
        except OSError:
            tmp.unlink(missing_ok=True)
            return False
    return True


def atomic_write(path: Path, text: str) -> Path:
    """Write `path` in one step (readers see the old file or the new one, never half of one)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def settle(render: Callable[[], T], write: Callable[[T], None]) -> T:
    """Write what `render` reads from disk, then render again until it holds still: among concurrent
    writers the last one to write has rendered after its write, so what stays is never stale."""
    value = render()
    for _ in range(TRIES):
        write(value)
        again = render()
        if again == value:
            break
        value = again
    return value


def adopt_legacy(experiment_dir: Path) -> None:
    """Move a report written before per-invocation folders (report.md, tables and figures directly in
    reports/NAME/, beside its summary.json) into its invocation's folder, where the index finds it.
    Claimed by moving summary.json first, so one builder moves it; comparisons stay where they are."""
    summary = experiment_dir / SUMMARY
    if not summary.is_file():
        return
    try:
        name = report_folder_name(json.loads(summary.read_text()).get("invocation"))
    except (OSError, ValueError, AttributeError):
        name = NO_INVOCATION
    staged = staging_folder(experiment_dir, name)
    try:
        os.rename(summary, staged / SUMMARY)
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)
        return
    for entry in os.scandir(experiment_dir):
        if entry.is_file(follow_symlinks=False) and not entry.name.startswith((".", "compare-")):
            try:
                os.rename(entry.path, staged / entry.name)
            except OSError:
                pass
    final = experiment_dir / name
    if final.exists():  # this invocation's report was built again since: the old one is superseded
        shutil.rmtree(staged, ignore_errors=True)
    else:
        publish(staged, final)


def _clear_stale(experiment_dir: Path) -> None:
    """Remove hidden folders a builder that died left behind (older than STALE_S)."""
    now = time.time()
    for entry in os.scandir(experiment_dir):
        if entry.name.startswith(HIDDEN):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_S:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                pass


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is missing (other
    systems, old kernels or glibc, file systems such as NFS that refuse it)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0
