"""Checkpoints under faults: what minigrad.save replaces and refuses, what minigrad.load says about a
broken file (beside torch.load on the same damage), and a process killed in the middle of a save."""
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import minigrad

REPO = Path(__file__).resolve().parents[1]


def test_truncated_file_raises_runtime_error_as_torch_does(tmp_path):
    ours, theirs = tmp_path / "ours.npz", tmp_path / "theirs.pt"
    minigrad.save({"w": minigrad.ones(1000)}, ours)
    torch.save({"w": torch.ones(1000)}, theirs)
    for path in (ours, theirs):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError) as torch_error:
        torch.load(theirs)
    with pytest.raises(type(torch_error.value), match="truncated or corrupted") as our_error:
        minigrad.load(ours)
    assert str(ours) in str(our_error.value)


@pytest.mark.parametrize("content,says", [(b"", "empty"), (b"hello\n", "not a minigrad checkpoint"),
                                          (b"\x89PNG\r\n\x1a\n", "not a minigrad checkpoint")])
def test_foreign_files_raise_runtime_error_without_the_allow_pickle_hint(tmp_path, content, says):
    path = tmp_path / "f.npz"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=says) as error:
        minigrad.load(path)
    assert "allow_pickle" not in str(error.value)
    # torch refuses these too, but with whatever its unpickler meets first (EOFError, KeyError,
    # UnpicklingError); minigrad raises the RuntimeError torch gives for a damaged archive.
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)


@pytest.mark.parametrize("what", ["directory", "missing"])
def test_a_path_that_cannot_be_opened_raises_torchs_os_error(tmp_path, what):
    path = tmp_path if what == "directory" else tmp_path / "missing.npz"
    with pytest.raises(OSError) as torch_error:
        torch.load(path)
    with pytest.raises(type(torch_error.value)):
        minigrad.load(path)


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    target, link = tmp_path / "real.npz", tmp_path / "link.npz"
    minigrad.save({"v": minigrad.zeros(2)}, target)
    link.symlink_to(target)
    minigrad.save({"v": minigrad.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert minigrad.load(target)["v"].tolist() == [1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npz", "real.npz"]


def test_save_refuses_directories_and_device_nodes(tmp_path):
    (tmp_path / "folder").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        minigrad.save({"v": 1}, tmp_path / "folder")
    with pytest.raises(OSError, match="not a regular file"):
        minigrad.save({"v": 1}, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_new_files_are_private_and_replaced_files_keep_their_mode(tmp_path):
    old_umask = os.umask(0)
    try:
        minigrad.save({"v": 1}, tmp_path / "new.npz")
        torch.save({"v": 1}, tmp_path / "torch.pt")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o600   # whatever the umask
    shared = tmp_path / "shared.npz"
    minigrad.save({"v": 1}, shared)
    shared.chmod(0o644)
    minigrad.save({"v": 2}, shared)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o644


def test_a_save_removes_the_temporary_files_killed_saves_left(tmp_path):
    path = tmp_path / "ck.npz"
    orphan = tmp_path / ".ck.npz.abc123.tmp"
    orphan.write_bytes(b"half a checkpoint")
    unrelated = tmp_path / ".other.npz.abc123.tmp"
    unrelated.write_bytes(b"another file's")
    minigrad.save({"v": 1}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.npz.abc123.tmp", "ck.npz"]


KILLED_SAVER = textwrap.dedent("""
    # Train a tiny run for 2 epochs; hold the second epoch's save between writing its temporary
    # file and renaming it over the checkpoint (where a kill does the most harm), and say so.
    import os, sys, time
    import minigrad.serialization as s
    from minigrad.train import Config, train
    saves = []
    real_replace = os.replace
    def held_replace(src, dst):
        saves.append(dst)
        if len(saves) == 2:
            open(sys.argv[2], "w").close()
            time.sleep(600)
        real_replace(src, dst)
    s.os.replace = held_replace
    train(Config(train_size=64, batch_size=32, epochs=3, schedule="constant"), save=sys.argv[1], quiet=True)
""")


@pytest.mark.slow
def test_kill_during_a_save_keeps_the_last_checkpoint_and_resumes_bit_identically(tmp_path):
    ck, ready = tmp_path / "ck.npz", tmp_path / "ready"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(ck), str(ready)], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 300
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the save was never reached"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    ready.unlink()
    orphans = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(orphans) == 1                       # the killed save's temporary file
    assert minigrad.load(ck)["epoch"] == 1         # the previous checkpoint, intact

    result = subprocess.run([sys.executable, "-m", "minigrad.cli", "train", "--resume", str(ck), "--epochs", "3"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]   # the orphan is gone

    from minigrad.train import Config, train
    straight = tmp_path / "straight.npz"
    train(Config(train_size=64, batch_size=32, epochs=3, schedule="constant"), save=str(straight), quiet=True)
    resumed, expected = minigrad.load(ck), minigrad.load(straight)
    assert resumed["epoch"] == 3
    for name, value in expected["model"].items():
        np.testing.assert_array_equal(resumed["model"][name].numpy(), value.numpy(), err_msg=name)
    assert resumed["history"]["step_loss"] == expected["history"]["step_loss"]


@pytest.mark.slow
def test_symlinks_and_special_files_are_untouched_by_a_cli_run(tmp_path):
    target, link = tmp_path / "real.npz", tmp_path / "link.npz"
    link.symlink_to(target)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "minigrad.cli", "train", "--epochs", "1", "--train-size", "32",
                             "--save", str(link)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and minigrad.load(target)["epoch"] == 1
