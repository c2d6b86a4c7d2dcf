"""Opening an MLflow store before anything uses it: short HTTP timeouts, the SQLite schema created
under a lock, and a damaged `mlflow.db` reported in one line.

Timeouts. MLflow's defaults (a 120 s timeout, 7 retries with exponential backoff) make one call to a
dead server block for about four minutes. mixbench calls MLflow from a background worker that does
its own backoff and keeps what it could not deliver (`mlflow_worker`), so MLflow's own patience
only delays noticing an outage. `configure_http` sets, for this process, unless the user set them:

    MLFLOW_HTTP_REQUEST_TIMEOUT=10          seconds per request (connect and read)
    MLFLOW_HTTP_REQUEST_MAX_RETRIES=2       retries of a failed request
    MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR=1    seconds, doubled per retry (urllib3: 0 s, then 2 s)

so a call to a refused port fails in about 2 s, to a silent one in about 35 s. MLflow reads these
at each request, so setting them before the first call is enough. It also sets
`MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true`: with a tracking server, ending a run otherwise
fetches the run once more and prints two "View run ... at: URL" lines, for every trial.

Schema. The first client of a new SQLite file creates MLflow's tables (and runs its migrations);
two processes doing that at once collide (`table model_version_tags already exists`). The first
client in each process is therefore created here, holding an exclusive lock on `<db>.lock` beside
the database (fcntl: released if the process dies), and the store, cached by MLflow per URI, is
ready for every later client.

A moved or copied work directory. MLflow records each experiment's and run's artifact location as an
absolute URI (`file:///WORKDIR/mlartifacts/...`) and has no call to change it: the store of a copied
work directory would put new artifacts into the original's `mlartifacts/`. Opening the work
directory's own store therefore rewrites, under the same lock, locations that name another folder's
`mlartifacts/` to this work directory's (`relocate_artifacts`; nothing to do when it has not moved).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from orchestrator.record.file_lock import file_lock

HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}


class TrackingStoreError(OSError):
    """The MLflow store cannot be used (the message is the one line shown to the user)."""


def configure_http() -> None:
    """Short MLflow HTTP timeouts and few retries for this process (user settings win). urllib3's
    line per retried request is silenced: the worker says in one line that MLflow is failing."""
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def display_uri(tracking_uri: str) -> str:
    """The URI without credentials (`http://user:password@host` -> `http://host`), for messages."""
    parsed = urlparse(tracking_uri)
    if parsed.password is None and parsed.username is None:
        return tracking_uri
    return parsed._replace(netloc=parsed.netloc.rsplit("@", 1)[-1]).geturl()


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a `sqlite:///...` URI, None for any other store."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(parsed.path)) if parsed.path else None


def open_store(tracking_uri: str, experiment: str = "NAME", workdir: Path | None = None) -> None:
    """Make `tracking_uri` usable by every later client of this process: HTTP timeouts set, a SQLite
    schema created (under the lock) and read back. A store that cannot be read raises
    TrackingStoreError naming the file and how to rebuild it from Parquet; a server is not
    contacted here (the worker copes with one that is down)."""
    configure_http()
    path = sqlite_path(tracking_uri)
    if path is None:
        return
    from mlflow.tracking import MlflowClient

    try:
        with file_lock(path.with_name(path.name + ".lock")):
            if not path.exists() and workdir is not None:
                # A new store's Default experiment keeps its artifacts in the work directory, not in
                # ./mlruns of whatever folder the command ran from.
                from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

                SqlAlchemyStore(tracking_uri, (Path(workdir) / "mlartifacts").as_uri())
            elif workdir is not None and path.resolve() == (Path(workdir) / "mlflow.db").resolve():
                relocate_artifacts(path, Path(workdir) / "mlartifacts")
            MlflowClient(tracking_uri).search_experiments(max_results=1)
    except TrackingStoreError:
        raise
    except Exception as exc:
        raise TrackingStoreError(damaged_store_message(path, exc, experiment, workdir)) from None


ARTIFACT_COLUMNS = (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                    ("logged_models", "artifact_location"))


def relocate_artifacts(path: Path, mlartifacts: Path) -> int:
    """Point the artifact locations in the SQLite store `path` that lie in another folder's
    `mlartifacts/` (the work directory it was copied or moved from) at `mlartifacts`. Returns the
    number of rows changed."""
    import sqlite3
    from contextlib import closing

    new = mlartifacts.resolve().as_uri()
    changed = 0
    with closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "experiments" not in tables:
            return 0
        # An experiment's location is `<mlartifacts URI>/<name or id>`; its runs' lie below it.
        olds = {location.rsplit("/", 1)[0] for (location,) in db.execute("SELECT artifact_location FROM experiments")
                if location and location.startswith("file://") and location.rsplit("/", 1)[0].endswith("/mlartifacts")}
        for old in sorted(olds - {new}):
            for table, column in ARTIFACT_COLUMNS:
                if table in tables:
                    cursor = db.execute(
                        f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                        f"WHERE substr({column}, 1, ?) = ? AND substr({column}, ?, 1) IN ('', '/')",
                        (new, len(old) + 1, len(old), old, len(old) + 1))
                    changed += cursor.rowcount
        db.commit()
    return changed


def damaged_store_message(path: Path, exc: BaseException, experiment: str, workdir: Path | None) -> str:
    reason = first_line(exc)
    where = f" --workdir {workdir}" if workdir is not None else ""
    if not path.exists():
        return f"cannot create the MLflow store {path}: {reason}"
    return (f"the MLflow store {path} cannot be read ({reason}); Parquet holds the record: move it aside "
            f"(mv {path} {path}.damaged) and rebuild it with `mixbench sync-mlflow {experiment}{where}`")


def first_line(exc: BaseException) -> str:
    """The gist of an error in one line (SQLAlchemy appends the SQL and a link on later lines)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
