"""swa_utils against torch.optim.swa_utils: weight averages (SWA, EMA, with and without buffers),
SWALR's learning rates and update_bn's recomputed statistics, from shared weights and batches."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad.optim import swa_utils
from minigrad.serialization import from_torch


def _models():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 2)).double()
    ours = minigrad.nn.Sequential(minigrad.nn.Linear(4, 6), minigrad.nn.BatchNorm1d(6), minigrad.nn.ReLU(),
                                  minigrad.nn.Linear(6, 2)).to(minigrad.float64)
    ours.load_state_dict(from_torch(theirs.state_dict()))
    return ours, theirs


def _train_and_average(lib, model, averaged, steps=6):
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 2))
        optimizer.zero_grad()
        lib.nn.functional.mse_loss(model(lib.tensor(x)), lib.tensor(y)).backward()
        optimizer.step()
        averaged.update_parameters(model)
    return averaged


AVERAGES = {
    "swa": lambda su: dict(),
    "ema_multi": lambda su: dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
    "ema_per_tensor": lambda su: dict(avg_fn=su.get_ema_avg_fn(0.8)),
    "swa_with_buffers": lambda su: dict(use_buffers=True),
    "swa_multi": lambda su: dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
    "ema_with_buffers": lambda su: dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.7), use_buffers=True),
}


@pytest.mark.parametrize("name", sorted(AVERAGES))
def test_averaged_model_matches_torch(name):
    ours, theirs = _models()
    avg_m = _train_and_average(minigrad, ours, swa_utils.AveragedModel(ours, **AVERAGES[name](swa_utils)))
    avg_t = _train_and_average(torch, theirs,
                               torch.optim.swa_utils.AveragedModel(theirs, **AVERAGES[name](torch.optim.swa_utils)))
    sd_m, sd_t = avg_m.state_dict(), avg_t.state_dict()
    assert list(sd_m) == list(sd_t)
    for key in sd_t:
        np.testing.assert_allclose(sd_m[key].numpy(), sd_t[key].numpy(), rtol=1e-12, atol=1e-14, err_msg=key)
        assert sd_m[key].dtype.name == str(sd_t[key].dtype).removeprefix("torch.")
    x = np.random.default_rng(1).standard_normal((5, 4))
    avg_m.eval(), avg_t.eval()
    np.testing.assert_allclose(avg_m(minigrad.tensor(x)).detach().numpy(), avg_t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_update_bn_matches_torch():
    ours, theirs = _models()
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((8, 4)) for _ in range(4)]
    ours.eval(), theirs.eval()
    swa_utils.update_bn([(minigrad.tensor(b), 0) for b in batches], ours)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    assert not ours.training and ours[1].momentum == theirs[1].momentum == 0.1
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.2], anneal_epochs=4,
                                                                anneal_strategy="linear"),
                                    dict(swa_lr=0.03, anneal_epochs=0)])
def test_swalr_matches_torch(kwargs):
    lrs = {}
    for lib in (minigrad, torch):
        nn = minigrad.nn if lib is minigrad else torch.nn
        opt = lib.optim.SGD([{"params": [nn.Parameter(lib.ones(1))], "lr": 0.5},
                             {"params": [nn.Parameter(lib.ones(1))]}], lr=0.1)
        sched = (swa_utils if lib is minigrad else torch.optim.swa_utils).SWALR(opt, **kwargs)
        lrs[lib] = [sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            sched.step()
            lrs[lib].append(sched.get_last_lr())
    assert lrs[minigrad] == lrs[torch]


def test_bad_arguments_raise_like_torch():
    for su in (swa_utils, torch.optim.swa_utils):
        with pytest.raises(ValueError, match="Invalid decay value 1.5"):
            su.get_ema_multi_avg_fn(1.5)
        with pytest.raises(ValueError, match="Invalid decay value -1"):
            su.get_ema_avg_fn(-1)
    for lib, su in [(minigrad, swa_utils), (torch, torch.optim.swa_utils)]:
        nn = minigrad.nn if lib is minigrad else torch.nn
        opt = lib.optim.SGD([nn.Parameter(lib.ones(1))], lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy must be one of"):
            su.SWALR(opt, 0.1, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            su.SWALR(opt, 0.1, anneal_epochs=-1)
