import multiprocessing

import pandas as pd

from orchestrator.record.parquet_table import ParquetTable


def table(tmp_path):
    return ParquetTable(tmp_path / "epochs", "epochs", key=("trial_id", "epoch"))


def test_insert_keeps_the_first_row_per_key_and_reads_back_with_pandas(tmp_path):
    t = table(tmp_path)
    assert t.insert([{"trial_id": "a", "epoch": 1, "acc": 0.5}]) == 1
    assert t.insert([{"trial_id": "a", "epoch": 1, "acc": 0.9}, {"trial_id": "a", "epoch": 2, "acc": 0.6}]) == 1
    frame = pd.read_parquet(tmp_path / "epochs")  # the directory, as users read it
    assert sorted(frame["epoch"]) == [1, 2]
    assert frame.loc[frame["epoch"] == 1, "acc"].item() == 0.5


def test_upsert_replaces_rows_and_columns_of_every_row_survive(tmp_path):
    t = ParquetTable(tmp_path / "trials", "trials", key=("trial_id",))
    t.upsert([{"trial_id": "a", "status": "RUNNING"}])
    t.upsert([{"trial_id": "b", "status": "RUNNING", "gamma": 2.4, "gamma_range": [1.7, 4.0]}])
    t.upsert([{"trial_id": "a", "status": "TERMINATED", "test_acc": 0.9, "flip": True}])
    frame = pd.read_parquet(tmp_path / "trials").set_index("trial_id")
    assert frame.loc["a", "status"] == "TERMINATED" and frame.loc["a", "test_acc"] == 0.9
    assert frame.loc["b", "gamma"] == 2.4 and frame.loc["b", "gamma_range"] == "[1.7, 4.0]"
    assert set(frame.columns) >= {"status", "gamma", "gamma_range", "test_acc", "flip"}
    assert t.keys() == {("a",), ("b",)}


def _writer(directory, worker):
    t = ParquetTable(directory, "epochs", key=("trial_id", "epoch"))
    for epoch in range(1, 21):
        t.insert([{"trial_id": f"w{worker}", "epoch": epoch, f"only_{worker}": float(epoch)}])


def test_concurrent_writers_in_two_processes_lose_no_rows(tmp_path):
    directory = tmp_path / "epochs"
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(directory, w)) for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    frame = pd.read_parquet(directory)
    assert len(frame) == 40
    assert frame.groupby("trial_id")["epoch"].nunique().to_dict() == {"w0": 20, "w1": 20}
    assert not any(path.name.startswith(".epochs") for path in directory.iterdir())
