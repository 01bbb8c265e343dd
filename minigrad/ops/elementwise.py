"""Elementwise arithmetic. Broadcasting in backward is undone centrally by the engine."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, conj_of, promote

__all__ = ["add", "sub", "mul", "div", "neg", "subtract", "multiply", "divide", "true_divide", "floor_divide",
           "negative"]


def _half_with_scalar(op, input, other, **kwargs):
    """``op`` on a float16 or bfloat16 tensor and a scalar second operand the way torch computes it, or None.

    torch's CPU mul, div (every rounding mode) and floor_divide read a scalar second operand (a Python number, or a 0-d tensor that
    does not set the result dtype) in float32, their "opmath" type for float16 and bfloat16, and round only the
    result: ``half * 1e-8`` is ``float16(float32(half) * 1e-8)``, not ``half * float16(1e-8)`` = 0.
    """
    data = getattr(input, "_data", None)   # cheap first test: this runs on every mul and div
    if data is None:
        return None
    dt, low_precision = data.dtype, dtypes.LOW_PRECISION_ARRAYS   # (empty until bfloat16 is used)
    if dt.char != "e" and not (low_precision and dt in low_precision) or not data.ndim or not isinstance(input, Tensor):
        return None
    if isinstance(other, Tensor):
        if other._data.ndim or other._data.dtype == data.dtype or other._data.dtype.kind not in "biuf":
            return None
        if dtypes.is_floating(other._data.dtype):
            other = other.to(dtypes.float32)
    elif isinstance(other, (int, float, np.number)) and not isinstance(other, (bool, np.bool_)):
        other = dtypes.check_python_int(other.item() if isinstance(other, np.generic) else other)
        other = float(np.float32(other))
    else:
        return None
    return op(input.to(dtypes.float32), other, **kwargs).to(input.dtype)


def _check_alpha(alpha, a, b):
    """torch's checks of ``alpha`` against the result dtype: a bool alpha only for a bool result,
    no float alpha for an integer one; it must fit the dtype (a bool result takes any int as bool)."""
    if alpha == 1 and alpha.__class__ is int:
        return alpha
    d = dtypes.result_type(a, b)
    if isinstance(alpha, bool) and d.category != 0:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if d.category < 2 and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if d.category == 0:
        return bool(alpha)
    alpha = dtypes.checked_scalar(alpha, d)
    return alpha if d is not dtypes.bfloat16 else dtypes.rounded_number(alpha, d)   # as torch: alpha in bfloat16


def _is_bool(x) -> bool:
    return x.__class__ is bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


class Add(Op):
    """z = x + alpha*y;  dz/dx = 1,  dz/dy = alpha"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x + y if alpha == 1 else x + _scaled(alpha, y, x)

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * conj_of(ctx.alpha))


def _scaled(alpha, y, x):
    """``alpha * y`` for add/sub; two Python ints for an integer tensor ``x`` wrap to its dtype, as
    torch's integer kernels do (NumPy would refuse a number out of the dtype's range)."""
    ay = alpha * y
    if ay.__class__ is int and getattr(x, "dtype", None) is not None and x.dtype.kind in "iu":
        return np.asarray(ay).astype(x.dtype) if -2**63 <= ay < 2**63 else np.asarray(ay & 0xFF_FF_FF_FF_FF_FF_FF_FF,
                                                                                          np.uint64).astype(x.dtype)
    return ay


def _plain_pair(input, other) -> bool:
    """Whether ``input`` and ``other`` are tensors of one dtype and one shape, both NumPy arrays: the
    common call, where add's and mul's checks (sparse operands, the float16 scalar rule, promotion,
    broadcasting) would each pass the operands through unchanged, so those ops go straight to apply."""
    if isinstance(other, Tensor) and isinstance(input, Tensor):
        x, y = input._data, other._data
        return x.dtype is y.dtype and type(x) is np.ndarray and type(y) is np.ndarray and x.shape == y.shape
    return False


def add(input, other, *, alpha=1):
    if alpha.__class__ is int and alpha == 1 and _plain_pair(input, other):
        return Add.apply(input, other)
    if _sparse_operand(input, other):
        from ..sparse import add as sparse_add
        return sparse_add(input, other, alpha=alpha)
    a, b = promote(input, other)
    if alpha == 1 and alpha.__class__ is int:
        return Add.apply(a, b)   # (no keyword: it costs a tenth of a tiny add's dispatch)
    return Add.apply(a, b, alpha=_check_alpha(alpha, a, b))


def _sparse_operand(input, other) -> bool:
    """Whether an operand is a sparse COO tensor (minigrad.sparse does torch's arithmetic across layouts)."""
    return (not isinstance(input, Tensor) and getattr(input, "is_sparse", False)) or \
        (not isinstance(other, Tensor) and getattr(other, "is_sparse", False))


class Sub(Op):
    """z = x - alpha*y;  dz/dx = 1,  dz/dy = -alpha"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x - y if alpha == 1 else x - _scaled(alpha, y, x)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -conj_of(ctx.alpha))


def sub(input, other, *, alpha=1):
    if _sparse_operand(input, other):
        from ..sparse import add as sparse_add
        return sparse_add(input, other, alpha=-alpha)
    dtypes.check_python_int(input), dtypes.check_python_int(other)   # torch reads the numbers first
    bool_input, bool_other = _is_bool(input), _is_bool(other)
    if bool_input or bool_other:
        if bool_input and bool_other:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    a, b = promote(input, other)
    return Sub.apply(a, b, alpha=_check_alpha(alpha, a, b))


subtract = sub


class Mul(Op):
    """z = x * y;  dz/dx = y,  dz/dy = x  (complex: grad_x = g conj(y), grad_y = g conj(x))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, y):
        # Save only what the wanted gradients need, so an in-place change to the other operand
        # does not invalidate this node (torch does the same).
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None,
                              y if ctx.needs_input_grad[0] else None)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * conj_of(y) if ctx.needs_input_grad[0] else None,
                g * conj_of(x) if ctx.needs_input_grad[1] else None)


def mul(input, other):
    if _plain_pair(input, other):
        return Mul.apply(input, other)
    if _sparse_operand(input, other):
        from ..sparse import mul as sparse_mul
        return sparse_mul(input, other)
    z = _half_with_scalar(mul, input, other)
    if z is not None:
        return z
    a, b = promote(input, other)
    return Mul.apply(a, b)


multiply = mul


class Div(Op):
    """z = x / y;  dz/dx = 1/y,  dz/dy = -x/y^2  (complex: grad_x = g / conj(y), grad_y = -g conj(x/y^2))"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        x, y = conj_of(x), conj_of(y)
        gx = g / y if ctx.needs_input_grad[0] else None
        # torch's order, (x / y) / y: y * y underflows to 0 (or overflows) where the quotients do not
        gy = -g * ((x / y) / y) if ctx.needs_input_grad[1] else None
        return gx, gy


class DivRounded(Op):
    """z = trunc(x / y) or floor(x / y);  dz/dx = dz/dy = 0  (a step function: torch's zero gradient)"""

    node_name = "DivBackward2"  # torch's div.Tensor_mode

    @staticmethod
    def forward(ctx, x, y, rounding_mode):
        # unused by backward, but saved as torch's node saves them (other for either gradient, self
        # for other's): an in-place write into them before backward is a version error
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        kind = (x if hasattr(x, "dtype") else y).dtype.kind
        if kind == "f":
            return np.floor_divide(x, y) if rounding_mode == "floor" else np.trunc(x / y)
        if not np.all(y) and np.broadcast(x, y).size:   # an empty result divides nothing
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(x, y)
        if rounding_mode == "trunc" and kind == "i":  # floor rounds negative quotients down: step back up
            q = q + ((q < 0) & (q * y != x))
        return q

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # the version check
        # torch's zeros_like(grad) for each input: outside any graph, and two tensors, not one
        # (a write into one gradient must not show in the other's)
        return tuple([Tensor._make(np.zeros_like(g._data)) if needed else None for needed in ctx.needs_input_grad[:2]])


def div(input, other, *, rounding_mode=None):
    """``input / other``; ``rounding_mode`` "trunc" or "floor" rounds the quotient (keeping integer dtypes)."""
    z = _half_with_scalar(div, input, other, rounding_mode=rounding_mode)
    if z is not None:
        return z
    if rounding_mode is None:
        # true division of integers gives the default float dtype
        return Div.apply(*promote(input, other, to_float=True))
    a, b = promote(input, other)
    if rounding_mode != "trunc" and rounding_mode != "floor":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    return DivRounded.apply(a, b, rounding_mode)


divide = div


def true_divide(input, other):
    return div(input, other)


class FloorDivide(DivRounded):
    """z = floor(x / y);  no derivative (torch's floor_divide and // raise in backward)"""

    node_name = "torch::autograd::NotImplemented"   # torch's node for an op without a derivative

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def floor_divide(input, other):
    """``input // other``: div with rounding_mode="floor", but without a derivative, as in torch."""
    z = _half_with_scalar(floor_divide, input, other)
    if z is not None:
        return z
    a, b = promote(input, other)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype == np.bool_:
        raise NotImplementedError('"div_floor_cpu" not implemented for \'Bool\'')
    return FloorDivide.apply(a, b, "floor")


class Neg(Op):
    """z = -x;  dz/dx = -1"""

    supports_complex = True

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


negative = neg
