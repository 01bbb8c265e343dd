"""Optimizers against torch.optim: identical parameters and gradients, many steps, tight tolerances."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad import optim
from minigrad.serialization import from_torch, to_torch

SHAPES = [(3, 4), (5,), (2, 2, 3), ()]

CONFIGS = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
    "sgd_dampening_wd": ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    "sgd_nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "sgd_maximize": ("SGD", dict(lr=0.02, momentum=0.5, maximize=True)),
    "adam": ("Adam", dict(lr=1e-2)),
    "adam_wd_amsgrad": ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    "adam_maximize": ("Adam", dict(lr=1e-3, maximize=True)),
    "adamw": ("AdamW", dict(lr=1e-2)),
    "adamw_amsgrad": ("AdamW", dict(lr=5e-3, weight_decay=0.3, amsgrad=True)),
}


def _make(dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [minigrad.nn.Parameter(minigrad.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    return ours, theirs


def _feed(ours, theirs, rng, dtype, skip=None):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        if i == skip:   # a parameter without a gradient this step is left alone
            p.grad, q.grad = None, None
            continue
        g = rng.standard_normal(p.shape).astype(dtype)
        p.grad, q.grad = minigrad.tensor(g), torch.tensor(g)


def _assert_close(ours, theirs, dtype):
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(force=True), q.detach().numpy(), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_update_rule_matches_torch(name, dtype):
    cls, kwargs = CONFIGS[name]
    ours, theirs = _make(dtype)
    opt_m = getattr(optim, cls)(ours, **kwargs)
    opt_t = getattr(torch.optim, cls)(theirs, **kwargs)
    rng = np.random.default_rng(1)
    for step in range(60):
        _feed(ours, theirs, rng, dtype, skip=1 if step % 7 == 3 else None)
        opt_m.step()
        opt_t.step()
    _assert_close(ours, theirs, dtype)
    for p in ours:
        assert p.dtype.name == np.dtype(dtype).name and p.is_leaf and p.requires_grad


@pytest.mark.parametrize("name", ["sgd_momentum", "sgd_nesterov", "adam_wd_amsgrad", "adamw"])
def test_state_dict_round_trips(name):
    """Save mid-run, load into a fresh minigrad optimizer and into torch's: all three continue alike."""
    cls, kwargs = CONFIGS[name]
    dtype = np.float64
    ours, theirs = _make(dtype)
    opt_m = getattr(optim, cls)(ours, **kwargs)
    opt_t = getattr(torch.optim, cls)(theirs, **kwargs)
    rng = np.random.default_rng(2)
    for _ in range(10):
        _feed(ours, theirs, rng, dtype)
        opt_m.step(), opt_t.step()
    sd = opt_m.state_dict()
    sd_t = opt_t.state_dict()
    assert sorted(sd["state"]) == sorted(sd_t["state"])
    assert [sorted(g) for g in sd["param_groups"]] == [sorted(g) for g in sd_t["param_groups"]]
    for k in sd["state"]:
        assert sorted(sd["state"][k]) == sorted(sd_t["state"][k])
        for key, value in sd["state"][k].items():
            np.testing.assert_allclose(np.asarray(value.numpy()), sd_t["state"][k][key].numpy(), rtol=1e-12)
    # a fresh minigrad optimizer on copies of the parameters, from minigrad's saved state (via a file)
    copies = [minigrad.nn.Parameter(minigrad.tensor(p.numpy(force=True).copy())) for p in ours]
    fresh = getattr(optim, cls)(copies, **kwargs)
    fresh.load_state_dict(sd)
    # torch, from minigrad's state
    torch_copies = [torch.nn.Parameter(torch.tensor(p.numpy(force=True).copy())) for p in ours]
    fresh_t = getattr(torch.optim, cls)(torch_copies, **kwargs)
    fresh_t.load_state_dict(to_torch(sd))
    # minigrad, from torch's state
    from_t = [minigrad.nn.Parameter(minigrad.tensor(p.numpy(force=True).copy())) for p in ours]
    fresh_from_t = getattr(optim, cls)(from_t, **kwargs)
    fresh_from_t.load_state_dict(from_torch(sd_t))
    for _ in range(10):
        g = [rng.standard_normal(p.shape) for p in ours]
        for group in (ours, copies, from_t):
            for p, gi in zip(group, g):
                p.grad = minigrad.tensor(gi)
        for group in (theirs, torch_copies):
            for q, gi in zip(group, g):
                q.grad = torch.tensor(gi)
        for o in (opt_m, fresh, fresh_from_t, opt_t, fresh_t):
            o.step()
    for group in (copies, from_t):
        for p, q in zip(group, ours):
            np.testing.assert_array_equal(p.numpy(force=True), q.numpy(force=True))
    _assert_close(ours, theirs, dtype)
    _assert_close(ours, torch_copies, dtype)


def test_load_state_dict_copies_and_casts():
    p = minigrad.nn.Parameter(minigrad.ones(3))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = minigrad.ones(3)
    opt.step()
    sd = opt.state_dict()
    q = minigrad.nn.Parameter(minigrad.ones(3, dtype=minigrad.float64))
    opt2 = optim.SGD([q], lr=0.5, momentum=0.9)
    opt2.load_state_dict(sd)
    buf = opt2.state[q]["momentum_buffer"]
    assert buf.dtype == minigrad.float64 and buf is not sd["state"][0]["momentum_buffer"]
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"] == [q]
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt2.load_state_dict({"state": {}, "param_groups": [dict(sd["param_groups"][0], params=[0, 1])]})


def test_param_groups_with_their_own_settings():
    ours, theirs = _make(np.float64)
    groups_m = [{"params": ours[:2]}, {"params": ours[2:], "lr": 0.01, "momentum": 0.5}]
    groups_t = [{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.01, "momentum": 0.5}]
    opt_m, opt_t = optim.SGD(groups_m, lr=0.1, momentum=0.9), torch.optim.SGD(groups_t, lr=0.1, momentum=0.9)
    rng = np.random.default_rng(3)
    for _ in range(20):
        _feed(ours, theirs, rng, np.float64)
        opt_m.step(), opt_t.step()
    _assert_close(ours, theirs, np.float64)
    assert [sorted(g) for g in opt_m.param_groups] == [sorted(g) for g in opt_t.param_groups]
    extra_m, extra_t = minigrad.nn.Parameter(minigrad.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt_m.add_param_group({"params": extra_m, "lr": 0.3})
    opt_t.add_param_group({"params": extra_t, "lr": 0.3})
    assert opt_m.param_groups[-1]["momentum"] == opt_t.param_groups[-1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt_m.add_param_group({"params": [extra_m]})
    assert repr(opt_m) == repr(opt_t)


def test_zero_grad_and_closure():
    p = minigrad.nn.Parameter(minigrad.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1)
    p.grad = minigrad.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and not p.grad.numpy().any()
    opt.zero_grad()
    assert p.grad is None

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.numpy(force=True), [0.8, 1.6])


def test_step_bumps_the_version_so_stale_graphs_refuse_backward():
    p = minigrad.nn.Parameter(minigrad.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1)
    y = (p * p).sum()
    p.grad = minigrad.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_step_hooks():
    p = minigrad.nn.Parameter(minigrad.tensor([1.0]))
    opt = optim.Adam([p])
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = minigrad.ones(1)
    opt.step()
    pre.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


@pytest.mark.parametrize("cls,kwargs,match", [
    ("SGD", dict(lr=-1), "Invalid learning rate"), ("SGD", dict(lr=0.1, momentum=-1), "Invalid momentum"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "Invalid weight_decay"),
    ("Adam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("Adam", dict(eps=-1), "Invalid epsilon"), ("AdamW", dict(betas=(0.9, -0.1)), "index 1"),
])
def test_bad_hyperparameters_raise_like_torch(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(torch.optim, cls)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(optim, cls)([minigrad.nn.Parameter(minigrad.ones(1))], **kwargs)


def test_bad_params_raise_like_torch():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(minigrad.nn.Parameter(minigrad.ones(1)), lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {minigrad.nn.Parameter(minigrad.ones(1))}}], lr=0.1)
    a = minigrad.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)


@pytest.mark.parametrize("name", ["sgd", "sgd_momentum", "sgd_dampening_wd", "sgd_nesterov", "sgd_maximize"])
def test_sgd_float32_updates_are_bit_identical_to_torch(name):
    """torch's CPU kernels fuse ``param + alpha * grad`` into one rounding; minigrad does the same."""
    cls, kwargs = CONFIGS[name]
    ours, theirs = _make(np.float32)
    opt_m, opt_t = getattr(optim, cls)(ours, **kwargs), getattr(torch.optim, cls)(theirs, **kwargs)
    rng = np.random.default_rng(4)
    for _ in range(40):
        _feed(ours, theirs, rng, np.float32)
        opt_m.step(), opt_t.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.numpy(force=True), q.detach().numpy())


def test_fused_multiply_add_rounds_once_like_torch():
    from minigrad.optim.optimizer import fused_multiply_add
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(50000).astype(np.float32), rng.standard_normal(50000).astype(np.float32)
    expected = torch.tensor(a).add(torch.tensor(b), alpha=-0.01).numpy()
    np.testing.assert_array_equal(fused_multiply_add(b, -0.01, a), expected)
    assert (a - np.float32(0.01) * b != expected).any()   # two roundings would differ somewhere
