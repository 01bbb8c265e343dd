"""Op table: elementwise math (ops/math.py): unary functions, pow, rounding, min/max, clamp, where, lerp.

Inputs stay inside each op's domain and away from its kinks, where a numerical gradient means
nothing; the subgradients torch picks at the kinks (abs and clamp at the bound, ties of maximum,
pow at 0) are checked against torch on fixed samples (the ``*_at_kinks`` entries, no gradcheck).
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, NoGrad, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes, shapes
from .core import _binary, _int_quotients, _quotients, _unary, _with_number, choice_arrays, grid_arrays

INTS = ("int32", "int64")
_INTEGERS = tuple(float(k) for k in range(-6, 7))
_HALVES = tuple(k + 0.5 for k in range(-6, 6))


def _fixed(*args, **kwargs):
    """A single fixed sample, in the dtype under test."""
    def strategy(dtype):
        return st.just(Sample(tuple(np.asarray(a, dtype) if isinstance(a, list) else a for a in args), kwargs))
    return strategy


def _unary_float_op(name, low=-3.0, high=3.0, **kw):
    return OpInfo(name, getattr(minigrad, name), getattr(torch, name), _unary(low, high, **kw))


def _int_unary(low=-5, high=5):
    def strategy(dtype):
        lo = 0 if np.dtype(dtype).kind in "ub" else low
        return shapes().flatmap(lambda s: arrays(dtype, s, lo, high)).map(lambda x: Sample((x,)))
    return strategy


def _separated_pair(dtype):
    """Two broadcastable arrays on interleaved grids: never tied, at least 0.05 apart."""
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        grid_arrays(dtype, s[0], offset=0.05), grid_arrays(dtype, s[1]))).map(lambda xy: Sample(xy))


def _pow_number(dtype):
    """x ** p: integer p with any nonzero x; fractional p with positive x."""
    integer = st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, -2.0, 2.0, exclude_near=(0.0,), margin=0.2)),
                        st.sampled_from([0, 1, 2, 3, -1, -2]))
    fractional = st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, 0.3, 2.5)),
                           st.sampled_from([0.5, -0.5, 1.7, -2.5]))
    return st.one_of(integer, fractional).map(lambda a: Sample(a))


def _pow_int(dtype):
    """Integer tensor ** integer tensor, negative exponents included (torch: 0, or +-1 for bases +-1)."""
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], -3, 3), arrays(dtype, s[1], -3, 4))).map(lambda xy: Sample(xy))


def _clamp_numbers(dtype):
    bounds = st.sampled_from([(-1.0, 1.0), (-0.5, None), (None, 0.5), (1.0, -1.0), (0, 2)])
    return st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, exclude_near=(-1.0, -0.5, 0.0, 0.5, 1.0, 2.0))),
                     bounds).map(lambda a: Sample((a[0],), {"min": a[1][0], "max": a[1][1]}))


def _clamp_tensors(which):
    """x, min and max on three interleaved grids (never tied), broadcast to x; min > max happens too.

    (The bounds broadcast to x's shape: torch's backward fails when they would enlarge the output.)
    """
    def strategy(dtype):
        def build(s):
            x = grid_arrays(dtype, np.broadcast_shapes(*s), offset=0.05)
            lo = grid_arrays(dtype, s[1], -2.0, 2.0, offset=0.0)
            hi = grid_arrays(dtype, s[2], -2.0, 2.0, offset=0.025)
            if which == "min":
                return st.tuples(x, lo).map(lambda a: Sample((a[0], a[1])))
            if which == "max":
                return st.tuples(x, hi).map(lambda a: Sample((a[0],), {"max": a[1]}))
            return st.tuples(x, lo, hi).map(lambda a: Sample(a))
        return broadcastable_shapes(3).flatmap(build)
    return strategy


def _where(dtype):
    return broadcastable_shapes(3).flatmap(lambda s: st.tuples(
        arrays(np.bool_, s[0]), arrays(dtype, s[1]), arrays(dtype, s[2]))).map(lambda a: Sample(a))


def _where_number(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(np.bool_, s[0]), arrays(dtype, s[1]), st.sampled_from([0.0, -1.5, 2]))).map(lambda a: Sample(a))


def _lerp(dtype):
    return broadcastable_shapes(3).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0]), arrays(dtype, s[1]), arrays(dtype, s[2], -0.5, 1.5))).map(lambda a: Sample(a))


def _lerp_number(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0]), arrays(dtype, s[1]), st.sampled_from([0.3, 0.7, 1.0, 0.0, -0.25, 1.5]))).map(
        lambda a: Sample(a))


def _round_decimals(dtype):
    """round(x, decimals): values a fixed distance from the rounding boundaries of each decimals."""
    two = shapes().flatmap(lambda s: grid_arrays(dtype, s, step=0.01, offset=0.002)).map(
        lambda x: Sample((x,), {"decimals": 2}))
    minus_one = shapes().flatmap(lambda s: grid_arrays(dtype, s, -40.0, 40.0, step=1.0, offset=0.3)).map(
        lambda x: Sample((x,), {"decimals": -1}))
    return st.one_of(two, minus_one)


def _atan2(dtype):
    """atan2(y, x) with y away from 0: no origin, no branch cut (y = 0, x < 0)."""
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], exclude_near=(0.0,), margin=0.1), arrays(dtype, s[1]))).map(lambda a: Sample(a))


OPS = [
    # exponentials and logarithms (domain kept inside: log of positives, log1p above -1)
    _unary_float_op("exp"),
    _unary_float_op("expm1"),
    _unary_float_op("log", 0.1, 3.0),
    _unary_float_op("log2", 0.1, 3.0),
    _unary_float_op("log10", 0.1, 3.0),
    _unary_float_op("log1p", -0.9, 3.0),
    _unary_float_op("sqrt", 0.1, 3.0),
    _unary_float_op("rsqrt", 0.1, 3.0),
    _unary_float_op("reciprocal", exclude_near=(0.0,), margin=0.2),
    _unary_float_op("square"),
    # trigonometric and hyperbolic
    _unary_float_op("sin"),
    _unary_float_op("cos"),
    _unary_float_op("tan", -1.3, 1.3),
    _unary_float_op("atan"),
    _unary_float_op("sinh"),
    _unary_float_op("cosh"),
    _unary_float_op("tanh"),
    _unary_float_op("sigmoid", -8.0, 8.0),
    _unary_float_op("erf"),
    OpInfo("atan2", minigrad.atan2, torch.atan2, _atan2),
    OpInfo("atan2_at_origin", minigrad.atan2, torch.atan2, _fixed([0.0, 0.0, 1.0], [0.0, -1.0, 0.0]),
           gradcheck=False, gradgrad=False, notes="torch: zero gradient at the origin"),
    # integer and bool inputs of floating ops become the default float
    OpInfo("exp_int", minigrad.exp, torch.exp, _int_unary(), dtypes=INTS + ("bool",), grad=False),
    OpInfo("sqrt_int", minigrad.sqrt, torch.sqrt, _int_unary(0, 9), dtypes=INTS + ("bool",), grad=False),
    OpInfo("sigmoid_int", minigrad.sigmoid, torch.sigmoid, _int_unary(), dtypes=INTS + ("bool",), grad=False),
    OpInfo("erf_int", minigrad.erf, torch.erf, _int_unary(), dtypes=INTS, grad=False),
    OpInfo("atan2_int", minigrad.atan2, torch.atan2, _pow_int, dtypes=INTS, grad=False),
    OpInfo("sigmoid_extremes", minigrad.sigmoid, torch.sigmoid,
           _fixed([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0]), gradcheck=False),
    OpInfo("exp_log_extremes", lambda x: (minigrad.exp(x), minigrad.log(x)), lambda x: (torch.exp(x), torch.log(x)),
           _fixed([-1000.0, -1.0, 0.0, 1000.0, np.inf, np.nan]), grad=False),
    # absolute value, sign and rounding (kinks avoided; their subgradients on fixed samples below)
    _unary_float_op("abs", exclude_near=(0.0,)),
    _unary_float_op("sign", exclude_near=(0.0,)),
    _unary_float_op("floor", exclude_near=_INTEGERS),
    _unary_float_op("ceil", exclude_near=_INTEGERS),
    _unary_float_op("trunc", exclude_near=_INTEGERS),
    _unary_float_op("round", exclude_near=_HALVES),
    OpInfo("round_decimals", minigrad.round, torch.round, _round_decimals),
    OpInfo("round_halves", minigrad.round, torch.round, _fixed([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]), gradcheck=False,
           notes="halves round to even"),
    OpInfo("abs_sign_at_zero", lambda x: (minigrad.abs(x), minigrad.sign(x)), lambda x: (torch.abs(x), torch.sign(x)),
           _fixed([0.0, -0.0, 1.0, np.nan]), gradcheck=False, notes="torch: d|x|/dx = 0 at 0; sign(NaN) = 0"),
    OpInfo("abs_int", minigrad.abs, torch.abs, _int_unary(), dtypes=INTS + ("uint8",), grad=False),
    OpInfo("sign_int", minigrad.sign, torch.sign, _int_unary(), dtypes=INTS + ("uint8", "bool"), grad=False),
    OpInfo("floor_int", lambda x: (minigrad.floor(x), minigrad.ceil(x), minigrad.trunc(x), minigrad.round(x)),
           lambda x: (torch.floor(x), torch.ceil(x), torch.trunc(x), torch.round(x)), _int_unary(), dtypes=INTS,
           grad=False, notes="integers are returned as they are (a copy)"),
    OpInfo("square_int", minigrad.square, torch.square, _int_unary(), dtypes=INTS + ("bool",), grad=False),
    # pow
    OpInfo("pow", minigrad.pow, torch.pow, lambda dtype: broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], 0.5, 2.0), arrays(dtype, s[1], -2.0, 2.0, exclude_near=(0.0,)))).map(lambda a: Sample(a)),
        notes="y = 0 avoided: torch's dz/dx is 0 there, a kink for grad-of-grad"),
    OpInfo("pow_number", minigrad.pow, torch.pow, _pow_number),
    OpInfo("pow_number_base", minigrad.pow, torch.pow, _with_number([2.0, 0.5, 3.7, 1], -2.0, 2.0, number_first=True)),
    OpInfo("pow_int", minigrad.pow, torch.pow, _pow_int, dtypes=INTS, grad=False,
           notes="negative integer exponents (tensors): 0, or +-1 for bases +-1, as torch"),
    OpInfo("pow_int_number", minigrad.pow, torch.pow, _with_number([0, 1, 2, 3, 2.5], -3, 3), dtypes=INTS + ("bool",),
           grad=False),
    OpInfo("pow_at_zero", minigrad.pow, torch.pow, _fixed([0.0, 0.0, 0.0, 0.0, 2.0, -1.0], [0.0, 1.0, 2.0, 0.5, 0.0, 0.5]),
           gradcheck=False, notes="torch: dz/dx = 0 where y = 0; dz/dy = 0 where x = 0 and y >= 0"),
    OpInfo("pow_number_at_zero", lambda x: [minigrad.pow(x, p) for p in (0, 0.5, 1, 2, -1)],
           lambda x: [torch.pow(x, p) for p in (0, 0.5, 1, 2, -1)], _fixed([0.0, 1.0, -1.0]), gradcheck=False),
    OpInfo("pow_zero_base", lambda y: minigrad.pow(0.0, y), lambda y: torch.pow(0.0, y), _fixed([-1.0, 0.0, 0.5, 2.0]),
           gradcheck=False),
    # fmod and remainder (x / y kept away from integers, where both have kinks)
    OpInfo("fmod", minigrad.fmod, torch.fmod, _quotients),
    OpInfo("remainder", minigrad.remainder, torch.remainder, _quotients),
    OpInfo("fmod_number", minigrad.fmod, torch.fmod, _with_number([1.5, -2.5], -6.0, 6.0, exclude_near=tuple(
        k * 0.5 for k in range(-12, 13)), margin=0.02)),
    OpInfo("remainder_number", minigrad.remainder, torch.remainder, _with_number([1.5, -2.5], -6.0, 6.0,
           exclude_near=tuple(k * 0.5 for k in range(-12, 13)), margin=0.02)),
    # number % tensor: 4.2 / y is no integer for y in {+-1.5, +-2.5}
    OpInfo("remainder_number_first", minigrad.remainder, torch.remainder, lambda dtype: shapes().flatmap(
        lambda s: choice_arrays(dtype, s, [1.5, -1.5, 2.5, -2.5])).map(lambda y: Sample((4.2, y))), grad=False,
        notes="torch defines no derivative here: the node is NotImplemented and its backward raises, in both"),
    OpInfo("fmod_int", lambda x, y: (minigrad.fmod(x, y), minigrad.remainder(x, y), x % y),
           lambda x, y: (torch.fmod(x, y), torch.remainder(x, y), x % y), _int_quotients, dtypes=INTS, grad=False),
    # maximum, minimum, clamp
    OpInfo("maximum", minigrad.maximum, torch.maximum, _separated_pair),
    OpInfo("minimum", minigrad.minimum, torch.minimum, _separated_pair),
    OpInfo("maximum_ties", lambda x, y: (minigrad.maximum(x, y), minigrad.minimum(x, y)),
           lambda x, y: (torch.maximum(x, y), torch.minimum(x, y)),
           _fixed([1.0, 2.0, -3.0, np.nan, 0.0], [1.0, 0.0, -3.0, 1.0, np.nan]), gradcheck=False,
           notes="ties: each input gets half the gradient; NaN: both get all of it"),
    OpInfo("maximum_int", lambda x, y: (minigrad.maximum(x, y), minigrad.minimum(x, y)),
           lambda x, y: (torch.maximum(x, y), torch.minimum(x, y)), _binary(-5, 5), dtypes=INTS + ("bool",),
           grad=False),
    OpInfo("clamp", minigrad.clamp, torch.clamp, _clamp_numbers),
    OpInfo("clamp_tensors", minigrad.clamp, torch.clamp, _clamp_tensors("both")),
    OpInfo("clamp_min_tensor", minigrad.clamp, torch.clamp, _clamp_tensors("min")),
    OpInfo("clamp_max_tensor", minigrad.clamp, torch.clamp, _clamp_tensors("max")),
    OpInfo("clip", minigrad.clip, torch.clip, _clamp_numbers),
    OpInfo("clamp_at_bounds", lambda x: [minigrad.clamp(x, 0.0, 1.0), minigrad.clamp(x, 1.0, 0.0),
                                         minigrad.clamp(x, min=0.0), minigrad.clamp(x, max=1.0)],
           lambda x: [torch.clamp(x, 0.0, 1.0), torch.clamp(x, 1.0, 0.0), torch.clamp(x, min=0.0),
                      torch.clamp(x, max=1.0)], _fixed([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), gradcheck=False,
           notes="torch: the gradient passes where min <= x <= max (the bounds included)"),
    OpInfo("clamp_tensors_at_bounds", minigrad.clamp, torch.clamp,
           _fixed([0.0, 1.0, 0.5, 0.5, 3.0, -3.0], [0.0, 0.0, 0.5, 1.0, 2.0, 2.0], [1.0, 1.0, 0.5, 0.0, 1.0, 1.0]),
           gradcheck=False),
    OpInfo("clamp_int", minigrad.clamp, torch.clamp, lambda dtype: _clamp_numbers("float64").map(
        lambda s: Sample((s.args[0].round().astype(dtype),), s.kwargs)), dtypes=INTS, grad=False,
        notes="int input, float bounds: the result is the default float"),
    # where and lerp
    OpInfo("where", minigrad.where, torch.where, _where),
    OpInfo("where_number", minigrad.where, torch.where, _where_number),
    OpInfo("where_numbers", lambda c: [minigrad.where(c, 1.0, 0.0), minigrad.where(c, 1, 0), minigrad.where(c, 2, 0.5)],
           lambda c: [torch.where(c, 1.0, 0.0), torch.where(c, 1, 0), torch.where(c, 2, 0.5)],
           lambda dtype: shapes().flatmap(lambda s: arrays(np.bool_, s)).map(lambda c: Sample((c,))), dtypes=("bool",),
           grad=False),
    OpInfo("lerp", minigrad.lerp, torch.lerp, _lerp),
    OpInfo("lerp_number", minigrad.lerp, torch.lerp, _lerp_number),
]


def _ones(lib, dtype_name, *shape):
    return lib.ones(*shape, dtype=getattr(lib, dtype_name))


ERRORS = [
    ErrorCase("exp_not_tensor", lambda lib: lib.exp(2.0), ("Tensor", "float")),
    ErrorCase("pow_int_negative_number", lambda lib: lib.tensor([2, 3]) ** -1, ("negative",)),
    ErrorCase("pow_bool_tensors", lambda lib: lib.pow(lib.tensor([True]), lib.tensor([True])), ("Bool",)),
    ErrorCase("pow_numbers", lambda lib: lib.pow(2, 3), ("pow",)),
    ErrorCase("pow_broadcast", lambda lib: lib.pow(lib.ones(3), lib.ones(2)), ("3", "2")),
    ErrorCase("abs_bool", lambda lib: lib.abs(lib.tensor([True])), ("Bool",)),
    ErrorCase("floor_bool", lambda lib: lib.floor(lib.tensor([True])), ("Bool",)),
    ErrorCase("round_int_decimals", lambda lib: lib.round(lib.tensor([1, 2]), decimals=1), ("Long",)),
    ErrorCase("fmod_int_by_zero", lambda lib: lib.fmod(lib.tensor([1, 2]), 0), ("ZeroDivisionError",)),
    ErrorCase("remainder_int_by_zero", lambda lib: lib.tensor([1, 2]) % lib.tensor([1, 0]), ("ZeroDivisionError",)),
    ErrorCase("remainder_bool", lambda lib: lib.remainder(lib.tensor([True]), lib.tensor([True])), ("Bool",)),
    ErrorCase("fmod_number_first", lambda lib: lib.fmod(5, lib.ones(2)), ("fmod",)),
    ErrorCase("maximum_number", lambda lib: lib.maximum(lib.ones(2), 2), ("other", "Tensor")),
    ErrorCase("maximum_broadcast", lambda lib: lib.maximum(lib.ones(2, 3), lib.ones(4, 3)), ("2", "4")),
    ErrorCase("atan2_number", lambda lib: lib.atan2(lib.ones(2), 2.0), ("other", "Tensor")),
    ErrorCase("clamp_no_bounds", lambda lib: lib.clamp(lib.ones(2)), ("min", "max")),
    ErrorCase("clamp_mixed_bounds", lambda lib: lib.clamp(lib.ones(2), lib.zeros(2), 1.0), ("clamp",)),
    ErrorCase("clamp_broadcast", lambda lib: lib.clamp(lib.ones(3), lib.zeros(2)), ("3", "2")),
    ErrorCase("clamp_bool", lambda lib: lib.clamp(lib.tensor([True]), False, True), ("Bool",)),
    ErrorCase("where_float_condition", lambda lib: lib.where(lib.ones(2), lib.ones(2), lib.zeros(2)),
              ("boolean", "Float")),
    ErrorCase("where_broadcast", lambda lib: lib.where(lib.ones(2, dtype=lib.bool), lib.ones(3), lib.ones(3)),
              ("2", "3")),
    ErrorCase("lerp_end_dtype", lambda lib: lib.lerp(lib.ones(2), _ones(lib, "float64", 2), 0.5), ("`end`", "double")),
    ErrorCase("lerp_weight_dtype", lambda lib: lib.lerp(lib.ones(2), lib.ones(2), _ones(lib, "float64", 2)),
              ("`weight`", "double")),
    ErrorCase("lerp_int", lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([1, 2]), 0.5), ("Long",)),
    ErrorCase("lerp_number_end", lambda lib: lib.lerp(lib.ones(2), 2.0, 0.5), ("end", "Tensor")),
    ErrorCase("lerp_broadcast", lambda lib: lib.lerp(lib.ones(3), lib.ones(3), lib.ones(2)), ("3", "2")),
]


# -- issue 16: the rest of torch's pointwise math ----------------------------------------------------------
def _binary_range(low, high, low2=None, high2=None, **kw):
    """Two broadcastable arrays, the first in [low, high], the second in [low2, high2]."""
    low2, high2 = (low if low2 is None else low2), (high if high2 is None else high2)

    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
            arrays(dtype, s[0], low, high), arrays(dtype, s[1], low2, high2, **kw))).map(lambda xy: Sample(xy))
    return strategy


def _same_shape_pair(low, high, low2, high2):
    """Two arrays of one shape (for ops whose torch backward cannot reduce a broadcast gradient)."""
    def strategy(dtype):
        return shapes().flatmap(lambda s: st.tuples(arrays(dtype, s, low, high), arrays(dtype, s, low2, high2))).map(
            lambda xy: Sample(xy))
    return strategy


def _three_args(dtype):
    return broadcastable_shapes(3).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0]), arrays(dtype, s[1]), arrays(dtype, s[2], 0.5, 2.0))).map(lambda a: Sample(a))


def _with_kwargs(strategy, **kwargs):
    def build(dtype):
        return strategy(dtype).map(lambda s: Sample(s.args, {**s.kwargs, **kwargs}))
    return build


def _matrix(low=-3.0, high=3.0, **kw):
    def strategy(dtype):
        return shapes(min_dims=2, max_dims=3, min_side=1).flatmap(lambda s: arrays(dtype, s, low, high, **kw)).map(
            lambda x: Sample((x,)))
    return strategy


def _renorm(dtype):
    return st.tuples(_matrix(exclude_near=(0.0,), margin=0.05)(dtype), st.sampled_from([1.0, 2.0, 3.0, float("inf")]),
                     st.integers(-2, 1), st.sampled_from([0.5, 1.0, 4.0])).map(
        lambda a: Sample((a[0].args[0], a[1], a[2], a[3])))


def _dist(dtype):
    """Differences at least 0.05 from 0 (the kink of |d|), a norm away from 0."""
    nonempty = _separated_pair(dtype).filter(lambda s: np.broadcast(*s.args).size)   # empty: torch's 0/0 in gradgrad
    return st.tuples(nonempty, st.sampled_from([1, 2, 3, 1.5])).map(
        lambda a: Sample(a[0].args, {"p": a[1]}))


def _nonzero_pair(dtype):
    return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
        arrays(dtype, s[0], exclude_near=(0.0,), margin=0.05), arrays(dtype, s[1], exclude_near=(0.0,), margin=0.05))
    ).map(lambda xy: Sample(xy))


def _no_grad_first(low, high, low2, high2):
    """(a, x) for igamma: a without grad (torch has no derivative in a)."""
    def strategy(dtype):
        return broadcastable_shapes(2).flatmap(lambda s: st.tuples(
            arrays(dtype, s[0], low, high), arrays(dtype, s[1], low2, high2))).map(
            lambda ax: Sample((NoGrad(ax[0]), ax[1])))
    return strategy


_SPECIAL_VALUES = [-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan]


def _test_values(dtype):
    return shapes().flatmap(lambda s: choice_arrays(dtype, s, _SPECIAL_VALUES)).map(lambda x: Sample((x,)))


def _int_pairs(dtype):
    return _binary(-12, 12)(dtype)


def _isin(dtype):
    return st.tuples(shapes().flatmap(lambda s: arrays(dtype, s, -5, 5)),
                     shapes(max_dims=1).flatmap(lambda s: arrays(dtype, s, -5, 5)), st.booleans()).map(
        lambda a: Sample((a[0], a[1]), {"invert": a[2]}))


MORE_OPS = [
    _unary_float_op("acos", -0.9, 0.9),
    _unary_float_op("asin", -0.9, 0.9),
    _unary_float_op("acosh", 1.1, 4.0),
    _unary_float_op("asinh"),
    _unary_float_op("atanh", -0.9, 0.9),
    _unary_float_op("exp2"),
    _unary_float_op("erfc"),
    _unary_float_op("erfinv", -0.9, 0.9),
    _unary_float_op("logit", 0.05, 0.95),
    OpInfo("logit_eps", lambda x: minigrad.logit(x, eps=0.2), lambda x: torch.logit(x, eps=0.2),
           _unary(0.02, 0.98, exclude_near=(0.2, 0.8), margin=0.02)),
    _unary_float_op("sinc", exclude_near=(0.0,), margin=0.05),
    OpInfo("sinc_at_zero", minigrad.sinc, torch.sinc, _fixed([0.0, 1.0, -0.5]), gradcheck=False, gradgrad=False,
           notes="dz/dx = 0 at x = 0, as torch"),
    _unary_float_op("deg2rad"),
    _unary_float_op("rad2deg"),
    _unary_float_op("frac", exclude_near=_INTEGERS),
    _unary_float_op("sgn", exclude_near=(0.0,)),
    _unary_float_op("positive"),
    _unary_float_op("digamma", 0.2, 5.0),
    OpInfo("digamma_below_zero", minigrad.digamma, torch.digamma, _unary(-2.7, -0.3, exclude_near=(-1.0, -2.0),
                                                                        margin=0.3)),
    _unary_float_op("lgamma", 0.2, 5.0),
    _unary_float_op("i0"),
    OpInfo("nan_to_num", minigrad.nan_to_num, torch.nan_to_num, _unary()),
    OpInfo("nan_to_num_values", lambda x: [minigrad.nan_to_num(x), minigrad.nan_to_num(x, 1.5, 2.0, -3.0)],
           lambda x: [torch.nan_to_num(x), torch.nan_to_num(x, 1.5, 2.0, -3.0)], _test_values, gradcheck=False),
    OpInfo("polygamma", lambda x: [minigrad.polygamma(n, x) for n in (0, 1, 2, 3)],
           lambda x: [torch.polygamma(n, x) for n in (0, 1, 2, 3)], _unary(0.3, 4.0)),
    OpInfo("mvlgamma", lambda x: [minigrad.mvlgamma(x, p) for p in (1, 3)],
           lambda x: [torch.mvlgamma(x, p) for p in (1, 3)], _unary(1.2, 4.0)),
    OpInfo("unary_int_to_float", lambda x: [f(x) for f in (minigrad.acos, minigrad.exp2, minigrad.erfinv, minigrad.sinc,
                                                         minigrad.deg2rad, minigrad.digamma, minigrad.i0, minigrad.logit)],
           lambda x: [f(x) for f in (torch.acos, torch.exp2, torch.erfinv, torch.sinc, torch.deg2rad, torch.digamma,
                                     torch.i0, torch.logit)], _int_unary(-1, 1), dtypes=INTS + ("bool",), grad=False),
    OpInfo("value_tests", lambda x: [minigrad.signbit(x), minigrad.isposinf(x), minigrad.isneginf(x), minigrad.isreal(x),
                                     minigrad.sgn(x)],
           lambda x: [torch.signbit(x), torch.isposinf(x), torch.isneginf(x), torch.isreal(x), torch.sgn(x)],
           _test_values, grad=False),
    OpInfo("value_tests_int", lambda x: [minigrad.signbit(x), minigrad.isposinf(x), minigrad.isneginf(x),
                                         minigrad.isreal(x), minigrad.sgn(x), minigrad.nan_to_num(x)],
           lambda x: [torch.signbit(x), torch.isposinf(x), torch.isneginf(x), torch.isreal(x), torch.sgn(x),
                      torch.nan_to_num(x)], _int_unary(), dtypes=INTS, grad=False),
    OpInfo("isin", minigrad.isin, torch.isin, _isin, dtypes=INTS + ("float32",), grad=False),
    # binary
    OpInfo("hypot", minigrad.hypot, torch.hypot, _binary(exclude_near=(0.0,), margin=0.1)),
    OpInfo("logaddexp", minigrad.logaddexp, torch.logaddexp, _binary()),
    OpInfo("logaddexp2", minigrad.logaddexp2, torch.logaddexp2, _binary()),
    OpInfo("nextafter", minigrad.nextafter, torch.nextafter, _binary(), gradcheck=False,
           notes="dz/dx = 1 (torch's), where the numerical derivative of a one-ulp step is meaningless"),
    OpInfo("xlogy", minigrad.xlogy, torch.xlogy, _binary_range(-2.0, 2.0, 0.2, 3.0)),
    OpInfo("xlogy_number", minigrad.xlogy, torch.xlogy, _with_number([2.0, 0.5, 3], 0.2, 3.0)),
    OpInfo("xlogy_number_first", minigrad.xlogy, torch.xlogy, _with_number([2.0, 0, 3], 0.2, 3.0, number_first=True)),
    OpInfo("xlogy_at_zero", minigrad.xlogy, torch.xlogy, _fixed([0.0, 0.0, 0.0, 1.0], [0.0, np.nan, 2.0, 0.0]),
           gradcheck=False, notes="0 log y = 0 unless y is NaN"),
    OpInfo("copysign", minigrad.copysign, torch.copysign, _nonzero_pair),
    OpInfo("copysign_number", minigrad.copysign, torch.copysign, _with_number([-1.0, 2, -0.0, 0.0],
                                                                              exclude_near=(0.0,), margin=0.05)),
    OpInfo("copysign_zeros", minigrad.copysign, torch.copysign, _fixed([0.0, -0.0, 1.0, 2.0], [-1.0, 1.0, -0.0, np.nan]),
           gradcheck=False, gradgrad=False, notes="dz/dx = 0 where x = 0, as torch"),
    OpInfo("ldexp", minigrad.ldexp, torch.ldexp, _binary()),
    OpInfo("ldexp_int_exponent", minigrad.ldexp, torch.ldexp,
           lambda dtype: broadcastable_shapes(2).flatmap(lambda s: st.tuples(arrays(dtype, s[0]), arrays(
               np.int64, s[1], -3, 3))).map(lambda a: Sample(a)), gradcheck=False,
           notes="torch's dz/dx = 2^e is an integer power: 0 for negative integer e"),
    OpInfo("frexp", minigrad.frexp, torch.frexp, _unary(-50.0, 50.0), gradgrad=False, gradcheck=False,
           notes="the mantissa jumps at powers of two; its gradient 2^-exponent is compared with torch's"),
    OpInfo("float_power", minigrad.float_power, torch.float_power, _binary_range(0.5, 2.0, -2.0, 2.0,
                                                                                 exclude_near=(0.0,), margin=0.1)),
    OpInfo("float_power_number", minigrad.float_power, torch.float_power, _with_number([2, -1.5, 0.5], 0.5, 2.0)),
    OpInfo("float_power_int", minigrad.float_power, torch.float_power, _pow_int, dtypes=INTS, grad=False),
    OpInfo("fmax", minigrad.fmax, torch.fmax, _separated_pair),
    OpInfo("fmin", minigrad.fmin, torch.fmin, _separated_pair),
    OpInfo("fmax_nan_ties", lambda x, y: (minigrad.fmax(x, y), minigrad.fmin(x, y)),
           lambda x, y: (torch.fmax(x, y), torch.fmin(x, y)), _fixed([1.0, np.nan, 2.0, np.nan], [1.0, 3.0, np.nan, np.nan]),
           gradcheck=False, notes="NaN loses to a number; ties: the gradient goes to input"),
    OpInfo("fmax_int", lambda x, y: (minigrad.fmax(x, y), minigrad.fmin(x, y)),
           lambda x, y: (torch.fmax(x, y), torch.fmin(x, y)), _binary(-5, 5), dtypes=INTS, grad=False),
    OpInfo("gcd_lcm", lambda x, y: (minigrad.gcd(x, y), minigrad.lcm(x, y)), lambda x, y: (torch.gcd(x, y), torch.lcm(x, y)),
           _int_pairs, dtypes=INTS, grad=False),
    OpInfo("heaviside", minigrad.heaviside, torch.heaviside, _fixed([-1.0, 0.0, 2.0, -0.0, np.nan], [0.5, 0.25, 3.0, 7.0, 1.0]),
           grad=False, notes="no derivative (torch's backward raises)"),
    OpInfo("igamma", minigrad.igamma, torch.igamma, _no_grad_first(0.5, 4.0, 0.1, 6.0), gradgrad=False,
           notes="no derivative in a (torch raises)"),
    OpInfo("igammac", minigrad.igammac, torch.igammac, _no_grad_first(0.5, 4.0, 0.1, 6.0), gradgrad=False),
    OpInfo("igamma_values", lambda a, x: (minigrad.igamma(a, x), minigrad.igammac(a, x)),
           lambda a, x: (torch.igamma(a, x), torch.igammac(a, x)),
           _fixed([0.0, 0.5, 1.0, 3.0, 30.0, 200.0, 2.0, 1.0], [1.0, 0.0, np.inf, 2.5, 25.0, 210.0, 40.0, 1e-3]),
           grad=False),
    # fused multiply-adds, one-sided clamps, rsub, dist, renorm
    OpInfo("addcmul", lambda x, a, b: minigrad.addcmul(x, a, b, value=0.5),
           lambda x, a, b: torch.addcmul(x, a, b, value=0.5), _three_args),
    OpInfo("addcdiv", lambda x, a, b: minigrad.addcdiv(x, a, b, value=-2),
           lambda x, a, b: torch.addcdiv(x, a, b, value=-2), _three_args),
    OpInfo("addcmul_int", minigrad.addcmul, torch.addcmul, lambda dtype: _three_args("float64").map(
        lambda s: Sample(tuple(a.round().astype(dtype) for a in s.args), {"value": 2.7})), dtypes=INTS, grad=False,
        notes="a float value is truncated for integer tensors, as torch"),
    OpInfo("clamp_min", lambda x: minigrad.clamp_min(x, 0.5), lambda x: torch.clamp_min(x, 0.5),
           _unary(exclude_near=(0.5,))),
    OpInfo("clamp_max", lambda x: minigrad.clamp_max(x, -0.5), lambda x: torch.clamp_max(x, -0.5),
           _unary(exclude_near=(-0.5,))),
    OpInfo("clamp_min_tensors", minigrad.clamp_min, torch.clamp_min, _clamp_tensors("min")),
    OpInfo("clamp_max_tensors", lambda x, m: minigrad.clamp_max(x, m), lambda x, m: torch.clamp_max(x, m),
           _clamp_tensors("min")),
    OpInfo("rsub", minigrad.rsub, torch.rsub, _binary()),
    OpInfo("rsub_alpha", lambda x, y: minigrad.rsub(x, y, alpha=2.5), lambda x, y: torch.rsub(x, y, alpha=2.5),
           _binary()),
    OpInfo("rsub_number_first", lambda x: minigrad.rsub(x, 2), lambda x: torch.rsub(x, 2), _unary()),
    OpInfo("rdiv", lambda x: x.__rdiv__(2.5), lambda x: x.__rdiv__(2.5), _unary(0.5, 3.0)),
    OpInfo("dist", minigrad.dist, torch.dist, _dist),
    OpInfo("dist_empty", lambda x, y: minigrad.dist(x, y, 0), lambda x, y: torch.dist(x, y, 0),
           _fixed(np.zeros((0, 2)), np.zeros((0, 2))), grad=False),
    OpInfo("dist_inf", lambda x, y: (minigrad.dist(x, y, float("inf")), minigrad.dist(x, y, 0)),
           lambda x, y: (torch.dist(x, y, float("inf")), torch.dist(x, y, 0)), lambda dtype: _separated_pair(dtype).filter(
               lambda s: np.broadcast(*s.args).size), grad=False),
    OpInfo("renorm", minigrad.renorm, torch.renorm, _renorm),
    OpInfo("bit_shifts", lambda x, y: (x << y, x >> y, minigrad.bitwise_left_shift(x, 2), minigrad.bitwise_right_shift(x, 1)),
           lambda x, y: (x << y, x >> y, torch.bitwise_left_shift(x, 2), torch.bitwise_right_shift(x, 1)),
           lambda dtype: broadcastable_shapes(2).flatmap(lambda s: st.tuples(
               arrays(dtype, s[0], 0 if dtype == "uint8" else -50, 50), arrays(dtype, s[1], 0, 5))).map(
               lambda a: Sample(a)),
           dtypes=INTS + ("uint8",), grad=False),
]

OPS += MORE_OPS

ERRORS += [
    ErrorCase("frac_int", lambda lib: lib.frac(lib.tensor([1, 2])), ("Long",)),
    ErrorCase("hypot_number", lambda lib: lib.hypot(lib.ones(2), 2.0), ("other", "Tensor")),
    ErrorCase("hypot_int", lambda lib: lib.hypot(lib.tensor([1]), lib.tensor([2])), ("hypot", "Long")),
    ErrorCase("logaddexp_int", lambda lib: lib.logaddexp(lib.tensor([1]), lib.tensor([2])), ("Long",)),
    ErrorCase("nextafter_int", lambda lib: lib.nextafter(lib.tensor([1]), lib.tensor([2])), ("Long",)),
    ErrorCase("heaviside_dtypes", lambda lib: lib.heaviside(lib.tensor([1]), lib.ones(1)), ("different dtypes",)),
    ErrorCase("heaviside_backward", lambda lib: lib.heaviside(lib.ones(2, requires_grad=True), lib.ones(2)).sum().backward(),
              ("heaviside",)),
    ErrorCase("frexp_int", lambda lib: lib.frexp(lib.tensor([1, 2])), ("floating-point",)),
    ErrorCase("gcd_float", lambda lib: lib.gcd(lib.ones(2), lib.ones(2)), ("gcd", "Float")),
    ErrorCase("lcm_number", lambda lib: lib.lcm(lib.tensor([2]), 3), ("other", "Tensor")),
    ErrorCase("addcdiv_int", lambda lib: lib.addcdiv(lib.tensor([1]), lib.tensor([1]), lib.tensor([2])),
              ("Integer division",)),
    ErrorCase("addcmul_broadcast", lambda lib: lib.addcmul(lib.ones(3), lib.ones(2), lib.ones(3)), ("3", "2")),
    ErrorCase("addcmul_bool", lambda lib: lib.addcmul(lib.tensor([True]), lib.tensor([True]), lib.tensor([True])),
              ("Bool",)),
    ErrorCase("polygamma_negative", lambda lib: lib.polygamma(-1, lib.ones(2)), ("negative n",)),
    ErrorCase("igamma_grad_input", lambda lib: lib.igamma(lib.ones(2, requires_grad=True), lib.ones(2)).sum().backward(),
              ("igamma: input",)),
    ErrorCase("renorm_1d", lambda lib: lib.renorm(lib.ones(3), 2, 0, 1.0), ("2 dimensions",)),
    ErrorCase("renorm_p", lambda lib: lib.renorm(lib.ones(3, 2), 0, 0, 1.0), ("non-positive",)),
    ErrorCase("renorm_maxnorm", lambda lib: lib.renorm(lib.ones(3, 2), 2, 0, -1.0), ("maxnorm",)),
    ErrorCase("positive_bool", lambda lib: lib.positive(lib.tensor([True])), ("bool",)),
    ErrorCase("ldexp_number", lambda lib: lib.ldexp(lib.ones(2), 2), ("other", "Tensor")),
    ErrorCase("acos_not_tensor", lambda lib: lib.acos(0.5), ("Tensor", "float")),
]
