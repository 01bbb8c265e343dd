"""Shape ops: views, broadcasts, joins and splits. Their backward moves the gradient back to the
input's shape.

Ops that torch documents as views (reshape/view of contiguous memory, permute, transpose, squeeze,
unsqueeze, flatten, narrow, split, chunk, unbind) return NumPy views here, so that their results
share memory (and the version counter) with the input as in torch. Ops that torch documents as
copies (flip, roll, repeat, tile, cat, stack, tril, triu) copy.
"""
from __future__ import annotations

from ..device import check_same_device

import numpy as np

from .. import dtypes
from ._util import broadcast_view, Op, overload, Tensor, wrap_dim

__all__ = ["reshape", "view", "expand", "broadcast_to", "sum_to_size", "flatten", "unflatten", "squeeze",
           "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
           "repeat", "tile", "flip", "roll", "narrow", "split", "chunk", "unbind", "cat", "concat",
           "concatenate", "stack", "tril", "triu"]


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


# -- views and broadcasts -------------------------------------------------------------------------
class Reshape(Op):
    """z = reshape(x, shape);  dz/dx = reshape(g, x.shape)"""

    node_name = "ViewBackward0"  # torch's view, and reshape of a tensor it can view

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return Reshape.apply(g, ctx.shape)


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


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return Reshape.apply(input, (1,))
    ndim = len(shape)
    start, end = wrap_dim(start_dim, ndim), wrap_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    n = 1
    for s in shape[start:end + 1]:
        n *= s
    return Reshape.apply(input, shape[:start] + (n,) + shape[end + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    shape = input._data.shape
    dim = wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = shape[dim] if shape else 1
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in sizes:
        if known == 0 or size % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                               f"({size}) in the input tensor")
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    elif known != size:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({size}) in the input tensor")
    return Reshape.apply(input, shape[:dim] + sizes + shape[dim + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    shape = input._data.shape
    ndim = len(shape)
    # torch's squeeze(), squeeze(dim) and squeeze(dims) record SqueezeBackward0, 1 and 2
    name = "SqueezeBackward0" if dim is None else "SqueezeBackward2" if isinstance(dim, (tuple, list)) \
        else "SqueezeBackward1"
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        if isinstance(dim, (tuple, list)):
            dims = [wrap_dim(d, ndim) for d in dim]
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        else:
            dims = [wrap_dim(dim, ndim)]
        if not ndim:
            return overload(Reshape.apply(input, ()), name)
        new = tuple(s for i, s in enumerate(shape) if s != 1 or i not in dims)
    return overload(Reshape.apply(input, new), name)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    shape = input._data.shape
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    dim %= n
    return overload(Reshape.apply(input, shape[:dim] + (1,) + shape[dim:]), "UnsqueezeBackward0")


class Expand(Op):
    """z = broadcast_to(x, shape);  dz/dx = sum of g over the broadcast dims"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return broadcast_view(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_size(g, ctx.shape)


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
    return Expand.apply(input, tuple(target))   # a new view also for the same shape, as torch


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, size)


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


def sum_to_size(input: Tensor, *size) -> Tensor:
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if shape == input._data.shape:
        return input
    return SumToSize.apply(input, shape)


class Permute(Op):
    """z = permute(x, dims);  dz/dx = permute(g, inverse(dims))"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return Permute.apply(g, tuple(np.argsort(ctx.dims).tolist()))


def permute(input: Tensor, dims) -> Tensor:
    ndim = input._data.ndim
    dims = tuple(dims)
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = input._data.ndim
    d0, d1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    dims = list(range(ndim))
    if ndim:
        dims[d0], dims[d1] = d1, d0
    return overload(Permute.apply(input, tuple(dims)), "TransposeBackward0")


swapaxes = transpose


swapdims = transpose


def t(input: Tensor) -> Tensor:
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return overload(Permute.apply(input, (1, 0) if ndim == 2 else tuple(range(ndim))), "TBackward0")


def movedim(input: Tensor, source, destination) -> Tensor:
    ndim = input._data.ndim
    src = list(source) if isinstance(source, (tuple, list)) else [source]
    dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, ndim) for d in src]
    dst = [wrap_dim(d, ndim) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    if not ndim:
        return Permute.apply(input, ())
    order = [d for d in range(ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


class Slice(Op):
    """z = x[key] for a basic key (ints, slices, None, Ellipsis);  dz/dx = g placed at key in zeros"""

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return SliceBackward.apply(g, ctx.shape, ctx.key)


class SliceBackward(Op):
    """z = zeros(shape) with z[key] = x;  dz/dx = g[key]"""

    @staticmethod
    def forward(ctx, x, shape, key):
        ctx.key = key
        out = np.zeros_like(x, shape=shape)
        out[key] = x
        return out

    @staticmethod
    def backward(ctx, g):
        return Slice.apply(g, ctx.key)


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    ndim = input._data.ndim
    if not ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, ndim)
    start, length = int(start), int(length)
    size = input._data.shape[dim]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Slice.apply(input, (slice(None),) * dim + (slice(start, start + length),))


# -- splits and joins -----------------------------------------------------------------------------
class Split(Op):
    """z_i = x[..., o_i : o_i + s_i, ...] (views);  dz/dx = cat(g_i, dim)"""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        lead = (slice(None),) * dim
        out, offset = [], 0
        for s in sizes:
            out.append(x[lead + (slice(offset, offset + s),)])
            offset += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(*grads, dim=ctx.dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    ndim = tensor._data.ndim
    if not ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, ndim)
    size = tensor._data.shape[dim]
    name = "SplitBackward0"
    if isinstance(split_size_or_sections, (tuple, list)):
        name = "SplitWithSizesBackward0"
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
    else:
        step = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0:
            if size:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
            sizes = [0]
        else:
            sizes = [min(step, size - o) for o in range(0, size, step)] or [0]
    return overload(Split.apply(tensor, dim, sizes), name)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    ndim = input._data.ndim
    if not ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if size == 0:
        return overload(Split.apply(input, dim, [0] * chunks), "SplitWithSizesBackward0")
    return split(input, -(-size // chunks), dim)


class Unbind(Op):
    """z_i = x[..., i, ...] (views);  dz/dx = stack(g_i, dim)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(*grads, dim=ctx.dim)


def unbind(input: Tensor, dim: int = 0):
    ndim = input._data.ndim
    if not ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, wrap_dim(dim, ndim))


def _skipped_in_cat(x) -> bool:
    # torch's legacy rule: 1-D empty tensors are left out of cat, whatever their shape elsewhere
    return x.ndim == 1 and x.shape[0] == 0


def _common_dtype(tensors):
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return None
    d = tensors[0].dtype
    for t in tensors[1:]:
        d = dtypes.promote_types(d, t.dtype)
    return d


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    check_same_device(*tensors)
    return tensors


class Cat(Op):
    """z = cat(x_1, ..., x_n, dim);  dz/dx_i = the slice of g that x_i filled"""

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        ctx.sizes = [None if _skipped_in_cat(x) else x.shape[dim] for x in xs]
        kept = [x for x in xs if not _skipped_in_cat(x)]
        if not kept:
            return np.concatenate(xs)
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out, offset, dim = [], 0, ctx.dim
        lead = (slice(None),) * dim
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            if size is None:  # an empty 1-D tensor that cat skipped: an empty gradient
                out.append(Tensor._make(np.zeros_like(g._data, shape=(0,))) if need else None)
                continue
            out.append(Slice.apply(g, lead + (slice(offset, offset + size),)) if need else None)
            offset += size
        return tuple(out)


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    kept = [(i, t_._data.shape) for i, t_ in enumerate(tensors) if not _skipped_in_cat(t_._data)]
    if kept:
        first_i, ref = kept[0]
        ndim = len(ref)
        for i, shape in kept:
            if not shape:
                raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        dim = wrap_dim(dim, ndim)
        for i, shape in kept[1:]:
            if len(shape) != ndim:
                raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and {len(shape)}")
            for d in range(ndim):
                if d != dim and shape[d] != ref[d]:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                       f"{ref[d]} but got size {shape[d]} for tensor number {i} in the list.")
    else:
        dim = 0
    d = _common_dtype(tensors)
    if d is not None:
        tensors = [t_.to(d) for t_ in tensors]
    return Cat.apply(*tensors, dim=dim)


def concat(tensors, dim: int = 0) -> Tensor:
    return cat(tensors, dim)


def concatenate(tensors, axis: int = 0) -> Tensor:
    return cat(tensors, axis)


class Stack(Op):
    """z = stack(x_1, ..., x_n, dim);  dz/dx_i = select(g, dim, i)"""

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return Unbind.apply(g, ctx.dim)


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t_ in enumerate(tensors[1:], 1):
        if t_._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                               f"{list(t_._data.shape)} at entry {i}")
    dim = wrap_dim(dim, len(ref) + 1)
    d = _common_dtype(tensors)
    if d is not None:
        tensors = [t_.to(d) for t_ in tensors]
    return Stack.apply(*tensors, dim=dim)


# -- copies that rearrange -------------------------------------------------------------------------
class Repeat(Op):
    """z = tile(x, reps);  dz/dx = g summed over the repeats"""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)

    @staticmethod
    def backward(ctx, g):
        from .reduce import sum as _sum
        reps, shape = ctx.reps, ctx.shape
        full = (1,) * (len(reps) - len(shape)) + shape
        split_shape = []
        for r, s in zip(reps, full):
            split_shape += [r, s]
        summed = _sum(Reshape.apply(g, tuple(split_shape)), tuple(range(0, 2 * len(reps), 2)))
        return Reshape.apply(summed, shape)


def repeat(input: Tensor, repeats) -> Tensor:
    reps = tuple(int(r) for r in (repeats if isinstance(repeats, (tuple, list)) else (repeats,)))
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    full = (1,) * (len(reps) - len(shape)) + shape
    if any(r < 0 for r in reps):
        target = [r * s for r, s in zip(reps, full)]
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(target)}: {target}")
    return Repeat.apply(input, reps)


def tile(input: Tensor, dims) -> Tensor:
    reps = tuple(dims if isinstance(dims, (tuple, list)) else (dims,))
    ndim = input._data.ndim
    if len(reps) < ndim:
        reps = (1,) * (ndim - len(reps)) + reps
    return repeat(input, reps)


class Flip(Op):
    """z = flip(x, dims);  dz/dx = flip(g, dims)"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()  # torch's flip copies: the result must not alias x

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims)


def flip(input: Tensor, dims) -> Tensor:
    ndim = input._data.ndim
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    wrapped = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    if not ndim:
        wrapped = ()
    return Flip.apply(input, wrapped)


class Roll(Op):
    """z = roll(x, shifts, dims);  dz/dx = roll(g, -shifts, dims)"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (tuple, list)) else (int(shifts),)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts, None)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    ndim = input._data.ndim
    if not ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Roll.apply(input, shifts, tuple(wrap_dim(d, ndim) for d in dims))


class Tril(Op):
    """z = tril(x, k);  dz/dx = tril(g, k)"""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal))


class Triu(Op):
    """z = triu(x, k);  dz/dx = triu(g, k)"""

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, int(diagonal))
