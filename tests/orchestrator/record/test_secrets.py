"""Credentials in a tracking URI are kept out of everything printed or stored."""
from __future__ import annotations

from orchestrator.record.secrets import PASSWORD_ENV, USER_ENV, adopt, credentials, redact, strip

URI = "http://alice:s3cret@127.0.0.1:5000/prefix"


def test_a_password_is_redacted_for_printing_and_stripped_for_storing():
    assert redact(URI) == "http://alice:***@127.0.0.1:5000/prefix"
    assert strip(URI) == "http://127.0.0.1:5000/prefix"
    assert redact("sqlite:////tmp/x.db") == strip("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_adopted_credentials_live_in_mlflows_environment_only(monkeypatch):
    monkeypatch.delenv(USER_ENV, raising=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    stored = adopt(URI)
    assert "s3cret" not in stored and "alice" not in stored
    assert credentials(stored) == ("alice", "s3cret")  # from the environment now
