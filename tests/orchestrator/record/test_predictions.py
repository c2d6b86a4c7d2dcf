"""The predictions table: the recorder stores a finished classifier trial's per-sample test predictions
once, from the predictions.npz in its final checkpoint; a missing or damaged file costs a warning only."""
from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from ray import tune

from orchestrator.record.callback import TrialRecorder
from orchestrator.record.parts import list_parts
from orchestrator.record.predictions import predictions_rows
from orchestrator.record.results import epochs_table, predictions_table, read_table, trials_table
from tests.orchestrator.fakes import QueuedCalls
from workloads.predictions import PREDICTIONS_FILE

CONFIG = {"dataset": "digits", "arch": "small_cnn", "method": "zeta", "variant": "zeta-2.8", "seed": 1, "epochs": 1}


def checkpoint(folder, n=5, k=3, epoch=1, with_predictions=True):
    """A checkpoint folder as the classify trainable leaves it: state.pt, and predictions.npz at the end."""
    folder.mkdir(parents=True)
    (folder / "state.pt").write_bytes(b"model")  # the recorder never reads the model
    if not with_predictions:
        return folder, None
    rng = np.random.default_rng(n * k)
    logits = rng.normal(size=(n, k)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.savez(folder / PREDICTIONS_FILE, test_index=np.arange(n, dtype=np.int64), label=rng.integers(0, k, n),
             logits=logits, probs=probs.astype(np.float32), class_names=np.asarray([f"c{i}" for i in range(k)]),
             epoch=np.int64(epoch), config=np.asarray(json.dumps({**CONFIG, "epochs": epoch, "batch_size": 32})))
    return folder, probs


def recorder(workdir, predictions=True):
    """A stage's recorder as `setup` opens it (MLflow's queue kept in memory)."""
    made = TrialRecorder("demo", "inv", "grid", str(workdir), "sqlite:///unused.db", "p", predictions=predictions)
    made._mlflow = QueuedCalls()
    made._epochs = epochs_table(workdir / "results").partition("demo", "inv", "grid")
    made._trials = trials_table(workdir / "results").partition("demo", "inv", "grid")
    made._predictions = predictions_table(workdir / "results").partition("demo", "inv", "grid")
    return made


def run_trial(rec, trial, folders):
    """Tune's calls for a trial of len(folders) epochs, each reporting a checkpoint, then its end."""
    for epoch, folder in enumerate(folders, start=1):
        rec.on_trial_result(0, [], trial, {"epoch": epoch, "test_acc": 0.5, "training_iteration": epoch})
        rec.on_checkpoint(0, [], trial, tune.Checkpoint.from_directory(str(folder)))
    rec.on_trial_complete(0, [], trial)


def a_trial(trial_id, config=CONFIG):
    return SimpleNamespace(trial_id=trial_id, config=dict(config), experiment_tag="1_x", last_result={},
                           status="TERMINATED", num_failures=0, error_file=None, get_error=lambda: None)


def test_a_finished_trials_predictions_are_stored_once_from_its_final_checkpoint(tmp_path):
    stage = tmp_path / "ray" / "demo" / "inv" / "grid" / "trial-t1"
    first, _ = checkpoint(stage / "checkpoint_000000", with_predictions=False)
    final, probs = checkpoint(stage / "checkpoint_000001", epoch=2)
    rec = recorder(tmp_path)
    trial = a_trial("t1", {**CONFIG, "epochs": 2})
    run_trial(rec, trial, [first, final])

    frame = read_table(tmp_path, "predictions")
    assert list(frame["sample"]) == [0, 1, 2, 3, 4] and set(frame["trial_id"]) == {"t1"}
    with np.load(final / PREDICTIONS_FILE) as saved:
        assert list(frame["label"]) == list(saved["label"])
    assert np.allclose(np.stack(frame["probs"]), probs) and list(frame["predicted"]) == list(probs.argmax(axis=1))
    row = frame.iloc[0]
    assert (row["dataset"], row["arch"], row["variant"], row["seed"], row["epoch"]) == ("digits", "small_cnn",
                                                                                       "zeta-2.8", 1, 2)
    assert (row["experiment"], row["invocation"], row["stage"]) == ("demo", "inv", "grid")
    assert row["checkpoint"] == "ray/demo/inv/grid/trial-t1/checkpoint_000001"  # relative to the work directory
    assert (tmp_path / row["checkpoint"] / "state.pt").is_file()  # the final model beside the predictions

    parts = list_parts(rec._predictions.directory)
    rec.on_trial_complete(0, [], trial)  # a second end (a retried trial) writes nothing
    rec._rebuild_predictions([trial])
    resumed = recorder(tmp_path)  # a new driver: `resume` ends the stage again
    resumed._rebuild_predictions([trial])
    assert list_parts(rec._predictions.directory) == parts and len(parts) == 1
    assert len(read_table(tmp_path, "predictions")) == 5


def test_probabilities_are_one_list_column_of_float32(tmp_path):
    final, probs = checkpoint(tmp_path / "ray" / "c", n=4, k=10)
    rec = recorder(tmp_path)
    run_trial(rec, a_trial("t1"), [final])
    (part,) = list_parts(rec._predictions.directory)
    table = pq.read_table(part.path)
    kind = table.schema.field("probs").type
    assert pa.types.is_list(kind) and kind.value_type == pa.float32()
    assert table.column("probs").combine_chunks().flatten().to_numpy().reshape(4, 10) == pytest.approx(probs)
    assert pc.list_value_length(table.column("probs")).to_pylist() == [10] * 4


def test_a_missing_or_damaged_predictions_file_logs_one_warning_and_the_stage_goes_on(tmp_path, caplog):
    missing, _ = checkpoint(tmp_path / "ray" / "a", with_predictions=False)
    torn, _ = checkpoint(tmp_path / "ray" / "b")
    (torn / PREDICTIONS_FILE).write_bytes((torn / PREDICTIONS_FILE).read_bytes()[:200])
    good, _ = checkpoint(tmp_path / "ray" / "c", n=3)
    rec = recorder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="mixbench"):
        for trial_id, folder in (("ta", missing), ("tb", torn), ("tc", good)):
            run_trial(rec, a_trial(trial_id), [folder])
        rec._rebuild_predictions([a_trial("ta"), a_trial("tb"), a_trial("tc")])  # the stage's end: no second try
    warnings = [r.getMessage() for r in caplog.records if "per-sample predictions" in r.getMessage()]
    assert len(warnings) == 2 and "ta" in warnings[0] and "tb" in warnings[1]
    assert set(read_table(tmp_path, "predictions")["trial_id"]) == {"tc"}
    assert set(read_table(tmp_path, "trials")["status"]) == {"TERMINATED"}


def test_only_trials_that_ran_every_epoch_of_a_predicting_stage_are_stored(tmp_path):
    final, _ = checkpoint(tmp_path / "ray" / "a")
    stopped = recorder(tmp_path)
    run_trial(stopped, a_trial("early", {**CONFIG, "epochs": 3}), [final])  # ASHA stopped it after 1 of 3 epochs
    other = recorder(tmp_path, predictions=False)  # e.g. a GAN stage: its checkpoints hold no predictions
    run_trial(other, a_trial("gan"), [final])
    assert read_table(tmp_path, "predictions").empty
    assert dict(zip(*read_table(tmp_path, "trials")[["trial_id", "status"]].T.values)) == {
        "early": "STOPPED_EARLY", "gan": "TERMINATED"}


def test_a_trial_whose_rows_were_lost_gets_them_again_at_the_stage_end(tmp_path):
    final, _ = checkpoint(tmp_path / "ray" / "a", n=4)
    live = recorder(tmp_path)
    trial = a_trial("t1")
    run_trial(live, trial, [final])
    (part,) = list_parts(live._predictions.directory)
    part.path.write_bytes(part.path.read_bytes()[:64])  # a crash of the machine tore it

    resumed = recorder(tmp_path)
    restored = SimpleNamespace(**vars(trial), checkpoint=tune.Checkpoint.from_directory(str(final)))  # as Tune restores
    resumed._rebuild_predictions([restored])
    frame = read_table(tmp_path, "predictions")
    assert list(frame["sample"]) == [0, 1, 2, 3] and frame.attrs["damaged"] == []


def test_fig8_reads_the_table_the_recorder_writes_and_predictions_npz_only_for_what_it_lacks(tmp_path):
    """Fig. 8 from a work directory whose predictions table holds four of its five models (their
    predictions.npz deleted: only the table can give them) and one model recorded before the table."""
    import shutil

    from workloads.data import load_dataset
    from workloads.figures.fig8 import train as fig8

    digits = load_dataset("digits")
    base = {"dataset": "digits", "arch": "mlp", "seed": 0, "device": "cpu", "models_epochs": 1, "batch_size": 32,
            "subset": 200, "synth_samples": 64, "fig8_k": 16, "tsne_max_iter": 250, "num_threads": 1}
    fig8({**base, "source": "train", "artifacts_dir": str(tmp_path / "trained")}, lambda *_: None, data=digits)
    models = tmp_path / "trained" / "fig8" / "digits-mlp" / "models"

    workdir = tmp_path / "runs"
    writer = predictions_table(workdir / "results").partition("zeta-table6", "inv", "grid")
    for n, variant in enumerate(sorted(p.name for p in models.iterdir())):
        folder = workdir / "ray" / "zeta-table6" / "inv" / "grid" / f"t{n}" / "checkpoint_000000"
        shutil.copytree(models / variant, folder)
        if variant != "erm":
            base_row = {"experiment": "zeta-table6", "invocation": "inv", "stage": "grid", "trial_id": f"t{n}",
                        "variant": variant}
            writer.insert_table(predictions_rows(folder, base_row, workdir), group="trial_id")
            (folder / PREDICTIONS_FILE).unlink()
    for source in (workdir, workdir / "ray" / "zeta-table6" / "inv"):  # a work directory, an invocation folder
        out = tmp_path / f"read-{source.name}"
        fig8({**base, "source": str(source), "artifacts_dir": str(out)}, lambda *_: None, data=digits)
        summary = json.loads((out / "fig8" / "digits-mlp" / "summary.json").read_text())
        (line,) = [c for c in summary["choices"] if c.startswith("models:")]
        assert ("the predictions table (mixup, zeta-2.4, zeta-2.8, zeta-4.0); the predictions.npz (erm)") in line
        ours = (out / "fig8" / "digits-mlp" / "predictions.csv").read_text()
        assert ours == (tmp_path / "trained" / "fig8" / "digits-mlp" / "predictions.csv").read_text()
