"""Every paper experiment runs with --smoke through the real orchestrator (a local Ray shared by this
module, MLflow on SQLite, Parquet): one on data fabricated in each dataset's official layout, the
others with no data at all, on generated stand-ins, as on a fresh clone."""
from __future__ import annotations

import pytest

from orchestrator.plan.expand import plan_experiment
from orchestrator.record.invocation import RunOptions
from orchestrator.record.results import read_table
from orchestrator.run.runner import run_experiment
from orchestrator.workdir import WorkDir
from search_spaces import EXPERIMENTS, get_experiment
from tests.workloads.fabricate import fabricate

pytestmark = pytest.mark.e2e

PAPER = sorted(name for name in EXPERIMENTS if name.startswith("zeta-"))


def datasets_of(name: str) -> set[str]:
    stages = get_experiment(name).stages
    return {d for s in stages for d in getattr(s, "datasets", (getattr(s, "dataset", None),)) if d}


def reads_files(name: str) -> bool:
    """Whether the experiment reads a dataset from files (only those can be missing); generated sets cannot."""
    from search_spaces.datasets import get_dataset_spec

    return any(get_dataset_spec(d).source != "built in" for d in datasets_of(name))


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    for dataset in sorted(datasets_of(FABRICATED)):
        fabricate(dataset, root / dataset)  # ROOT/<name>/ is one of the two layouts readers accept
    return root


@pytest.fixture(scope="module")
def local_ray():
    import ray

    from orchestrator.run.ray_cluster import init_ray

    init_ray(None)
    yield
    ray.shutdown()


# One experiment reads data fabricated in each dataset's official layout (readers, the prepared cache,
# 64-px decoding: natural, MedMNIST and skin sets); every other one runs as on a fresh clone with no
# data at all, on generated stand-ins.
FABRICATED = "zeta-fig9"


@pytest.mark.parametrize("name", PAPER)
def test_paper_experiment_runs_in_smoke_mode(name, data_root, local_ray, tmp_path, monkeypatch):
    monkeypatch.delenv("MIXBENCH_DATA", raising=False)
    options = RunOptions(smoke=True, sets={"data_root": str(data_root)} if name == FABRICATED else {})
    planned = sum(p.num_trials for p in plan_experiment(get_experiment(name), smoke=True, sets=options.sets,
                                                        artifacts_dir=str(tmp_path / "artifacts")))
    summary = run_experiment(name, options, WorkDir.at(tmp_path / "runs"))
    assert (summary.trials, summary.errored) == (planned, 0)
    trials = read_table(tmp_path / "runs", "trials")
    assert len(trials) == planned and set(trials["status"]) == {"TERMINATED"}
    assert set(trials["dataset"]) == datasets_of(name)
    report = (summary.report_dir / "report.md").read_text()
    assert summary.report_dir == tmp_path / "runs" / "reports" / name / summary.invocation
    assert "missing" not in report
    assert ("Stand-in data" in report) == (name != FABRICATED and reads_files(name))
