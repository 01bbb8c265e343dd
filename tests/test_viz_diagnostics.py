"""minigrad.viz.TrainingRecorder: per-layer activation statistics, gradient norms and update ratios.

The same recorder watches a minigrad model and its torch twin (same weights, same batches, same
SGD), and must record the same numbers for both.
"""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.viz import TrainingRecorder


def _models():
    rng = np.random.default_rng(0)
    mg = minigrad.nn.Sequential(minigrad.nn.Linear(4, 8), minigrad.nn.ReLU(), minigrad.nn.Linear(8, 3)).double()
    th = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for (name, p), (_, q) in zip(mg.named_parameters(), th.named_parameters()):
            value = rng.standard_normal(tuple(p.shape))
            q.copy_(torch.from_numpy(value))
            with minigrad.no_grad():
                p.copy_(minigrad.tensor(value))
    data = [(rng.standard_normal((5, 4)), rng.integers(0, 3, 5)) for _ in range(4)]
    return mg, th, data


def _train(lib, model, data, every=1):
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rec = TrainingRecorder(model, opt, every=every)
    for x, y in data:
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
        opt.step()
        with lib.no_grad():
            model(lib.tensor(x))            # an evaluation pass: not recorded
    return rec


def test_same_statistics_as_for_the_torch_twin():
    mg, th, data = _models()
    ours, theirs = _train(minigrad, mg, data), _train(torch, th, data)
    assert ours.steps == theirs.steps == 4
    assert set(ours.activations) == set(theirs.activations) == {"0", "1", "2"}
    assert set(ours.grad_norms) == {"0.weight", "0.bias", "2.weight", "2.bias"} == set(theirs.update_ratios)
    for field in ("activations", "grad_norms", "update_ratios"):
        a, b = getattr(ours, field), getattr(theirs, field)
        for name in a:
            assert [s for s, _ in a[name]] == [s for s, _ in b[name]] == [0, 1, 2, 3]   # one per step, no eval
            for (_, u), (_, v) in zip(a[name], b[name]):
                if isinstance(u, dict):
                    assert u == pytest.approx(v, rel=1e-10, abs=1e-12)
                else:
                    assert u == pytest.approx(v, rel=1e-10)
    relu = ours.activations["1"]
    assert all(0 <= v["zeros"] <= 1 for _, v in relu) and any(v["zeros"] > 0 for _, v in relu)
    # the ratio is |w_after - w_before| / |w_before|: check the first step by hand (lr 0.1, no momentum yet)
    first = ours.grad_norms["2.weight"][0][1] * 0.1
    w0 = np.linalg.norm(_models()[0].state_dict()["2.weight"].numpy())
    assert ours.update_ratios["2.weight"][0][1] == pytest.approx(first / w0, rel=1e-10)


def test_every_remove_and_plot(tmp_path):
    mg, _, data = _models()
    rec = _train(minigrad, mg, data, every=2)
    assert [s for s, _ in rec.grad_norms["0.weight"]] == [0, 2]
    assert [s for s, _ in rec.activations["0"]] == [0, 2]
    path = rec.plot(tmp_path / "diag.png", title="tiny MLP")
    assert open(path, "rb").read()[:4] == b"\x89PNG"
    rec.remove()
    before = rec.steps
    opt = minigrad.optim.SGD(mg.parameters(), lr=0.1)
    mg(minigrad.tensor(data[0][0])).sum().backward()
    opt.step()
    assert rec.steps == before and len(rec.activations["0"]) == 2    # hooks gone
    with pytest.raises(ValueError, match="every"):
        TrainingRecorder(every=0)


def test_minigrad_train_plot_draws_the_diagnostics(tmp_path, capsys):
    from minigrad import cli
    from minigrad.train import Config, train
    png = tmp_path / "curves.png"
    assert cli.main(["train", "--epochs", "1", "--train-size", "64", "--batch-size", "32", "--plot", str(png)]) == 0
    assert f"diagnostics saved to {tmp_path / 'curves-diagnostics.png'}" in capsys.readouterr().out
    assert (tmp_path / "curves-diagnostics.png").read_bytes()[:4] == b"\x89PNG" and png.exists()
    # train() feeds the recorder every optimizer step of the run (not the warm-up's)
    rec = TrainingRecorder()
    model, history, _, _ = train(Config(epochs=1, train_size=64, batch_size=32), quiet=True, recorder=rec)
    assert rec.steps == len(history.step_loss) == 2
    assert set(rec.grad_norms) == {name for name, _ in model.named_parameters()} == set(rec.update_ratios)
    assert all(len(v) == 2 for v in rec.activations.values()) and len(rec.activations) >= 4
