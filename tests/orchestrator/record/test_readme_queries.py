"""The README's DuckDB queries over the results store, run as written against a work directory the
recorder wrote (two trials, a trials row rewritten as each goes on, predictions from final checkpoints)."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from ray import tune

from orchestrator.record.results import read_table
from tests.orchestrator.record.test_predictions import CONFIG, a_trial, checkpoint, recorder

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_queries() -> list[str]:
    """The statements of the README's first ```sql block."""
    (block,) = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.S)[:1]
    statements = [s.strip() for s in block.split(";")]
    return [re.sub(r"^--.*\n", "", s).strip() for s in statements if s.strip()]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """`mixbench-runs` (the README's default work directory) in the current folder."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "mixbench-runs"
    rec = recorder(root)
    for n, seed in enumerate((0, 1)):
        trial = a_trial(f"t{n}", {**CONFIG, "seed": seed, "epochs": 2})
        rec.on_trial_start(0, [], trial)  # its row, RUNNING; rewritten TERMINATED at its end
        for epoch in (1, 2):
            folder, _ = checkpoint(root / "ray" / f"t{n}" / f"checkpoint_00000{epoch}", n=6, k=3, epoch=epoch)
            rec.on_trial_result(0, [], trial, {"epoch": epoch, "test_acc": 0.5, "training_iteration": epoch})
            rec.on_checkpoint(0, [], trial, tune.Checkpoint.from_directory(str(folder)))
            rec._flush_all()
        rec.on_trial_complete(0, [], trial)
        rec._flush_all()
    return root  # as a running stage leaves the store: not compacted yet


def test_the_readme_duckdb_queries_read_what_read_table_reads(workdir):
    epochs_sql, trials_sql, predictions_sql = readme_queries()
    epochs = duckdb.sql(epochs_sql).df()
    assert len(epochs) == len(read_table(workdir, "epochs")) == 4
    assert sorted(zip(epochs["trial_id"], epochs["epoch"])) == [("t0", 1), ("t0", 2), ("t1", 1), ("t1", 2)]

    trials = duckdb.sql(trials_sql).df().set_index("trial_id").sort_index()
    expected = read_table(workdir, "trials").set_index("trial_id").sort_index()
    rewrites = duckdb.sql("SELECT trial_id, count(*) AS n FROM read_parquet('mixbench-runs/results/trials/**/*.parquet',"
                          " union_by_name=true) GROUP BY ALL").df().set_index("trial_id")["n"]
    assert (rewrites > 1).all(), rewrites  # the query has rows to choose from
    assert list(trials.index) == ["t0", "t1"]  # one row per trial: the newest of its rewrites
    assert trials["status"].to_dict() == expected["status"].to_dict() == {"t0": "TERMINATED", "t1": "TERMINATED"}

    per_trial = duckdb.sql(predictions_sql).df().set_index("trial_id").sort_index()
    predictions = read_table(workdir, "predictions")
    for trial_id, rows in predictions.groupby("trial_id"):
        assert per_trial.loc[trial_id, "acc"] == pytest.approx((rows["predicted"] == rows["label"]).mean())
        p_true = [probs[label] for probs, label in zip(rows["probs"], rows["label"])]
        assert per_trial.loc[trial_id, "p_true"] == pytest.approx(sum(p_true) / len(p_true), rel=1e-6)
