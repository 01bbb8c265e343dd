"""Every torch learning-rate scheduler against torch.optim.lr_scheduler: the learning rates (and the
cycled momenta) after each of many steps are equal, as the same float64 arithmetic runs in both.
Options are drawn by hypothesis; state dicts load both ways; the step-order warnings match."""
import math
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import optim

LRS = (0.1, 0.02)


def make_optimizer(lib, kind="SGD", lrs=LRS):
    nn = minigrad.nn if lib is minigrad else torch.nn
    params = [{"params": [nn.Parameter(lib.ones(1))], "lr": lr} for lr in lrs]
    if kind == "SGD":
        return lib.optim.SGD(params, lr=1.0, momentum=0.9)
    return lib.optim.Adam(params, lr=1.0)


def run_both(build, steps=30, kind="SGD", metrics=None, lrs=LRS):
    """Build the scheduler on each side; step optimizer then scheduler; compare after each step."""
    opt_m, opt_t = make_optimizer(minigrad, kind, lrs), make_optimizer(torch, kind, lrs)
    ours, theirs = build(optim.lr_scheduler, opt_m), build(torch.optim.lr_scheduler, opt_t)
    _assert_same(ours, theirs, opt_m, opt_t)
    for i in range(steps):
        opt_m.step(), opt_t.step()
        if metrics is None:
            ours.step(), theirs.step()
        else:
            ours.step(metrics[i % len(metrics)]), theirs.step(metrics[i % len(metrics)])
        _assert_same(ours, theirs, opt_m, opt_t, i)
    return ours, theirs, opt_m, opt_t


def _assert_same(ours, theirs, opt_m, opt_t, step=-1):
    assert ours.get_last_lr() == theirs.get_last_lr(), f"step {step}"
    for g_m, g_t in zip(opt_m.param_groups, opt_t.param_groups):
        assert g_m["lr"] == g_t["lr"]
        assert g_m.get("momentum") == g_t.get("momentum") and g_m.get("betas") == g_t.get("betas"), f"step {step}"
        assert g_m.keys() == g_t.keys()


def scale_by_epoch(epoch):
    return 0.95 ** epoch


SCHEDULES = {
    "lambda": lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + e)),
    "lambda_per_group": lambda m, o: m.LambdaLR(o, lr_lambda=[lambda e: 0.9 ** e, lambda e: 1 + e % 3]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.9),
    "step": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "constant": lambda m, o: m.ConstantLR(o),
    "constant_options": lambda m, o: m.ConstantLR(o, factor=0.7, total_iters=8),
    "linear": lambda m, o: m.LinearLR(o),
    "linear_down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=12),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "polynomial": lambda m, o: m.PolynomialLR(o),
    "polynomial_power": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.5),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine_eta": lambda m, o: m.CosineAnnealingLR(o, T_max=4, eta_min=1e-3),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-4),
    "cyclic": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "cyclic_triangular2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.002], max_lr=0.1, step_size_up=3,
                                                  step_size_down=5, mode="triangular2", base_momentum=0.7),
    "cyclic_exp_range": lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=5, mode="exp_range", gamma=0.97),
    "cyclic_custom_scale": lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=2, scale_fn=scale_by_epoch,
                                                   scale_mode="iterations", cycle_momentum=False),
    "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=30),
    "one_cycle_linear_three_phase": lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.05], epochs=3, steps_per_epoch=10,
                                                              anneal_strategy="linear", three_phase=True,
                                                              pct_start=0.25, div_factor=10.0),
    "sequential": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=4),
                                                  m.ExponentialLR(o, gamma=0.9)], milestones=[4]),
    "sequential_three": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=2),
                                                        m.StepLR(o, 2, 0.5), m.CosineAnnealingLR(o, T_max=6)],
                                                    milestones=[3, 10]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=2),
                                                m.ExponentialLR(o, gamma=0.9)]),
    "chained_with_optimizer": lambda m, o: m.ChainedScheduler([m.StepLR(o, 3), m.LinearLR(o, total_iters=7)],
                                                              optimizer=o),
}


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_learning_rates_match_torch(name, kind):
    ours, theirs, opt_m, _ = run_both(SCHEDULES[name], steps=29 if "one_cycle" in name else 40, kind=kind)
    if hasattr(theirs, "base_lrs"):
        assert ours.base_lrs == theirs.base_lrs
    assert [g["initial_lr"] for g in opt_m.param_groups] == [g["initial_lr"] for g in _groups(theirs)]


def _groups(scheduler):
    return scheduler.optimizer.param_groups


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.899, 0.8, 0.81, 0.82, 0.83, 0.84, 0.7, 0.71, 0.72]


@pytest.mark.parametrize("kwargs", [
    {}, dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2),
    dict(patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.01, 0.005]),
    dict(patience=1, factor=0.2, min_lr=0.009, eps=1e-3), dict(mode="max", threshold_mode="abs", patience=0),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    ours, theirs, _, _ = run_both(lambda m, o: m.ReduceLROnPlateau(o, **kwargs), steps=45, metrics=METRICS)
    assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter, ours.last_epoch) == \
        (theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter, theirs.last_epoch)


@given(st.data())
def test_drawn_options_match_torch(data):
    """Options drawn per scheduler (group count and lrs, gamma, periods, factors, modes, metrics); all
    values are drawn first, then both sides are built from them."""
    name = data.draw(st.sampled_from(["step", "multistep", "constant", "linear", "exponential", "polynomial",
                                      "cosine", "warm_restarts", "cyclic", "one_cycle", "plateau"]))
    lrs = tuple(data.draw(st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)))
    kind = data.draw(st.sampled_from(["SGD", "Adam"]))
    gamma, factor, end_factor = data.draw(st.floats(0.05, 0.99)), data.draw(st.floats(0.01, 1.0)), \
        data.draw(st.floats(0.0, 1.0))
    period, period_down, t_mult = data.draw(st.integers(1, 12)), data.draw(st.none() | st.integers(1, 9)), \
        data.draw(st.integers(1, 3))
    milestones = data.draw(st.lists(st.integers(0, 30)))
    power, eta_min, pct_start = data.draw(st.floats(0.1, 3.0)), data.draw(st.floats(0.0, 1e-3)), \
        data.draw(st.floats(0.05, 0.9))
    cyclic_mode = data.draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    anneal, three_phase = data.draw(st.sampled_from(["cos", "linear"])), data.draw(st.booleans())
    metrics = data.draw(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=20))
    builders = {
        "step": lambda m, o: m.StepLR(o, step_size=period, gamma=gamma),
        "multistep": lambda m, o: m.MultiStepLR(o, milestones=milestones, gamma=gamma),
        "constant": lambda m, o: m.ConstantLR(o, factor=factor, total_iters=period),
        "linear": lambda m, o: m.LinearLR(o, start_factor=factor, end_factor=end_factor, total_iters=period),
        "exponential": lambda m, o: m.ExponentialLR(o, gamma=gamma),
        "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=period, power=power),
        "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=period, eta_min=eta_min),
        "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=period, T_mult=t_mult, eta_min=eta_min),
        "cyclic": lambda m, o: m.CyclicLR(o, base_lr=1e-4, max_lr=0.2, step_size_up=period,
                                          step_size_down=period_down, mode=cyclic_mode, gamma=gamma),
        "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=31, pct_start=pct_start,
                                               anneal_strategy=anneal, three_phase=three_phase),
        "plateau": lambda m, o: m.ReduceLROnPlateau(o, patience=period % 4, factor=min(factor, 0.9)),
    }
    run_both(builders[name], steps=30, lrs=lrs, kind=kind, metrics=metrics if name == "plateau" else None)


def _warnings_of(lib, order):
    opt = make_optimizer(lib)
    scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in order:
            (opt.step if call == "opt" else scheduler.step)()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("order", [["sched", "opt", "sched"], ["opt", "sched", "sched"], ["sched", "sched"]])
def test_step_order_warning_matches_torch(order):
    ours, theirs = _warnings_of(minigrad, order), _warnings_of(torch, order)
    assert ours == theirs
    assert bool(ours) == (order[0] == "sched")
    if ours:
        assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in ours[0]


def test_replaced_optimizer_step_warns_like_torch():
    caught = {}
    for lib in (minigrad, torch):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        opt.step = lambda: None     # overridden after the scheduler was built
        with pytest.warns(UserWarning) as record:
            scheduler.step()
        caught[lib] = [str(w.message) for w in record]
    assert caught[minigrad] == caught[torch]
    assert "has been overridden after learning rate scheduler initialization" in caught[minigrad][0]


def test_get_lr_outside_step_warns_like_torch():
    for lib in (minigrad, torch):
        scheduler = lib.optim.lr_scheduler.StepLR(make_optimizer(lib), step_size=2)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            scheduler.get_lr()


STATEFUL = ["step", "multistep", "linear_down", "cosine_eta", "warm_restarts_mult", "cyclic_triangular2",
            "one_cycle", "sequential_three", "chained", "lambda", "polynomial_power"]


@pytest.mark.parametrize("name", STATEFUL)
def test_state_dict_loads_both_ways(name):
    """Mid-run, each side's scheduler (and optimizer) state loads into a fresh scheduler of the other
    library; all four then produce the same learning rates."""
    build = SCHEDULES[name]
    ours, theirs, opt_m, opt_t = run_both(build, steps=7)
    fresh_opt_m, fresh_opt_t = make_optimizer(minigrad), make_optimizer(torch)
    fresh_m, fresh_t = build(optim.lr_scheduler, fresh_opt_m), build(torch.optim.lr_scheduler, fresh_opt_t)
    fresh_m.load_state_dict(theirs.state_dict())
    fresh_t.load_state_dict(ours.state_dict())
    for fresh_opt, source in [(fresh_opt_m, opt_t), (fresh_opt_t, opt_m)]:   # the groups' lr, momentum, ...
        for group, saved in zip(fresh_opt.param_groups, source.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
    for step in range(15):
        for opt in (opt_m, opt_t, fresh_opt_m, fresh_opt_t):
            opt.step()
        for scheduler in (ours, theirs, fresh_m, fresh_t):
            scheduler.step()
        assert ours.get_last_lr() == theirs.get_last_lr() == fresh_m.get_last_lr() == fresh_t.get_last_lr(), step


def test_reduce_lr_on_plateau_state_dict_loads_both_ways():
    build = lambda m, o: m.ReduceLROnPlateau(o, patience=1, mode="max")  # noqa: E731
    ours, theirs, opt_m, opt_t = run_both(build, steps=5, metrics=METRICS)
    fresh_t = build(torch.optim.lr_scheduler, opt_t)
    fresh_m = build(optim.lr_scheduler, opt_m)
    fresh_t.load_state_dict(ours.state_dict())
    fresh_m.load_state_dict(theirs.state_dict())
    assert fresh_m.state_dict().keys() == theirs.state_dict().keys()
    assert {k: v for k, v in fresh_m.state_dict().items() if k != "optimizer"} == \
        {k: v for k, v in fresh_t.state_dict().items() if k != "optimizer"}


@pytest.mark.parametrize("build,error,match", [
    (lambda m, o: m.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor"),
    (lambda m, o: m.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda m, o: m.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "Expected integer T_mult"),
    (lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda m, o: m.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
    (lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda m, o: m.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1), ValueError, "You must define either total_steps"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1), ValueError, "pct_start"),
    (lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], milestones=[3]), ValueError, "one more than the number"),
    (lambda m, o: m.SequentialLR(o, [], milestones=[]), ValueError, "expects at least one scheduler"),
    (lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]), ValueError, "does not support `ReduceLROnPlateau`"),
    (lambda m, o: m.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda m, o: m.MultiplicativeLR(o, 0.9), TypeError, "lr_lambda should be a function, but got float"),
    (lambda m, o: m.StepLR(o, 3, last_epoch=4), KeyError, "initial_lr"),
])
def test_bad_arguments_raise_like_torch(build, error, match):
    for lib in (minigrad, torch):
        with pytest.raises(error, match=match):
            build(lib.optim.lr_scheduler, make_optimizer(lib))


def test_one_cycle_past_total_steps_raises_like_torch():
    for lib in (minigrad, torch):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            scheduler.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            scheduler.step()


def test_cycle_momentum_needs_momentum_like_torch():
    for lib in (minigrad, torch):
        nn = minigrad.nn if lib is minigrad else torch.nn
        opt = lib.optim.Adagrad([nn.Parameter(lib.ones(1))])
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)


def test_closed_form_epoch_argument_matches_torch():
    for name in ["step", "multistep", "linear_down", "polynomial_power", "cosine_eta", "exponential", "constant"]:
        opt_m, opt_t = make_optimizer(minigrad), make_optimizer(torch)
        ours, theirs = SCHEDULES[name](optim.lr_scheduler, opt_m), SCHEDULES[name](torch.optim.lr_scheduler, opt_t)
        for epoch in [3, 7, 1, 12]:
            opt_m.step(), opt_t.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                ours.step(epoch)
            with pytest.warns(UserWarning, match="epoch parameter"):
                theirs.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-15), name
    opt_m, opt_t = make_optimizer(minigrad), make_optimizer(torch)
    ours = SCHEDULES["warm_restarts_mult"](optim.lr_scheduler, opt_m)
    theirs = SCHEDULES["warm_restarts_mult"](torch.optim.lr_scheduler, opt_t)
    for epoch in [0.5, 2.25, 4.0, 9.75, 30.1]:     # fractional epochs, per batch
        ours.step(epoch), theirs.step(epoch)
        assert ours.get_last_lr() == theirs.get_last_lr() and math.isfinite(ours.get_last_lr()[0])


def test_every_torch_scheduler_exists():
    missing = [name for name in torch.optim.lr_scheduler.__all__ if not hasattr(optim.lr_scheduler, name)]
    assert missing == []
    assert set(torch.optim.lr_scheduler.__all__) <= set(optim.lr_scheduler.__all__)
