"""LBFGS against torch.optim.LBFGS: closures on a quadratic and on Rosenbrock's function, with a
fixed step and with the strong-Wolfe line search, in float64 and float32."""
import numpy as np
import pytest
import torch

import minigrad
from minigrad import optim
from minigrad.serialization import from_torch, to_torch


def rosenbrock(lib, x):
    return ((1 - x[:-1]) ** 2).sum() + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def quadratic(lib, x):
    scale = lib.tensor(np.linspace(0.5, 4.0, 6), dtype=x.dtype)
    return (scale * (x - 1.5) ** 2).sum() + (x[0] * x[1])


PROBLEMS = {"rosenbrock": rosenbrock, "quadratic": quadratic}
OPTIONS = {"fixed": dict(), "wolfe": dict(line_search_fn="strong_wolfe"),
           "fixed_short_history": dict(lr=0.5, max_iter=5, history_size=3),
           "wolfe_short_history": dict(lr=1, max_iter=7, history_size=2, line_search_fn="strong_wolfe",
                                       tolerance_change=1e-12),
           "wolfe_10": dict(max_iter=10, line_search_fn="strong_wolfe")}
# Rosenbrock's valley amplifies rounding: with lr=1 and no line search the iterates jump about
# (the loss rises and falls) and last-bit differences grow to visible ones within 20 iterations,
# in torch against itself as much as against minigrad; so Rosenbrock runs the damped settings, and
# float32 the well-conditioned quadratic.
CASES = ([(problem, name, dtype) for name in OPTIONS for problem in ["quadratic"]
          for dtype in (np.float64, np.float32)]
         + [("rosenbrock", name, np.float64) for name in ["fixed_short_history", "wolfe_short_history"]])


def _closure(lib, opt, x, problem, losses):
    def closure():
        opt.zero_grad()
        loss = PROBLEMS[problem](lib, x)
        loss.backward()
        losses.append(float(loss.detach()))
        return loss
    return closure


@pytest.mark.parametrize("problem,options,dtype", CASES,
                         ids=[f"{p}-{o}-{np.dtype(d).name}" for p, o, d in CASES])
def test_lbfgs_matches_torch(problem, options, dtype):
    options = OPTIONS[options]
    start = np.array([-1.2, 1.0, 0.3, -0.5, 0.8, 1.1], dtype=dtype)
    x_m = minigrad.nn.Parameter(minigrad.tensor(start))
    x_t = torch.nn.Parameter(torch.tensor(start))
    opt_m, opt_t = optim.LBFGS([x_m], **options), torch.optim.LBFGS([x_t], **options)
    assert opt_m.param_groups[0].keys() == opt_t.param_groups[0].keys()
    losses_m, losses_t = [], []
    # In float32 a minimiser is only pinned down to about sqrt(eps) ~ 3e-4 (the loss is flat there), and
    # dot products summed in another order can tip a line-search decision near convergence.
    tol = dict(rtol=1e-8, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-3)
    for step in range(4):
        out_m = opt_m.step(_closure(minigrad, opt_m, x_m, problem, losses_m))
        out_t = opt_t.step(_closure(torch, opt_t, x_t, problem, losses_t))
        assert isinstance(out_m, minigrad.Tensor)
        np.testing.assert_allclose(out_m.item(), out_t.item(), **tol)
        np.testing.assert_allclose(x_m.numpy(force=True), x_t.detach().numpy(), err_msg=f"step {step}", **tol)
        if dtype == np.float64:     # the same evaluations: same iteration and line-search decisions
            assert len(losses_m) == len(losses_t)
            np.testing.assert_allclose(losses_m, losses_t, **tol)
    state_m, state_t = opt_m.state[x_m], opt_t.state[x_t]
    assert sorted(state_m) == sorted(state_t)
    if dtype == np.float64:
        assert state_m["func_evals"] == state_t["func_evals"] and state_m["n_iter"] == state_t["n_iter"]
    assert x_m.dtype.name == np.dtype(dtype).name


def test_lbfgs_state_dict_loads_both_ways():
    """Resumed mid-run from each other's state dict, both continue as the uninterrupted run."""
    start = np.array([-1.2, 1.0, 0.3, -0.5, 0.8, 1.1])
    options = dict(max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    x_m, x_t = minigrad.nn.Parameter(minigrad.tensor(start)), torch.nn.Parameter(torch.tensor(start))
    opt_m, opt_t = optim.LBFGS([x_m], **options), torch.optim.LBFGS([x_t], **options)
    for _ in range(2):
        opt_m.step(_closure(minigrad, opt_m, x_m, "rosenbrock", []))
        opt_t.step(_closure(torch, opt_t, x_t, "rosenbrock", []))
    y_m = minigrad.nn.Parameter(minigrad.tensor(x_t.detach().numpy().copy()))
    y_t = torch.nn.Parameter(torch.tensor(x_m.numpy(force=True).copy()))
    resumed_m, resumed_t = optim.LBFGS([y_m], **options), torch.optim.LBFGS([y_t], **options)
    resumed_m.load_state_dict(from_torch(opt_t.state_dict()))
    resumed_t.load_state_dict(to_torch(opt_m.state_dict()))
    for _ in range(3):
        for opt, x, lib in [(opt_m, x_m, minigrad), (resumed_m, y_m, minigrad), (opt_t, x_t, torch),
                            (resumed_t, y_t, torch)]:
            opt.step(_closure(lib, opt, x, "rosenbrock", []))
    for x in (x_m, y_m):
        np.testing.assert_allclose(x.numpy(force=True), x_t.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(y_t.detach().numpy(), x_t.detach().numpy(), rtol=1e-9, atol=1e-10)


def test_lbfgs_rejects_like_torch():
    p_m, p_t = minigrad.nn.Parameter(minigrad.ones(2)), torch.nn.Parameter(torch.ones(2))
    for lib, p in [(optim, p_m), (torch.optim, p_t)]:
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            lib.LBFGS([{"params": [p]}, {"params": [lib is optim and minigrad.nn.Parameter(minigrad.ones(1))
                                                    or torch.nn.Parameter(torch.ones(1))]}])
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            lib.LBFGS([p], lr=-1)
        opt = lib.LBFGS([p], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)
