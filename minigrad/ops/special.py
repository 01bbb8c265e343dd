"""torch.special's functions: the normal distribution, scaled Bessel functions, zeta, the orthogonal
polynomials. ``minigrad.special`` exports them with torch.special's aliases of the math ops.

The kernels are Numba scalar functions in ops/_cephes.py (Cephes' algorithms, as torch's). Where torch
defines no derivative, the result does not require grad (the Bessel functions of ``special`` and the
polynomials), or backward raises torch's error (zeta in its first argument).

These names are not star-exported into ``minigrad``: torch.special.round and torch.round are
distinct entry points, and most of these exist only under torch.special.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, overload, promote, xp
from .math import (_float_input, _number_or_tensor_pair, _tensor_arg, _xlog, exp, kernel, log, log1p,
                   sign, where)

__all__ = [
    "entr", "erfcx", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "xlog1py", "zeta", "airy_ai", "bessel_j0",
    "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]


def _unary(op, name):
    """The public function of a unary special Op: integer inputs become the default float."""
    def function(input):
        return op.apply(_float_input(input, name))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = op.__doc__
    return function


class Entr(Op):
    """z = -x log x (0 at 0, -inf below);  dz/dx = -(1 + log x)"""

    node_name = "SpecialEntrBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        z = -x * np.log(np.where(x > 0, x, 1))
        return np.where(x < 0, -np.inf, np.where(np.isnan(x), np.nan, z)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * -(1 + log(x))


entr = _unary(Entr, "entr")


class Erfcx(Op):
    """z = exp(x^2) erfc(x);  dz/dx = 2 x z - 2/sqrt(pi)"""

    node_name = "SpecialErfcxBackward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("erfcx", x)
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        return g * (2 * x * z - 2 / math.sqrt(math.pi))


erfcx = _unary(Erfcx, "erfcx")


class I0e(Op):
    """z = exp(-|x|) I0(x);  dz/dx = i1e(x) - sign(x) z"""

    node_name = "SpecialI0EBackward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("i0e", x)
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        return g * (i1e(x) - sign(x) * z)


i0e = _unary(I0e, "i0e")


class I1(Op):
    """z = I1(x);  dz/dx = I0(x) - z/x  (1/2 for |x| <= eps and NaN)"""

    node_name = "SpecialI1Backward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("i1", x)
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        from .math import i0
        x, z = ctx.saved_tensors
        at_zero = _near_zero(x)
        return g * where(at_zero, 0.5, i0(x) - z / where(at_zero, 1.0, x))


i1 = _unary(I1, "i1")


class I1e(Op):
    """z = exp(-|x|) I1(x);  dz/dx = i0e(x) - z (sign(x) + 1/x)  (1/2 for |x| <= eps and NaN)"""

    node_name = "SpecialI1EBackward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("i1e", x)
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        at_zero = _near_zero(x)
        return g * where(at_zero, 0.5, i0e(x) - z * (sign(x) + 1 / where(at_zero, 1.0, x)))


def _near_zero(x):
    """|x| not above the dtype's epsilon, where torch's i1 and i1e gradients take their limit 1/2 (z/x would
    lose all precision, and its derivative z/x^2 overflow); NaN too, as torch's test is ``not |x| > eps``."""
    return (abs(x) > dtypes.finfo(x.dtype).eps).logical_not()


i1e = _unary(I1e, "i1e")


def ndtr(input):
    """The standard normal CDF, (1 + erf(x/sqrt 2))/2 (computed so, as torch: its node is a MulBackward1)."""
    from .math import erf
    x = _float_input(input, "ndtr")
    return overload((1 + erf(x * (1 / math.sqrt(2)))) * 0.5, "MulBackward1")


class Ndtri(Op):
    """z = the inverse of the standard normal CDF;  dz/dx = sqrt(2 pi) exp(z^2/2)"""

    node_name = "SpecialNdtriBackward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("ndtri", x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (math.sqrt(2 * math.pi) * exp(z * z / 2))


ndtri = _unary(Ndtri, "ndtri")


class LogNdtr(Op):
    """z = log ndtr(x);  dz/dx = exp(-x^2/2 - z)/sqrt(2 pi)"""

    node_name = "SpecialLogNdtrBackward0"

    @staticmethod
    def forward(ctx, x):
        z = kernel("log_ndtr", x)
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        return g / math.sqrt(2 * math.pi) * exp(-(z + x * x / 2))


log_ndtr = _unary(LogNdtr, "log_ndtr")


class Xlog1py(Op):
    """z = x log(1 + y), 0 where x = 0 (unless y is NaN);  dz/dx = log1p(y) (torch: 0 where x = 0 and y <= -1),
    dz/dy = x/(1 + y)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlog(x, y, np.log1p)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = where((x == 0) & (y <= -1), 0.0, xlog1py(g, y))
        if ctx.needs_input_grad[1]:
            gy = g * x / (1 + y)
        return gx, gy


def xlog1py(input, other):
    """x log(1 + y), with 0 where x = 0 (and y is no NaN); either may be a number."""
    x, y, node = _number_or_tensor_pair(input, other, "special_xlog1py", "SpecialXlog1Py")
    return overload(Xlog1py.apply(x, y), node)


class Zeta(Op):
    """z = sum_k (k + q)^-x (Hurwitz);  dz/dq = -x zeta(x + 1, q),  dz/dx: not implemented (torch raises)"""

    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        array = x if hasattr(x, "dtype") else q
        return kernel("zeta", xp(array).asarray(x, array.dtype), xp(array).asarray(q, array.dtype))

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, g * -x * zeta(x + 1, q)


def zeta(input, other):
    """The Hurwitz zeta function zeta(input, other); either may be a number."""
    x, q, node = _number_or_tensor_pair(input, other, "special_zeta", "SpecialZeta")
    return overload(Zeta.apply(x, q), node)


# -- functions without a derivative in torch (the result never requires grad) ------------------------
class _Undifferentiated(Op):
    """z = a special function torch defines no derivative for;  no gradient"""

    differentiable = False

    @staticmethod
    def forward(ctx, name, *arrays):
        array = next(a for a in arrays if hasattr(a, "dtype"))
        return kernel(name, *[xp(array).asarray(a, array.dtype) for a in arrays])


def _undifferentiated_unary(name):
    def function(input):
        return _Undifferentiated.apply(name, _float_input(input, name))
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.special.{name} (no derivative, as in torch)."
    return function


airy_ai = _undifferentiated_unary("airy_ai")
bessel_j0 = _undifferentiated_unary("bessel_j0")
bessel_j1 = _undifferentiated_unary("bessel_j1")
bessel_y0 = _undifferentiated_unary("bessel_y0")
bessel_y1 = _undifferentiated_unary("bessel_y1")
modified_bessel_i0 = _undifferentiated_unary("i0")
modified_bessel_i0.__name__ = "modified_bessel_i0"
modified_bessel_i1 = _undifferentiated_unary("i1")
modified_bessel_i1.__name__ = "modified_bessel_i1"
modified_bessel_k0 = _undifferentiated_unary("modified_bessel_k0")
modified_bessel_k1 = _undifferentiated_unary("modified_bessel_k1")
scaled_modified_bessel_k0 = _undifferentiated_unary("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _undifferentiated_unary("scaled_modified_bessel_k1")
spherical_bessel_j0 = _undifferentiated_unary("spherical_bessel_j0")


def _polynomial(name):
    def function(input, n):
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments - expected a Tensor as "
                            f"input or n")
        x, order = promote(input, n, to_float=True)
        return _Undifferentiated.apply(name, x, order)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.special.{name}(input, n): the degree-n polynomial at input (n truncated to an integer)."
    return function


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")
