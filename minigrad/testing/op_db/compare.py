"""Op table: comparisons, logical and bitwise ops, isnan/isinf/isfinite, isclose/allclose/equal (no gradients).

Float samples are drawn from a few values, infinities and NaN included, so that ties, NaN
comparisons and the tests of values all occur.
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import broadcastable_shapes, shapes
from .core import choice_arrays

ALL = ("float32", "float64", "int32", "int64", "uint8", "bool")
INTEGRAL = ("int32", "int64", "uint8", "bool")
_FLOATS = [-np.inf, -2.5, -1.0, 0.0, 1.0, 2.5, np.inf, np.nan]


def _values(dtype):
    kind = np.dtype(dtype).kind
    return _FLOATS if kind == "f" else [False, True] if kind == "b" else [0, 1, 2, 7] if kind == "u" else [-7, -1, 0, 1, 2]


def _pair(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        choice_arrays(dtype, s[0], _values(dtype)), choice_arrays(dtype, s[1], _values(dtype)))).map(
        lambda xy: Sample(xy))


def _one(dtype):
    return shapes().flatmap(lambda s: choice_arrays(dtype, s, _values(dtype))).map(lambda x: Sample((x,)))


def _with_number(dtype):
    numbers = [0, 1, -1, 2.5, True, 300, -1.5]
    return st.tuples(shapes().flatmap(lambda s: choice_arrays(dtype, s, _values(dtype))), st.sampled_from(numbers)).map(
        lambda a: Sample(a))


def _close_pair(dtype):
    """Nearly equal arrays: y = x + a small change (some inside the tolerance, some outside)."""
    def sample(x, change, equal_nan):
        y = (x + change).astype(dtype) if np.dtype(dtype).kind == "f" else np.broadcast_to(x, change.shape).copy()
        return Sample((x, y), {"equal_nan": equal_nan})

    def build(s):
        return st.tuples(choice_arrays(dtype, s[0], _values(dtype)),
                         choice_arrays("float64", np.broadcast_shapes(s[0], s[1]), [0.0, 1e-9, 1e-6, 1e-4, -1e-5, 1.0]),
                         st.booleans()).map(lambda a: sample(*a))
    return broadcastable_shapes(2).flatmap(build)


def _cmp(name):
    return [OpInfo(name, getattr(minigrad, name), getattr(torch, name), _pair, dtypes=ALL, grad=False),
            OpInfo(f"{name}_number", getattr(minigrad, name), getattr(torch, name), _with_number, dtypes=ALL, grad=False)]


OPS = [
    *_cmp("eq"), *_cmp("ne"), *_cmp("lt"), *_cmp("le"), *_cmp("gt"), *_cmp("ge"),
    OpInfo("compare_mixed_dtypes", lambda x, y: [minigrad.lt(x, y.int()), minigrad.eq(x.double(), y), x > y.bool()],
           lambda x, y: [torch.lt(x, y.int()), torch.eq(x.double(), y), x > y.bool()], _pair, grad=False,
           cuda_ref="none", notes="inf.int() is undefined in C: torch's, NumPy's and CuPy's kernels give different ints"),
    OpInfo("logical_and", minigrad.logical_and, torch.logical_and, _pair, dtypes=ALL, grad=False),
    OpInfo("logical_or", minigrad.logical_or, torch.logical_or, _pair, dtypes=ALL, grad=False),
    OpInfo("logical_xor", minigrad.logical_xor, torch.logical_xor, _pair, dtypes=ALL, grad=False),
    OpInfo("logical_not", minigrad.logical_not, torch.logical_not, _one, dtypes=ALL, grad=False),
    OpInfo("bitwise_and", minigrad.bitwise_and, torch.bitwise_and, _pair, dtypes=INTEGRAL, grad=False),
    OpInfo("bitwise_or", minigrad.bitwise_or, torch.bitwise_or, _pair, dtypes=INTEGRAL, grad=False),
    OpInfo("bitwise_xor", minigrad.bitwise_xor, torch.bitwise_xor, _pair, dtypes=INTEGRAL, grad=False),
    OpInfo("bitwise_not", minigrad.bitwise_not, torch.bitwise_not, _one, dtypes=INTEGRAL, grad=False),
    OpInfo("bitwise_operators", lambda x, y: [x & y, x | y, x ^ y, ~x, x & 1, 3 | x, x ^ True],
           lambda x, y: [x & y, x | y, x ^ y, ~x, x & 1, 3 | x, x ^ True], _pair, dtypes=INTEGRAL, grad=False),
    OpInfo("isnan", minigrad.isnan, torch.isnan, _one, dtypes=ALL, grad=False),
    OpInfo("isinf", minigrad.isinf, torch.isinf, _one, dtypes=ALL, grad=False),
    OpInfo("isfinite", minigrad.isfinite, torch.isfinite, _one, dtypes=ALL, grad=False),
    OpInfo("isclose", minigrad.isclose, torch.isclose, _close_pair, dtypes=ALL, grad=False),
    OpInfo("allclose", minigrad.allclose, torch.allclose, _close_pair, dtypes=ALL, grad=False),
    OpInfo("equal", minigrad.equal, torch.equal, _pair, dtypes=ALL, grad=False),
    OpInfo("equal_self", lambda x: minigrad.equal(x, x), lambda x: torch.equal(x, x), _one, dtypes=ALL, grad=False,
           cuda_ref="cpu", notes="torch's CUDA equal(x, x) is True even with NaNs (same storage); its CPU one is not"),
]

ERRORS = [
    ErrorCase("eq_broadcast", lambda lib: lib.eq(lib.ones(2, 3), lib.ones(4, 3)), ("2", "4")),
    ErrorCase("lt_none", lambda lib: lib.lt(lib.ones(2), None), ("lt", "NoneType")),
    ErrorCase("eq_number_first", lambda lib: lib.eq(5, lib.ones(2)), ("eq",)),
    ErrorCase("logical_and_number", lambda lib: lib.logical_and(lib.ones(2), 1), ("other", "Tensor")),
    ErrorCase("logical_or_broadcast", lambda lib: lib.logical_or(lib.ones(3), lib.ones(2)), ("3", "2")),
    ErrorCase("bitwise_and_float", lambda lib: lib.bitwise_and(lib.ones(2), lib.ones(2)), ("Float",)),
    ErrorCase("bitwise_or_float_number", lambda lib: lib.tensor([1, 2]) | 2.5, ("Float",)),
    ErrorCase("bitwise_not_float", lambda lib: lib.bitwise_not(lib.ones(2)), ("Float",)),
    ErrorCase("invert_float", lambda lib: ~lib.ones(2), ("integer", "Boolean")),
    ErrorCase("allclose_dtypes", lambda lib: lib.allclose(lib.ones(2), lib.ones(2, dtype=lib.float64)),
              ("Float", "Double")),
    ErrorCase("allclose_number", lambda lib: lib.allclose(lib.ones(2), 1.0), ("other", "Tensor")),
    ErrorCase("allclose_broadcast", lambda lib: lib.allclose(lib.ones(3), lib.ones(2)), ("3", "2")),
    ErrorCase("isnan_number", lambda lib: lib.isnan(1.0), ("Tensor",)),
]
