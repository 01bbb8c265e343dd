"""Sorting, selection, the new reductions, torch.masked and the new random draws, side by side with
torch: the behaviours the op table's hypothesis samples do not reach (fixed tie patterns, empty
inputs, result types, seeded draws compared bit for bit, and distributions where the numbers differ)."""
import math

import numpy as np
import pytest
import torch

import minigrad


def _pair(array, requires_grad=False):
    return (torch.tensor(array, requires_grad=requires_grad), minigrad.tensor(array, requires_grad=requires_grad))


def _same(a, b):
    a = a.detach().numpy()
    b = b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


# -- sorting and selection ---------------------------------------------------------------------
def test_sort_is_stable_both_ways_with_nans_as_largest():
    x = [[3.0, 1.0, 3.0, 2.0, 1.0, math.nan, 1.0, math.nan]]
    for descending in (False, True):
        t, m = _pair(x)
        rt, rm = torch.sort(t, descending=descending, stable=True), minigrad.sort(m, descending=descending, stable=True)
        _same(rt.values, rm.values)
        _same(rt.indices, rm.indices)


def test_result_types_are_named_like_torchs():
    t, m = _pair([[2.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    for name, call in [("sort", lambda lib, x: lib.sort(x)), ("topk", lambda lib, x: lib.topk(x, 2)),
                       ("kthvalue", lambda lib, x: lib.kthvalue(x, 1)), ("median", lambda lib, x: lib.median(x, 1)),
                       ("mode", lambda lib, x: lib.mode(x)), ("cummax", lambda lib, x: lib.cummax(x, 1)),
                       ("aminmax", lambda lib, x: lib.aminmax(x)), ("histogram", lambda lib, x: lib.histogram(x, 3))]:
        rt, rm = call(torch, t), call(minigrad, m)
        assert type(rm).__name__ == type(rt).__name__ == name
        for field in rm._fields:   # same fields, in torch's order
            np.testing.assert_allclose(getattr(rm, field).numpy(), getattr(rt, field).numpy())
        for a, b in zip(rt, rm):
            np.testing.assert_allclose(b.numpy(), a.numpy())


def test_median_of_nothing_is_nan_and_lower_median_of_even_count():
    t, m = _pair(np.zeros(0, np.float32))
    assert math.isnan(torch.median(t).item()) and math.isnan(minigrad.median(m).item())
    t, m = _pair([4.0, 1.0, 3.0, 2.0])
    assert torch.median(t).item() == minigrad.median(m).item() == 2.0


def test_median_gradient_is_shared_among_ties_as_torchs():
    x = [[1.0, 2.0, 2.0, 3.0, 2.0]]
    t, m = _pair(x, requires_grad=True)
    torch.median(t).backward()
    minigrad.median(m).backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy())


def test_mode_ties_go_to_the_smallest_value_at_its_last_index():
    t, m = _pair([[3.0, 1.0, 3.0, 2.0, 1.0], [1.0, 1.0, 2.0, 2.0, 0.0]])
    rt, rm = torch.mode(t), minigrad.mode(m)
    _same(rt.values, rm.values)
    _same(rt.indices, rm.indices)


def test_cummax_cummin_take_the_latest_equal_value_and_nan():
    t, m = _pair([[1.0, 1.0, 2.0, 2.0, 0.0, math.nan, 5.0]])
    for op in ("cummax", "cummin"):
        rt, rm = getattr(torch, op)(t, 1), getattr(minigrad, op)(m, 1)
        _same(rt.values, rm.values)
        _same(rt.indices, rm.indices)


def test_cumprod_gradient_with_several_zeros_matches_torch():
    x = [[2.0, 0.0, 3.0, 0.0, 4.0], [0.5, 1.5, 0.0, 2.0, 1.0]]
    t, m = _pair(x, requires_grad=True)
    g = np.arange(10.0).reshape(2, 5)
    torch.cumprod(t, 1).backward(torch.tensor(g))
    minigrad.cumprod(m, 1).backward(minigrad.tensor(g))
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_gradient_reaches_q(interpolation):
    x = np.array([[0.3, -1.0, 2.0, 0.7], [1.0, 4.0, -2.0, 0.0]])
    q = np.array([0.1, 0.5, 0.8])
    xt, qt = torch.tensor(x, requires_grad=True), torch.tensor(q, requires_grad=True)
    xm, qm = minigrad.tensor(x, requires_grad=True), minigrad.tensor(q, requires_grad=True)
    torch.quantile(xt, qt, dim=1, interpolation=interpolation).sum().backward()
    minigrad.quantile(xm, qm, dim=1, interpolation=interpolation).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy())
    if qt.grad is None:   # a rounded rank: torch leaves q without a gradient
        assert qm.grad is None
    else:
        np.testing.assert_allclose(qm.grad.numpy(), qt.grad.numpy(), atol=1e-12)


def test_unique_treats_each_nan_as_distinct():
    t, m = _pair([1.0, math.nan, 1.0, math.nan])
    rt = torch.unique(t, return_inverse=True, return_counts=True)
    rm = minigrad.unique(m, return_inverse=True, return_counts=True)
    for a, b in zip(rt, rm):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- torch.masked ------------------------------------------------------------------------------------
def test_masked_reductions_of_a_fully_masked_slice_are_torchs_identities():
    x = np.arange(6.0).reshape(2, 3)
    mask = np.array([[True, False, True], [False, False, False]])
    for name in ("sum", "prod", "amax", "amin", "mean", "logsumexp", "var"):
        rt = getattr(torch.masked, name)(torch.tensor(x), 1, mask=torch.tensor(mask))
        rm = getattr(minigrad.masked, name)(minigrad.tensor(x), 1, mask=minigrad.tensor(mask))
        np.testing.assert_allclose(rm.numpy(), rt.numpy(), equal_nan=True, err_msg=name)


# -- random draws ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("draw", [
    lambda lib, d: lib.empty(33, dtype=d).cauchy_(1.0, 2.0),
    lambda lib, d: lib.empty(33, dtype=d).geometric_(0.3),
    lambda lib, d: lib.normal(lib.zeros(17, dtype=d), lib.ones(3, 1, dtype=d) * 2),
    lambda lib, d: lib.normal(lib.ones(5, dtype=d), 0.5),
    lambda lib, d: lib.normal(2.0, lib.ones(40, dtype=d)),
    lambda lib, d: lib.normal(0.0, 1.0, (4, 5), dtype=d),
], ids=["cauchy_", "geometric_", "normal_tensor_tensor", "normal_tensor_float", "normal_float_tensor",
        "normal_size"])
def test_draws_are_torchs_bit_for_bit(draw, dtype):
    for seed in (0, 7):
        torch.manual_seed(seed)
        expected = draw(torch, getattr(torch, dtype))
        minigrad.manual_seed(seed)
        actual = draw(minigrad, getattr(minigrad, dtype))
        _same(expected, actual)


def test_log_normal_matches_torch_to_the_last_bit_of_exp():
    for dtype in ("float32", "float64"):
        torch.manual_seed(5)
        expected = torch.empty(40, dtype=getattr(torch, dtype)).log_normal_(0.5, 0.25).numpy()
        minigrad.manual_seed(5)
        actual = minigrad.empty(40, dtype=getattr(minigrad, dtype)).log_normal_(0.5, 0.25).numpy()
        np.testing.assert_allclose(actual, expected, rtol=4e-16 if dtype == "float64" else 0)


def test_normal_gradient_is_zero_as_torchs():
    mt, st = torch.zeros(3, requires_grad=True), torch.ones(3, requires_grad=True)
    mm, sm = minigrad.zeros(3, requires_grad=True), minigrad.ones(3, requires_grad=True)
    out_t, out_m = torch.normal(mt, st), minigrad.normal(mm, sm)
    assert out_m.grad_fn.name() == out_t.grad_fn.name()
    out_t.sum().backward()
    out_m.sum().backward()
    _same(mt.grad, mm.grad)
    _same(st.grad, sm.grad)


def test_poisson_distribution_and_generator():
    rates = minigrad.tensor([0.5, 3.0, 20.0]).expand(20000, 3)
    draws = minigrad.poisson(rates, generator=minigrad.Generator().manual_seed(1)).numpy()
    np.testing.assert_allclose(draws.mean(0), [0.5, 3.0, 20.0], rtol=0.05)
    np.testing.assert_allclose(draws.var(0), [0.5, 3.0, 20.0], rtol=0.1)
    again = minigrad.poisson(rates, generator=minigrad.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(draws, again)


@pytest.mark.parametrize("call", [
    lambda lib: lib.empty(3).geometric_(1.5),
    lambda lib: lib.empty(3).cauchy_(0.0, -1.0),
    lambda lib: lib.empty(3).log_normal_(0.0, -1.0),
    lambda lib: lib.normal(lib.zeros(3), -lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.int64), 1.0),
    lambda lib: lib.poisson(-lib.ones(3)),
])
def test_bad_distribution_arguments_raise_torchs_exception_class(call):
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(expected.type):
        call(minigrad)
