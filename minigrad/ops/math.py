"""Elementwise math: unary functions, pow, rounding, fmod/remainder, maximum/minimum, clamp, where, lerp.

Each op is a class whose docstring states its derivative; backward is written in minigrad ops so
that it can itself be differentiated. Broadcasting and dtype casts of gradients are undone by the
engine. Floating-point functions give integer and bool inputs the default float dtype, as torch does.

NumPy's floating-point warnings (log(0), 0/0, overflow in exp...) are silenced for minigrad's ops,
which return inf and nan as torch does, silently; see the filter at the end of this module.
"""
from __future__ import annotations

import builtins as _builtins  # this module's abs, pow and round shadow the builtins
import cmath
import collections
import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..device import check_same_device
from ._util import Op, overload, Tensor, broadcast_shape, conj_of, promote, sign_array, xp, _cast_operand
from .elementwise import div

__all__ = [
    "pow", "reciprocal", "abs", "absolute", "sign", "floor", "ceil", "round", "trunc", "fmod", "remainder",
    "maximum", "minimum", "clamp", "clip", "where", "lerp", "exp", "expm1", "log", "log2", "log10", "log1p",
    "sqrt", "rsqrt", "square", "sin", "cos", "tan", "atan", "arctan", "atan2", "arctan2", "sinh", "cosh",
    "tanh", "sigmoid", "erf",
    "acos", "arccos", "asin", "arcsin", "acosh", "arccosh", "asinh", "arcsinh", "atanh", "arctanh", "exp2", "erfc",
    "erfinv", "logit", "sinc", "deg2rad", "rad2deg", "frac", "sgn", "positive", "nan_to_num", "signbit", "isposinf",
    "isneginf", "isreal", "isin", "hypot", "logaddexp", "logaddexp2", "nextafter", "xlogy", "copysign", "heaviside",
    "ldexp", "frexp", "float_power", "fmax", "fmin", "gcd", "lcm", "addcmul", "addcdiv", "clamp_min", "clamp_max",
    "rsub", "digamma", "lgamma", "polygamma", "mvlgamma", "i0", "igamma", "igammac", "dist", "renorm", "fill",
    "logspace", "scalar_tensor",
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
        floating = dtypes.is_inexact(x._data.dtype)
    except AttributeError:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}") from None
    return x if floating else x.to(dtypes.get_default_dtype())


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
    """z = exp(x);  dz/dx = z  (complex: g conj(z))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * conj_of(z)


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
    """z = log(x);  dz/dx = 1/x  (complex: g / conj(x))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / conj_of(x)


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
    """z = sqrt(x);  dz/dx = 1/(2z)  (complex: g / (2 conj(z)))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g / (2 * conj_of(z))


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
    """z = 1/x;  dz/dx = -z^2  (complex: -g conj(z^2))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        z = 1 / x
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return -g * conj_of(z * z)


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
        # torch's 1/(1 + exp(-x)): where exp overflows (x < -88.7 in float32, -709.8 in float64) the
        # result is 0, as torch's (so an infinite gradient there gives inf * 0 = NaN, as torch's);
        # half is computed in float32, as in torch
        xc = x.astype(np.float32) if x.dtype == np.float16 else x
        z = (1 / (1 + np.exp(-xc))).astype(x.dtype, copy=False)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 - z) * z


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
    if decimals != 0 and not dtypes.is_floating(input._data.dtype):
        raise not_implemented("round_cpu", input._data)
    return overload(Round.apply(input, decimals), "RoundBackward0" if decimals == 0 else "RoundBackward1")


class Abs(Op):
    """z = |x|;  dz/dx = sign(x)  (0 at x = 0, as torch; complex: grad_x = g x/|x|, a real z)"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if x._data.dtype.kind == "c":   # x/|x|, the unit complex number
            return g * where(x == 0, 0.0, x / Abs.apply(x))
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
        return x.copy() if x.dtype == np.bool_ else sign_array(x)


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
    if kind in "fc":
        if exponent.__class__ is float and exponent == -0.5 and base.dtype != np.float16:
            # torch's rsqrt fast path (not for half): 1/sqrt keeps the sign of a zero, (-0.0) ** -0.5
            # is -inf, and x ** 0.5's derivative 0.5 x ** -0.5 is -inf there
            return np.reciprocal(np.sqrt(base))
        return base ** exponent  # NumPy's fast paths for x**2, x**0.5, x**-1, as torch has
    if kind == "b":  # a bool tensor ** a Python bool: x^True = x, x^False = True
        return np.logical_or(base, not exponent)
    return _int_power(base, exponent)


class Pow(Op):
    """z = x^y;  dz/dx = y x^(y-1)  (0 where y = 0),  dz/dy = z log(x)  (0 where x = 0 and y >= 0)"""

    node_name = "PowBackward1"  # torch's pow.Tensor_Tensor
    supports_complex = True   # (complex: the conjugates of both factors, and Re(y) >= 0 at x = 0)

    @staticmethod
    def forward(ctx, x, y):
        z = _power(x, y)
        if z.dtype.kind == "f":
            # torch's pow(Tensor, Tensor) is C's pow for every element; NumPy takes sqrt for an
            # exponent of 0.5 it broadcasts (a 0-d or size-1 tensor), which differs at -0.0 and -inf
            by_sqrt = (y == 0.5) & ((x == 0) | (x == -np.inf))
            if by_sqrt.any():
                z = np.where(by_sqrt, np.abs(x), z).astype(z.dtype, copy=False)  # pow(-0, .5) = 0, pow(-inf, .5) = inf
        # the result too, whether or not the exponent needs a gradient (as torch's PowBackward1, whose
        # backward raises its version error once the result is written in place: ``y **= e; y.add_(1)``)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = where(y == 0, 0.0, g * conj_of(y * pow(x, y - 1)))
        if ctx.needs_input_grad[1]:
            gy = g * where((x == 0) & (y.real >= 0), 0.0, conj_of(z * log(x)))
        return gx, gy


class PowScalar(Op):
    """z = x^p, p a number;  dz/dx = p x^(p-1)  (0 everywhere when p = 0)"""

    node_name = "PowBackward0"  # torch's pow.Tensor_Scalar
    supports_complex = True

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
        return g * conj_of(p * pow(x, p - 1)), None


class PowScalarBase(Op):
    """z = s^y, s a number;  dz/dy = z log(s)  (0 where s = 0 and y >= 0)"""

    node_name = "PowBackward2"  # torch's pow.Scalar
    supports_complex = True

    @staticmethod
    def forward(ctx, s, y):
        z = _power(s, y)
        ctx.s = s
        ctx.save_for_backward(y, z)   # the exponent too, as torch's (version-checked; read only where s = 0)
        return z

    @staticmethod
    def backward(ctx, g):
        y, z = ctx.saved_tensors
        s = ctx.s
        if s == 0:
            return None, g * where(y.real >= 0, 0.0, z * -math.inf)
        if s.__class__ is complex or z._data.dtype.kind == "c":   # the principal log of s, conjugated
            return None, g * conj_of(z * cmath.log(s))
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
    if dtypes.is_floating(input._data.dtype) and min.__class__ in _NUMBER_OR_NONE and max.__class__ in _NUMBER_OR_NONE \
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
    # (casts that keep the operand's version counter: torch's node saves self, min and max uncast,
    # so an in-place write into an integer bound before backward is a version error there too)
    if input._data.dtype != d.np:
        input = _cast_operand(input, d)
    if any(tensors):
        shape = input._data.shape
        for b in bounds:
            if b._data.shape != shape:
                shape = broadcast_shape(shape, b._data.shape)
        min = min if min is None or min._data.dtype == d.np else _cast_operand(min, d)
        max = max if max is None or max._data.dtype == d.np else _cast_operand(max, d)
    return overload(Clamp.apply(input, min, max), "ClampBackward0" if any(tensors) else "ClampBackward1")


clip = clamp


class Where(Op):
    """z = c ? x : y;  dz/dx = [c],  dz/dy = [not c]"""

    supports_complex = True

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
    if not dtypes.is_inexact(dt):
        raise not_implemented("lerp_kernel_tensor" if weight_is_tensor else "lerp_kernel_scalar", input._data)
    shape = input._data.shape
    for t in (end, weight) if weight_is_tensor else (end,):
        if t._data.shape != shape:
            shape = broadcast_shape(shape, t._data.shape)
    return overload(Lerp.apply(input, end, weight), "LerpBackward1" if weight_is_tensor else "LerpBackward0")


# -- more unary functions (inverse trigonometric and hyperbolic, exp2, erfc, erfinv, logit, sinc...) --
class Acos(Op):
    """z = acos(x);  dz/dx = -1/sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * rsqrt(1 - x * x)


acos = unary_float(Acos)
arccos = acos


class Asin(Op):
    """z = asin(x);  dz/dx = 1/sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * rsqrt(1 - x * x)


asin = unary_float(Asin)
arcsin = asin


class Acosh(Op):
    """z = acosh(x);  dz/dx = 1/sqrt(x^2 - 1)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * rsqrt(x * x - 1)


acosh = unary_float(Acosh)
arccosh = acosh


class Asinh(Op):
    """z = asinh(x);  dz/dx = 1/sqrt(x^2 + 1)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * rsqrt(x * x + 1)


asinh = unary_float(Asinh)
arcsinh = asinh


class Atanh(Op):
    """z = atanh(x);  dz/dx = 1/(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (1 - x * x)


atanh = unary_float(Atanh)
arctanh = atanh


class Exp2(Op):
    """z = 2^x;  dz/dx = z ln 2"""

    @staticmethod
    def forward(ctx, x):
        z = np.exp2(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (z * math.log(2.0))


exp2 = unary_float(Exp2)


class Erfc(Op):
    """z = 1 - erf(x);  dz/dx = -2/sqrt(pi) exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernel("erfc", x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (-2 / math.sqrt(math.pi) * exp(-(x * x)))


erfc = unary_float(Erfc)


class Erfinv(Op):
    """z = erf^-1(x);  dz/dx = sqrt(pi)/2 exp(z^2)"""

    @staticmethod
    def forward(ctx, x):
        z = kernel("erfinv", x)
        ctx.save_for_backward(x)   # (x, not z, as torch's node: an in-place change of z is no version error)
        return z

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        z = erfinv(x)   # (again, as torch's formula; recorded with create_graph)
        return g * (math.sqrt(math.pi) / 2 * exp(z * z))


erfinv = unary_float(Erfinv)


class Logit(Op):
    """z = log(x/(1 - x)), x clamped to [eps, 1 - eps] when eps is given;
    dz/dx = 1/(x(1 - x))  (0 outside [eps, 1 - eps], NaN outside [0, 1] without eps, as torch)"""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.eps = eps
        ctx.save_for_backward(x)
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        gx = g / (x * (1 - x))
        # torch's: NaN outside [0, 1] without eps, 0 outside [eps, 1 - eps] with it; a NaN x gives
        # NaN (logit_backward), or 0 with eps when the gradient is recorded (create_graph: torch's
        # infinitely_differentiable_logit_backward tests lo <= x <= hi instead)
        lo, outside = (0.0, math.nan) if ctx.eps is None else (ctx.eps, 0.0)
        if ctx.eps is not None and grad_mode.state.grad_enabled:
            return where((x >= lo) & (x <= 1 - lo), gx, outside), None
        return where(~((x < lo) | (x > 1 - lo)), gx, outside), None


def logit(input, eps=None):
    """log(p/(1 - p)); ``eps`` clamps p to [eps, 1 - eps] first."""
    return Logit.apply(_float_input(input, "logit"), None if eps is None else float(eps))


class Sinc(Op):
    """z = sin(pi x)/(pi x), 1 at 0;  dz/dx = (pi x cos(pi x) - sin(pi x))/(pi x^2)  (0 where pi x^2 = 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinc(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        # torch's sinc_backward: selected to 0 where pi x^2 is 0 (also where x^2 underflows), the
        # 0/0 kept in the graph (NaN when differentiated again there, as torch)
        x_pi, x_squared_pi = x * math.pi, x * x * math.pi
        return where(x_squared_pi == 0, 0.0, g * ((x_pi * cos(x_pi) - sin(x_pi)) / x_squared_pi))


sinc = unary_float(Sinc)


class Deg2rad(Op):
    """z = x pi/180;  dz/dx = pi/180"""

    node_name = "Deg2RadBackward0"

    @staticmethod
    def forward(ctx, x):
        return x * x.dtype.type(math.pi / 180)

    @staticmethod
    def backward(ctx, g):
        return g * (math.pi / 180)


deg2rad = unary_float(Deg2rad)


class Rad2deg(Op):
    """z = x 180/pi;  dz/dx = 180/pi"""

    node_name = "Rad2DegBackward0"

    @staticmethod
    def forward(ctx, x):
        return x * x.dtype.type(180 / math.pi)

    @staticmethod
    def backward(ctx, g):
        return g * (180 / math.pi)


rad2deg = unary_float(Rad2deg)


class Frac(Op):
    """z = x - trunc(x);  dz/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g


def frac(input):
    input = _tensor_arg(input, "frac")
    if not dtypes.is_floating(input._data.dtype):
        raise not_implemented("frac_cpu", input._data)
    return Frac.apply(input)


class Sgn(_Step):
    """z = sgn(x) (sign for real x);  dz/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        out = Sign.forward(ctx, x)
        ctx.save_for_backward(x, out)   # (only for the version check: torch's node saves self and result)
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # (the version check)
        return _zeros_like(g)


def sgn(input):
    return Sgn.apply(_tensor_arg(input, "sgn"))


def positive(input):
    """``input`` itself (torch's unary +); bool tensors are rejected."""
    input = _tensor_arg(input, "positive")
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class NanToNum(Op):
    """z = x with NaN, +inf, -inf replaced;  dz/dx = [x finite]"""

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        if x.dtype.kind != "f":
            return x.copy()
        info = np.finfo(x.dtype)
        return np.nan_to_num(x, nan=nan, posinf=info.max if posinf is None else posinf,
                             neginf=info.min if neginf is None else neginf)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        from .compare import isfinite
        # torch multiplies by the mask (grad * isfinite(x)), so an inf or NaN incoming gradient
        # gives NaN even where x is not finite (inf * 0)
        return g * isfinite(x), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN to ``nan``, infinities to ``posinf`` / ``neginf`` (default: the dtype's largest and lowest)."""
    input = _tensor_arg(input, "nan_to_num")
    if input._data.dtype in dtypes.LOW_PRECISION_ARRAYS:   # forward sees float32: name bfloat16's own limits
        info = dtypes.finfo(input.dtype)
        posinf, neginf = (info.max if posinf is None else posinf), (info.min if neginf is None else neginf)
    return NanToNum.apply(input, nan, posinf, neginf)


# -- tests of values (no gradient) --------------------------------------------------------------------
class _Test(Op):
    """z = a bool test of x;  no gradient"""

    differentiable = False

    @staticmethod
    def forward(ctx, test, x):
        return test(x)


def signbit(input):
    """True where the sign bit is set (-0.0 and negative numbers)."""
    return _Test.apply(np.signbit, _tensor_arg(input, "signbit"))


def isposinf(input):
    return _Test.apply(lambda x: np.isposinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, np.bool_),
                       _tensor_arg(input, "isposinf"))


def isneginf(input):
    return _Test.apply(lambda x: np.isneginf(x) if x.dtype.kind == "f" else np.zeros(x.shape, np.bool_),
                       _tensor_arg(input, "isneginf"))


def isreal(input):
    """True where the imaginary part is 0: everywhere for real dtypes."""
    return _Test.apply(lambda x: np.ones(x.shape, np.bool_), _tensor_arg(input, "isreal"))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` occurs in ``test_elements`` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - expected a Tensor as elements "
                        "or test_elements")
    d = dtypes.result_type(elements, test_elements).np
    values = [t._data.astype(d, copy=False) if isinstance(t, Tensor) else np.asarray(t, d)
              for t in (elements, test_elements)]
    return Tensor._make(np.isin(values[0], values[1], invert=invert))


# -- binary floating-point functions ------------------------------------------------------------------
def _binary_float(input, other, name):
    """Two tensors (numbers rejected, as torch) in their common floating dtype; integers raise as in torch."""
    x, y = _binary_tensors(input, other, name)
    if not dtypes.is_floating(x._data.dtype):
        raise not_implemented(f"{name}_cpu", x._data)
    return x, y


class Hypot(Op):
    """z = sqrt(x^2 + y^2);  dz/dx = x/z,  dz/dy = y/z"""

    @staticmethod
    def forward(ctx, x, y):
        z = np.hypot(x, y)
        # each operand only where its own gradient reads it, as torch's node saves them
        ctx.save_for_backward(x if ctx.needs_input_grad[0] else None, y if ctx.needs_input_grad[1] else None, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        return (g * x / z if ctx.needs_input_grad[0] else None, g * y / z if ctx.needs_input_grad[1] else None)


def hypot(input, other):
    return Hypot.apply(*_binary_float(input, other, "hypot"))


class Logaddexp(Op):
    """z = log(e^x + e^y);  dz/dx = 1/(1 + e^(y - x)),  dz/dy = 1/(1 + e^(x - y))"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.logaddexp(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g / (1 + exp(y - x)) if ctx.needs_input_grad[0] else None,
                g / (1 + exp(x - y)) if ctx.needs_input_grad[1] else None)


def logaddexp(input, other):
    return Logaddexp.apply(*_binary_float(input, other, "logaddexp"))


class Logaddexp2(Op):
    """z = log2(2^x + 2^y);  dz/dx = 1/(1 + 2^(y - x)),  dz/dy = 1/(1 + 2^(x - y))"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.logaddexp2(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g / (1 + exp2(y - x)) if ctx.needs_input_grad[0] else None,
                g / (1 + exp2(x - y)) if ctx.needs_input_grad[1] else None)


def logaddexp2(input, other):
    return Logaddexp2.apply(*_binary_float(input, other, "logaddexp2"))


class Nextafter(Op):
    """z = the next float after x towards y;  dz/dx = [x != y],  dz/dy = 0  (torch's)"""

    computes_in_float32 = False   # the next number of x's own dtype (bfloat16's, not float32's)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.nextafter(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (where(x == y, 0.0, g) if ctx.needs_input_grad[0] else None,
                _zeros_like(g) if ctx.needs_input_grad[1] else None)


def nextafter(input, other):
    return Nextafter.apply(*_binary_float(input, other, "nextafter"))


def _xlog(x, y, log_fn):
    """x log_fn(y), 0 where x = 0 and y is no NaN; a number operand takes the other's dtype."""
    array = x if hasattr(x, "dtype") else y
    x, y = xp(array).asarray(x, array.dtype), xp(array).asarray(y, array.dtype)
    z = x * log_fn(y)
    return np.where((x == 0) & ~np.isnan(y), 0, z).astype(z.dtype, copy=False)


class Xlogy(Op):
    """z = x log(y), 0 where x = 0 (unless y is NaN);  dz/dx = log(y) (torch: 0 where x = 0 and y <= 0),
    dz/dy = x/y"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlog(x, y, np.log)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = where((x == 0) & (y <= 0), 0.0, xlogy(g, y))
        if ctx.needs_input_grad[1]:
            gy = g * x / y
        return gx, gy


def _number_or_tensor_pair(input, other, name, node):
    """Promote (to a float) a pair of which one may be a number; the node named torch's overload:
    ``node``0 for two tensors, 1 for a number first, 2 for a number second."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__})")
    suffix = "0" if isinstance(input, Tensor) and isinstance(other, Tensor) else \
        ("1" if isinstance(other, Tensor) else "2")
    x, y = promote(input, other, to_float=True)
    return x, y, f"{node}Backward{suffix}"


def xlogy(input, other):
    """x log(y), with 0 where x = 0 (and y is no NaN); either may be a number."""
    x, y, node = _number_or_tensor_pair(input, other, "xlogy", "Xlogy")
    return overload(Xlogy.apply(x, y), node)


class Copysign(Op):
    """z = |x| with the sign of y;  dz/dx = z/x (0 where x = 0),  dz/dy = 0"""

    @staticmethod
    def forward(ctx, x, y):
        z = np.copysign(x, y)
        if ctx.needs_input_grad[0]:   # (only x's gradient reads them: torch's node saves them for it alone)
            ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        gx = None
        if ctx.needs_input_grad[0]:
            x, z = ctx.saved_tensors
            # torch's copysign_tensor_self_backward: (z / x) masked to 0 where x = 0, times g; the
            # masked 0/0 stays in the graph, so a second derivative there is NaN, as in torch
            gx = g * where(x == 0, 0.0, z / x)
        return gx, (_zeros_like(g) if ctx.needs_input_grad[1] else None)


def copysign(input, other):
    """|input| with the sign of ``other`` (a tensor or a number; -0.0 counts as negative)."""
    _tensor_arg(input, "copysign")
    x, y = promote(input, other, to_float=True)
    return overload(Copysign.apply(x, y), "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1")


class Heaviside(Op):
    """z = 0 for x < 0, values for x = 0, 1 for x > 0;  no derivative (torch's backward raises)"""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, values):
        return np.where(x == 0, values, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values):
    x, v = _binary_tensors(input, values, "heaviside")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if x._data.dtype == np.bool_:
        raise not_implemented("heaviside_cpu", x._data)
    return Heaviside.apply(x, v)


class Ldexp(Op):
    """z = x 2^e;  dz/dx = 2^e (for an integer e, torch's integer power in e's dtype: 0 for e < 0, wrapping
    past its range),  dz/de = z ln 2"""

    @staticmethod
    def forward(ctx, x, e):
        z = x * np.exp2(e.astype(x.dtype, copy=False))
        ctx.save_for_backward(e if ctx.needs_input_grad[0] else None, z)   # (e for x's gradient only, as torch saves it)
        return z

    @staticmethod
    def backward(ctx, g):
        e, z = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            gx = g * (exp2(e) if e.dtype.is_floating_point else Tensor._make(_integer_power_of_two(e._data)))
        return gx, (g * z * math.log(2.0) if ctx.needs_input_grad[1] else None)


def _integer_power_of_two(e):
    """torch's pow(2, e) for an integer array e, in e's dtype: 0 for e < 0 and for e past the dtype's
    width, the sign bit alone at e = width - 1 of a signed dtype."""
    width = e.dtype.itemsize * 8
    inside = (e >= 0) & (e < width)
    shifts = xp(e).where(inside, e, 0).astype(e.dtype)
    return xp(e).where(inside, xp(e).left_shift(xp(e).ones_like(e), shifts), 0).astype(e.dtype)


def ldexp(input, other):
    """input * 2^other."""
    _tensor_arg(input, "ldexp"), _tensor_arg(other, "ldexp", 2, "other")
    if other._data.dtype == np.bool_:
        raise NotImplementedError('"ldexp_cpu_exp" not implemented for \'Bool\'')   # (torch's pow(2., bool))
    x, e = promote(input, other, to_float=True)
    # an integer exponent stays as it is (saved as torch saves it; x's gradient is its integer power)
    return Ldexp.apply(x, e if other._data.dtype.kind not in "iu" else other)


class Frexp(Op):
    """mantissa, exponent = frexp(x), x = mantissa 2^exponent;  dmantissa/dx = 2^-exponent"""

    @staticmethod
    def forward(ctx, x):
        mantissa, exponent = np.frexp(x)
        exponent = exponent.astype(np.int32)
        ctx.save_for_backward(exponent)
        return mantissa, exponent

    @staticmethod
    def backward(ctx, g, _g_exponent):
        exponent, = ctx.saved_tensors
        return g / exp2(exponent).to(g.dtype)


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1)."""
    input = _tensor_arg(input, "frexp")
    if not dtypes.is_floating(input._data.dtype):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return frexp_result(*Frexp.apply(input))


frexp_result = collections.namedtuple("frexp", ["mantissa", "exponent"])   # torch.return_types.frexp
frexp_result.__module__ = "minigrad.return_types"


def float_power(input, exponent):
    """pow computed in double precision (float64 result whatever the inputs)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power() received an invalid combination of arguments - expected a Tensor as input "
                        "or exponent")
    input, exponent = (v.to(dtypes.float64) if isinstance(v, Tensor) else
                       (v if isinstance(v, (complex, float)) else float(v)) for v in (input, exponent))
    return pow(input, exponent)


class Fmax(Op):
    """z = max(x, y) ignoring NaN;  dz/dx = [x >= y or y is NaN],  dz/dy = the rest"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.fmax(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        from .compare import isnan
        to_x = (x >= y) | isnan(y)
        return (where(to_x, g, 0.0) if ctx.needs_input_grad[0] else None,
                where(to_x, 0.0, g) if ctx.needs_input_grad[1] else None)


def fmax(input, other):
    """The elementwise maximum, where NaN loses to a number."""
    return Fmax.apply(*_binary_tensors(input, other, "fmax"))


class Fmin(Op):
    """z = min(x, y) ignoring NaN;  dz/dx = [x <= y or y is NaN],  dz/dy = the rest"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.fmin(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        from .compare import isnan
        to_x = (x <= y) | isnan(y)
        return (where(to_x, g, 0.0) if ctx.needs_input_grad[0] else None,
                where(to_x, 0.0, g) if ctx.needs_input_grad[1] else None)


def fmin(input, other):
    """The elementwise minimum, where NaN loses to a number."""
    return Fmin.apply(*_binary_tensors(input, other, "fmin"))


def _integer_pair(input, other, name):
    x, y = _binary_tensors(input, other, name)
    if x._data.dtype.kind not in "iu":
        raise not_implemented(f"{name}_cpu", x._data)
    return x, y


def gcd(input, other):
    """The greatest common divisor (integers; gcd(0, 0) = 0)."""
    x, y = _integer_pair(input, other, "gcd")
    return _Test.apply(lambda a: np.gcd(a, y._data), x)


def lcm(input, other):
    """The least common multiple (integers; 0 if either is 0)."""
    x, y = _integer_pair(input, other, "lcm")
    return _Test.apply(lambda a: np.lcm(a, y._data), x)


# -- fused multiply-adds, one-sided clamps, reversed subtraction --------------------------------------
def _check_value(value, dtype, name):
    """``value`` in the result dtype: torch truncates a float value for integer tensors."""
    if dtype.category == 0:
        raise NotImplementedError(f'"{name}_cpu_out" not implemented for \'Bool\'')
    if dtype.category == 1 and isinstance(value, float):
        value = int(value)
    return dtypes.checked_scalar(value, dtype)


class Addcmul(Op):
    """z = x + v t1 t2;  dz/dx = 1,  dz/dt1 = v t2,  dz/dt2 = v t1"""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1 if ctx.needs_input_grad[2] else None, t2 if ctx.needs_input_grad[1] else None)
        return x + value * (t1 * t2) if value != 1 else x + t1 * t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return (g if ctx.needs_input_grad[0] else None, g * (t2 * v) if ctx.needs_input_grad[1] else None,
                g * (t1 * v) if ctx.needs_input_grad[2] else None, None)


def _three(input, tensor1, tensor2, name):
    for i, (t, arg) in enumerate(((input, "input"), (tensor1, "tensor1"), (tensor2, "tensor2"))):
        _tensor_arg(t, name, i + 1, arg)
    broadcast_shape(input._data.shape, tensor1._data.shape, tensor2._data.shape)
    d = dtypes.result_type(input, tensor1, tensor2)
    return [t if t._data.dtype == d.np else t.to(d) for t in (input, tensor1, tensor2)], d


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    (x, t1, t2), d = _three(input, tensor1, tensor2, "addcmul")
    return Addcmul.apply(x, t1, t2, _check_value(value, d, "addcmul"))


class Addcdiv(Op):
    """z = x + v t1/t2;  dz/dx = 1,  dz/dt1 = v/t2,  dz/dt2 = -v t1/t2^2"""

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1 if ctx.needs_input_grad[2] else None, t2)
        return x + value * (t1 / t2) if value != 1 else x + t1 / t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return (g if ctx.needs_input_grad[0] else None, g * (v / t2) if ctx.needs_input_grad[1] else None,
                g * (-v * t1 / (t2 * t2)) if ctx.needs_input_grad[2] else None, None)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating point only)."""
    (x, t1, t2), d = _three(input, tensor1, tensor2, "addcdiv")
    if t1._data.dtype.kind in "biu" and t2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return Addcdiv.apply(x, t1, t2, _check_value(value, d, "addcdiv"))


def clamp_min(input, min):
    """clamp(input, min=min): the node torch's clamp_min records."""
    return overload(clamp(input, min=min), "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0")


def clamp_max(input, max):
    """clamp(input, max=max): the node torch's clamp_max records."""
    return overload(clamp(input, max=max), "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0")


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    from .elementwise import sub
    _tensor_arg(input, "rsub")
    return overload(sub(other, input, alpha=alpha), "RsubBackward0" if isinstance(other, Tensor) else "RsubBackward1")


# -- gamma and Bessel functions (Numba kernels, ops/_cephes.py) ------------------------------------------
def kernel(name, *arrays, dtype=None):
    """The special-function kernel ``name`` of ops/_cephes.py over arrays (Numba, compiled on first use).

    The kernels are CPU code: GPU arrays are computed on the host and the result moved back."""
    from . import _cephes
    gpu = next((a for a in arrays if hasattr(a, "__cuda_array_interface__")), None)
    if gpu is None:
        return _cephes.apply(name, *arrays, dtype=dtype)
    cupy = xp(gpu)
    host = [cupy.asnumpy(a) if hasattr(a, "__cuda_array_interface__") else a for a in arrays]
    return cupy.asarray(_cephes.apply(name, *host, dtype=dtype))


class Digamma(Op):
    """z = psi(x) = d/dx log Gamma(x);  dz/dx = psi'(x) = polygamma(1, x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernel("digamma", x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * polygamma(1, x)


digamma = unary_float(Digamma)


class Lgamma(Op):
    """z = log |Gamma(x)|;  dz/dx = psi(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernel("lgamma", x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * digamma(x)


lgamma = unary_float(Lgamma)


class Polygamma(Op):
    """z = psi^(n)(x);  dz/dx = psi^(n+1)(x)"""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return kernel("polygamma", np.float64(n), x, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x), None


def polygamma(n, input):
    """The n-th derivative of digamma."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_float_input(input, "polygamma"), int(n))


class Mvlgamma(Op):
    """z = sum_j<p lgamma(x - j/2) + p(p-1)/4 log(pi);  dz/dx = sum_j<p psi(x - j/2)"""

    @staticmethod
    def forward(ctx, x, p):
        ctx.p = p
        ctx.save_for_backward(x)
        z = sum(kernel("lgamma", x - x.dtype.type(j / 2)) for j in range(p))
        return (z + x.dtype.type(p * (p - 1) / 4 * math.log(math.pi))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sum(digamma(x - j / 2) for j in range(ctx.p)), None


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return Mvlgamma.apply(_float_input(input, "mvlgamma"), int(p))


class I0(Op):
    """z = I0(x), the modified Bessel function of the first kind, order 0;  dz/dx = I1(x)"""

    node_name = "I0Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernel("i0", x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        from .special import i1
        return g * i1(x)


i0 = unary_float(I0)


class Igamma(Op):
    """z = P(a, x), the regularized lower incomplete gamma;  dz/dx = x^(a-1) e^-x / Gamma(a),
    dz/da: not implemented (torch raises)"""

    @staticmethod
    def forward(ctx, a, x, upper):
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        return kernel("igammac" if upper else "igamma", a, x)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{'igammac' if ctx.upper else 'igamma'}: input' is not "
                                      f"implemented.")
        density = exp((a - 1) * log(x) - x - lgamma(a))
        return None, g * (-density if ctx.upper else density), None


def _igamma(input, other, upper):
    name = "igammac" if upper else "igamma"
    a, x = _binary_tensors(input, other, name)
    a, x = promote(a, x, to_float=True)
    return overload(Igamma.apply(a, x, upper), "IgammacBackward0" if upper else "IgammaBackward0")


def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other)."""
    return _igamma(input, other, False)


def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    return _igamma(input, other, True)


# -- distances and norms of slices ------------------------------------------------------------------------
class Dist(Op):
    """z = ||x - y||_p;  dz/dx = -dz/dy = d |d|^(p-2) / z^(p-1), d = x - y  (p = inf: sign(d) over the ties
    of the largest |d|; p = 0: 0)"""

    @staticmethod
    def forward(ctx, x, y, p):
        d = np.abs(x - y)
        ctx.p = p
        if not d.size and math.isinf(p):
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                               "operation does not have an identity")
        if p == 0:
            z = np.count_nonzero(d).astype(x.dtype) if d.size else np.zeros((), x.dtype)
        elif p == math.inf:
            z = d.max() if d.size else np.zeros((), x.dtype)
        elif p == -math.inf:
            z = d.min() if d.size else np.zeros((), x.dtype)
        else:
            z = np.sum(d ** p) ** (1 / p)
        z = xp(x).asarray(z, dtype=x.dtype)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        p = ctx.p
        d = x - y
        if p == 0 or not d._data.size:   # (an empty difference: nothing to differentiate, no 0/0)
            gd = d * 0.0
        elif p == math.inf or p == -math.inf:
            at_norm = (abs(d) == z).to(d.dtype)
            gd = sign(d) * at_norm / at_norm.sum() * g
        elif p == 1:
            gd = sign(d) * g
        elif p == 2:
            gd = where(z == 0, 0.0, d / where(z == 0, 1.0, z)) * g
        else:
            gd = where(z == 0, 0.0, d * pow(abs(d), p - 2) / pow(where(z == 0, 1.0, z), p - 1)) * g
        return (gd if ctx.needs_input_grad[0] else None, -gd if ctx.needs_input_grad[1] else None, None)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast)."""
    x, y = promote(_tensor_arg(input, "dist"), _tensor_arg(other, "dist", 2, "other"))
    if not dtypes.is_floating(x._data.dtype):
        raise RuntimeError(f"dist only supports floating-point dtypes, but got: {dtypes.SCALAR_NAMES[x._data.dtype.name]}")
    return Dist.apply(x, y, float(p))


class Renorm(Op):
    """z = x s, s = maxnorm/(n + 1e-7) where n = ||x slice||_p > maxnorm, else 1 (p = inf: n = max |x|);
    dz/dx = s - [n > maxnorm] maxnorm/(n + 1e-7)^2 x (x |x|^(p-2)/n^(p-1)) . (summed over the slice)"""

    @staticmethod
    def forward(ctx, x, p, dim, maxnorm):
        axes = tuple(i for i in range(x.ndim) if i != dim)
        if math.isinf(p):
            norm = np.max(np.abs(x), axis=axes, keepdims=True, initial=0)
        else:
            norm = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
        scale = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(x.dtype)
        ctx.p, ctx.axes, ctx.maxnorm = p, axes, maxnorm
        ctx.save_for_backward(x)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p, axes, maxnorm = ctx.p, ctx.axes, ctx.maxnorm
        if math.isinf(p):   # d max|x| / dx: sign(x), shared by the tied largest entries
            norm = abs(x).amax(axes, keepdim=True)
            at_max = (abs(x) == norm).to(x.dtype)
            dnorm = sign(x) * at_max / at_max.sum(axes, keepdim=True)
        else:
            norm = pow((abs(x) ** p).sum(axes, keepdim=True), 1 / p)
            dnorm = x * pow(abs(x), p - 2) / pow(norm, p - 1)   # d||x||_p/dx
        over = norm > maxnorm
        scale = where(over, maxnorm / (norm + 1e-7), 1.0)
        inner = (g * x).sum(axes, keepdim=True)
        return g * scale - where(over, maxnorm / ((norm + 1e-7) * (norm + 1e-7)) * inner, 0.0) * dnorm, None, None, None


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` rescaled so that its p-norm is at most ``maxnorm``."""
    input = _tensor_arg(input, "renorm")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input._data.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input._data.ndim} dimensions")
    if not dtypes.is_floating(input._data.dtype):
        raise not_implemented("renorm_out", input._data)
    from ._util import wrap_dim
    return Renorm.apply(input, float(p), wrap_dim(dim, input._data.ndim), float(maxnorm))


# -- fill, and the creation functions of this family (no gradient) ------------------------------------------
def fill(input, value):
    """A tensor like ``input`` holding ``value`` everywhere (a number, or a 0-d tensor whose gradient is the sum)."""
    from .convert import full_like_value
    out = full_like_value(_tensor_arg(input, "fill"), value)
    return overload(out, "FillBackward1" if isinstance(value, Tensor) else "FillBackward0")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` powers base^t for t evenly spaced from start to end (computed in double, then cast)."""
    from ..creation import _finish, _float_dtype
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    powers = np.power(float(base), np.linspace(float(start), float(end), steps))
    return _finish(powers.astype(_float_dtype(dtype)), device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding the number ``s``, in ``dtype`` (default: the default float dtype)."""
    from ..creation import _finish, _float_dtype
    return _finish(np.asarray(s, dtype=_float_dtype(dtype)), device, requires_grad)


# NumPy warns on log(0), 0/0, exp overflow...; torch returns inf/nan silently, and so do minigrad's ops.
# The filter matches only NumPy's floating-point messages raised from minigrad.ops modules.
warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered",
                        category=RuntimeWarning, module=r"minigrad\.ops\.")
