"""Reductions over dims. Backward re-expands the gradient over the reduced dims."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ._util import Op, Tensor, float_result, norm_dims

__all__ = ["sum", "mean"]


def _restore_dims(g: Tensor, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dims as size 1, so that g broadcasts against the input."""
    if keepdim or not dims:
        return g
    from .shape import reshape
    shape = list(g.shape)
    for d in dims:
        shape.insert(d, 1)
    return reshape(g, tuple(shape))


class Sum(Op):
    """z = sum(x, dims);  dz/dx = 1 (g broadcast back over dims)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        from .shape import expand
        return expand(_restore_dims(g, ctx.dims, ctx.keepdim), ctx.shape)


class Mean(Op):
    """z = mean(x, dims);  dz/dx = 1/n (g broadcast back over dims)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.n = int(np.prod([x.shape[d] for d in dims])) if dims else 1
        return np.mean(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        from .shape import expand
        return expand(_restore_dims(g, ctx.dims, ctx.keepdim), ctx.shape) / ctx.n


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    dims = norm_dims(dim, input._data.ndim)
    if dtype is not None:
        np_dtype = dtypes.as_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = np.int64  # torch sums integers and bools in int64
    else:
        np_dtype = None
    return Sum.apply(input, dims, keepdim, np_dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype.name.capitalize()}")
    return Mean.apply(input, norm_dims(dim, input._data.ndim), keepdim)
