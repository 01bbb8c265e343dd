"""Elementwise arithmetic. Broadcasting in backward is undone centrally by the engine."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, promote

__all__ = ["add", "sub", "mul", "div", "neg", "subtract", "multiply", "divide", "true_divide", "floor_divide",
           "negative"]


class Add(Op):
    """z = x + alpha*y;  dz/dx = 1,  dz/dy = alpha"""

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x + y if alpha == 1 else x + alpha * y

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Op):
    """z = x - alpha*y;  dz/dx = 1,  dz/dy = -alpha"""

    @staticmethod
    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x - y if alpha == 1 else x - alpha * y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha)


class Mul(Op):
    """z = x * y;  dz/dx = y,  dz/dy = x"""

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
        return (g * y if ctx.needs_input_grad[0] else None,
                g * x if ctx.needs_input_grad[1] else None)


class Div(Op):
    """z = x / y;  dz/dx = 1/y,  dz/dy = -x/y^2"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g / y if ctx.needs_input_grad[0] else None
        gy = -g * x / (y * y) if ctx.needs_input_grad[1] else None
        return gx, gy


class DivRounded(Op):
    """z = trunc(x / y) or floor(x / y);  dz/dx = dz/dy = 0  (a step function: torch's zero gradient)"""

    @staticmethod
    def forward(ctx, x, y, rounding_mode):
        kind = (x if hasattr(x, "dtype") else y).dtype.kind
        if kind == "f":
            return np.floor_divide(x, y) if rounding_mode == "floor" else np.trunc(x / y)
        if not np.all(y):
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(x, y)
        if rounding_mode == "trunc" and kind == "i":  # floor rounds negative quotients down: step back up
            q = q + ((q < 0) & (q * y != x))
        return q

    @staticmethod
    def backward(ctx, g):
        zeros = Tensor._make(np.zeros_like(g._data))
        return (zeros if ctx.needs_input_grad[0] else None, zeros if ctx.needs_input_grad[1] else None)


class FloorDivide(DivRounded):
    """z = floor(x / y);  no derivative (torch's floor_divide and // raise in backward)"""

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Neg(Op):
    """z = -x;  dz/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


def add(input, other, *, alpha=1):
    a, b = promote(input, other)
    return Add.apply(a, b, alpha=alpha)


def _is_bool(x) -> bool:
    return x.__class__ is bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def sub(input, other, *, alpha=1):
    bool_input, bool_other = _is_bool(input), _is_bool(other)
    if bool_input or bool_other:
        if bool_input and bool_other:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    a, b = promote(input, other)
    return Sub.apply(a, b, alpha=alpha)


def mul(input, other):
    a, b = promote(input, other)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    """``input / other``; ``rounding_mode`` "trunc" or "floor" rounds the quotient (keeping integer dtypes)."""
    a, b = promote(input, other)
    if rounding_mode is None:
        # true division of integers gives the default float dtype
        if isinstance(a, Tensor) and a._data.dtype.kind not in "fc":
            a = a.to(dtypes.get_default_dtype())
        if isinstance(b, Tensor) and b._data.dtype.kind not in "fc":
            b = b.to(dtypes.get_default_dtype())
        return Div.apply(a, b)
    if rounding_mode != "trunc" and rounding_mode != "floor":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
    return DivRounded.apply(a, b, rounding_mode)


def floor_divide(input, other):
    """``input // other``: div with rounding_mode="floor", but without a derivative, as in torch."""
    a, b = promote(input, other)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype == np.bool_:
        raise NotImplementedError('"div_floor_cpu" not implemented for \'Bool\'')
    return FloorDivide.apply(a, b, "floor")


def true_divide(input, other):
    return div(input, other)


subtract = sub
multiply = mul
divide = div


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


negative = neg
