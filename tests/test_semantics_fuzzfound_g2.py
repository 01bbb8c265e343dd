"""create_graph gradients, gradients that are None in torch (not zeros) and hooks, where the
program fuzzer (minigrad.testing.fuzz) found minigrad disagreeing with torch: each reduced to a few
lines and run in both libraries side by side (``lib`` is one or the other).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def _both(fn):
    """``fn(lib)`` in torch and in minigrad: (torch's result, minigrad's result)."""
    return fn(torch), fn(minigrad)


def _describe(x):
    """What is compared of a result: None, or (shape, dtype, values, requires_grad)."""
    if isinstance(x, (tuple, list)):
        return [_describe(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    a = x.detach().numpy()
    return (a.shape, str(a.dtype), np.round(a, 6).tolist(), x.requires_grad)


def _assert_same(fn):
    t, m = _both(fn)
    assert _describe(m) == _describe(t), (m, t)


# -- in-place hardtanh_ / threshold_ save the old values of their input ---------------------------
INPLACE_KINKS = {
    "hardtanh_": lambda lib, a: lib.nn.functional.hardtanh_(a, -1.0, 1.0),
    "hardtanh_inplace_equal_bounds": lambda lib, a: lib.nn.functional.hardtanh(a, 1.0, 1.0, inplace=True),
    "relu6_inplace": lambda lib, a: lib.nn.functional.relu6(a, inplace=True),
    "threshold_inplace": lambda lib, a: lib.nn.functional.threshold(a, 0.1, 2.0, inplace=True),
    # these two save their result in torch too: the gradient lies in the result's graph
    "relu_inplace": lambda lib, a: lib.nn.functional.relu(a, inplace=True),
    "leaky_relu_inplace": lambda lib, a: lib.nn.functional.leaky_relu(a, 0.1, inplace=True),
}


@pytest.mark.parametrize("name", sorted(INPLACE_KINKS))
def test_inplace_kink_gradient_lies_in_the_graph_of_what_its_node_saved(name):
    """torch's hardtanh_ and threshold_ nodes keep a copy of the input (original_self), so a
    gradient taken with create_graph does not reach the written tensor: its gradient is None."""
    def run(lib):
        x = lib.tensor([[-3.3, 0.5, 1.5]], dtype=lib.float64, requires_grad=True)
        y = INPLACE_KINKS[name](lib, x * 1)
        gx, = lib.autograd.grad((y * 2).sum(), [x], create_graph=True)
        again = lib.autograd.grad((gx * gx).sum(), [y, x], allow_unused=True)
        return gx, again
    _assert_same(run)


@pytest.mark.parametrize("name", ["hardtanh_", "threshold_inplace", "relu_inplace"])
def test_inplace_kink_then_a_write_into_its_result(name):
    """hardtanh_/threshold_ keep the input's old values (no version error after a write into the
    result); relu_ saved its result, so the write is a version error, in both libraries."""
    def run(lib):
        x = lib.tensor([[-3.3, 0.5, 1.5]], dtype=lib.float64, requires_grad=True)
        y = INPLACE_KINKS[name](lib, x * 1)
        y.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as exc:
            return "version error" if "inplace operation" in str(exc) else str(exc)
        return x.grad
    _assert_same(run)


# -- var_mean / std_mean: an unused result adds nothing -----------------------------------------
@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
@pytest.mark.parametrize("used", ["spread", "mean", "both"])
def test_var_mean_gradient_of_one_result_with_create_graph(fn, used):
    """torch's var_mean_backward skips an undefined gradient: the mean's gradient alone is a
    constant (it does not require grad after create_graph)."""
    def run(lib):
        x = lib.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 0.0]], requires_grad=True)
        spread, mean = getattr(lib, fn)(x, dim=1)
        loss = {"spread": spread.sum(), "mean": mean.sum(), "both": (spread * mean).sum()}[used]
        g, = lib.autograd.grad(loss, [x], create_graph=True)
        return g
    _assert_same(run)


# -- hardswish: its gradient selects, it does not multiply by a 0/1 mask ------------------------
def test_hardswish_gradient_of_an_infinite_incoming_gradient():
    """torch's hardswish_backward gives 0 where x <= -3 whatever arrives (an infinite gradient,
    from 1 / hardswish(x) = 1 / -0.0, included) and the incoming gradient where x >= 3 (x = inf
    included); first and second order."""
    def run(lib):
        x = lib.tensor([-4.0, -3.0, 0.0, 3.0, 4.0, -5.0, float("inf"), -2.0], requires_grad=True)
        g = lib.tensor([1.0, 1.0, 1.0, 1.0, 1.0, float("inf"), 2.0, float("inf")], requires_grad=True)
        gx, = lib.autograd.grad(lib.nn.functional.hardswish(x), [x], g, create_graph=True)
        return gx, lib.autograd.grad((gx * lib.arange(8.0)).sum(), [x, g])
    _assert_same(run)


def test_hardswish_inplace_then_reciprocal_with_create_graph():
    def run(lib):
        x = lib.tensor([-0.2335, -4.0839, -3.8e-09, 5.96e-08], requires_grad=True)
        y = lib.nn.functional.hardswish(x * 1, inplace=True)
        return lib.autograd.grad((True / y).sum(), [x], create_graph=True)
    _assert_same(run)


# -- linalg.lstsq: the gradient of empty residuals alone is None --------------------------------
@pytest.mark.parametrize("rows", [2, 3, 4])
@pytest.mark.parametrize("used", ["residuals", "solution", "both"])
def test_lstsq_gradient_of_one_result(rows, used):
    """torch's linalg_lstsq_backward: without the solution's gradient, residuals that are empty
    (A not tall) give no gradient at all: .grad stays None."""
    def run(lib):
        a = lib.tensor([[1.0, 2, 3], [4, 5, 7], [2, -1, 0], [3, 3, 1]][:rows], requires_grad=True)
        b = lib.tensor([[1.0, 2], [0, 1], [3, -1], [2, 2]][:rows], requires_grad=True)
        x, residuals, _, _ = lib.linalg.lstsq(a, b, driver="gelsd")
        {"residuals": residuals.sum(), "solution": x.sum(), "both": x.sum() + residuals.sum()}[used].backward()
        return a.grad, b.grad
    t, m = _both(run)
    for gt, gm in zip(t, m):
        assert (gt is None) == (gm is None), (t, m)
        if gt is not None:
            np.testing.assert_allclose(gm.numpy(), gt.numpy(), rtol=1e-3, atol=1e-4)


# -- adaptive average pools to one element are torch's mean -------------------------------------
GLOBAL_POOLS = {
    "2d_1x1": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (1, 1)),
    "2d_None_1": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[:, :, :1], (None, 1)),
    "2d_unbatched": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0], 1),
    "1d": lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0], 1),
    "1d_unbatched": lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0, 0].T, 1),
}


@pytest.mark.parametrize("name", sorted(GLOBAL_POOLS))
def test_global_adaptive_avg_pool_gradient_with_create_graph(name):
    """torch's adaptive_avg_pool2d to 1x1 (and adaptive_avg_pool1d to 1, through it) is a mean:
    the gradient of a sum, taken with create_graph, is a constant that does not require grad."""
    def run(lib):
        x = lib.tensor([[[[1.0], [2.0], [4.0]]]], requires_grad=True)
        y = GLOBAL_POOLS[name](lib, x)
        g_sum, = lib.autograd.grad(y.sum(), [x], create_graph=True)
        g_square, = lib.autograd.grad((y * y).sum(), [x], create_graph=True)
        return y, y.grad_fn.name(), g_sum, g_square
    _assert_same(run)
