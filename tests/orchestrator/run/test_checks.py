"""Checks before side effects: one line each, before anything starts or is written."""
from __future__ import annotations

import socket

import pytest

from orchestrator.run.checks import check_ray_address, check_resources, check_tracking_uri, check_workdir
from orchestrator.workdir import WorkDir
from tests.orchestrator.conftest import free_port


def test_a_workdir_that_cannot_be_written_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="cannot write to the work directory .*a-file/runs"):
        check_workdir(WorkDir.at(blocker / "runs"))
    check_workdir(WorkDir.at(tmp_path / "fresh" / "runs"))
    assert not (tmp_path / "fresh").exists()  # a folder to be made is checked, not made
    (tmp_path / "old").mkdir()
    check_workdir(WorkDir.at(tmp_path / "old"))
    assert list((tmp_path / "old").iterdir()) == []  # an existing one: written to, nothing left behind


def test_an_address_nobody_answers_is_refused_quickly_and_a_listening_one_passes():
    with pytest.raises(ValueError, match=r"no Ray cluster answers at 127.0.0.1:\d+ within 5 s"):
        check_ray_address(f"127.0.0.1:{free_port()}")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_ray_address(f"127.0.0.1:{server.getsockname()[1]}")
    check_ray_address(None)
    with pytest.raises(ValueError, match="is not host:port"):
        check_ray_address("localhost")


def test_tracking_uris_are_checked_without_printing_a_password(tmp_path):
    check_tracking_uri(f"sqlite:///{tmp_path}/new/mlflow.db")
    with pytest.raises(ValueError, match="unsupported scheme 'postgres'; valid: sqlite"):
        check_tracking_uri("postgres://db/x")
    with pytest.raises(ValueError, match="no MLflow server answers at http://bob:\\*\\*\\*@127.0.0.1") as err:
        check_tracking_uri(f"http://bob:hunter2@127.0.0.1:{free_port()}")
    assert "hunter2" not in str(err.value)


def test_a_trial_no_node_can_hold_is_refused_naming_the_largest_node():
    nodes = [{"Alive": True, "Resources": {"CPU": 2.0}}, {"Alive": False, "Resources": {"CPU": 64.0, "GPU": 8.0}}]
    check_resources(2, 0, nodes)
    with pytest.raises(ValueError, match="no node of the Ray cluster has 100 CPUs and 0 GPUs .* largest has 2 CPUs, 0 GPUs"):
        check_resources(100, 0, nodes)
    with pytest.raises(ValueError, match="has 1 CPUs and 1 GPUs"):
        check_resources(1, 1, nodes)  # the dead node's GPUs do not count
