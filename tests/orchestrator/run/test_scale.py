"""Issue 5's scale check: zeta-table6's full 300-trial expansion plans and schedules on 2 CPUs.

The trials are smoke-sized (the `noop` trainable: one reported epoch, no compute), so this measures
the orchestration itself: ordering, Parquet rows, MLflow child runs. Real Ray, real MLflow (SQLite).
"""
from __future__ import annotations

import dataclasses

import pytest
from mlflow.tracking import MlflowClient

from orchestrator.plan.expand import plan_experiment
from orchestrator.record.invocation import Invocation, RunOptions, new_invocation_id
from orchestrator.record.results import read_table
from orchestrator.run.runner import execute
from orchestrator.workdir import WorkDir
from search_spaces import get_experiment

pytestmark = pytest.mark.e2e


def test_table6_expansion_of_300_trials_schedules_in_cell_order(tmp_path):
    (plan,) = plan_experiment(get_experiment("zeta-table6"), sets={"epochs": 1})
    assert plan.num_trials == 300
    plan = dataclasses.replace(plan, trainable="noop")
    workdir = WorkDir.at(tmp_path / "runs").create()
    invocation = Invocation("zeta-table6", new_invocation_id(), RunOptions(), workdir.default_tracking_uri())
    summary = execute(invocation, [plan], {}, workdir, resume=False)
    assert summary.trials == 300 and summary.errored == 0

    trials = read_table(workdir, "trials")
    assert len(trials) == 300 and set(trials["status"]) == {"TERMINATED"}
    assert len(read_table(workdir, "epochs")) == 300
    # Trials are numbered in the order the searcher hands them out: all seeds of a cell are adjacent.
    assert sorted(trials["trial_number"]) == list(range(1, 301))
    ordered = trials.sort_values("trial_number")
    cells = list(zip(ordered["dataset"], ordered["variant"], ordered["arch"]))
    assert all(len(set(cells[i : i + 3])) == 1 for i in range(0, 300, 3))
    assert cells[:3] == [(plan.configs[0]["dataset"], plan.configs[0]["variant"], plan.configs[0]["arch"])] * 3

    client = MlflowClient(workdir.default_tracking_uri())
    experiment = client.get_experiment_by_name("zeta-table6")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    assert len(runs) == 301  # the parent and one child per trial
    assert summary.report_dir == workdir.report("zeta-table6", invocation.invocation)
    report = (workdir.latest_report_link("zeta-table6") / "report.md").read_text()
    assert "isic2016" in report and "mednode" in report
