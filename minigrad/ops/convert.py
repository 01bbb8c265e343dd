"""Conversions and copies: dtype casts, clone, copy_, fill_, device moves."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, xp

__all__ = ["to_dtype", "clone", "copy_into", "full_like_value", "to_device", "zero_", "fill_"]


class ToDtype(Op):
    """z = cast(x);  dz/dx = 1 (the engine casts the gradient back to x's dtype)"""

    computes_in_float32 = False   # a cast sees the stored dtype (bfloat16 stays bfloat16 until cast)

    @staticmethod
    def forward(ctx, x, np_dtype):
        if x.dtype.kind == "c" and np.dtype(np_dtype).kind != "c":
            x = x.real   # complex to real keeps the real part (torch warns; the gradient is Re's)
        return dtypes.cast(x, np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None


def to_dtype(input: Tensor, dtype) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if input._data.dtype == dtype.np:
        return input
    return ToDtype.apply(input, dtype.np)


class Clone(Op):
    """z = copy(x);  dz/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    return Clone.apply(input)


class CopyInto(Op):
    """z = broadcast(src) cast to dst's dtype (copy_'s out-of-place half);  dz/ddst = 0,  dz/dsrc = 1"""

    computes_in_float32 = False   # a cast sees the stored dtypes

    @staticmethod
    def forward(ctx, dst, src):
        return dtypes.cast(np.broadcast_to(src, dst.shape), dst.dtype)

    @staticmethod
    def backward(ctx, g):
        # dst's old values are overwritten: a zero gradient (not none), as torch's copy_ gives
        gdst = Tensor._make(xp(g._data).zeros_like(g._data)) if ctx.needs_input_grad[0] else None
        return gdst, g


def copy_into(dst: Tensor, src: Tensor) -> Tensor:
    try:
        np.broadcast_shapes(src._data.shape, dst._data.shape)
        if np.broadcast_shapes(src._data.shape, dst._data.shape) != dst._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(dst.shape)}) must match the size of tensor b "
                           f"({list(src.shape)}) for copy_") from None
    if src.device != dst.device:   # copy_ copies across devices (the gradient goes back to src's)
        src = src.to(dst.device)
    return CopyInto.apply(dst, src)


class FullLikeValue(Op):
    """z = value everywhere (fill_'s out-of-place half);  dz/dx = 0,  dz/dvalue = sum(g)"""

    @staticmethod
    def forward(ctx, x, value):
        return xp(x).full(x.shape, value, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        # x's old values are overwritten: a zero gradient (not none), as torch's fill_ gives
        gx = Tensor._make(xp(g._data).zeros_like(g._data)) if ctx.needs_input_grad[0] else None
        return gx, (g.sum() if ctx.needs_input_grad[1] else None)


def full_like_value(input: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return FullLikeValue.apply(input, value)
    # checked as torch does: uint8.fill_(300) raises, uint8.fill_(-1) writes 255
    return FullLikeValue.apply(input, dtypes.checked_scalar(_python_number(value), input.dtype))


def _python_number(value):
    return value.item() if isinstance(value, np.generic) else value


def to_device(input: Tensor, device) -> Tensor:
    from ..device import device as Device, device_of
    target = Device(device)
    if device_of(input._data) == target:
        return input
    from .. import cuda
    return cuda.to_device(input, target)


def zero_(input):
    """torch.zero_: fill ``input`` with zeros in place."""
    return input.zero_()


def fill_(input, value):
    """torch.fill_: fill ``input`` with ``value`` in place."""
    return input.fill_(value)
