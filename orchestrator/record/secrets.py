"""Credentials in a tracking URI (`http://user:password@host:5000`) never reach a console, a log, the
invocation record or Ray Tune's pickled state.

`adopt(uri)` moves them into MLflow's own environment variables for this process (MlflowClient
sends them from there, and Ray workers started afterwards inherit them) and returns the URI without
them: that is the URI mixbench stores and prints. A resumed run gets the password again from
`--tracking-uri` or from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

USER_ENV, PASSWORD_ENV = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"


def strip(uri: str) -> str:
    """The URI without user and password."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact(uri: str) -> str:
    """The URI as it may be printed: a password replaced by ***."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def credentials(uri: str) -> tuple[str | None, str | None]:
    """(user, password) from the URI, else from MLflow's environment variables."""
    parts = urlsplit(uri)
    if parts.username is not None:
        return parts.username, parts.password
    return os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)


def adopt(uri: str) -> str:
    """Put the URI's credentials into this process's MLflow environment; return the URI without them."""
    parts = urlsplit(uri)
    if parts.username is not None:
        os.environ[USER_ENV] = parts.username
        if parts.password is not None:
            os.environ[PASSWORD_ENV] = parts.password
    return strip(uri)
