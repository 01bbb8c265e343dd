"""The pointwise ops as Tensor methods and in-place ``*_`` forms, side by side with torch.

The op table checks the functions; here every method form and in-place form torch has for them
is called on both libraries with the same values: results, dtypes, the written tensor itself,
gradients through the in-place write, and torch's errors (an integer tensor cannot hold a float
result, float_power_ needs a double base).
"""
import numpy as np
import pytest
import torch

import minigrad

X = np.array([[0.3, -0.6, 0.8], [0.1, 0.45, -0.2]])
Y = np.array([0.7, 1.6, 0.9])

# method name -> extra arguments (numbers, or "Y" for the second tensor)
UNARY = ["acos", "arccos", "asin", "arcsin", "asinh", "arcsinh", "atanh", "arctanh", "exp2", "erfc", "erfinv",
         "sinc", "deg2rad", "rad2deg", "frac", "sgn", "nan_to_num", "digamma", "lgamma", "i0", "exp", "expm1", "log1p",
         "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf", "abs", "absolute", "sign", "floor",
         "ceil", "trunc", "round", "square", "reciprocal"]
BINARY = ["hypot", "nextafter", "xlogy", "copysign", "ldexp", "igamma", "igammac", "atan2", "arctan2", "fmod"]
WITH_ARGS = {"logit": (0.1,), "clamp_min": (0.0,), "clamp_max": (0.2,), "polygamma": (1,), "mvlgamma": (1,),
             "renorm": (2, 0, 0.5), "lerp": ("Y", 0.3), "addcmul": ("Y", "Y"), "addcdiv": ("Y", "Y")}


def _args(lib, spec):
    return [lib.tensor(Y) if a == "Y" else a for a in spec]


def _both(name, spec, base=X, inplace=False):
    out = []
    for lib in (minigrad, torch):
        x = lib.tensor(np.abs(base) if name in ("acosh", "lgamma", "digamma", "polygamma", "mvlgamma", "igamma",
                                                "igammac") else base)
        method = getattr(x, name + "_" if inplace else name)
        result = method(*_args(lib, spec))
        out.append((x, result))
    return out


@pytest.mark.parametrize("name,spec", [(n, ()) for n in UNARY] + [(n, ("Y",)) for n in BINARY] +
                         list(WITH_ARGS.items()))
@pytest.mark.parametrize("inplace", [False, True])
def test_method_and_inplace_match_torch(name, spec, inplace):
    (mx, mr), (tx, tr) = _both(name, spec, inplace=inplace)
    np.testing.assert_allclose(mr.numpy(), tr.numpy(), rtol=1e-12, atol=1e-12)
    assert str(mr.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1]
    if inplace:
        assert mr is mx and tr is tx
        np.testing.assert_allclose(mx.numpy(), tx.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["acos", "exp2", "erfinv", "sinc", "logit", "digamma"])
def test_inplace_on_an_integer_tensor_raises_like_torch(name):
    with pytest.raises(RuntimeError) as expected:
        getattr(torch.tensor([1, 0]), name + "_")()
    with pytest.raises(RuntimeError, match="can't be cast") as got:
        getattr(minigrad.tensor([1, 0]), name + "_")()
    assert type(got.value) is type(expected.value)


@pytest.mark.parametrize("name,spec", [("acos", ()), ("erfinv", ()), ("hypot", ("Y",)), ("addcmul", ("Y", "Y")),
                                       ("clamp_min", (0.0,)), ("xlogy", ("Y",))])
def test_inplace_gradient_matches_torch(name, spec):
    grads = []
    for lib in (minigrad, torch):
        leaf = lib.tensor(X, requires_grad=True)
        x = leaf * 0.9
        getattr(x, name + "_")(*_args(lib, spec))
        (x * lib.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)


def test_float_power_inplace_needs_a_double_base():
    for lib in (minigrad, torch):
        x = lib.tensor([1.5, 2.0], dtype=lib.float64)
        x.float_power_(2)
        np.testing.assert_allclose(x.numpy(), [2.25, 4.0])
        with pytest.raises(RuntimeError, match="float_power_"):
            lib.tensor([1.5, 2.0]).float_power_(2)


def test_rdiv_is_reversed_division():
    m, t = minigrad.tensor(Y), torch.tensor(Y)
    np.testing.assert_allclose(m.__rdiv__(2.0).numpy(), t.__rdiv__(2.0).numpy())


@pytest.mark.parametrize("name", ["frexp", "signbit", "isposinf", "isneginf", "isreal", "positive", "fmax", "fmin",
                                  "logaddexp", "logaddexp2", "float_power", "dist", "heaviside"])
def test_other_methods_match_torch(name):
    two = name in ("fmax", "fmin", "logaddexp", "logaddexp2", "float_power", "dist", "heaviside")
    results = []
    for lib in (minigrad, torch):
        x = lib.tensor(X)
        results.append(getattr(x, name)(lib.tensor(Y)) if two else getattr(x, name)())
    m, t = results
    for a, b in zip(m if isinstance(m, tuple) else (m,), t if isinstance(t, tuple) else (t,)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
