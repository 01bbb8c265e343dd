"""The main job: the seed CNN trained step for step beside torch, checkpoints, and the CLI."""
import itertools

import numpy as np
import pytest

import minigrad
from minigrad import cli, datasets
from minigrad.models import ConvNet, torch_convnet
from minigrad.train import Config, Recipe, TorchTwin, train
from minigrad.utils.data import DataLoader


def _parity(dtype: str, steps: int, batch_size: int):
    """Largest per-step |loss_minigrad - loss_torch| over ``steps`` SGD steps (momentum 0.9) of
    the seed CNN from identical weights on identical batches of real digits."""
    cfg = Config(lr=0.01, momentum=0.9, schedule="constant", label_smoothing=0.0, shift=0, dtype=dtype)
    minigrad.manual_seed(0)
    ours = Recipe(minigrad, ConvNet().to(getattr(minigrad, dtype)), cfg)
    twin = TorchTwin(ours, cfg)
    loader = DataLoader(datasets.digits("train", dtype=dtype), batch_size=batch_size, shuffle=True,
                        generator=minigrad.Generator().manual_seed(1), drop_last=True)
    batches = itertools.islice(itertools.chain.from_iterable(itertools.repeat(loader)), steps)
    diffs, losses = [], []
    for x, y in batches:
        loss = ours.step(x, y).item()
        torch_loss, _ = twin.step(x, y)
        diffs.append(abs(loss - torch_loss))
        losses.append(loss)
    assert len(diffs) == steps
    assert losses[-1] < losses[0]              # it is learning
    return max(diffs), twin.max_param_difference(ours.model)[0]


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float64", 1e-10)])
def test_seed_cnn_steps_like_torch(dtype, tol):
    """A quick version of the target below: 25 steps at batch 8."""
    loss_diff, param_diff = _parity(dtype, steps=25, batch_size=8)
    assert loss_diff <= tol
    assert param_diff <= (1e-4 if dtype == "float32" else 1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-4), ("float64", 1e-10)])
def test_seed_cnn_100_steps_like_torch(dtype, tol):
    """The target: 100 steps at batch 64, per-step loss within 1e-4 (float32) / 1e-10 (float64)."""
    loss_diff, _ = _parity(dtype, steps=100, batch_size=64)
    assert loss_diff <= tol


def _small(**kw):
    base = dict(train_size=96, batch_size=32, epochs=2, shift=2, schedule="cosine", lr=0.05, momentum=0.9)
    base.update(kw)
    return Config(**base)


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_resumed_run_ends_with_exactly_the_same_weights(tmp_path):
    full, full_history, _, _ = train(_small(), quiet=True)
    expected = _weights(full)

    # 1. a run killed in the middle of epoch 2 (its checkpoint is from the end of epoch 1)
    ck2 = tmp_path / "ck2.npz"

    def crash(epoch, step):
        if epoch == 1 and step == 1:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train(_small(), save=str(ck2), quiet=True, on_step=crash)
    assert minigrad.load(ck2)["epoch"] == 1
    resumed2, history, _, _ = train(_small(epochs=None), resume=str(ck2), quiet=True)
    for k, v in _weights(resumed2).items():
        np.testing.assert_array_equal(v, expected[k], err_msg=k)
    assert history.step_loss == full_history.step_loss and history.epoch_acc == full_history.epoch_acc


def test_a_finished_run_can_be_extended(tmp_path):
    """With a constant learning rate, 1 epoch + 1 more from its checkpoint == 2 epochs."""
    full, _, _, _ = train(_small(schedule="constant"), quiet=True)
    ck = tmp_path / "ck.npz"
    train(_small(epochs=1, schedule="constant"), save=str(ck), quiet=True)
    resumed, history, _, _ = train(_small(epochs=2), resume=str(ck), quiet=True)
    assert len(history.epoch_acc) == 2
    for k, v in _weights(resumed).items():
        np.testing.assert_array_equal(v, _weights(full)[k], err_msg=k)


def test_checkpoint_contents(tmp_path):
    ck = tmp_path / "ck.npz"
    model, _, _, _ = train(_small(epochs=1), save=str(ck), quiet=True)
    saved = minigrad.load(ck)
    assert saved["kind"] == "minigrad-train-checkpoint" and saved["epoch"] == 1
    assert list(saved["model"]) == list(torch_convnet().state_dict())
    assert set(saved["recipe"]) == {"optimizer", "scheduler"} and saved["recipe"]["scheduler"]["last_epoch"] == 1
    assert set(saved["rng"]) == {"global", "shuffle"}
    assert saved["config"]["train_size"] == 96


def test_cli_train_with_torch_side_by_side(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))   # an idle machine: a plain speed ratio
    png, ck = tmp_path / "curves.png", tmp_path / "ck.npz"
    rc = cli.main(["train", "--epochs", "1", "--train-size", "64", "--batch-size", "32", "--compare-torch",
                   "--plot", str(png), "--save", str(ck)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "held-out accuracy" in out and "largest per-step loss difference" in out
    assert "largest final parameter difference" in out and "images/s" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and ck.exists()
    line = next(l for l in out.splitlines() if l.startswith("largest per-step loss difference"))
    assert float(line.split(":")[1].split()[0]) <= 1e-4
    ratio = next(l for l in out.splitlines() if l.startswith("speed ratio"))
    assert "unreliable" not in ratio and float(ratio.split(":")[1]) > 0


def test_cli_reports_missing_mnist_clearly(tmp_path, capsys):
    rc = cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "1"])
    assert rc == 2
    assert "t10k-images-idx3-ubyte.gz: file not found" in capsys.readouterr().err


def test_cli_without_a_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "train" in capsys.readouterr().out


@pytest.mark.slow
def test_default_run_reaches_97_percent(capsys):
    assert cli.main(["train"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("final held-out accuracy"))
    assert float(line.split()[3].rstrip("%")) >= 97.0


@pytest.mark.slow
def test_example_script_runs_on_minigrad_and_on_torch():
    """examples/seed_convnet.py differs from a torch script only in its imports."""
    from pathlib import Path
    src = (Path(__file__).resolve().parents[1] / "examples" / "seed_convnet.py").read_text()
    ours = {"__name__": "seed_minigrad"}
    exec(compile(src, "seed_minigrad", "exec"), ours)
    torch_src = src.replace("import minigrad as torch\nimport minigrad.nn as nn\n"
                            "from minigrad.utils.data import DataLoader, TensorDataset\n",
                            "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader, TensorDataset\n")
    assert torch_src != src
    theirs = {"__name__": "seed_torch"}
    exec(compile(torch_src, "seed_torch", "exec"), theirs)
    assert ours["main"](2) > 80 and theirs["main"](2) > 80
