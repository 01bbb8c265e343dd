"""Elementwise math: unary functions, pow, rounding, fmod/remainder, maximum/minimum, clamp, where, lerp.

Each op is a class whose docstring states its derivative; backward is written in minigrad ops so
that it can itself be differentiated. Broadcasting and dtype casts of gradients are undone by the
engine. Floating-point functions give integer and bool inputs the default float dtype, as torch does.

NumPy's floating-point warnings (log(0), 0/0, overflow in exp...) are silenced for minigrad's ops,
which return inf and nan as torch does, silently; see the filter at the end of this module.
"""
from __future__ import annotations

import builtins as _builtins  # this module's abs, pow and round shadow the builtins
import math
import warnings

import numpy as np

from .. import dtypes
from ..device import check_same_device
from ._util import Op, overload, Tensor, broadcast_shape, promote
from .elementwise import div

__all__ = [
    "pow", "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "round", "trunc", "fmod", "remainder",
    "maximum", "minimum", "clamp", "clip", "where", "lerp", "exp", "expm1", "log", "log2", "log10", "log1p",
    "sqrt", "rsqrt", "square", "sin", "cos", "tan", "atan", "arctan", "atan2", "arctan2", "sinh", "cosh",
    "tanh", "sigmoid", "erf",
]


def not_implemented(kernel: str, array) -> NotImplementedError:
    """torch's error for a dtype an op has no kernel for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtypes.SCALAR_NAMES[array.dtype.name]}\'')


def _tensor_arg(x, name: str, position: int = 1, arg: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(x).__name__}")


def _float_input(x, name: str) -> Tensor:
    """The input of a floating-point function: a Tensor, integers and bools cast to the default float."""
    try:
        kind = x._data.dtype.kind
    except AttributeError:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}") from None
    return x if kind in "fc" else x.to(dtypes.get_default_dtype())


def unary_float(op):
    """The public function of a floating-point unary Op (``exp = unary_float(Exp)``): integer and
    bool inputs become the default float dtype, as in torch; the name is the Op's, in lower case."""
    name = op.__name__.lower()

    def function(input):
        return op.apply(_float_input(input, name))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    return function


def _zeros_like(g: Tensor) -> Tensor:
    """The gradient of a piecewise-constant op (sign, floor, rounded division): zeros, as in torch."""
    return Tensor._make(np.zeros_like(g._data))


# -- exponentials and logarithms ---------------------------------------------------------------
class Exp(Op):
    """z = exp(x);  dz/dx = z"""

    @staticmethod
    def forward(ctx, x):
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * z


exp = unary_float(Exp)


class Expm1(Op):
    """z = exp(x) - 1;  dz/dx = z + 1"""

    @staticmethod
    def forward(ctx, x):
        z = np.expm1(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (z + 1)


expm1 = unary_float(Expm1)


class Log(Op):
    """z = log(x);  dz/dx = 1/x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


log = unary_float(Log)


class Log2(Op):
    """z = log2(x);  dz/dx = 1/(x ln 2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(2.0))


log2 = unary_float(Log2)


class Log10(Op):
    """z = log10(x);  dz/dx = 1/(x ln 10)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(10.0))


log10 = unary_float(Log10)


class Log1p(Op):
    """z = log(1 + x);  dz/dx = 1/(x + 1)"""

    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


log1p = unary_float(Log1p)


class Sqrt(Op):
    """z = sqrt(x);  dz/dx = 1/(2z)"""

    @staticmethod
    def forward(ctx, x):
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g / (2 * z)


sqrt = unary_float(Sqrt)


class Rsqrt(Op):
    """z = 1/sqrt(x);  dz/dx = -z^3/2"""

    @staticmethod
    def forward(ctx, x):
        z = 1 / np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return -0.5 * g * pow(z, 3)


rsqrt = unary_float(Rsqrt)


class Reciprocal(Op):
    """z = 1/x;  dz/dx = -z^2"""

    @staticmethod
    def forward(ctx, x):
        z = 1 / x
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return -g * (z * z)


reciprocal = unary_float(Reciprocal)


class Square(Op):
    """z = x^2;  dz/dx = 2x"""

    node_name = "PowBackward0"  # torch's square is pow(x, 2)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 * x)


def square(input):
    input = _tensor_arg(input, "square")
    if input._data.dtype == np.bool_:
        return pow(input, 2)  # torch: bool ** 2 is int64
    return Square.apply(input)


# -- trigonometric and hyperbolic ----------------------------------------------------------------
class Sin(Op):
    """z = sin(x);  dz/dx = cos(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cos(x)


sin = unary_float(Sin)


class Cos(Op):
    """z = cos(x);  dz/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * -sin(x)


cos = unary_float(Cos)


class Tan(Op):
    """z = tan(x);  dz/dx = 1 + z^2"""

    @staticmethod
    def forward(ctx, x):
        z = np.tan(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 + z * z)


tan = unary_float(Tan)


class Atan(Op):
    """z = atan(x);  dz/dx = 1/(1 + x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * x + 1)


atan = unary_float(Atan)
arctan = atan  # torch's alias


class Atan2(Op):
    """z = atan2(y, x);  dz/dy = x/(x^2 + y^2),  dz/dx = -y/(x^2 + y^2)  (both 0 at the origin, as torch)"""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        recip = where(r2 == 0, 0.0, reciprocal(r2))
        return (g * x * recip if ctx.needs_input_grad[0] else None,
                g * -y * recip if ctx.needs_input_grad[1] else None)


def atan2(input, other):
    _tensor_arg(input, "atan2")
    _tensor_arg(other, "atan2", 2, "other")
    return Atan2.apply(*promote(input, other, to_float=True))


arctan2 = atan2  # torch's alias


class Sinh(Op):
    """z = sinh(x);  dz/dx = cosh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cosh(x)


sinh = unary_float(Sinh)


class Cosh(Op):
    """z = cosh(x);  dz/dx = sinh(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sinh(x)


cosh = unary_float(Cosh)


class Tanh(Op):
    """z = tanh(x);  dz/dx = 1 - z^2"""

    @staticmethod
    def forward(ctx, x):
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 - z * z)


tanh = unary_float(Tanh)


class Sigmoid(Op):
    """z = 1/(1 + exp(-x));  dz/dx = z(1 - z)"""

    @staticmethod
    def forward(ctx, x):
        # torch's 1/(1 + exp(-x)), with exp's argument capped so that it never overflows (at the cap,
        # sigmoid is already below the smallest normal number); half is computed in float32, as in torch
        xc = x.astype(np.float32) if x.dtype == np.float16 else x
        z = (1 / (1 + np.exp(np.minimum(-xc, _EXP_CAP[xc.dtype])))).astype(x.dtype, copy=False)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 - z) * z


_EXP_CAP = {np.dtype(np.float32): 88.0, np.dtype(np.float64): 709.0}  # the largest whole x with exp(x) finite


sigmoid = unary_float(Sigmoid)


class Erf(Op):
    """z = erf(x);  dz/dx = 2/sqrt(pi) exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_kernel(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi) * exp(-(x * x)))


erf = unary_float(Erf)


_erf_ufunc = None


def _erf_kernel(x):
    """erf elementwise: a Numba ufunc over math.erf (NumPy has none), compiled on first use and cached."""
    global _erf_ufunc
    if not isinstance(x, np.ndarray):
        from cupyx.scipy.special import erf as cupy_erf
        return cupy_erf(x)
    if _erf_ufunc is None:
        import numba  # imported here: numba takes a second to import and most programs never call erf

        @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
        def erf_ufunc(v):
            return math.erf(v)
        _erf_ufunc = erf_ufunc
    if x.dtype == np.float16:
        return _erf_ufunc(x.astype(np.float32)).astype(np.float16)
    return _erf_ufunc(x)


# -- absolute value, sign, rounding --------------------------------------------------------------
class _Step(Op):
    """A piecewise-constant op: its gradient is zero (torch returns zeros, not None)."""

    @staticmethod
    def backward(ctx, g):
        return _zeros_like(g)


def _rounding_arg(input, name):
    input = _tensor_arg(input, name)
    if input._data.dtype == np.bool_:
        raise not_implemented(f"{name}_vml_cpu", input._data)
    return input


class Floor(_Step):
    """z = floor(x);  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x) if x.dtype.kind == "f" else x.copy()  # integers are already whole


def floor(input):
    return Floor.apply(_rounding_arg(input, "floor"))


class Ceil(_Step):
    """z = ceil(x);  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x) if x.dtype.kind == "f" else x.copy()


def ceil(input):
    return Ceil.apply(_rounding_arg(input, "ceil"))


class Trunc(_Step):
    """z = trunc(x);  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.trunc(x) if x.dtype.kind == "f" else x.copy()


def trunc(input):
    return Trunc.apply(_rounding_arg(input, "trunc"))


class Round(_Step):
    """z = round(x, decimals), halves to even;  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x, decimals):
        if x.dtype.kind != "f":
            return x.copy()
        if decimals == 0:
            return np.rint(x)
        # torch's formula, in the input's precision: rint(x * 10^d) / 10^d, or rint(x / 10^-d) * 10^-d
        scale = x.dtype.type(10.0 ** _builtins.abs(decimals))
        return np.rint(x * scale) / scale if decimals > 0 else np.rint(x / scale) * scale


def round(input, *, decimals=0):
    """Round half to even; ``decimals`` as torch (negative: to tens, hundreds...)."""
    input = _rounding_arg(input, "round")
    if decimals != 0 and input._data.dtype.kind != "f":
        raise not_implemented("round_cpu", input._data)
    return overload(Round.apply(input, decimals), "RoundBackward0" if decimals == 0 else "RoundBackward1")


class Abs(Op):
    """z = |x|;  dz/dx = sign(x)  (0 at x = 0, as torch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sign(x)


def abs(input):
    input = _tensor_arg(input, "abs")
    if input._data.dtype == np.bool_:
        raise not_implemented("abs_cpu", input._data)
    return Abs.apply(input)


absolute = abs  # torch's alias


class Sign(_Step):
    """z = sign(x)  (0 for NaN, as torch);  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f":
            return np.subtract(x > 0, x < 0, dtype=x.dtype)
        return x.copy() if x.dtype == np.bool_ else np.sign(x)


def sign(input):
    return Sign.apply(_tensor_arg(input, "sign"))


# -- binary ops ---------------------------------------------------------------------------------
def _int_power(base, exponent):
    """Integer power with torch's rule for negative exponents: 1 for base 1, +-1 for base -1, else 0.

    (NumPy raises on negative integer exponents; torch does so only for a Python-number exponent.)
    """
    negative = exponent < 0
    if not np.any(negative):
        return np.power(base, exponent)
    z = np.power(base, np.where(negative, 0, exponent))
    odd = np.where(exponent % 2 == 0, 1, -1)
    small = np.where(base == 1, 1, np.where(base == -1, odd, 0))
    return np.where(negative, small, z).astype(z.dtype, copy=False)


def _power(base, exponent):
    kind = (base if hasattr(base, "dtype") else exponent).dtype.kind   # base: an array (NumPy or CuPy) or a number
    if kind == "f":
        return base ** exponent  # NumPy's fast paths for x**2, x**0.5, x**-1, as torch has
    if kind == "b":  # a bool tensor ** a Python bool: x^True = x, x^False = True
        return np.logical_or(base, not exponent)
    return _int_power(base, exponent)


class Pow(Op):
    """z = x^y;  dz/dx = y x^(y-1)  (0 where y = 0),  dz/dy = z log(x)  (0 where x = 0 and y >= 0)"""

    node_name = "PowBackward1"  # torch's pow.Tensor_Tensor

    @staticmethod
    def forward(ctx, x, y):
        z = _power(x, y)
        ctx.save_for_backward(x, y, z if ctx.needs_input_grad[1] else None)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = where(y == 0, 0.0, g * (y * pow(x, y - 1)))
        if ctx.needs_input_grad[1]:
            gy = g * where((x == 0) & (y >= 0), 0.0, z * log(x))
        return gx, gy


class PowScalar(Op):
    """z = x^p, p a number;  dz/dx = p x^(p-1)  (0 everywhere when p = 0)"""

    node_name = "PowBackward0"  # torch's pow.Tensor_Scalar

    @staticmethod
    def forward(ctx, x, p):
        ctx.p = p
        ctx.save_for_backward(x)
        return _power(x, p)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return _zeros_like(g), None
        return g * (p * pow(x, p - 1)), None


class PowScalarBase(Op):
    """z = s^y, s a number;  dz/dy = z log(s)  (0 where s = 0 and y >= 0)"""

    node_name = "PowBackward2"  # torch's pow.Scalar

    @staticmethod
    def forward(ctx, s, y):
        z = _power(s, y)
        ctx.s = s
        ctx.save_for_backward(y if s == 0 else None, z)
        return z

    @staticmethod
    def backward(ctx, g):
        y, z = ctx.saved_tensors
        s = ctx.s
        if s == 0:
            return None, g * where(y >= 0, 0.0, z * -math.inf)
        return None, g * (z * (math.log(s) if s > 0 else math.nan))


def pow(input, exponent):
    """``input ** exponent``: Tensor ** Tensor, Tensor ** number or number ** Tensor."""
    if isinstance(input, Tensor):
        if isinstance(exponent, np.ndarray) or hasattr(exponent, "__cuda_array_interface__"):
            exponent = Tensor._make(exponent)
        if isinstance(exponent, Tensor):
            x, y = promote(input, exponent)
            if x._data.dtype == np.bool_:
                raise not_implemented("pow", x._data)
            return Pow.apply(x, y)
        x, p = promote(input, exponent)
        if x._data.dtype.kind in "iu" and type(p) is int:
            # torch reads an integer exponent into the base's dtype, checked (u8 ** 300 raises)
            dtypes.checked_scalar(int(exponent), x.dtype)
            if exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif x._data.dtype == np.float16 and isinstance(p, (int, float)):
            dtypes.checked_scalar(p, x.dtype)   # so is a float16 base's exponent (half ** 1e5 raises)
        return PowScalar.apply(x, p)
    if isinstance(exponent, Tensor):
        s, y = promote(input, exponent)
        if y._data.dtype == np.bool_:
            raise not_implemented("pow", y._data)
        return PowScalarBase.apply(s, y)
    raise TypeError(f"pow() received an invalid combination of arguments - got ({type(input).__name__}, "
                    f"{type(exponent).__name__}), but expected a Tensor as input or exponent")


def _remainder_args(input, other, name):
    x, y = promote(input, other)
    if (x if isinstance(x, Tensor) else y)._data.dtype == np.bool_:
        raise not_implemented(f"{name}_cpu", (x if isinstance(x, Tensor) else y)._data)
    return x, y


def _check_int_divisor(x, y):
    """Integer division by zero is an error in torch (NumPy returns 0 with a warning)."""
    kind = (x if hasattr(x, "dtype") else y).dtype.kind
    if kind in "iu" and not np.all(y) and np.broadcast(x, y).size:   # an empty result divides nothing
        raise RuntimeError("ZeroDivisionError")


class Fmod(Op):
    """z = x - trunc(x/y) y;  dz/dx = 1,  dz/dy = -trunc(x/y)"""

    @staticmethod
    def forward(ctx, x, y):
        _check_int_divisor(x, y)
        ctx.save_for_backward(*((x, y) if ctx.needs_input_grad[1] else ()))
        return np.fmod(x, y)

    @staticmethod
    def backward(ctx, g):
        gy = None
        if ctx.needs_input_grad[1]:
            x, y = ctx.saved_tensors
            gy = -g * div(x, y, rounding_mode="trunc")
        return g if ctx.needs_input_grad[0] else None, gy


def fmod(input, other):
    """C's fmod: the remainder of truncated division, with the sign of ``input``."""
    _tensor_arg(input, "fmod")
    return overload(Fmod.apply(*_remainder_args(input, other, "fmod")),
                    "FmodBackward1" if isinstance(other, Tensor) else "FmodBackward0")


class Remainder(Op):
    """z = x - floor(x/y) y  (the sign of y, as Python's %);  dz/dx = 1,  dz/dy = -floor(x/y)"""

    @staticmethod
    def forward(ctx, x, y):
        _check_int_divisor(x, y)
        ctx.save_for_backward(*((x, y) if ctx.needs_input_grad[1] else ()))
        return _python_remainder(x, y)

    @staticmethod
    def backward(ctx, g):
        gy = None
        if ctx.needs_input_grad[1]:
            x, y = ctx.saved_tensors
            gy = -g * div(x, y, rounding_mode="floor")
        return g if ctx.needs_input_grad[0] else None, gy


def _python_remainder(x, y):
    """torch's remainder kernel: fmod, moved into the divisor's sign where they differ. Unlike
    np.remainder it keeps fmod's signed zero (-1.0 % 1.0 is -0.0, as in torch)."""
    if np.result_type(x, y).kind != "f":
        return np.remainder(x, y)
    m = np.fmod(x, y)
    shift = (m != 0) & ((y < 0) != (m < 0))
    return np.where(shift, m + y, m) if np.ndim(shift) else (m + y if shift else m)


class RemainderScalarTensor(Op):
    """z = s - floor(s/y) y  for a number s;  torch defines no derivative (its backward raises)"""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, s, y):
        _check_int_divisor(s, y)
        return _python_remainder(s, y)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::remainder is not implemented")


def remainder(input, other):
    """Python's %: the remainder of floor division, with the sign of ``other``."""
    if not isinstance(input, Tensor) and isinstance(other, Tensor):
        return RemainderScalarTensor.apply(*_remainder_args(input, other, "remainder"))
    return overload(Remainder.apply(*_remainder_args(input, other, "remainder")),
                    "RemainderBackward1" if isinstance(other, Tensor) else "RemainderBackward0")


def _binary_tensors(input, other, name):
    _tensor_arg(input, name)
    _tensor_arg(other, name, 2, "other")
    return promote(input, other)


class Maximum(Op):
    """z = max(x, y);  dz/dx = [x > y] + [x = y]/2,  dz/dy = [y > x] + [x = y]/2  (ties split, as torch)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shared = where(x == y, g * 0.5, g)  # NaNs compare unequal: both inputs get the whole g
        return (where(x < y, 0.0, shared) if ctx.needs_input_grad[0] else None,
                where(x > y, 0.0, shared) if ctx.needs_input_grad[1] else None)


def maximum(input, other):
    return Maximum.apply(*_binary_tensors(input, other, "maximum"))


class Minimum(Op):
    """z = min(x, y);  dz/dx = [x < y] + [x = y]/2,  dz/dy = [y < x] + [x = y]/2  (ties split, as torch)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        shared = where(x == y, g * 0.5, g)
        return (where(x > y, 0.0, shared) if ctx.needs_input_grad[0] else None,
                where(x < y, 0.0, shared) if ctx.needs_input_grad[1] else None)


def minimum(input, other):
    return Minimum.apply(*_binary_tensors(input, other, "minimum"))


class Clamp(Op):
    """z = min(max(x, lo), hi)  (hi wins where lo > hi);
    dz/dx = [lo <= x <= hi],  dz/dlo = [x < lo < hi],  dz/dhi = [x > hi or hi < lo]  (torch's subgradients)"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        z = x if lo is None else np.maximum(x, lo)
        return z if hi is None else np.minimum(z, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        need_x, need_lo, need_hi = ctx.needs_input_grad
        gx = glo = ghi = None
        if need_x:
            if lo is None:
                inside = x <= hi
            elif hi is None:
                inside = x >= lo
            else:
                inside = (x >= lo) & (x <= hi)
            gx = where(inside, g, 0.0)
        if need_lo:
            glo = where((x < lo) & (lo < hi) if hi is not None else x < lo, g, 0.0)
        if need_hi:
            ghi = where((x > hi) | (hi < lo) if lo is not None else x > hi, g, 0.0)
        return gx, glo, ghi


_NUMBER_OR_NONE = (float, int, bool, type(None))


def clamp(input, min=None, max=None):
    """Limit ``input`` to [min, max]; numbers or tensors (broadcast), either may be None; max wins if min > max."""
    input = _tensor_arg(input, "clamp")
    if input._data.dtype.kind == "f" and min.__class__ in _NUMBER_OR_NONE and max.__class__ in _NUMBER_OR_NONE \
            and (min is not None or max is not None):   # the common case: a float tensor, numbers as bounds
        d = input.dtype
        return overload(Clamp.apply(input, None if min is None else dtypes.checked_scalar(min, d),
                                    None if max is None else dtypes.checked_scalar(max, d)), "ClampBackward1")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    tensors = [isinstance(b, Tensor) for b in bounds]
    if any(tensors) and not all(tensors):
        raise TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, "
                        f"{type(min).__name__}, {type(max).__name__}): min and max must both be Tensors or "
                        f"both be numbers")
    d = dtypes.result_type(input, *bounds)
    if not any(tensors):  # number bounds must fit the result dtype, as torch checks them
        min, max = (None if b is None else dtypes.checked_scalar(b, d) for b in (min, max))
    if d is dtypes.bool_ and not (len(bounds) == 1 and tensors[0]):
        kernel = ("clamp_cpu" if tensors[0] else "clamp_scalar_cpu") if len(bounds) == 2 else \
            ("clamp_min_scalar_cpu" if max is None else "clamp_max_scalar_cpu")
        raise not_implemented(kernel, input._data)
    if input._data.dtype != d.np:
        input = input.to(d)
    if any(tensors):
        shape = input._data.shape
        for b in bounds:
            if b._data.shape != shape:
                shape = broadcast_shape(shape, b._data.shape)
        min = min if min is None or min._data.dtype == d.np else min.to(d)
        max = max if max is None or max._data.dtype == d.np else max.to(d)
    return overload(Clamp.apply(input, min, max), "ClampBackward0" if any(tensors) else "ClampBackward1")


clip = clamp


class Where(Op):
    """z = c ? x : y;  dz/dx = [c],  dz/dy = [not c]"""

    @staticmethod
    def forward(ctx, condition, x, y, np_dtype=None):
        ctx.save_for_backward(condition)
        z = np.where(condition, x, y)
        return z if np_dtype is None else z.astype(np_dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        c, = ctx.saved_tensors
        return (None, where(c, g, 0.0) if ctx.needs_input_grad[1] else None,
                where(c, 0.0, g) if ctx.needs_input_grad[2] else None)


_MISSING = object()


def _checked_numbers(input, other):
    """A number operand (a tensor and a number) must fit the result dtype: torch raises on
    ``where(c, uint8, 300)`` where arithmetic would wrap 300 around."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        return input, other
    input, other = (v.item() if isinstance(v, np.generic) else v for v in (input, other))
    d = dtypes.result_type(input, other)
    return (v if isinstance(v, Tensor) or not isinstance(v, (int, float)) else
            dtypes.checked_scalar(v, d, check_half=False) for v in (input, other))


def where(condition, input=_MISSING, other=_MISSING):
    """``input`` where ``condition`` holds, else ``other`` (tensors or numbers, broadcast together).

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.
    """
    condition = _tensor_arg(condition, "where", arg="condition")
    if input is _MISSING and other is _MISSING:
        return tuple(Tensor._make(i.astype(np.int64, copy=False)) for i in np.nonzero(condition._data))
    if condition._data.dtype != np.bool_:
        if condition._data.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{dtypes.SCALAR_NAMES[condition._data.dtype.name]}")
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed "
                      "in a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = condition.bool()
    check_same_device(*(t for t in (condition, input, other) if isinstance(t, Tensor) and t._data.ndim))
    np_dtype = None
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        input, other = promote(*_checked_numbers(input, other))
    else:
        np_dtype = dtypes.result_type(input, other).np
    shape = condition._data.shape
    for t in (input, other):  # torch broadcasts pairwise: condition with input, then with other
        if isinstance(t, Tensor) and t._data.shape != shape:
            shape = broadcast_shape(shape, t._data.shape)
    return Where.apply(condition, input, other, np_dtype)


class Lerp(Op):
    """z = x + w (e - x);  dz/dx = 1 - w,  dz/de = w,  dz/dw = e - x"""

    @staticmethod
    def forward(ctx, x, e, w):
        ctx.save_for_backward(*((x, e) if ctx.needs_input_grad[2] else (None, None)), w)
        d = e - x
        # torch's formula: from the nearer end, so that w = 1 gives exactly e
        if hasattr(w, "shape"):   # an array (NumPy or CuPy)
            return np.where(np.abs(w) < 0.5, x + w * d, e - d * (1 - w))
        w = x.dtype.type(w)  # torch computes in the input's precision
        return x + w * d if -0.5 < w < 0.5 else e - d * (1 - w)

    @staticmethod
    def backward(ctx, g):
        x, e, w = ctx.saved_tensors
        need_x, need_e, need_w = ctx.needs_input_grad
        return (g * (1 - w) if need_x else None, g * w if need_e else None,
                g * (e - x) if need_w else None)


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor, all broadcast together."""
    input = _tensor_arg(input, "lerp")
    end = _tensor_arg(end, "lerp", 2, "end")
    dt = input._data.dtype
    if end._data.dtype != dt:
        raise RuntimeError(f"expected dtype {dtypes.C_NAMES[dt.name]} for `end` but got dtype "
                           f"{dtypes.C_NAMES[end._data.dtype.name]}")
    weight_is_tensor = isinstance(weight, Tensor)
    dtypes.check_python_int(weight)   # an int beyond 64 bits is torch's OverflowError
    if weight_is_tensor and weight._data.dtype != dt:
        if weight._data.ndim:
            raise RuntimeError(f"expected dtype {dtypes.C_NAMES[dt.name]} for `weight` but got dtype "
                               f"{dtypes.C_NAMES[weight._data.dtype.name]}")
        weight = weight.to(dtypes.from_numpy_dtype(dt))  # a 0-d weight is cast, as in torch
    if dt.kind not in "fc":
        raise not_implemented("lerp_kernel_tensor" if weight_is_tensor else "lerp_kernel_scalar", input._data)
    shape = input._data.shape
    for t in (end, weight) if weight_is_tensor else (end,):
        if t._data.shape != shape:
            shape = broadcast_shape(shape, t._data.shape)
    return overload(Lerp.apply(input, end, weight), "LerpBackward1" if weight_is_tensor else "LerpBackward0")


# NumPy warns on log(0), 0/0, exp overflow...; torch returns inf/nan silently, and so do minigrad's ops.
# The filter matches only NumPy's floating-point messages raised from minigrad.ops modules.
warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered",
                        category=RuntimeWarning, module=r"minigrad\.ops\.")
