"""Subgradients at the kinks of reductions, checked against torch on hand-made inputs.

The op table draws inputs without ties or zeros (random draws would rarely hit them and a
numerical gradcheck cannot judge them); here each rule torch picks is pinned down exactly:
ties share the gradient evenly (max(x), amax, amin, inf-norms), max(x, dim) gives it all to the
first occurrence, prod is exact at zeros, and norms and std have gradient 0 where they are 0.
"""
import numpy as np
import pytest
import torch

import minigrad

TIES = np.array([[1.0, 3.0, 3.0, -2.0],
                 [2.0, 2.0, 0.0, 2.0],
                 [-1.0, -1.0, -1.0, -1.0]])


def _grads(fn, *arrays, cotangent_seed=0):
    """fn's value and its gradients w.r.t. every array, in minigrad and in torch, for one random cotangent."""
    out = {}
    for lib in (minigrad, torch):
        xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        y = y[0] if isinstance(y, tuple) else y
        v = lib.tensor(np.random.default_rng(cotangent_seed).standard_normal(tuple(y.shape)), dtype=lib.float64)
        grads = lib.autograd.grad(y, xs, v)
        out[lib.__name__] = (y, grads)
    return out["minigrad"], out["torch"]


def _assert_same(mine, theirs):
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


TIE_CASES = {
    "max": lambda lib, x: lib.max(x),
    "min": lambda lib, x: lib.min(x),
    "max_dim": lambda lib, x: lib.max(x, 1),
    "max_dim0_keepdim": lambda lib, x: lib.max(x, 0, True),
    "min_dim": lambda lib, x: lib.min(x, -1),
    "amax_dim": lambda lib, x: lib.amax(x, 1),
    "amax_all": lambda lib, x: lib.amax(x, (0, 1)),
    "amin_dim0": lambda lib, x: lib.amin(x, 0, keepdim=True),
    "norm_inf": lambda lib, x: lib.norm(x, float("inf")),
    "norm_inf_dim": lambda lib, x: lib.norm(x, float("inf"), 1),
    "norm_neg_inf_dim": lambda lib, x: lib.norm(x, -float("inf"), 0),
}


@pytest.mark.parametrize("name", sorted(TIE_CASES))
def test_tied_gradients_match_torch(name):
    (y, grads), (ty, tgrads) = _grads(TIE_CASES[name], TIES)
    _assert_same(y, ty)
    _assert_same(grads[0], tgrads[0])


def test_max_shares_gradient_evenly_among_ties():
    x = minigrad.tensor(TIES, requires_grad=True)
    minigrad.max(x).backward()
    expected = np.zeros_like(TIES)
    expected[0, 1] = expected[0, 2] = 0.5
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_dim_picks_first_occurrence():
    values, indices = minigrad.max(minigrad.tensor(TIES), 1)
    assert indices.tolist() == [1, 0, 0]
    assert indices.dtype == minigrad.int64
    values, indices = minigrad.min(minigrad.tensor(TIES), 0)
    assert indices.tolist() == [2, 2, 2, 0]
    assert minigrad.argmax(minigrad.tensor(TIES)).item() == 1
    assert minigrad.argmin(minigrad.tensor(TIES), 1).tolist() == [3, 2, 0]


def test_max_dim_returns_named_pair():
    result = minigrad.tensor(TIES).max(1, keepdim=True)
    assert result.values.shape == (3, 1) and result.indices.shape == (3, 1)
    values, indices = result
    assert values is result[0] and indices is result[1]


@pytest.mark.parametrize("name", ["max", "max_dim", "amax_dim", "norm_inf_dim"])
def test_tied_grad_of_grad_matches_torch(name):
    """The tie masks are constants: the gradient is linear in the cotangent, and its own gradient
    (w.r.t. the cotangent) matches torch's; w.r.t. x it is zero in both."""
    results = []
    for lib in (minigrad, torch):
        x = lib.tensor(TIES, dtype=lib.float64, requires_grad=True)
        y = TIE_CASES[name](lib, x)
        y = y[0] if isinstance(y, tuple) else y
        v = lib.tensor(np.random.default_rng(0).standard_normal(tuple(y.shape)), dtype=lib.float64,
                       requires_grad=True)
        (g,) = lib.autograd.grad(y, [x], v, create_graph=True)
        total = (g * lib.tensor(np.random.default_rng(1).standard_normal(TIES.shape))).sum()
        results.append(lib.autograd.grad(total, [x, v], allow_unused=True))
    (mg_x, mg_v), (th_x, th_v) = results
    _assert_same(mg_v, th_v)
    assert mg_x is None or not np.any(mg_x.numpy())
    assert th_x is None or th_x._is_zerotensor() or not th_x.any()


ZEROS = [
    np.array([2.0, 0.0, 3.0, -1.5]),               # one zero: the gradient there is the product of the others
    np.array([2.0, 0.0, 3.0, 0.0]),                # two zeros: every gradient is 0
    np.array([[0.0, 2.0, 0.5], [1.5, -2.0, 0.0], [0.0, 0.0, 4.0]]),
]


@pytest.mark.parametrize("x", ZEROS, ids=["one_zero", "two_zeros", "matrix"])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_prod_gradient_at_zeros_matches_torch(x, dim):
    fn = (lambda lib, t: lib.prod(t)) if dim is None else (lambda lib, t: lib.prod(t, dim))
    (y, grads), (ty, tgrads) = _grads(fn, x)
    _assert_same(y, ty)
    _assert_same(grads[0], tgrads[0])
    # and the second derivative, through the products of the others
    w = np.random.default_rng(2).standard_normal(x.shape)
    _assert_same(_second(minigrad, fn, x, w), _second(torch, fn, x, w))


def _second(lib, fn, array, w):
    """d<grad(sum(fn(x))), w>/dx"""
    x = lib.tensor(array, requires_grad=True)
    (g,) = lib.autograd.grad(fn(lib, x).sum(), [x], create_graph=True)
    (gg,) = lib.autograd.grad((g * lib.tensor(w)).sum(), [x])
    return gg


def test_prod_exact_gradient_at_a_single_zero():
    x = minigrad.tensor([2.0, 0.0, 3.0], requires_grad=True)
    minigrad.prod(x).backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1])
def test_norm_gradient_at_zero_matches_torch(p):
    """At a zero norm torch's subgradient is 0 (masked), for the 2-norm and the other p-norms."""
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    (y, grads), (ty, tgrads) = _grads(lambda lib, t: lib.norm(t, p, 1), x)
    _assert_same(y, ty)
    _assert_same(grads[0], tgrads[0])
    if p != 1:
        assert not np.any(grads[0].numpy()[0])


def test_two_norm_of_zeros_has_zero_gradient():
    x = minigrad.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_std_gradient_where_std_is_zero_matches_torch():
    x = np.array([[1.5, 1.5, 1.5], [1.0, 2.0, 4.0]])
    (y, grads), (ty, tgrads) = _grads(lambda lib, t: lib.std(t, 1), x)
    _assert_same(y, ty)
    _assert_same(grads[0], tgrads[0])
    assert not np.any(grads[0].numpy()[0])


def test_var_std_degrees_of_freedom_at_most_zero_match_torch():
    x = np.array([[1.0, 2.0], [3.0, 3.0]])
    for fn in (lambda lib, t: lib.var(t, correction=4), lambda lib, t: lib.var(t, 1, correction=2),
               lambda lib, t: lib.var(t, 1, correction=3), lambda lib, t: lib.std(t, 0, correction=2.5)):
        with pytest.warns(UserWarning, match="degrees of freedom"):
            (y, grads), (ty, tgrads) = _grads(fn, x)
        _assert_same(y, ty)
        np.testing.assert_array_equal(grads[0].numpy(), tgrads[0].numpy())


def test_logsumexp_of_minus_infinity_matches_torch():
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf], [np.inf, 1.0]])
    (y, grads), (ty, tgrads) = _grads(lambda lib, t: lib.logsumexp(t, 1), x)
    _assert_same(y, ty)
    np.testing.assert_array_equal(grads[0].numpy(), tgrads[0].numpy())


def test_addmm_beta_zero_ignores_input_nans():
    c = np.full((2, 2), np.nan)
    a, b = np.ones((2, 3)), np.ones((3, 2))
    (y, grads), (ty, tgrads) = _grads(lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), c, a, b)
    _assert_same(y, ty)
    for g, tg in zip(grads, tgrads):
        _assert_same(g, tg)
