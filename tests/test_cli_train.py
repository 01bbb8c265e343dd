"""`minigrad train` under bad input: every case is a subprocess run of the CLI, as a user meets it.

Each case must end with a non-zero exit status (2 for a bad command line or input file, found
before any training; 1 for a run that fails on the way), at most three lines on stderr, no
traceback, and no partial or orphan files beside the paths it was given.
"""
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad

REPO = Path(__file__).resolve().parents[1]
TINY = ["--train-size", "64", "--batch-size", "32"]   # two steps an epoch: a second or so


def run_cli(*argv, cwd, env_extra=None, module="minigrad.cli"):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", module, *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_clean_failure(result, status, *, says=(), trained=False):
    """Exit ``status``, at most three stderr lines, no traceback, and the message says ``says``."""
    err = result.stderr
    assert result.returncode == status, (result.returncode, err, result.stdout)
    assert "Traceback" not in err and "Traceback" not in result.stdout, err
    assert len(err.strip().splitlines()) <= 3, err
    for text in says:
        assert text in err, (text, err)
    if not trained:   # refused before any work
        assert "training ConvNet" not in result.stdout, result.stdout


def listing(folder: Path):
    return sorted(p.name for p in folder.iterdir())


# -- the checkpoints the table needs, each made once ------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A real one-epoch checkpoint of a tiny run (made through the library: no subprocess)."""
    from minigrad.train import Config, train
    path = tmp_path_factory.mktemp("ck") / "good.npz"
    train(Config(train_size=64, batch_size=32, epochs=1), save=str(path), quiet=True)
    return path


def _damaged(folder: Path, checkpoint: Path, kind: str) -> Path:
    """A broken copy of ``checkpoint`` (or another wrong file) in ``folder``."""
    data = checkpoint.read_bytes()
    path = folder / f"{kind}.npz"
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "bitflip":          # one flipped bit inside the first stored array: a CRC mismatch
        flipped = bytearray(data)
        flipped[200] ^= 0x10
        path.write_bytes(bytes(flipped))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("epoch = 3\n")
    elif kind == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    elif kind == "directory":
        path.mkdir()
    elif kind.startswith("manifest-"):   # a valid archive whose manifest is broken
        manifest = {"manifest-json": "{not json", "manifest-keys": json.dumps({"format": 1}),
                    "manifest-types": json.dumps({"format": 1, "root": {"dict": 5}})}[kind]
        np.savez(path, __minigrad_manifest__=np.array(manifest))
    elif kind == "plain-npz":          # a state dict, not a train checkpoint
        np.savez(path, weight=np.ones(3, np.float32))
    elif kind == "config":             # a train checkpoint whose config has an unknown field
        saved = minigrad.load(checkpoint)
        saved["config"]["colour"] = "blue"
        minigrad.save(saved, path)
    elif kind == "legacy-rng":         # saved before the generator became torch's (64-byte states)
        saved = minigrad.load(checkpoint)
        saved["rng"] = {name: minigrad.zeros(64, dtype=minigrad.uint8) for name in saved["rng"]}
        minigrad.save(saved, path)
    elif kind == "nan":                # a run that had diverged before it was saved
        saved = minigrad.load(checkpoint)
        saved["model"]["conv1.weight"] = saved["model"]["conv1.weight"] * float("nan")
        minigrad.save(saved, path)
    else:
        raise ValueError(kind)
    return path


# -- the table: each case refused before any work, with exit status 2 --------------------------
# Every case gets a folder of its own (set up with the files it needs) and runs as its own CLI
# process; the processes run side by side, a few at a time, since each spends most of its second
# importing minigrad.
BAD_FLAGS = [
    (["--lr", "-1"], "argument --lr"),
    (["--lr", "nan"], "argument --lr"),
    (["--lr", "inf"], "argument --lr"),
    (["--lr", "0"], "argument --lr"),
    (["--momentum", "-0.5"], "argument --momentum"),
    (["--batch-size", "0"], "argument --batch-size"),
    (["--label-smoothing", "1.5"], "argument --label-smoothing"),
    (["--train-size", "0"], "argument --train-size"),
    (["--train-size", "-5"], "argument --train-size"),
    (["--epochs", "0"], "argument --epochs"),
    (["--epochs", "-1"], "argument --epochs"),
    (["--shift", "-3"], "argument --shift"),
    (["--seed", str(2 ** 64)], "argument --seed"),
    (["--seed", str(-2 ** 63 - 1)], "argument --seed"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--epochs", "x"], "argument --epochs"),
    (["--save="], "--save: empty path"),
    (["--plot="], "--plot: empty path"),
    (["--resume="], "--resume: empty path"),
    (["--data-dir", "."], "--data-dir applies to MNIST only"),
    (["--download"], "--download applies to MNIST only"),
]
BAD_OUTPUTS = {   # name -> (argv with {d} for the case's folder, what stderr says)
    "save into a missing folder": (["--save", "{d}/missing/ck.npz"], "does not exist"),
    "save onto a folder": (["--save", "{d}/folder"], "is a directory"),
    "save onto an existing file": (["--save", "{d}/existing.npz"], "--overwrite"),
    "save onto the null device": (["--save", "/dev/null"], "not a regular file"),
    "plot into a missing folder": (["--plot", "{d}/missing/curves.png"], "does not exist"),
    "plot onto a folder": (["--plot", "{d}/folder"], "is a directory"),
    "plot with an unknown extension": (["--plot", "{d}/curves.xyz"], "unknown image format 'xyz'"),
    "plot without an extension": (["--plot", "{d}/curves"], "unknown image format"),
}
DAMAGED = {"truncated": "truncated or corrupted", "bitflip": "truncated or corrupted", "empty": "empty",
           "text": "not a minigrad checkpoint", "png": "not a minigrad checkpoint", "directory": "Is a directory",
           "manifest-json": "manifest is damaged", "manifest-keys": "manifest is damaged",
           "manifest-types": "manifest is damaged", "plain-npz": "not a minigrad train checkpoint",
           "config": "damaged train checkpoint", "nan": "not finite", "legacy-rng": "cannot continue bit for bit"}


def _table(checkpoint: Path):
    """{case name: (argv with {d} for its folder, what stderr says, how to set the folder up)}."""
    def outputs(folder):
        (folder / "folder").mkdir()
        (folder / "existing.npz").write_bytes(b"a further-trained run")

    cases = {" ".join(argv): (argv, says, None) for argv, says in BAD_FLAGS}
    cases.update({name: (argv, says, outputs) for name, (argv, says) in BAD_OUTPUTS.items()})
    for kind, says in DAMAGED.items():
        cases[f"resume a {kind} checkpoint"] = (["--resume", f"{{d}}/{kind}.npz", "--epochs", "2"],
                                                [f"{{d}}/{kind}.npz", says], lambda folder, kind=kind: _damaged(folder, checkpoint, kind))
    cases["resume with other recipe flags"] = (
        ["--resume", str(checkpoint), "--lr", "0.1", "--dataset", "mnist", "--batch-size", "32", "--epochs", "2"],
        ["--lr 0.1 (checkpoint: 0.05)", "--dataset mnist (checkpoint: digits)"], None)
    cases["resume a missing checkpoint"] = (["--resume", "{d}/missing.npz"], ["{d}/missing.npz", "No such file"], None)
    cases["resume a finished run"] = (["--resume", str(checkpoint)], "already has 1 of its 1 epochs", None)
    return cases


@pytest.fixture(scope="module")
def table(tmp_path_factory, checkpoint):
    """{case name: (result, its folder, the folder's listing before the run)}, all run side by side."""
    from concurrent.futures import ThreadPoolExecutor
    prepared = {}
    for i, (name, (argv, says, setup)) in enumerate(_table(checkpoint).items()):
        folder = tmp_path_factory.mktemp(f"case{i}")
        if setup is not None:
            setup(folder)
        prepared[name] = ([a.replace("{d}", str(folder)) for a in argv], folder, listing(folder))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(run_cli, "train", *argv, cwd=folder)
                   for name, (argv, folder, _) in prepared.items()}
        return {name: (futures[name].result(), folder, before) for name, (_, folder, before) in prepared.items()}


@pytest.mark.parametrize("name", list(_table(Path("checkpoint.npz"))))
def test_bad_input_is_one_line_before_any_work(table, name):
    result, folder, before = table[name]
    says = table_says(name, folder)
    assert_clean_failure(result, 2, says=says)
    assert listing(folder) == before   # nothing written, nothing left behind
    if (folder / "existing.npz").exists():
        assert (folder / "existing.npz").read_bytes() == b"a further-trained run"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def table_says(name, folder):
    _, says, _ = _table(Path("checkpoint.npz"))[name]
    return [text.replace("{d}", str(folder)) for text in ([says] if isinstance(says, str) else says)]


def test_cuda_on_a_machine_without_it_is_an_argparse_error(tmp_path):
    if minigrad.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_cli("train", "--device", "cuda", cwd=tmp_path)
    assert_clean_failure(result, 2, says=["argument --device", "pip install -e '.[cuda]'"])


def test_negative_seeds_are_accepted_as_torch_accepts_them(tmp_path):
    """--seed -1 trains (torch.manual_seed(-1) is valid): the run is seeded with 2**64 - 1."""
    result = run_cli("train", "--seed", "-1", "--epochs", "1", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "seed -1" in result.stdout


# -- output paths that need this machine's help ------------------------------------------------
def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: mode 0500, or, for root (whom modes do not
    stop), a read-only file system where one is mounted."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / "probe").touch()
    except OSError:
        return folder
    (folder / "probe").unlink()
    for candidate in ("/sys", "/proc"):
        try:
            (Path(candidate) / ".minigrad-probe").touch()
        except OSError:
            return Path(candidate)
    pytest.skip("no folder here refuses new files to this user")


@pytest.mark.parametrize("flag,name", [("--save", "ck.npz"), ("--plot", "curves.png")])
def test_output_into_a_read_only_place_is_refused_before_training(tmp_path, flag, name):
    folder = _read_only_folder(tmp_path)
    result = run_cli("train", flag, folder / name, cwd=tmp_path)
    assert_clean_failure(result, 2, says=[f"{flag} {folder / name}: cannot write in"])


@pytest.mark.skipif(not hasattr(os, "mknod"), reason="no mknod here")
def test_save_onto_a_device_node_leaves_it_a_device_node(tmp_path):
    node = tmp_path / "node"
    try:
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))   # the null device's numbers
    except PermissionError:
        pytest.skip("creating a character device needs root")
    result = run_cli("train", "--save", node, "--overwrite", cwd=tmp_path)
    assert_clean_failure(result, 2, says=["not a regular file"])
    assert stat.S_ISCHR(os.stat(node).st_mode) and listing(tmp_path) == ["node"]


def test_compare_torch_without_torch_says_what_to_install(tmp_path):
    fake = tmp_path / "site" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n')
    env = {"PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{REPO}"}
    for argv, module in [(["train", "--compare-torch"], "minigrad.cli"), (["parity"], "minigrad.cli"),
                         (["bench", "--quick"], "minigrad.cli"), (["--quick"], "benchmarks")]:
        result = run_cli(*argv, cwd=REPO, env_extra=env, module=module)
        assert_clean_failure(result, 2, says=["pip install -e '.[test]'"])
    # a subcommand whose module cannot even be imported without its extra is still offered
    fake = tmp_path / "site" / "hypothesis"
    fake.mkdir()
    (fake / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'hypothesis\'", name="hypothesis")\n')
    result = run_cli("parity", cwd=REPO, env_extra=env)
    assert_clean_failure(result, 2, says=["minigrad parity: needs", "pip install -e '.[test]'"])
    assert "invalid choice" not in result.stderr


# -- runs that fail on the way: exit 1, the last good checkpoint intact -----------------------
def test_a_diverging_run_stops_at_the_first_bad_step(tmp_path, lr="1e6"):
    ck = tmp_path / "ck.npz"
    result = run_cli("train", "--lr", lr, "--epochs", "3", "--save", ck, "--train-size", "64", cwd=tmp_path)
    assert_clean_failure(result, 1, says=["at step 2 (epoch 2, batch 1)", "smaller learning rate",
                                          f"{ck} (after epoch 1), is intact"], trained=True)
    saved = minigrad.load(ck)
    assert saved["epoch"] == 1
    assert all(np.isfinite(v.numpy()).all() for v in saved["model"].values())
    assert listing(tmp_path) == ["ck.npz"]


def test_ctrl_c_stops_with_one_line_and_the_last_checkpoint_intact(tmp_path):
    ck = tmp_path / "ck.npz"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # SIGINT back to its default in the child: a test run started in the background (``cmd &`` in a
    # non-interactive shell) ignores SIGINT, and Python started that way never raises KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "minigrad.cli", "train", "--epochs", "50", "--save", ck, *TINY],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (err, out)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "interrupted" in err and f"--resume {ck}" in err
    assert minigrad.load(ck)["epoch"] >= 1
    assert listing(tmp_path) == ["ck.npz"]


# -- what a resumed run keeps -----------------------------------------------------------------
def test_resume_keeps_saving_to_its_checkpoint_and_continues_bit_identically(tmp_path):
    from minigrad.train import Config, train
    straight, ck = tmp_path / "straight.npz", tmp_path / "ck.npz"
    tiny = dict(train_size=64, batch_size=32, schedule="constant")
    train(Config(epochs=2, **tiny), save=str(straight), quiet=True)
    train(Config(epochs=1, **tiny), save=str(ck), quiet=True)
    result = run_cli("train", "--resume", ck, "--epochs", "2", cwd=tmp_path)   # no --save: ck is the save path
    assert result.returncode == 0, result.stderr
    resumed, expected = minigrad.load(ck), minigrad.load(straight)
    assert resumed["epoch"] == 2 and listing(tmp_path) == ["ck.npz", "straight.npz"]
    for name, value in expected["model"].items():
        np.testing.assert_array_equal(resumed["model"][name].numpy(), value.numpy(), err_msg=name)


def test_resume_remembers_the_mnist_folder_and_names_the_flags(tmp_path, checkpoint):
    """An MNIST checkpoint stores --data-dir; a missing file's advice names the CLI's flags."""
    saved = minigrad.load(checkpoint)
    saved["config"].update(dataset="mnist", data_dir=str(tmp_path / "mnist-files"))
    ck = tmp_path / "mnist.npz"
    minigrad.save(saved, ck)
    result = run_cli("train", "--resume", ck, "--epochs", "2", cwd=tmp_path)
    assert_clean_failure(result, 2, says=[str(tmp_path / "mnist-files"), "--download"])
    assert "download=True" not in result.stderr


def test_plain_lines_and_no_bar_when_the_output_is_not_a_terminal(tmp_path):
    result = run_cli("train", "--epochs", "1", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout + result.stderr and "batch/s" not in result.stderr
    assert "epoch 1/1: loss" in result.stdout


def test_speed_ratio_is_flagged_when_other_processes_load_the_machine(monkeypatch):
    from minigrad import train
    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    assert "unreliable: load average 64.0" in train._load_note()
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert train._load_note() == ""


def test_a_failed_checkpoint_write_is_one_line_and_keeps_the_previous_one(tmp_path, monkeypatch, capsys):
    """The disk fills during the second epoch's save: exit 1, one line, epoch 1's checkpoint whole."""
    import errno

    from minigrad import cli, serialization
    ck = tmp_path / "ck.npz"
    real_savez, calls = np.savez, []

    def savez_until_the_disk_fills(file, **arrays):
        calls.append(1)
        if len(calls) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_savez(file, **arrays)
    monkeypatch.setattr(serialization.np, "savez", savez_until_the_disk_fills)
    assert cli.main(["train", "--epochs", "2", "--save", str(ck), *TINY]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "No space left on device" in err
    assert f"{ck} (after epoch 1), is intact" in err
    monkeypatch.undo()
    assert minigrad.load(ck)["epoch"] == 1 and listing(tmp_path) == ["ck.npz"]
