"""Shape ops: views and broadcasts. Their backward moves the gradient back to the input's shape."""
from __future__ import annotations

import numpy as np

from ._util import Op, Tensor

__all__ = ["reshape", "view", "expand", "broadcast_to", "sum_to_size"]


def _infer_shape(shape, numel: int, input_shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    """z = reshape(x, shape);  dz/dx = reshape(g, x.shape)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.shape)


class Expand(Op):
    """z = broadcast_to(x, shape);  dz/dx = sum of g over the broadcast dims"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_size(g, ctx.shape)


class SumToSize(Op):
    """z = sum of x over the dims where shape is 1 or absent;  dz/dx = broadcast_to(g, x.shape)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        lead = x.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and x.shape[lead + i] != 1)
        out = np.sum(x, axis=dims, keepdims=True) if dims else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return expand(g, ctx.shape)


def reshape(input: Tensor, shape) -> Tensor:
    shape = _infer_shape(shape if isinstance(shape, (tuple, list)) else (shape,), input._data.size, input.shape)
    return Reshape.apply(input, shape)


def view(input: Tensor, shape) -> Tensor:
    shape = _infer_shape(shape if isinstance(shape, (tuple, list)) else (shape,), input._data.size, input.shape)
    if not input._data.flags.c_contiguous and input._data.size > 1:
        test = input._data.view()
        try:
            test.shape = shape  # succeeds only if no copy is needed
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return Reshape.apply(input, shape)


def expand(input: Tensor, shape) -> Tensor:
    shape = tuple(int(s) for s in shape)
    ishape = input._data.shape
    if len(shape) < len(ishape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(ishape)}}}, size={list(shape)}): the number of sizes "
                           f"provided ({len(shape)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(ishape)})")
    lead = len(shape) - len(ishape)
    target = list(shape)
    for i, s in enumerate(shape):
        if i >= lead:
            cur = ishape[i - lead]
            if s == -1:
                target[i] = cur
            elif cur != 1 and cur != s:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: {list(shape)}.  Tensor sizes: "
                                   f"{list(ishape)}")
        elif s == -1:
            raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                               f"dimension {i}")
    target = tuple(target)
    if target == ishape:
        return input
    return Expand.apply(input, target)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, size)


def sum_to_size(input: Tensor, *size) -> Tensor:
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if shape == input._data.shape:
        return input
    return SumToSize.apply(input, shape)
