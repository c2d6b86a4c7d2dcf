"""Stage artifacts on `--storage` (here a local path, as `--storage /mnt/shared` gives; the 2-node S3 run
is in test_cluster.py): one trial's files reach the next trial and the driver, a failed trial pushes
nothing, and only what a trial wrote or changed goes back."""
import os

import pytest

from orchestrator.record.storage import Storage
from orchestrator.run.artifacts_mirror import local_files, pull, push, remote_files, trial_artifacts

KEY = "artifacts/gemix-table1/20261201-000000-1"


def test_a_file_one_trial_writes_reaches_the_next_trial_and_the_driver(tmp_path):
    uri = str(tmp_path / "storage")
    with trial_artifacts(uri, KEY) as folder:  # the GAN stage's trial
        assert os.listdir(folder) == []
        os.makedirs(f"{folder}/generator")
        open(f"{folder}/generator/state.pt", "wb").write(b"weights")
    with trial_artifacts(uri, KEY) as folder:  # a sets-stage trial, maybe on another node
        assert open(f"{folder}/generator/state.pt", "rb").read() == b"weights"
        os.makedirs(f"{folder}/sets/gemix")
        open(f"{folder}/sets/gemix/images.npy", "wb").write(b"images")
    assert not folder.startswith(uri) and not os.path.exists(folder)  # a copy of the trial's own, removed

    driver = tmp_path / "workdir-artifacts"
    pull(Storage(uri, tmp_path), KEY, driver)
    assert sorted(local_files(driver)) == ["generator/state.pt", "sets/gemix/images.npy"]


def test_a_trial_that_fails_pushes_nothing_and_leaves_no_folder(tmp_path):
    uri = str(tmp_path / "storage")
    with pytest.raises(RuntimeError):
        with trial_artifacts(uri, KEY) as folder:
            open(f"{folder}/half-written.npy", "wb").write(b"x")
            raise RuntimeError("the trial crashed")
    assert remote_files(Storage(uri, tmp_path), KEY) == {}
    assert not os.path.exists(folder)


def test_only_what_a_trial_wrote_or_changed_is_pushed(tmp_path):
    storage = Storage(str(tmp_path / "storage"), tmp_path)
    seed = tmp_path / "seed"
    (seed / "splits").mkdir(parents=True)
    (seed / "splits" / "train.txt").write_text("a\nb\n")
    (seed / "quality").mkdir()
    (seed / "quality" / "quality.json").write_text('{"fid": 1.0}')
    assert push(storage, KEY, seed) == ["quality/quality.json", "splits/train.txt"]  # the driver's push
    assert push(storage, KEY, seed) == []  # the storage holds them at their size already

    trial = tmp_path / "trial"
    before = pull(storage, KEY, trial)
    (trial / "quality" / "quality.json").write_text('{"fid": 2.0}')  # same size, rewritten
    os.utime(trial / "quality" / "quality.json", ns=(1, 1))
    (trial / "quality" / "tsne.npz").write_bytes(b"points")
    assert push(storage, KEY, trial, since=before) == ["quality/quality.json", "quality/tsne.npz"]
    assert (tmp_path / "storage" / KEY / "quality" / "quality.json").read_text() == '{"fid": 2.0}'
