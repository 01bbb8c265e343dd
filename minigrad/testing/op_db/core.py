"""Op table: the core arithmetic ops (add, sub, mul, div, neg) and sum/mean/reshape/expand.

Also the sample strategies the elementwise families share (math.py and compare.py import them).
"""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, dims_for, shapes


def _binary(low=-3.0, high=3.0, **kw):
    """Two broadcastable arrays; ``kw`` (exclude_near...) applies to the second."""
    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(
            lambda s: st.tuples(arrays(dtype, s[0], low, high), arrays(dtype, s[1], low, high, **kw))
        ).map(lambda xy: Sample(xy))
    return strategy


def _unary(low=-3.0, high=3.0, **kw):
    def strategy(dtype):
        return shapes().flatmap(lambda s: arrays(dtype, s, low, high, **kw)).map(lambda x: Sample((x,)))
    return strategy


def _with_number(numbers, low=-3.0, high=3.0, *, number_first=False, **kw):
    """An array and a Python number drawn from ``numbers``: ``f(x, number)`` (or ``f(number, x)``)."""
    def strategy(dtype):
        return st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, low, high, **kw)), st.sampled_from(numbers)).map(
            lambda a: Sample((a[1], a[0]) if number_first else a))
    return strategy


def grid_arrays(dtype, shape, low=-3.0, high=3.0, step=0.1, offset=0.0):
    """An array of values offset + k*step in [low, high]: arrays on different offsets never tie."""
    ks = st.integers(int(np.ceil((low - offset) / step)), int(np.floor((high - offset) / step)))
    return hnp.arrays(np.dtype(dtype), shape, elements=ks.map(lambda k: offset + k * step))


def choice_arrays(dtype, shape, values):
    """An array whose elements are drawn from ``values``."""
    return hnp.arrays(np.dtype(dtype), shape, elements=st.sampled_from(values))


def _quotients(dtype):
    """(x, y) for x / y near no integer: y in {+-1.5, +-2.5}, x in [-6, 6] away from multiples of 0.5.

    Rounded division, fmod and remainder have kinks where x / y is an integer; there the numerical
    gradient is meaningless.
    """
    kinks = tuple(k * 0.5 for k in range(-12, 13))
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], -6.0, 6.0, exclude_near=kinks, margin=0.02),
        choice_arrays(dtype, s[1], [1.5, -1.5, 2.5, -2.5]))).map(lambda xy: Sample(xy))


def _int_quotients(dtype):
    """Integer (x, y) with y != 0 (integer division by zero is an error)."""
    signed = np.dtype(dtype).kind == "i"
    divisors = [1, -1, 2, -2, 3, -3, 7, -7] if signed else [1, 2, 3, 7, 200]
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], -20 if signed else 0, 20 if signed else 255), choice_arrays(dtype, s[1], divisors))).map(
        lambda xy: Sample(xy))


def _reduction(dtype):
    return shapes().flatmap(lambda s: st.tuples(arrays(dtype, s), dims_for(len(s)), st.booleans())).map(
        lambda a: Sample((a[0],), {"dim": a[1], "keepdim": a[2]}))


def _reshape(dtype):
    def pick(s):
        n = int(np.prod(s))
        return st.sampled_from([(n,), (-1,), (1, n), (n, 1), tuple(reversed(s)), s or (1,)]).map(
            lambda shape: Sample((np.arange(n).reshape(s).astype(dtype), shape)))
    return shapes().flatmap(pick)


def _expand(dtype):
    return broadcastable_shapes(2).flatmap(
        lambda s: st.tuples(arrays(dtype, s[0]), st.just(np.broadcast_shapes(s[0], s[1])))
    ).map(lambda a: Sample(a))


OPS = [
    OpInfo("add", minigrad.add, torch.add, _binary(), gradgrad=True),
    OpInfo("add_alpha", lambda x, y: minigrad.add(x, y, alpha=2.5), lambda x, y: torch.add(x, y, alpha=2.5),
           _binary()),
    OpInfo("sub", minigrad.sub, torch.sub, _binary()),
    OpInfo("mul", minigrad.mul, torch.mul, _binary()),
    OpInfo("div", minigrad.div, torch.div, _binary(0.5, 3.0)),
    OpInfo("neg", minigrad.neg, torch.neg, _unary()),
    OpInfo("mul_number", minigrad.mul, torch.mul, _with_number([2.5, -1, 0, True])),
    OpInfo("rsub_number", lambda x, y: y - x, lambda x, y: y - x, _with_number([2.5, -1])),
    OpInfo("rdiv_number", lambda x, y: y / x, lambda x, y: y / x, _with_number([2.5, -1], 0.5, 3.0)),
    OpInfo("subtract", minigrad.subtract, torch.subtract, _binary()),
    OpInfo("multiply", minigrad.multiply, torch.multiply, _binary()),
    OpInfo("divide", minigrad.divide, torch.divide, _binary(0.5, 3.0)),
    OpInfo("true_divide", minigrad.true_divide, torch.true_divide, _binary(0.5, 3.0)),
    OpInfo("div_int", minigrad.div, torch.div, _int_quotients, dtypes=("int32", "int64"), grad=False),
    OpInfo("div_floor", lambda x, y: minigrad.div(x, y, rounding_mode="floor"),
           lambda x, y: torch.div(x, y, rounding_mode="floor"), _quotients),
    OpInfo("div_trunc", lambda x, y: minigrad.div(x, y, rounding_mode="trunc"),
           lambda x, y: torch.div(x, y, rounding_mode="trunc"), _quotients),
    OpInfo("floor_divide", minigrad.floor_divide, torch.floor_divide, _quotients, grad=False,
           notes="no derivative: backward raises, as in torch"),
    OpInfo("div_floor_int", lambda x, y: minigrad.div(x, y, rounding_mode="floor"),
           lambda x, y: torch.div(x, y, rounding_mode="floor"), _int_quotients, dtypes=("int32", "int64", "uint8"),
           grad=False),
    OpInfo("div_trunc_int", lambda x, y: minigrad.div(x, y, rounding_mode="trunc"),
           lambda x, y: torch.div(x, y, rounding_mode="trunc"), _int_quotients, dtypes=("int32", "int64", "uint8"),
           grad=False),
    OpInfo("sum", minigrad.sum, torch.sum, _reduction),
    OpInfo("mean", minigrad.mean, torch.mean, _reduction),
    OpInfo("reshape", minigrad.reshape, torch.reshape, _reshape),
    OpInfo("expand", minigrad.Tensor.expand, torch.Tensor.expand, _expand),
]

ERRORS = [
    ErrorCase("broadcast_mismatch", lambda lib: lib.ones(2, 3) + lib.ones(4, 3), ("2", "4")),
    ErrorCase("div_broadcast_mismatch", lambda lib: lib.div(lib.ones(3), lib.ones(2), rounding_mode="floor"),
              ("3", "2")),
    ErrorCase("div_bad_rounding_mode", lambda lib: lib.div(lib.ones(2), 2, rounding_mode="round"),
              ("rounding_mode", "'round'")),
    ErrorCase("div_int_by_zero", lambda lib: lib.div(lib.tensor([4, 5]), 0, rounding_mode="floor"),
              ("ZeroDivisionError",)),
    ErrorCase("div_trunc_bool", lambda lib: lib.div(lib.tensor([True]), lib.tensor([True]), rounding_mode="trunc"),
              ("Bool",)),
    ErrorCase("true_divide_rounding", lambda lib: lib.true_divide(lib.ones(2), 2, rounding_mode="floor"),
              ("rounding_mode",)),
    ErrorCase("sub_bools", lambda lib: lib.tensor([True]) - lib.tensor([False]), ("bool", "logical_xor")),
    ErrorCase("neg_bool", lambda lib: -lib.tensor([True]), ("bool", "logical_not")),
    ErrorCase("reshape_bad_numel", lambda lib: lib.ones(2, 3).reshape(4, 2), ("[4, 2]", "6")),
    ErrorCase("sum_bad_dim", lambda lib: lib.ones(2, 3).sum(5), ("5",)),
    ErrorCase("expand_bad", lambda lib: lib.ones(2, 3).expand(4, 3), ("4", "2")),
    ErrorCase("numpy_with_grad", lambda lib: lib.ones(2, requires_grad=True).numpy(), ("numpy", "detach")),
    ErrorCase("backward_nonscalar", lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(), ("scalar",)),
    ErrorCase("backward_twice", lambda lib: _backward_twice(lib), ("second time",)),
    ErrorCase("inplace_on_leaf", lambda lib: lib.ones(2, requires_grad=True).add_(1), ("leaf",)),
    ErrorCase("modified_saved_tensor", lambda lib: _modified_saved(lib), ("inplace", "version")),
]


def _backward_twice(lib):
    x = lib.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _modified_saved(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
