"""Elementwise arithmetic. Broadcasting in backward is undone centrally by the engine."""
from __future__ import annotations

import numpy as np

from ._util import Op, Tensor, promote

__all__ = ["add", "sub", "mul", "div", "neg"]


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


def sub(input, other, *, alpha=1):
    if isinstance(input, Tensor) and input._data.dtype == np.bool_ and isinstance(other, Tensor) \
            and other._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    a, b = promote(input, other)
    return Sub.apply(a, b, alpha=alpha)


def mul(input, other):
    a, b = promote(input, other)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    a, b = promote(input, other)
    if rounding_mode is None:
        from .. import dtypes
        # true division of integers gives the default float dtype
        if isinstance(a, Tensor) and a._data.dtype.kind not in "fc":
            a = a.to(dtypes.get_default_dtype())
        if isinstance(b, Tensor) and b._data.dtype.kind not in "fc":
            b = b.to(dtypes.get_default_dtype())
        return Div.apply(a, b)
    raise NotImplementedError("rounding_mode is implemented in ops.math")


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)
