"""Comparisons, logical and bitwise ops, and the tests of values (isnan, allclose...). No gradients.

Operands are promoted to their common dtype before comparing, as torch does (an int32 tensor is
compared with 2.5 in float32, not float64), and a Python int beyond an integer tensor's range wraps
around to that dtype first, as torch casts it.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, broadcast_shape
from .math import not_implemented

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
           "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf", "isfinite", "isclose",
           "allclose", "equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift"]


class Elementwise(Op):
    """z = f(x, ...) for a NumPy ufunc f with a bool or integer result;  no gradient"""

    differentiable = False

    @staticmethod
    def forward(ctx, ufunc, *arrays):
        return ufunc(*arrays)


def _operands(name: str, input, other, *, first_may_be_number=False):
    """The arrays to compare: ``input`` and ``other`` (a tensor or a number) in their common dtype."""
    if not isinstance(input, Tensor):
        if first_may_be_number and isinstance(other, Tensor) and isinstance(input, (bool, int, float)):
            y, x = _operands(name, other, input)
            return x, y
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected (Tensor input, Tensor other) or "
                        f"(Tensor input, Number other)")
    x = input._data
    if isinstance(other, Tensor):
        y = other._data
        if x.dtype != y.dtype:
            d = dtypes.result_type(input, other).np
            x, y = x.astype(d, copy=False), y.astype(d, copy=False)
        if x.shape != y.shape:
            broadcast_shape(x.shape, y.shape)
        return x, y
    if isinstance(other, np.generic):
        other = other.item()
    if not isinstance(other, (bool, int, float)):
        if isinstance(other, np.ndarray) or hasattr(other, "__cuda_array_interface__"):
            return _operands(name, input, Tensor._make(other))
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(other).__name__}), but expected (Tensor input, Tensor other) or "
                        f"(Tensor input, Number other)")
    dtypes.check_python_int(other)
    kind = x.dtype.kind
    if type(other) is float and kind in "biu":
        x = x.astype(dtypes.get_default_dtype().np)  # int tensor vs float number: compared in the default float
    elif type(other) is int and kind in "iu":
        other = dtypes.wrap_int(other, x.dtype)
    elif type(other) is int and kind == "b":
        dtypes.check_int_joins_bool(other)
        x = x.astype(np.int64)
    return x, other


def _compare(ufunc, name, input, other):
    x, y = _operands(name, input, other)
    if x.dtype.kind == "c" and ufunc is not np.equal and ufunc is not np.not_equal:   # complex numbers have no order
        raise not_implemented(f"{name}_cpu", x)
    return Elementwise.apply(ufunc, x, y)


def eq(input, other):
    return _compare(np.equal, "eq", input, other)


def ne(input, other):
    return _compare(np.not_equal, "ne", input, other)


def lt(input, other):
    return _compare(np.less, "lt", input, other)


def le(input, other):
    return _compare(np.less_equal, "le", input, other)


def gt(input, other):
    return _compare(np.greater, "gt", input, other)


def ge(input, other):
    return _compare(np.greater_equal, "ge", input, other)


# torch's aliases
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# -- logical ----------------------------------------------------------------------------------------
def _tensors(name, input, other):
    for pos, (arg, t) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(t).__name__}")
    if input._data.shape != other._data.shape:
        broadcast_shape(input._data.shape, other._data.shape)
    return input._data, other._data


def logical_and(input, other):
    return Elementwise.apply(np.logical_and, *_tensors("logical_and", input, other))


def logical_or(input, other):
    return Elementwise.apply(np.logical_or, *_tensors("logical_or", input, other))


def logical_xor(input, other):
    return Elementwise.apply(np.logical_xor, *_tensors("logical_xor", input, other))


def logical_not(input):
    return Elementwise.apply(np.logical_not, _tensor(input, "logical_not"))


def _tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data


# -- bitwise: integers and bools (on bools, the logical ops) ----------------------------------------
def _bitwise(ufunc, name, input, other):
    x, y = _operands(name, input, other, first_may_be_number=True)
    for v in (x, y):
        if hasattr(v, "shape") and v.dtype.kind not in "biu":
            raise not_implemented(f"{name}_cpu", v)
    return Elementwise.apply(ufunc, x, y)


def bitwise_and(input, other):
    return _bitwise(np.bitwise_and, "bitwise_and", input, other)


def bitwise_or(input, other):
    return _bitwise(np.bitwise_or, "bitwise_or", input, other)


def bitwise_xor(input, other):
    return _bitwise(np.bitwise_xor, "bitwise_xor", input, other)


def _shift_operands(name, input, other):
    """Both operands of a shift as arrays of their common integer dtype (bool alone is not shifted)."""
    x, y = _operands(name, input, other, first_may_be_number=True)
    dt = (x if hasattr(x, "dtype") else y).dtype
    if dt.kind not in "iu":
        raise not_implemented(f"{name}_cpu", np.empty(0, dt))
    return np.asarray(x, dt) if not hasattr(x, "dtype") else x, np.asarray(y, dt) if not hasattr(y, "dtype") else y


def _left_shift(x, y):
    """x << y with torch's rule for shifts beyond the width: 0 when y < 0 or y >= bits."""
    bits = x.dtype.itemsize * 8
    out = np.left_shift(x, np.clip(y, 0, bits - 1).astype(x.dtype, copy=False))
    return np.where((y < 0) | (y >= bits), x.dtype.type(0), out).astype(x.dtype, copy=False)


def _right_shift(x, y):
    """x >> y with torch's rule for shifts beyond the width: the sign fill (0 or -1) when y < 0 or
    y >= the number of value bits."""
    signed = x.dtype.kind == "i"
    max_shift = x.dtype.itemsize * 8 - signed
    out = np.right_shift(x, np.clip(y, 0, max_shift - 1).astype(x.dtype, copy=False))
    fill = np.right_shift(x, max_shift) if signed else x.dtype.type(0)
    return np.where((y < 0) | (y >= max_shift), fill, out).astype(x.dtype, copy=False)


def bitwise_left_shift(input, other):
    """``input << other`` in the operands' common integer dtype (bits shifted past the width are lost)."""
    x, y = _shift_operands("lshift", input, other)
    return Elementwise.apply(_left_shift, x, y)


def bitwise_right_shift(input, other):
    """``input >> other``: an arithmetic shift for signed dtypes, a logical one for uint8."""
    x, y = _shift_operands("rshift", input, other)
    return Elementwise.apply(_right_shift, x, y)


def bitwise_not(input):
    x = _tensor(input, "bitwise_not")
    if x.dtype.kind not in "biu":
        raise not_implemented("bitwise_not_cpu", x)
    return Elementwise.apply(np.invert, x)


# -- tests of values --------------------------------------------------------------------------------
def isnan(input):
    return Elementwise.apply(np.isnan, _tensor(input, "isnan"))


def isinf(input):
    return Elementwise.apply(np.isinf, _tensor(input, "isinf"))


def isfinite(input):
    return Elementwise.apply(np.isfinite, _tensor(input, "isfinite"))


def _isclose(x, y, rtol, atol, equal_nan):
    """torch.isclose on arrays of one dtype: |x - y| <= atol + rtol |y|, or equal (infinities too)."""
    close = x == y
    if not dtypes.is_inexact(x.dtype):
        if x.dtype == np.bool_ or (rtol == 0 and atol == 0):
            return close
        x, y = x.astype(np.float64), y.astype(np.float64)
    elif equal_nan:
        close = close | (np.isnan(x) & np.isnan(y))
    error = np.abs(x - y)
    return close | (np.isfinite(error) & (error <= atol + rtol * np.abs(y)))


def _close_args(name, input, other, rtol, atol):
    x, y = _tensors(name, input, other)
    if x.dtype != y.dtype:
        raise RuntimeError(f"{dtypes.SCALAR_NAMES[x.dtype.name]} did not match {dtypes.SCALAR_NAMES[y.dtype.name]}")
    if rtol < 0:
        raise RuntimeError(f"{name}(): rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"{name}(): atol must be greater than or equal to zero, but got {atol}")
    return x, y


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    x, y = _close_args("isclose", input, other, rtol, atol)
    out = _isclose(x, y, rtol, atol, equal_nan)
    return Tensor._make(out if hasattr(out, '__cuda_array_interface__') else np.asarray(out))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    x, y = _close_args("allclose", input, other, rtol, atol)
    return bool(np.all(_isclose(x, y, rtol, atol, equal_nan)))


def equal(input, other) -> bool:
    """True if both tensors have the same shape and the same values (NaN is not equal to itself)."""
    x = _tensor(input, "equal")
    if not isinstance(other, Tensor):
        raise TypeError(f"equal(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    y = other._data
    if x.shape != y.shape:
        return False
    if x.dtype != y.dtype:
        d = dtypes.result_type(input, other).np
        x, y = x.astype(d, copy=False), y.astype(d, copy=False)
    return bool(np.array_equal(x, y))
