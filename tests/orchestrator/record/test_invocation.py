"""The invocation record's `latest` marker: every command agrees on the newest invocation, whatever
order concurrent invocations save their records in."""
from __future__ import annotations

import multiprocessing

from orchestrator.record.invocation import Invocation, RunOptions, latest_id
from orchestrator.workdir import WorkDir


def record(workdir: WorkDir, invocation: str, status: str = "RUNNING") -> None:
    Invocation("demo", invocation, RunOptions(), workdir.default_tracking_uri(), status=status).save(workdir)


def test_an_older_invocation_that_saves_last_does_not_take_the_latest_marker_back(tmp_path):
    workdir = WorkDir.at(tmp_path)
    record(workdir, "20261201-100000-11")
    record(workdir, "20261201-110000-22")  # started later, while the first still runs
    record(workdir, "20261201-100000-11", "FINISHED")  # the first ends last
    assert latest_id(workdir, "demo") == "20261201-110000-22"
    assert Invocation.load(workdir, "demo", "20261201-100000-11").status == "FINISHED"


def _save_many(root: str, invocation: str) -> None:
    for _ in range(30):
        record(WorkDir.at(root), invocation)


def test_concurrent_invocations_leave_the_newest_marked(tmp_path):
    ids = [f"20261201-1{i}0000-{i}" for i in range(4)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_save_many, args=(str(tmp_path), i)) for i in ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 4
    assert latest_id(WorkDir.at(tmp_path), "demo") == max(ids)
