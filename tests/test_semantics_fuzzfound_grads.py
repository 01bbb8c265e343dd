"""Gradient values, hooks and signed zeros where the program fuzzer (minigrad.testing.fuzz) found
minigrad disagreeing with torch, each reduced to a few lines and run in both libraries side by side
(``lib`` is one or the other). Values are compared bit for bit where a sign matters: the sign of a
zero or of an infinity, and where the NaNs are.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad


def _both(fn):
    """``fn(lib)`` in torch and in minigrad: (torch's result, minigrad's result)."""
    return fn(torch), fn(minigrad)


def _as_numpy(x):
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return x.detach().numpy()


def _assert_same(t, m, where="result"):
    """Same structure, shapes, dtypes and values: the sign of zeros and infinities and the NaN
    positions included (plus a relative tolerance of 1e-6 for rounding)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(m, (tuple, list)) and len(t) == len(m), (where, t, m)
        for i, (a, b) in enumerate(zip(t, m)):
            _assert_same(a, b, f"{where}[{i}]")
        return
    a, b = _as_numpy(m), _as_numpy(t)
    if b is None or isinstance(b, (bool, int, float, str)):
        assert a == b, (where, m, t)
        return
    assert a is not None, (where, "minigrad None, torch", t)
    assert a.shape == b.shape and a.dtype == b.dtype, (where, a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{where}: NaN positions")
    np.testing.assert_array_equal(np.signbit(a) & ~np.isnan(a), np.signbit(b) & ~np.isnan(b),
                                  err_msg=f"{where}: signs")   # (a NaN's sign bit means nothing)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=0, err_msg=where)


# -- x ** -0.5 is torch's rsqrt: the sign of a zero survives ---------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_minus_half_keeps_the_sign_of_zero(dtype):
    def f(lib):
        x = lib.tensor([-0.0, 0.0, -4.0, 4.0, float("inf"), -float("inf")], dtype=getattr(lib, dtype))
        return x ** -0.5, x.pow(-0.5), lib.pow(x, -0.5)
    _assert_same(*_both(f))


def test_sqrt_as_a_power_has_torchs_gradient_at_minus_zero():
    # found as a hook on x seeing +inf where torch's saw -inf: d(x ** 0.5)/dx = 0.5 x ** -0.5
    def f(lib):
        x = lib.tensor([-0.0, 0.0, 4.0, 1e-30], requires_grad=True)
        (x ** 0.5).sum().backward()
        return x.grad
    _assert_same(*_both(f))


def test_sqrt_as_a_power_grad_of_grad_at_minus_zero():
    def f(lib):
        x = lib.tensor([-0.0, 0.0, 4.0], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad((x ** 0.5).sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return g, gg
    _assert_same(*_both(f))


@pytest.mark.parametrize("exponent", [[0.5], 0.5, [0.5] * 6, [-0.5], 1.5])
def test_a_tensor_exponent_is_cs_pow_for_every_element(exponent):
    # torch's fast paths (sqrt, rsqrt) are for a number exponent only: pow(-0.0, tensor(0.5)) is
    # +0.0 and pow(-inf, tensor(0.5)) is +inf, where NumPy takes sqrt for a broadcast 0.5
    def f(lib):
        x = lib.tensor([-0.0, 0.0, -4.0, 4.0, float("inf"), -float("inf")], requires_grad=True)
        y = x ** lib.tensor(exponent)
        y.backward(lib.ones_like(y))
        return y, x.grad, lib.pow(x.detach().double(), lib.tensor(exponent, dtype=lib.float64))
    _assert_same(*_both(f))


# -- the hooks of a lone root run even when no requested input lies below it -----------------------
def test_autograd_grad_runs_the_lone_roots_retain_grad_when_nothing_below_is_needed():
    # found as t5.grad 2.0 where torch's was 3.0: autograd.grad(y, [unrelated], allow_unused=True)
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.detach().clone()))
        g, = lib.autograd.grad(y, [w], grad_outputs=lib.ones_like(y), allow_unused=True)
        return g, y.grad, seen
    _assert_same(*_both(f))


def test_backward_inputs_runs_the_lone_roots_hooks_when_nothing_below_is_needed():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.backward(lib.full_like(y, 3.0), inputs=[w])
        return w.grad, y.grad, x.grad
    _assert_same(*_both(f))


def test_the_lone_root_without_a_derivative_is_not_run_but_its_hooks_are():
    def f(lib):   # floor_divide has no derivative: its node is not reached, so nothing raises
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x // 1.0
        y.retain_grad()
        g, = lib.autograd.grad(y, [w], grad_outputs=lib.ones_like(y), allow_unused=True, retain_graph=True)
        return g, y.grad
    _assert_same(*_both(f))


def test_a_leaf_root_runs_its_hooks_when_it_is_not_an_input():
    def f(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        leaf = lib.tensor([5.0, 6.0], requires_grad=True)
        seen = []
        leaf.register_hook(lambda g: seen.append(g.detach().clone()))
        g, = lib.autograd.grad(leaf, [w], grad_outputs=lib.ones_like(leaf), allow_unused=True)
        leaf.backward(lib.ones_like(leaf) * 2, inputs=[w])
        return g, seen, leaf.grad, w.grad
    _assert_same(*_both(f))


def test_several_roots_run_no_hooks_of_roots_nothing_needed_is_below():
    def f(lib):   # with several roots torch's graph root is a node of its own: unneeded roots are skipped
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y, v = x * 2, w * 3
        y.retain_grad()
        v.retain_grad()
        g, = lib.autograd.grad([y, v], [w], grad_outputs=[lib.ones_like(y), lib.ones_like(v)])
        return g, y.grad, v.grad
    _assert_same(*_both(f))


# -- max()/min()/median() of all elements put the gradient into the ties only ---------------------
@pytest.mark.parametrize("reduction", ["max", "min", "median", "nanmedian", "amax", "amin"])
@pytest.mark.parametrize("incoming", [float("nan"), -float("inf"), 3.0])
def test_full_reductions_with_a_nonfinite_incoming_gradient(reduction, incoming):
    # found as cov(x.max()) giving x.grad [nan, nan] where torch's is [nan, 0]: torch's max()/min()/
    # median() index_put the shared gradient (0 elsewhere), amax/amin multiply by the mask (NaN * 0)
    def f(lib):
        x = lib.tensor([[4.0, -2.0, 4.0], [0.5, -2.0, 1.0]], dtype=lib.float64, requires_grad=True)
        v = lib.tensor(incoming, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(getattr(x, reduction)(), x, grad_outputs=v, create_graph=True)
        gg, = lib.autograd.grad((g * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum(), v)
        return g, gg
    _assert_same(*_both(f))


def test_covariance_of_a_max_found_by_the_fuzzer():
    def f(lib):
        x = lib.tensor([[[4.625]], [[-2.625]]], dtype=lib.float64, requires_grad=True)
        lib.cov(x.max(), correction=2).sum().backward()
        return x.grad
    _assert_same(*_both(f))


# -- slogdet: the sign alone gives no gradient ----------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 0, 0), (2, 2, 2), (3, 3)])
def test_slogdet_sign_alone_gives_no_gradient(shape):
    # found as a (2, 0, 0) input's .grad: minigrad an empty tensor, torch None; on a singular
    # matrix minigrad's backward raised (it inverted A for a zero gradient)
    def f(lib):
        x = lib.ones(shape, dtype=lib.float64, requires_grad=True)
        sign, logabsdet = lib.linalg.slogdet(x)
        (sign * sign).sum().backward()
        y = (lib.eye(shape[-1], dtype=lib.float64) * 2).requires_grad_()
        sign2, logabsdet2 = lib.linalg.slogdet(y)
        (sign2 + 3 * logabsdet2).sum().backward()
        return x.grad, y.grad
    _assert_same(*_both(f))


# -- max()/min()/amax/amin/median() save their input: editing it before backward is a version error
@pytest.mark.parametrize("reduction", ["max", "min", "amax", "amin", "median", "nanmedian"])
@pytest.mark.parametrize("edit", ["input", "result"])
def test_full_reductions_save_their_input_and_result(reduction, edit):
    # found as t7.detach().zero_() after t8 = t7.min(): torch's backward raised, minigrad's computed
    def f(lib):
        x = lib.tensor([[4.0, -2.0, 4.0]], requires_grad=True)
        y = getattr(x, reduction)()
        (x if edit == "input" else y).detach().add_(1)
        y.backward()
        return x.grad
    (tk, tv), (mk, mv) = [_outcome(f, lib) for lib in (torch, minigrad)]
    assert tk == mk == "err", (tv, mv)
    assert type(tv) is type(mv) is RuntimeError
    assert "modified by an inplace operation" in str(tv) and "modified by an inplace operation" in str(mv)


def _outcome(fn, lib):
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return "err", e


# -- autograd.grad: when a requested non-leaf's gradient is taken, relative to its hooks ----------
def test_autograd_grad_captures_a_non_leaf_before_its_hooks_when_its_node_has_work_below():
    # found as t24 -1.0 where torch's was 1.0: autograd.grad(y, [x, y]) with a hook scaling y's gradient
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 10)
        both = lib.autograd.grad((y * y).sum(), [y, x], retain_graph=True)       # y's node runs: before
        alone = lib.autograd.grad((y * y).sum(), [y], retain_graph=True)         # nothing below: after
        root_both = lib.autograd.grad(y, [y, x], grad_outputs=lib.ones_like(y), retain_graph=True)
        root_alone = lib.autograd.grad(y, [y], grad_outputs=lib.ones_like(y))
        return both, alone, root_both, root_alone
    _assert_same(*_both(f))


def test_autograd_grad_of_a_leaf_is_taken_after_its_hooks():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        return lib.autograd.grad((x * x).sum(), [x])
    _assert_same(*_both(f))


# -- ops without a derivative in torch: results require grad, backward raises -------------------
def test_ldl_factor_and_ldl_solve_results_require_grad_without_a_derivative():
    # found as ldl_factor's LD with requires_grad False where torch's is True
    def f(lib):
        a = (lib.eye(3, dtype=lib.float64) * 2).requires_grad_()
        b = lib.ones(3, 1, dtype=lib.float64, requires_grad=True)
        ld, pivots = lib.linalg.ldl_factor(a)
        ld_ex, pivots_ex, info = lib.linalg.ldl_factor_ex(a)
        x = lib.linalg.ldl_solve(ld.detach(), pivots, b)
        flags = [t.requires_grad for t in (ld, pivots, ld_ex, pivots_ex, info, x,
                                           lib.linalg.ldl_solve(ld, pivots, b.detach()),
                                           lib.linalg.ldl_solve(ld.detach(), pivots, b.detach()))]
        errors = []
        for t in (ld, ld_ex, x):
            try:
                t.sum().backward()
            except RuntimeError as e:
                errors.append(str(e))
        return flags, errors, (ld, ld_ex, x)
    (t_flags, t_errors, t_values), (m_flags, m_errors, m_values) = _both(f)
    assert m_flags == t_flags and m_errors == t_errors, (m_flags, t_flags, m_errors, t_errors)
    _assert_same(t_values, m_values)


# -- special.i1 / i1e: the gradient's limit 1/2 where |x| is not above eps (NaN included) ---------
@pytest.mark.parametrize("fn", ["i1", "i1e"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bessel_i1_gradient_at_nan_and_at_eps(fn, dtype):
    # found as special.i1's gradient at NaN: minigrad NaN, torch 0.5 (its test is not |x| > eps)
    def f(lib):
        eps = lib.finfo(getattr(lib, dtype)).eps
        x = lib.tensor([float("nan"), 0.0, eps, -eps, 2 * eps, 1.0, -3.0], dtype=getattr(lib, dtype),
                       requires_grad=True)
        g, = lib.autograd.grad(getattr(lib.special, fn)(x).sum(), x)
        return g
    t, m = _both(f)
    _assert_same(t[:5], m[:5])
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-5, atol=1e-7)   # (float32 rounding of the formula)


def test_implicit_gradient_of_a_complex_scalar_raises():
    # found as a backward of a complex sum that worked in minigrad only
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        errors = []
        for run in (lambda: (x * 1j).sum().backward(), lambda: lib.autograd.grad((x * 1j).sum(), x)):
            try:
                run()
            except RuntimeError as e:
                errors.append(str(e))
        (x * 1j).sum().backward(lib.tensor(1.0 + 0j))   # an explicit gradient works
        return errors, x.grad
    (t_errors, t_grad), (m_errors, m_grad) = _both(f)
    assert m_errors == t_errors and len(t_errors) == 2, (m_errors, t_errors)
    _assert_same(t_grad, m_grad)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 1, "keepdim": True}])
@pytest.mark.parametrize("edit", ["input", "min", "max", None])
def test_aminmax_saves_its_input_and_both_results(kwargs, edit):
    # found as a write into aminmax's max before backward: torch's version error, minigrad computed
    def f(lib):
        x = lib.tensor([[4.0, -2.0, 4.0], [1.0, 1.0, 0.5]], requires_grad=True)
        mn, mx = lib.aminmax(x, **kwargs)
        if edit:
            {"input": x, "min": mn, "max": mx}[edit].detach().add_(1)
        (mn + 2 * mx).sum().backward()
        return x.grad
    (tk, tv), (mk, mv) = [_outcome(f, lib) for lib in (torch, minigrad)]
    assert tk == mk, (tv, mv)
    if tk == "err":
        assert type(tv) is type(mv) is RuntimeError and "modified by an inplace operation" in str(mv), (tv, mv)
    else:
        _assert_same(tv, mv)
