"""Every optimizer against torch.optim, step by step: the same parameters and gradient sequence, and
the parameters compared after every step in float32 and float64."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import optim
from minigrad.serialization import from_torch, to_torch

SHAPES = [(3, 4), (5,), (2, 2, 3), ()]

TABLE = [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True, foreach=False, capturable=False)),
    ("Adagrad", {}),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.3, eps=1e-6)),
    ("Adagrad", dict(maximize=True, foreach=None)),
    ("RMSprop", {}),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(momentum=0.5, maximize=True)),
    ("RMSprop", dict(centered=True, eps=1e-4)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adamax", dict(maximize=True)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.95), momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.7), weight_decay=0.1)),       # rho_t passes 5 within the run
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(maximize=True)),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.01)),
    ("ASGD", dict(t0=3, maximize=True)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(TABLE)]


def make_params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return ([minigrad.nn.Parameter(minigrad.tensor(v)) for v in values],
            [torch.nn.Parameter(torch.tensor(v)) for v in values])


def feed(ours, theirs, rng, dtype, skip=None):
    """The same random gradient on both sides; parameter ``skip`` gets none (and must not move)."""
    for i, (p, q) in enumerate(zip(ours, theirs)):
        if i == skip:
            p.grad, q.grad = None, None
            continue
        g = rng.standard_normal(p.shape).astype(dtype)
        if i == 1:      # some coordinates keep the sign of the previous gradient (Rprop's growth path)
            g = np.abs(g)
        p.grad, q.grad = minigrad.tensor(g), torch.tensor(g)


def assert_close(ours, theirs, dtype, step):
    tol = dict(rtol=1e-11, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(force=True), q.detach().numpy(), err_msg=f"after step {step}", **tol)
        assert p.dtype.name == str(q.dtype).removeprefix("torch.")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", TABLE, ids=IDS)
def test_every_step_matches_torch(name, kwargs, dtype):
    ours, theirs = make_params(dtype)
    opt_m = getattr(optim, name)(ours, **kwargs)
    opt_t = getattr(torch.optim, name)(theirs, **kwargs)
    assert [sorted(g.items()) for g in _groups(opt_m)] == [sorted(g.items()) for g in _groups(opt_t)]
    rng = np.random.default_rng(1)
    for step in range(15):
        feed(ours, theirs, rng, dtype, skip=2 if step % 5 == 3 else None)
        opt_m.step()
        opt_t.step()
        assert_close(ours, theirs, dtype, step)
    sd_m, sd_t = opt_m.state_dict(), opt_t.state_dict()
    assert sorted(sd_m["state"]) == sorted(sd_t["state"])
    for k, state in sd_t["state"].items():
        assert sorted(sd_m["state"][k]) == sorted(state)
        for key, value in state.items():
            mine = sd_m["state"][k][key]
            assert mine.dtype.name == str(value.dtype).removeprefix("torch."), key
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def _groups(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


@pytest.mark.parametrize("name,kwargs", TABLE[::3], ids=IDS[::3])
def test_param_groups_and_add_param_group(name, kwargs):
    """Two groups with their own lr, a third added mid-run; defaults fill what a group leaves out."""
    ours, theirs = make_params(np.float64)
    opt_m = getattr(optim, name)([{"params": ours[:2]}, {"params": ours[2:3], "lr": 0.003}], **kwargs)
    opt_t = getattr(torch.optim, name)([{"params": theirs[:2]}, {"params": theirs[2:3], "lr": 0.003}], **kwargs)
    rng = np.random.default_rng(2)
    for step in range(10):
        if step == 4:
            opt_m.add_param_group({"params": ours[3], "lr": 0.02})
            opt_t.add_param_group({"params": theirs[3], "lr": 0.02})
            assert _groups(opt_m) == _groups(opt_t)
        feed(ours, theirs, rng, np.float64)
        opt_m.step(), opt_t.step()
        assert_close(ours, theirs, np.float64, step)
    assert repr(opt_m) == repr(opt_t)


@pytest.mark.parametrize("name,kwargs", TABLE[::2], ids=IDS[::2])
def test_state_dict_loads_both_ways(name, kwargs):
    """Save mid-run; torch's optimizer loads minigrad's state dict (tensors converted with
    ``to_torch``), minigrad's loads torch's (directly, or with ``from_torch``) and its own; all
    resumed runs continue alike. (Loading casts scalar state such as ASGD's ``eta`` to the
    parameter's dtype in both libraries, so a resumed run is compared with a resumed run.)"""
    dtype = np.float64
    ours, theirs = make_params(dtype)
    opt_m, opt_t = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    rng = np.random.default_rng(3)
    for _ in range(6):
        feed(ours, theirs, rng, dtype)
        opt_m.step(), opt_t.step()
    copies_m = {how: make_params(dtype)[0] for how in ("own", "torch", "from_torch")}
    copies_t = make_params(dtype)[1]
    for params in [*copies_m.values(), copies_t]:
        for p, q in zip(params, ours):
            p.data = minigrad.tensor(q.numpy(force=True).copy()) if isinstance(p, minigrad.Tensor) else \
                torch.tensor(q.numpy(force=True).copy())
    resumed = {how: getattr(optim, name)(params, **kwargs) for how, params in copies_m.items()}
    resumed["own"].load_state_dict(opt_m.state_dict())
    resumed["torch"].load_state_dict(opt_t.state_dict())
    resumed["from_torch"].load_state_dict(from_torch(opt_t.state_dict()))
    resumed_t = getattr(torch.optim, name)(copies_t, **kwargs)
    resumed_t.load_state_dict(to_torch(opt_m.state_dict()))
    for step in range(6):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        for params in [ours, *copies_m.values()]:
            for p, g in zip(params, grads):
                p.grad = minigrad.tensor(g)
        for params in (theirs, copies_t):
            for q, g in zip(params, grads):
                q.grad = torch.tensor(g)
        for o in [opt_m, opt_t, resumed_t, *resumed.values()]:
            o.step()
        for params in copies_m.values():
            assert_close(params, copies_t, dtype, step)
        assert_close(ours, theirs, dtype, step)


BAD_ARGUMENTS = [
    (name, dict(lr=-1), "Invalid learning rate: -1")
    for name in ["Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS"]
] + [
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"), ("Adadelta", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adadelta", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", dict(eps=-1), "Invalid epsilon value: -1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"), ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
    ("RMSprop", dict(eps=-1, momentum=-1), "Invalid epsilon value: -1"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("Rprop", dict(etas=(1.5, 2.0)), "Invalid eta values: 1.5, 2.0"),
    ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD_ARGUMENTS)
def test_bad_arguments_raise_like_torch(name, kwargs, message):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([minigrad.nn.Parameter(minigrad.ones(1))], **kwargs)
    assert str(ours.value) == str(theirs.value) == message


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_empty_and_non_tensor_params_raise_like_torch(name):
    for lib, tensor in [(optim, minigrad.ones(1)), (torch.optim, torch.ones(1))]:
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            getattr(lib, name)([])
        with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
            getattr(lib, name)(tensor)


OPTION_STRATEGIES = {
    "Adadelta": dict(lr=st.floats(0.01, 2.0), rho=st.floats(0.0, 1.0), eps=st.floats(1e-8, 1e-3),
                     weight_decay=st.sampled_from([0, 0.01, 0.3]), maximize=st.booleans()),
    "Adagrad": dict(lr=st.floats(1e-3, 0.5), lr_decay=st.floats(0.0, 0.5), weight_decay=st.sampled_from([0, 0.1]),
                    initial_accumulator_value=st.floats(0.0, 1.0), eps=st.floats(1e-10, 1e-4), maximize=st.booleans()),
    "RMSprop": dict(lr=st.floats(1e-4, 0.1), alpha=st.floats(0.5, 0.999), eps=st.floats(1e-8, 1e-3),
                    weight_decay=st.sampled_from([0, 0.05]), momentum=st.sampled_from([0, 0.5, 0.9]),
                    centered=st.booleans(), maximize=st.booleans()),
    "Adamax": dict(lr=st.floats(1e-4, 0.1), betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.999)),
                   eps=st.floats(1e-8, 1e-3), weight_decay=st.sampled_from([0, 0.05]), maximize=st.booleans()),
    "NAdam": dict(lr=st.floats(1e-4, 0.1), betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.999)),
                  momentum_decay=st.floats(0.0, 0.05), weight_decay=st.sampled_from([0, 0.05]),
                  decoupled_weight_decay=st.booleans(), maximize=st.booleans()),
    "RAdam": dict(lr=st.floats(1e-4, 0.1), betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.3, 0.999)),
                  weight_decay=st.sampled_from([0, 0.05]), decoupled_weight_decay=st.booleans(),
                  maximize=st.booleans()),
    "Rprop": dict(lr=st.floats(1e-4, 0.1), etas=st.tuples(st.floats(0.1, 0.9), st.floats(1.1, 2.0)),
                  step_sizes=st.tuples(st.floats(1e-7, 1e-3), st.floats(0.01, 50)), maximize=st.booleans()),
    "ASGD": dict(lr=st.floats(1e-3, 0.1), lambd=st.floats(0.0, 0.1), alpha=st.floats(0.1, 1.0),
                 t0=st.sampled_from([0, 3, 1e6]), weight_decay=st.sampled_from([0, 0.05]), maximize=st.booleans()),
}


@given(st.data())
def test_drawn_options_match_torch(data):
    name = data.draw(st.sampled_from(sorted(OPTION_STRATEGIES)))
    kwargs = {key: data.draw(strategy, label=key) for key, strategy in OPTION_STRATEGIES[name].items()}
    dtype = data.draw(st.sampled_from([np.float64, np.float32]))
    ours, theirs = make_params(dtype, seed=data.draw(st.integers(0, 2**16)))
    opt_m, opt_t = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    for step in range(10):
        feed(ours, theirs, rng, dtype)
        opt_m.step(), opt_t.step()
        assert_close(ours, theirs, dtype, step)


def test_defaults_and_signatures_match_torch():
    """Same keyword names and defaults as torch's constructors (foreach, fused, capturable and
    differentiable included, where torch has them)."""
    import inspect
    for name in ["Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS"]:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        assert list(ours) == list(theirs), name
        for key, parameter in theirs.items():
            assert ours[key].default == parameter.default and ours[key].kind == parameter.kind, (name, key)


def test_state_dict_hooks_like_torch():
    """The four state-dict hooks run in torch's order (prepend first) and may replace the dicts."""
    logs = {}
    for lib in (minigrad, torch):
        nn = minigrad.nn if lib is minigrad else torch.nn
        log = logs[lib] = []
        opt = lib.optim.RMSprop([nn.Parameter(lib.ones(2))], lr=0.1)
        opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
        opt.register_state_dict_pre_hook(lambda o: log.append("pre-first"), prepend=True)

        def tag(o, sd):
            log.append("post")
            return dict(sd, extra=1)
        opt.register_state_dict_post_hook(tag)

        def lower_lr(o, sd):
            log.append(("load-pre", sorted(sd)))
            sd = dict(sd)
            sd.pop("extra")
            sd["param_groups"] = [dict(g, lr=0.05) for g in sd["param_groups"]]
            return sd
        handle = opt.register_load_state_dict_pre_hook(lower_lr)
        opt.register_load_state_dict_post_hook(lambda o: log.append(("load-post", o.param_groups[0]["lr"])))
        sd = opt.state_dict()
        assert sd["extra"] == 1
        opt.load_state_dict(sd)
        handle.remove()
        opt.load_state_dict({k: v for k, v in sd.items() if k != "extra"})
        log.append(opt.param_groups[0]["lr"])
    assert logs[minigrad] == logs[torch]
    assert logs[minigrad][:3] == ["pre-first", "pre", "post"]


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_tensor_learning_rate_with_a_scheduler_like_torch(name):
    """A 0-d tensor lr (torch allows one) is used as its value, and schedulers update it in place."""
    ours, theirs = make_params(np.float32)
    opt_m, opt_t = getattr(optim, name)(ours, lr=minigrad.tensor(0.01)), getattr(torch.optim, name)(
        theirs, lr=torch.tensor(0.01))
    sched_m = optim.lr_scheduler.StepLR(opt_m, step_size=1, gamma=0.5)
    sched_t = torch.optim.lr_scheduler.StepLR(opt_t, step_size=1, gamma=0.5)
    rng = np.random.default_rng(6)
    for step in range(4):
        feed(ours, theirs, rng, np.float32)
        opt_m.step(), opt_t.step()
        sched_m.step(), sched_t.step()
        assert_close(ours, theirs, np.float32, step)
        assert isinstance(opt_m.param_groups[0]["lr"], minigrad.Tensor)
        assert [float(v) for v in sched_m.get_last_lr()] == [float(v) for v in sched_t.get_last_lr()]
