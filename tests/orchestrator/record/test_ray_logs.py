import json

from orchestrator.record.ray_logs import logged_epochs
from orchestrator.record.callback import TrialRecorder
from orchestrator.record.parts import list_parts
from orchestrator.record.results import epochs_table, read_table
from tests.orchestrator.fakes import QueuedCalls


def write_log(trial_dir, trial_id, epochs, torn=False):
    trial_dir.mkdir(parents=True)
    lines = [json.dumps({"trial_id": trial_id, "epoch": e, "test_acc": e / 10, "training_iteration": e,
                         "time_total_s": float(e), "timestamp": 1000 + e, "date": "x", "pid": 1,
                         "config": {"dataset": "digits", "gamma": 2.8, "milestones": [1, 2]}}) for e in epochs]
    text = "\n".join(lines) + ("\n{\"trial_id\": \"" if torn else "\n")
    (trial_dir / "result.json").write_text(text)


def test_rows_are_rebuilt_from_every_trial_log_and_a_torn_last_line_is_skipped(tmp_path):
    write_log(tmp_path / "a", "aaa", [1, 2])
    write_log(tmp_path / "b", "bbb", [1], torn=True)
    rows = [row for row, _, _ in logged_epochs(tmp_path, {"experiment": "demo", "invocation": "i", "stage": "grid"})]
    assert sorted((r["trial_id"], r["epoch"]) for r in rows) == [("aaa", 1), ("aaa", 2), ("bbb", 1)]
    row = next(r for r in rows if r["trial_id"] == "aaa" and r["epoch"] == 2)
    assert row["test_acc"] == 0.2 and row["gamma"] == 2.8 and row["experiment"] == "demo"
    assert "pid" not in row and "date" not in row  # Tune's bookkeeping is not a metric


def test_reconcile_adds_only_the_rows_parquet_lacks(tmp_path):
    stage = tmp_path / "ray" / "grid"
    write_log(stage / "a", "aaa", [1, 2, 3])
    recorder = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", stage_path=str(stage))
    recorder._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    recorder._epochs.insert([{"experiment": "demo", "trial_id": "aaa", "epoch": 1, "test_acc": 0.1}])
    assert recorder.reconcile() == 2
    assert recorder.reconcile() == 0
    frame = read_table(tmp_path, "epochs")
    assert sorted(frame["epoch"]) == [1, 2, 3]


def test_the_tune_keys_spelled_out_are_rays_own():
    from ray.tune.result import AUTO_RESULT_KEYS

    from orchestrator.record.ray_logs import AUTO_RESULT_KEYS as OURS

    assert OURS == set(AUTO_RESULT_KEYS)


def test_reconcile_rebuilds_the_rows_of_a_damaged_part_from_rays_logs(tmp_path):
    stage = tmp_path / "ray" / "grid"
    write_log(stage / "a", "aaa", [1, 2, 3])
    write_log(stage / "b", "bbb", [1, 2])
    recorder = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", stage_path=str(stage))
    recorder._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    assert recorder.reconcile() == 5
    (part,) = list_parts(recorder._epochs.directory)
    part.path.write_bytes(part.path.read_bytes()[:100])  # truncated: no footer

    resumed = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", stage_path=str(stage))
    resumed._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")  # as `setup` opens it
    assert resumed.reconcile() == 5
    frame = read_table(tmp_path, "epochs")
    assert sorted(zip(frame["trial_id"], frame["epoch"])) == [("aaa", 1), ("aaa", 2), ("aaa", 3), ("bbb", 1), ("bbb", 2)]
    assert frame.attrs["damaged"] == []


def test_final_and_best_from_the_rows_just_written_equal_those_read_back_from_parquet(tmp_path):
    from types import SimpleNamespace

    trial = SimpleNamespace(trial_id="t1", config={"dataset": "digits", "gamma": 2.8, "seed": 0, "milestones": [1, 2]},
                            experiment_tag="1_gamma=2.8", last_result={})
    results = [{"epoch": e, "test_acc": acc, "val_loss": loss, "training_iteration": e, "time_total_s": float(e)}
               for e, acc, loss in [(1, 0.5, 0.9), (2, 0.7, 0.4), (3, 0.6, 0.6), (2, 0.1, 9.0)]]  # a retried epoch 2
    live = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p")
    live._mlflow = QueuedCalls()
    live._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    for result in results:
        live.on_trial_result(0, [], trial, result)
        live._flush_rows()
    from_memory = live._final_and_best(trial)

    later = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p")  # a new driver
    later._mlflow = QueuedCalls()
    later._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    later._flush_rows()
    assert "t1" in later._epochs.stored_before("trial_id")
    from_disk = later._final_and_best(trial)
    assert from_memory == from_disk
    assert from_memory["epochs_done"] == 3 and from_memory["test_acc"] == 0.6 and from_memory["best_test_acc"] == 0.7
    assert from_memory["best_val_loss"] == 0.4


def test_ended_trials_whose_rows_were_lost_or_left_running_are_written_again_at_the_stage_end(tmp_path):
    from types import SimpleNamespace

    from orchestrator.record.results import trials_table

    stage = tmp_path / "ray" / "grid"
    write_log(stage / "a", "aaa", [1, 2])
    write_log(stage / "b", "bbb", [1])
    config = {"dataset": "digits", "gamma": 2.8, "milestones": [1, 2], "epochs": 2}
    write_log(stage / "c", "ccc", [1, 2])
    ended = [SimpleNamespace(trial_id=tid, config=config, experiment_tag=f"{n}_x", status="TERMINATED",
                             last_result={"time_total_s": 3.0}, error_file=None, get_error=lambda: None)
             for n, tid in ((1, "aaa"), (2, "bbb"), (3, "ccc"))]
    def recorder():  # as `setup` opens it, in a new driver process
        made = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", stage_path=str(stage))
        made._mlflow = QueuedCalls()
        made._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
        made._trials = trials_table(tmp_path / "results").partition("demo", "i", "grid")
        return made

    live = recorder()
    live.reconcile()
    live._trials.upsert([{"trial_id": "aaa", "status": "TERMINATED", "test_acc": 0.25}])
    live._trials.upsert([{"trial_id": "bbb", "status": "TERMINATED", "test_acc": 0.15}])
    live._trials.upsert([{"trial_id": "ccc", "status": "RUNNING"}])  # the driver died before its end was written
    parts = list_parts(live._trials.directory)
    live._rebuild_trial_rows(ended)  # only ccc's end was not recorded
    assert read_table(tmp_path, "trials").set_index("trial_id").loc["ccc", "status"] == "TERMINATED"
    live._rebuild_trial_rows(ended)
    assert len(list_parts(live._trials.directory)) == len(parts) + 1  # nothing more to write
    parts[1].path.write_bytes(parts[1].path.read_bytes()[:64])  # bbb's row is lost

    resumed = recorder()
    resumed.reconcile()
    resumed._rebuild_trial_rows(ended)
    rows = read_table(tmp_path, "trials").set_index("trial_id")
    assert rows["status"].to_dict() == {"aaa": "TERMINATED", "bbb": "STOPPED_EARLY", "ccc": "TERMINATED"}
    assert rows.loc["aaa", "test_acc"] == 0.25  # an intact row stays as it was
    assert rows.loc["bbb", "test_acc"] == 0.1 and rows.loc["bbb", "epochs_done"] == 1
    assert rows.loc["bbb", "runtime_s"] == 3.0 and rows.loc["bbb", "trial_number"] == 2


def test_the_selected_epoch_is_the_first_best_on_the_validation_metric_and_carries_every_metric():
    from orchestrator.record.callback import at_best_epoch

    rows = [{"epoch": 1, "val_acc": 0.5, "val_loss": 0.9, "test_acc": 0.40},
            {"epoch": 2, "val_acc": 0.8, "val_loss": 0.5, "test_acc": 0.61},
            {"epoch": 3, "val_acc": 0.8, "val_loss": 0.3, "test_acc": 0.72},  # ties epoch 2 on val_acc
            {"epoch": 4, "val_acc": float("nan"), "val_loss": 0.7, "test_acc": 0.99}]
    columns = ("val_acc", "val_loss", "test_acc")
    assert at_best_epoch(rows, columns, ("val_acc", "max")) == {
        "best_epoch": 2, "selected_on": "val_acc", "at_best_val_acc": 0.8, "at_best_val_loss": 0.5, "at_best_test_acc": 0.61}
    assert at_best_epoch(rows, columns, ("val_loss", "min"))["at_best_test_acc"] == 0.72
    assert at_best_epoch(rows, columns, ("val_auc", "max")) == {}  # never reported: nothing is selected
    assert at_best_epoch(rows, columns, None) == {}


def test_a_trials_row_names_its_selected_epoch_from_memory_and_from_parquet_alike(tmp_path):
    from types import SimpleNamespace

    trial = SimpleNamespace(trial_id="t1", config={"dataset": "digits", "seed": 0}, experiment_tag="1_x", last_result={})
    results = [{"epoch": e, "val_acc": v, "test_acc": t, "training_iteration": e, "time_total_s": float(e)}
               for e, v, t in [(1, 0.5, 0.4), (2, 0.9, 0.6), (3, 0.7, 0.8)]]
    live = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", selection=("val_acc", "max"))
    live._mlflow = QueuedCalls()
    live._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    for result in results:
        live.on_trial_result(0, [], trial, result)
    live._flush_rows()
    from_memory = live._final_and_best(trial)
    later = TrialRecorder("demo", "i", "grid", str(tmp_path), "sqlite:///unused.db", "p", selection=("val_acc", "max"))
    later._epochs = epochs_table(tmp_path / "results").partition("demo", "i", "grid")
    assert later._final_and_best(trial) == from_memory
    assert (from_memory["best_epoch"], from_memory["at_best_test_acc"], from_memory["test_acc"]) == (2, 0.6, 0.8)
    assert from_memory["best_test_acc"] == 0.8  # each metric's own best is not a selection
