"""Learning-rate schedules against torch.optim.lr_scheduler."""
import pytest
import torch

import minigrad
from minigrad import optim


def _pair(make, lrs=(0.1, 0.02)):
    ours = optim.SGD([{"params": [minigrad.nn.Parameter(minigrad.ones(1))], "lr": lr} for lr in lrs], lr=1.0,
                     momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in lrs], lr=1.0,
                             momentum=0.9)
    return make(optim.lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs), ours, theirs


SCHEDULES = {
    "step": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine_eta_restart": lambda m, o: m.CosineAnnealingLR(o, T_max=4, eta_min=1e-3),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch(name):
    ours, theirs, opt_m, opt_t = _pair(SCHEDULES[name])
    assert ours.get_last_lr() == theirs.get_last_lr()
    for _ in range(25):
        opt_m.step(), opt_t.step()
        ours.step(), theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt_m.param_groups] == ours.get_last_lr()
    assert [g["initial_lr"] for g in opt_m.param_groups] == [0.1, 0.02]


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_state_dict_round_trip(name):
    ours, theirs, opt_m, opt_t = _pair(SCHEDULES[name])
    for _ in range(5):
        ours.step()
    saved = ours.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5
    # a resumed run: optimizer and scheduler restored
    _, _, opt2, _ = _pair(SCHEDULES[name])
    opt2.load_state_dict(opt_m.state_dict())
    resumed = SCHEDULES[name](optim.lr_scheduler, opt2)
    resumed.load_state_dict(saved)
    for _ in range(7):
        ours.step(), resumed.step()
        assert resumed.get_last_lr() == ours.get_last_lr()
    # torch's scheduler accepts minigrad's state dict
    for _ in range(5):
        theirs.step()
    theirs.load_state_dict(saved)
    assert theirs.last_epoch == 5


def test_closed_form_with_epoch_argument_warns():
    ours, theirs, _, _ = _pair(SCHEDULES["step"])
    with pytest.warns(UserWarning):
        ours.step(7)
    with pytest.warns(UserWarning):
        theirs.step(7)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.StepLR(object(), 3)
