"""Op table: elementwise math (ops/math.py): unary functions, pow, rounding, min/max, clamp, where, lerp.

Inputs stay inside each op's domain and away from its kinks, where a numerical gradient means
nothing; the subgradients torch picks at the kinks (abs and clamp at the bound, ties of maximum,
pow at 0) are checked against torch on fixed samples (the ``*_at_kinks`` entries, no gradcheck).
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
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
