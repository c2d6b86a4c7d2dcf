"""The results store: append-only Parquet parts per (experiment, invocation, stage), read as one table."""
from __future__ import annotations

import logging
import multiprocessing
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestrator.record import compaction
from orchestrator.record import store as store_module
from orchestrator.record.invocation import chosen_invocation
from orchestrator.record.parts import list_parts
from orchestrator.record.results import damaged_parts, epochs_table, invocation_trials, read_table, trials_table
from orchestrator.workdir import WorkDir


def epochs(tmp_path, invocation="inv-1", stage="grid"):
    return epochs_table(tmp_path / "results").partition("demo", invocation, stage)


def trials(tmp_path, invocation="inv-1", stage="grid"):
    return trials_table(tmp_path / "results").partition("demo", invocation, stage)


def stats(directory):
    """name -> (inode, mtime, bytes) of every part: what a rewrite would change."""
    return {p.name: (s.st_ino, s.st_mtime_ns, s.st_size) for p, s in ((p, p.stat()) for p in directory.glob("part-*"))}


def epoch_rows(trial, epochs_):
    return [{"trial_id": trial, "epoch": e, "test_acc": e / 100} for e in epochs_]


def test_a_flush_writes_one_file_of_its_rows_and_leaves_every_stored_file_untouched(tmp_path):
    big = epochs(tmp_path)
    big.insert([row for t in range(50) for row in epoch_rows(f"t{t}", range(1, 101))])  # 5,000 rows
    big.compact(full=True)
    for t in range(3):
        big.insert(epoch_rows(f"late{t}", [1]))
    before = stats(big.directory)

    writer = epochs(tmp_path)  # as a new driver process would
    assert writer.insert(epoch_rows("new", range(1, 9))) == 8
    after = stats(big.directory)
    (added,) = set(after) - set(before)
    assert all(after[name] == before[name] for name in before)
    assert pq.read_metadata(big.directory / added).num_rows == 8
    assert len(read_table(tmp_path, "epochs")) == 5000 + 3 + 8


def test_tiered_compaction_never_rewrites_the_top_tier_and_keeps_few_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(compaction, "FANOUT", 2)
    monkeypatch.setattr(compaction, "MAX_LEVEL", 2)
    writer = epochs(tmp_path)
    writer.insert(epoch_rows("base", range(1, 1001)))
    writer.compact(full=True)
    base = stats(writer.directory)
    for epoch in range(1, 41):
        writer.insert(epoch_rows("flush", [epoch]))
        now = stats(writer.directory)
        assert all(now[name] == base[name] for name in base)  # the top tier stays as it is
        below_top = [p for p in list_parts(writer.directory) if p.level < 2]
        assert len(below_top) <= (2 - 1) * 2
    frame = read_table(tmp_path, "epochs")
    assert len(frame) == 1040 and not frame.duplicated(["trial_id", "epoch"]).any()
    writer.compact(full=True)
    assert len(list_parts(writer.directory)) == 1
    assert read_table(tmp_path, "epochs").equals(frame)


def test_epochs_keep_the_first_row_per_key_and_trials_the_last(tmp_path, monkeypatch):
    monkeypatch.setattr(compaction, "FANOUT", 3)
    e, t = epochs(tmp_path), trials(tmp_path)
    assert e.insert([{"trial_id": "a", "epoch": 1, "test_acc": 0.5}]) == 1
    assert e.insert([{"trial_id": "a", "epoch": 1, "test_acc": 0.9}, {"trial_id": "a", "epoch": 2, "test_acc": 0.6},
                     {"trial_id": "a", "epoch": 2, "test_acc": 0.7}]) == 1
    for status in ("RUNNING", "TERMINATED"):
        t.upsert([{"trial_id": "a", "status": status}])
    t.upsert([{"trial_id": "b", "status": "RUNNING", "gamma_range": [1.7, 4.0]}])
    for full in (False, True):  # the same before and after compaction
        if full:
            e.compact(full=True)
            t.compact(full=True)
        frame = read_table(tmp_path, "epochs").set_index("epoch")
        assert frame["test_acc"].to_dict() == {1: 0.5, 2: 0.6}
        rows = read_table(tmp_path, "trials").set_index("trial_id")
        assert rows["status"].to_dict() == {"a": "TERMINATED", "b": "RUNNING"}
        assert rows.loc["b", "gamma_range"] == "[1.7, 4.0]" and rows.loc["a", "stage"] == "grid"


def test_a_duplicate_from_another_writer_is_dropped_by_reads_and_compaction(tmp_path):
    late = epochs(tmp_path)
    late.insert(epoch_rows("other", [1]))  # loads its keys now: it will not see the row below
    epochs(tmp_path).insert([{"trial_id": "a", "epoch": 1, "test_acc": 0.5}])
    assert late.insert([{"trial_id": "a", "epoch": 1, "test_acc": 0.9}]) == 1  # a second copy on disk
    assert read_table(tmp_path, "epochs").set_index("trial_id").loc["a", "test_acc"] == 0.5
    late.compact(full=True)
    parts = list_parts(late.directory)
    assert len(parts) == 1 and pq.read_metadata(parts[0].path).num_rows == 2
    assert read_table(tmp_path, "epochs").set_index("trial_id").loc["a", "test_acc"] == 0.5


def test_the_writer_reads_the_partition_keys_once_not_per_write(tmp_path, monkeypatch):
    monkeypatch.setattr(compaction, "FANOUT", 1000)
    for trial in ("a", "b", "c"):
        epochs(tmp_path).insert(epoch_rows(trial, [1, 2]))
    reads = []
    real = store_module.read_part
    monkeypatch.setattr(store_module, "read_part", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    writer = epochs(tmp_path)
    assert writer.insert(epoch_rows("a", [2, 3])) == 1
    assert len(reads) == 3
    for epoch in range(4, 14):
        assert writer.insert(epoch_rows("a", [epoch - 1, epoch])) == 1
    assert len(reads) == 3


def _writer(results, invocation, trial, fanout):
    compaction.FANOUT = fanout  # a spawned process: its own module state
    table = epochs_table(results)
    for epoch in range(1, 31):
        table.partition("demo", invocation, "grid").insert([{"trial_id": trial, "epoch": epoch, f"only_{trial}": 1.0}])


def test_two_processes_writing_one_partition_and_a_third_another_lose_no_rows(tmp_path):
    root = tmp_path / "results"
    jobs = [("inv-1", "w0"), ("inv-1", "w1"), ("inv-2", "w2")]
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_writer, args=(root, inv, trial, 2)) for inv, trial in jobs]
    for p in procs:
        p.start()
    seen = 0
    while any(p.is_alive() for p in procs):  # reads while they write and compact: never fewer rows
        frame = read_table(tmp_path, "epochs")
        assert len(frame) >= seen and not frame.duplicated(["trial_id", "epoch"]).any()
        seen = len(frame)
        time.sleep(0.05)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    frame = read_table(tmp_path, "epochs")
    assert frame.groupby("trial_id")["epoch"].nunique().to_dict() == {"w0": 30, "w1": 30, "w2": 30}
    assert len(frame) == 90
    assert {"only_w0", "only_w1", "only_w2"} <= set(frame.columns)
    assert not [p for p in (root / "epochs").rglob(".*") if p.name != ".lock"]  # no temporary file left behind


def test_stages_with_different_columns_and_types_read_as_one_table(tmp_path):
    epochs(tmp_path, stage="gan").insert([{"trial_id": "g", "epoch": 1, "g_loss": 0.7, "note": None,
                                           "trial_number": None, "tag": 1.5}])
    epochs(tmp_path, stage="classify").insert([{"trial_id": "c", "epoch": 1, "test_acc": 0.9, "note": "fine",
                                                "trial_number": 3, "tag": "x"}])
    frame = read_table(tmp_path, "epochs").set_index("trial_id")
    assert frame.loc["g", "g_loss"] == 0.7 and pd.isna(frame.loc["c", "g_loss"])
    assert frame.loc["c", "test_acc"] == 0.9 and frame.loc["c", "note"] == "fine" and pd.isna(frame.loc["g", "note"])
    assert frame.loc["c", "trial_number"] == 3 and pd.isna(frame.loc["g", "trial_number"])
    assert frame.loc["g", "tag"] == "1.5" and frame.loc["c", "tag"] == "x"  # numbers and text: read as text
    assert set(frame["stage"]) == {"gan", "classify"}
    assert list(read_table(tmp_path, "epochs", stage="gan")["trial_id"]) == ["g"]


def test_a_work_directory_with_the_old_single_file_still_reads(tmp_path):
    workdir = WorkDir.at(tmp_path)
    legacy_epochs = workdir.epochs / "epochs.parquet"
    legacy_epochs.parent.mkdir(parents=True)
    pd.DataFrame([{"experiment": "demo", "invocation": inv, "stage": "grid", "trial_id": f"old-{inv}", "epoch": 1,
                   "test_acc": 0.5} for inv in ("inv-0", "inv-1")]).to_parquet(legacy_epochs)
    legacy_trials = workdir.trials / "trials.parquet"
    legacy_trials.parent.mkdir(parents=True)
    pd.DataFrame([{"experiment": "demo", "invocation": "inv-1", "stage": "grid", "trial_id": "old-inv-1",
                   "status": "RUNNING"}]).to_parquet(legacy_trials)

    writer = epochs(tmp_path, invocation="inv-1")
    assert writer.insert([{"trial_id": "old-inv-1", "epoch": 1, "test_acc": 0.9},  # stored in the old file
                          {"trial_id": "old-inv-1", "epoch": 2, "test_acc": 0.6}]) == 1
    trials(tmp_path).upsert([{"trial_id": "old-inv-1", "status": "TERMINATED"}])
    frame = read_table(tmp_path, "epochs")
    assert sorted(zip(frame["trial_id"], frame["epoch"])) == [("old-inv-0", 1), ("old-inv-1", 1), ("old-inv-1", 2)]
    assert frame.set_index(["trial_id", "epoch"]).loc[("old-inv-1", 1), "test_acc"] == 0.5
    assert list(read_table(tmp_path, "epochs", invocation="inv-0")["trial_id"]) == ["old-inv-0"]
    assert invocation_trials(workdir.results, "demo", "inv-1")["status"].tolist() == ["TERMINATED"]
    legacy_trials.unlink()
    assert trials_table(workdir.results).invocations("demo") == ["inv-1"]
    assert epochs_table(workdir.results).invocations("demo") == ["inv-0", "inv-1"]
    assert chosen_invocation(workdir, "demo") == "inv-1"


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_damaged_part_is_skipped_with_one_warning_then_set_aside_and_written_again(tmp_path, caplog):
    writer = epochs(tmp_path)
    for trial in ("a", "b", "c"):
        writer.insert(epoch_rows(trial, [1, 2]))
    damaged = list_parts(writer.directory)[1].path
    truncate(damaged)
    results = WorkDir.at(tmp_path).results
    with caplog.at_level(logging.WARNING, logger="mixbench"):
        first = read_table(tmp_path, "epochs")
        second = read_table(tmp_path, "epochs")
    assert sorted(first["trial_id"].unique()) == ["a", "c"] and second.equals(first)
    assert first.attrs["damaged"] == [str(damaged)]
    assert len([r for r in caplog.records if str(damaged) in r.getMessage()]) == 1  # two reads, one warning
    assert damaged_parts(results, "demo", "inv-1") == ([damaged], [])

    rewriter = epochs(tmp_path)  # e.g. `resume`'s reconcile, re-inserting what Ray logged
    assert rewriter.insert([row for t in ("a", "b", "c") for row in epoch_rows(t, [1, 2])]) == 2
    aside = damaged.with_name(f"_{damaged.name}.damaged")
    assert aside.exists() and not damaged.exists()
    assert damaged_parts(results, "demo", "inv-1") == ([], [aside])
    frame = read_table(tmp_path, "epochs")
    assert len(frame) == 6 and frame.attrs["damaged"] == []
    assert pd.read_parquet(writer.directory).shape[0] == 6  # pyarrow's own discovery skips the aside file too


def test_a_table_that_is_being_created_reads_as_empty_with_its_columns(tmp_path):
    directory = trials_table(tmp_path / "results").partition_dir("demo", "inv-1", "grid")
    directory.mkdir(parents=True)
    (directory / ".lock").touch()
    (directory / ".part-00000000000000000001-L0.parquet.tmp-123").write_bytes(b"PAR1 half written")
    frame = read_table(tmp_path, "trials")
    assert frame.empty and {"experiment", "invocation", "stage", "trial_id", "status"} <= set(frame.columns)
    assert frame[frame["status"] == "TERMINATED"].empty


def test_a_merge_cut_short_after_its_rename_reads_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(compaction, "FANOUT", 4)
    t = trials(tmp_path)
    for status in ("RUNNING", "TERMINATED"):
        t.upsert([{"trial_id": "a", "status": status, "step": status}])
    t.upsert([{"trial_id": "b", "status": "RUNNING"}])
    inputs = {p.path: p.path.read_bytes() for p in list_parts(t.directory)}
    t.upsert([{"trial_id": "b", "status": "ERROR"}])  # the fourth part: merged into one with the others
    assert len(list_parts(t.directory)) == 1
    expected = read_table(tmp_path, "trials")
    for path, data in list(inputs.items())[:2]:  # a crash deleted the newest inputs only
        path.write_bytes(data)
    assert len(list_parts(t.directory)) == 3
    assert read_table(tmp_path, "trials").equals(expected)
    assert expected.set_index("trial_id")["status"].to_dict() == {"a": "TERMINATED", "b": "ERROR"}


def test_partition_values_are_one_folder_each_and_read_back(tmp_path):
    writer = epochs_table(tmp_path / "results").partition("my/exp", ".inv", "_stage")
    writer.insert(epoch_rows("a", [1]))
    assert writer.directory.parent.parent.parent == tmp_path / "results" / "epochs"
    frame = read_table(tmp_path, "epochs", experiment="my/exp", invocation=".inv", stage="_stage")
    assert list(frame["trial_id"]) == ["a"] and frame.loc[0, "experiment"] == "my/exp"


def test_unknown_table_names_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="epochs, trials"):
        read_table(tmp_path, "runs")
