"""Shape ops: views, broadcasts, joins and splits. Their backward moves the gradient back to the
input's shape.

Ops that torch documents as views (reshape/view of contiguous memory, permute, transpose, squeeze,
unsqueeze, flatten, narrow, select, split, chunk, unbind, tensor_split, diagonal, unfold,
as_strided, ravel of contiguous memory) return NumPy views here, so that their results share
memory (and the version counter) with the input as in torch. Ops that torch documents as copies
(flip, roll, repeat, tile, cat, stack, tril, triu, rot90, every ``*_copy``) copy.
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


class SqueezeNothing(Op):
    """z = x, a view (a squeeze with no size-1 dim);  dz/dx = g itself, not a view of g (as torch's unsqueeze_to)"""

    @staticmethod
    def forward(ctx, x):
        return x.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        return g


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
    if new == shape:
        return overload(SqueezeNothing.apply(input), name)
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


# -- strided views: diagonal, unfold, as_strided, and the *_scatter ops that write through them ------------
# A view is a function from an array to a view of its memory (:class:`ArrayView`). Its gradient
# needs no formula of its own: the view applied to ``arange(n)`` says which input element each
# viewed element is, and the gradient adds ``g`` at those places (overlapping windows add up).
def _address(array) -> int:
    return array.__array_interface__["data"][0] if isinstance(array, np.ndarray) else array.data.ptr


def strided(x, shape, strides, offset=0):
    """A view of ``x``'s memory with element ``strides``, starting ``offset`` elements from
    x's first element. Built on the memory's owner, so that minigrad sees it as a view of x."""
    item = x.itemsize
    byte_strides = tuple(int(s) * item for s in strides)
    root = x.base if isinstance(x, np.ndarray) and x.base is not None else x
    if isinstance(root, np.ndarray):
        start = _address(x) - _address(root) + int(offset) * item
        try:
            return np.ndarray(tuple(shape), x.dtype, buffer=root, offset=start, strides=byte_strides)
        except (TypeError, ValueError):
            pass
    from ._util import xp
    tricks = xp(x).lib.stride_tricks
    first = tricks.as_strided(x, (abs(int(offset)) + 1,), (item if offset >= 0 else -item,))[abs(int(offset)):]
    return tricks.as_strided(first, tuple(shape), byte_strides)


class ArrayView:
    """A view as a function of an array (``fn``), and the input element each viewed element is:
    ``index`` (flat positions, -1 for memory outside the input), by default ``fn`` of ``arange``."""

    def __init__(self, fn, index=None):
        self.fn, self._index = fn, index

    def __call__(self, array):
        return self.fn(array)

    def index(self, shape):
        if self._index is None:
            self._index = np.array(self.fn(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)))
        return self._index


class StridedView(Op):
    """z = view(x) (diagonal, unfold, as_strided, ...);  dz/dx = zeros with g added where z looks"""

    @staticmethod
    def forward(ctx, x, view):
        ctx.shape, ctx.view = x.shape, view
        return view(x)

    @staticmethod
    def backward(ctx, g):
        return StridedViewBackward.apply(g, ctx.shape, ctx.view.index(ctx.shape))


class StridedViewBackward(Op):
    """z = zeros(shape) with x added at index (-1: nowhere);  dz/dx = g gathered at index (zero at -1)"""

    @staticmethod
    def forward(ctx, x, shape, index):
        from ._util import xp
        n = int(np.prod(shape))
        index = xp(x).asarray(np.where(index < 0, n, index))   # -1 goes to a spare slot, dropped
        ctx.n, ctx.index = n, index
        out = xp(x).zeros(n + 1, x.dtype)
        from .index import add_at
        add_at(out, index, x)
        return out[:n].reshape(shape)

    @staticmethod
    def backward(ctx, g):
        from .index import Index
        padded = SliceBackward.apply(Reshape.apply(g, (ctx.n,)), (ctx.n + 1,), (slice(0, ctx.n),))
        return Index.apply(padded, (Ellipsis,), (ctx.index,))


class ViewScatter(Op):
    """z = x with view(z) = src;  dz/dx = g with zeros where the view looks,  dz/dsrc = view(g)"""

    @staticmethod
    def forward(ctx, x, src, view):
        ctx.view = view
        out = x.copy()
        view(out)[...] = src
        return out

    @staticmethod
    def backward(ctx, g):
        gx = ViewScatter.apply(g, 0, ctx.view) if ctx.needs_input_grad[0] else None
        gsrc = StridedView.apply(g, ctx.view) if ctx.needs_input_grad[1] else None
        return gx, gsrc


def _view(input, view, node_name):
    return overload(StridedView.apply(input, view), node_name)


def _scatter_into(input, src, view, node_name):
    """``input`` with ``src`` written where ``view`` looks (torch checks that src has the view's shape)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"argument 'src' must be Tensor, not {type(src).__name__}")
    target = view(input._data).shape
    if src._data.shape != target:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(target)}")
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return overload(ViewScatter.apply(input, src, view), node_name)


def _diagonal_view(ndim, offset, dim1, dim2):
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)

    def fn(a):
        item = a.itemsize
        st = [s // item for s in a.strides]
        n1, n2 = a.shape[d1], a.shape[d2]
        if offset >= 0:
            length, start = max(0, min(n1, n2 - offset)), offset * st[d2]
        else:
            length, start = max(0, min(n1 + offset, n2)), -offset * st[d1]
        if not length:
            start = 0
        keep = [d for d in range(a.ndim) if d not in (d1, d2)]
        return strided(a, [a.shape[d] for d in keep] + [length], [st[d] for d in keep] + [st[d1] + st[d2]], start)
    return ArrayView(fn)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the planes (dim1, dim2), as the last dim: a view."""
    return _view(input, _diagonal_view(input._data.ndim, offset, dim1, dim2), "DiagonalBackward0")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``input`` with its diagonal (as :func:`diagonal` picks it) replaced by ``src``."""
    return _scatter_into(input, src, _diagonal_view(input._data.ndim, offset, dim1, dim2), "DiagonalScatterBackward0")


def _select_key(input, dim, index, name="select"):
    ndim = input._data.ndim
    if not ndim:
        raise IndexError(f"{name}() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {dim}")
    return (slice(None),) * dim + (index, Ellipsis)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dim: a view."""
    return overload(Slice.apply(input, _select_key(input, dim, index)), "SelectBackward0")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    key = _select_key(input, dim, index)
    return _scatter_into(input, src, ArrayView(lambda a: a[key]), "SelectScatterBackward0")


def _slice_key(input, dim, start, end, step):
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    if int(step) <= 0:
        raise RuntimeError("slice step must be positive")
    return (slice(None),) * dim + (slice(start, end, int(step)),)


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src``."""
    key = _slice_key(input, dim, start, end, step)
    return _scatter_into(input, src, ArrayView(lambda a: a[key]), "SliceScatterBackward0")


def slice_copy(input: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    return _copy_of(lambda: Slice.apply(input, _slice_key(input, dim, start, end, step)))


def _storage(array):
    """(the memory owner, this array's offset in it in elements)."""
    root = array.base if isinstance(array, np.ndarray) and isinstance(array.base, np.ndarray) else array
    return root, (_address(array) - _address(root)) // array.itemsize


def _check_strided(size, stride, offset, storage_size, item):
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > storage_size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {needed * item} are out of bounds for "
                           f"storage of size {storage_size * item}")


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A view of input's memory with ``size``, element ``stride`` and ``storage_offset`` (in
    elements from the start of the memory; default input's own)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    x = input._data
    root, own = _storage(x)
    offset = own if storage_offset is None else int(storage_offset)
    _check_strided(size, stride, offset, root.size if root is not x else own + _span(x), x.itemsize)
    # which element of input each viewed element is: positions in the memory, matched up
    item = x.itemsize
    positions = own + _positions(x.shape, [s // item for s in x.strides])
    viewed = offset + _positions(size, stride)
    where = np.full(max(int(positions.max(initial=0)), int(viewed.max(initial=0))) + 1, -1, np.int64)
    where[positions.reshape(-1)] = np.arange(positions.size)
    view = ArrayView(lambda a: strided(a, size, stride, offset - own), where[viewed])
    return _view(input, view, "AsStridedBackward0")


def _span(x):
    return 1 + sum((n - 1) * (s // x.itemsize) for n, s in zip(x.shape, x.strides)) if x.size else 0


def _positions(shape, strides):
    """The element offset of each element of a strided layout."""
    out = np.zeros(tuple(shape), np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        lay = [1] * len(shape)
        lay[d] = n
        out = out + (np.arange(n, dtype=np.int64) * s).reshape(lay)
    return out


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A copy of ``input`` (laid out contiguously) with ``src`` written where
    ``as_strided(size, stride, storage_offset)`` of that copy looks."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    _check_strided(size, stride, offset, input._data.size, input._data.itemsize)
    from ._util import xp
    view = ArrayView(lambda a: strided(xp(a).ascontiguousarray(a), size, stride, offset))
    return _scatter_into(input, src, view, "AsStridedScatterBackward0")


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim: a view."""
    x = input._data
    ndim = x.ndim
    d = wrap_dim(dimension, max(ndim, 1))
    length = x.shape[d] if ndim else 1
    size, step = int(size), int(step)
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")

    def fn(a):
        st = [s // a.itemsize for s in a.strides]
        if not a.ndim:
            return strided(a, (size,), (1,))
        shape = list(a.shape)
        strides = list(st)
        shape[d] = (length - size) // step + 1
        strides[d] = st[d] * step
        return strided(a, shape + [size], strides + [st[d]])
    return _view(input, ArrayView(fn), "UnfoldBackward0")


# -- diagonals and triangles built on the views -------------------------------------------------------
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Tensors whose diagonal ``offset`` in the planes (dim1, dim2) is input's last dim, zeros elsewhere."""
    x = input._data
    ndim = x.ndim + 1
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (x.shape[-1] if x.ndim else 1) + abs(int(offset))
    rest = list(x.shape[:-1])
    shape = []
    for d in range(ndim):
        shape.append(n if d in (d1, d2) else rest.pop(0))
    from ._util import xp
    zeros = Tensor._make(xp(x).zeros(shape, x.dtype))
    src = input if x.ndim else Reshape.apply(input, (1,))
    return overload(ViewScatter.apply(zeros, src, _diagonal_view(ndim, offset, d1, d2)), "DiagEmbedBackward0")


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: the matrix with input on diagonal ``diagonal``; 2-d input: that diagonal, copied."""
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if ndim == 2:
        return diagonal_copy(input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The matrix with the flattened input on diagonal ``offset``."""
    return diag_embed(Reshape.apply(input, (input._data.size,)), offset, 0, 1)


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    from .reduce import sum as _sum
    return overload(_sum(diagonal(input)), "TraceBackward0")


def _tri_indices(which, row, col, offset, dtype, device):
    row, col, offset = int(row), int(col), int(offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    if d.np.kind not in "iu":
        raise NotImplementedError(f'"{which}_indices" not implemented for \'{dtypes.scalar_name(d.np)}\'')
    rows, cols = (np.tril_indices if which == "tril" else np.triu_indices)(row, offset, col)
    out = Tensor._make(np.stack([rows, cols]).astype(d.np))
    return out.to(device) if device is not None else out


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (row, col) positions of the lower triangle (from diagonal ``offset``) of a row x col matrix, row by row."""
    return _tri_indices("tril", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (row, col) positions of the upper triangle (from diagonal ``offset``) of a row x col matrix, row by row."""
    return _tri_indices("triu", row, col, offset, dtype, device)


__all__ += ["diagonal", "diagonal_scatter", "select", "select_scatter", "slice_scatter", "slice_copy", "as_strided",
            "as_strided_scatter", "diag_embed", "diag", "diagflat", "trace", "tril_indices", "triu_indices"]


# -- the *_copy ops: a view's values in new memory -------------------------------------------------------
class CopyOfView(Op):
    """z = a copy of x (a view's values in memory of their own);  dz/dx = g"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _copy_of(make_view, node_name=None):
    """The outputs of ``make_view()`` copied, each node named as torch names its ``*_copy``: the
    view's own node name with ``_copy`` after it (or ``node_name``)."""
    out = make_view()
    outs = out if isinstance(out, tuple) else (out,)
    copies = []
    for view in outs:
        copy = CopyOfView.apply(view)
        if copy.grad_fn is not None:
            copy.grad_fn.node_name = node_name or view.grad_fn.name() + "_copy"
        copies.append(copy)
    return tuple(copies) if isinstance(out, tuple) else copies[0]


def copy_variant(view_fn, node_name=None):
    """``<view>_copy``: the view op ``view_fn`` whose results are copies, not views."""
    def op(input, *args, **kwargs):
        return _copy_of(lambda: view_fn(input, *args, **kwargs), node_name)
    op.__name__ = f"{view_fn.__name__}_copy"
    op.__qualname__ = op.__name__
    op.__doc__ = f"torch.{view_fn.__name__}'s result in memory of its own (not a view of input)."
    return op


def _alias(input):
    return overload(Reshape.apply(input, input._data.shape), "AliasBackward0")


def _view_copy_of(input, size):
    return view(input, size)


def _detach_copy(input):
    return input.detach().clone()


_view_copy_of.__name__ = "view"
_alias.__name__ = "alias"

alias_copy = copy_variant(_alias)
as_strided_copy = copy_variant(as_strided)
diagonal_copy = copy_variant(diagonal)
expand_copy = copy_variant(lambda input, size, *, implicit=False: expand(input, size))
expand_copy.__name__ = "expand_copy"
narrow_copy = copy_variant(narrow, "NarrowCopyBackward0")
permute_copy = copy_variant(permute)
select_copy = copy_variant(select)
split_copy = copy_variant(split)
split_with_sizes_copy = copy_variant(lambda input, split_sizes, dim=0: split(input, list(split_sizes), dim))
split_with_sizes_copy.__name__ = "split_with_sizes_copy"
squeeze_copy = copy_variant(squeeze)
t_copy = copy_variant(t)
transpose_copy = copy_variant(transpose)
unbind_copy = copy_variant(unbind)
unfold_copy = copy_variant(unfold)
unsqueeze_copy = copy_variant(unsqueeze)
view_copy = copy_variant(_view_copy_of)
detach_copy = _detach_copy
detach_copy.__name__ = "detach_copy"

__all__ += ["alias_copy", "as_strided_copy", "diagonal_copy", "expand_copy", "narrow_copy", "permute_copy",
            "select_copy", "split_copy", "split_with_sizes_copy", "squeeze_copy", "t_copy", "transpose_copy",
            "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy", "detach_copy"]


# -- splits, stacks and rearrangements composed of the ops above --------------------------------------------
def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    return split(input, list(split_sizes), dim)


def _unsafe(outs):
    """torch's unsafe_split: the pieces share input's memory, but autograd does not know them as
    views (no base, a version counter of their own), so writing into one is not tracked for input."""
    from ..autograd.inplace import forget_view
    for o in outs:
        forget_view(o)
    node = outs[0].grad_fn
    return outs if node is None else overload(outs, "Unsafe" + node.name())   # UnsafeSplit(WithSizes)Backward0


def unsafe_split(input: Tensor, split_size, dim: int = 0):
    """:func:`split` whose pieces are not tracked as views (writes into them go unnoticed by autograd)."""
    return _unsafe(split(input, split_size, dim))


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0):
    """:func:`chunk` whose pieces are not tracked as views (writes into them go unnoticed by autograd)."""
    return _unsafe(chunk(input, chunks, dim))


def _piece(input, dim, start, stop):
    return Slice.apply(input, (slice(None),) * dim + (slice(start, stop),))


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0):
    """Views of input split along ``dim`` into ``sections`` near-equal parts (the first ``size %
    sections`` one longer), or at the positions ``indices``."""
    ndim = input._data.ndim
    if not ndim:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        t_ = indices_or_sections._data
        if t_.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{dtypes.scalar_name(t_.dtype)}")
        if t_.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {t_.ndim} dims")
        indices_or_sections = int(t_) if t_.ndim == 0 else [int(i) for i in t_]
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim]
    if isinstance(indices_or_sections, (tuple, list)):
        bounds = [0] + [int(i) for i in indices_or_sections] + [None]
        return tuple(_piece(input, dim, a, b) for a, b in zip(bounds[:-1], bounds[1:]))
    sections = int(indices_or_sections)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    small, extra = divmod(size, sections)
    out, start = [], 0
    for k in range(sections):
        stop = start + small + (k < extra)
        out.append(_piece(input, dim, start, stop))
        start = stop
    return tuple(out)


def _split_along(name, input, indices_or_sections, dim, min_dims):
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {ndim} dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)):
        size = input._data.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections):
    return _split_along("hsplit", input, indices_or_sections, 1 if input._data.ndim > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections):
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections):
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def _at_least(n, tensors):
    """atleast_1d/2d/3d: a tensor, or a tuple for several (or a sequence of) tensors."""
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and not one:
        tensors = tuple(tensors[0])
    out = []
    for t_ in tensors:
        if not isinstance(t_, Tensor):
            raise TypeError(f"atleast_{n}d(): argument 'tensors' must be tuple of Tensors, not {type(t_).__name__}")
        shape = t_._data.shape
        if len(shape) >= n:
            out.append(t_)
        elif not shape:
            out.append(Reshape.apply(t_, (1,) * n))
        elif n == 2 or (n == 3 and len(shape) == 1):
            t_ = unsqueeze(t_, 0)
            out.append(unsqueeze(t_, -1) if n == 3 else t_)
        else:
            out.append(unsqueeze(t_, -1))
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    return _at_least(1, tensors)


def atleast_2d(*tensors):
    return _at_least(2, tensors)


def atleast_3d(*tensors):
    return _at_least(3, tensors)


def _stack_list(name, tensors):
    tensors = _tensor_list(tensors, name)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors) -> Tensor:
    """cat of the tensors (at least 1-d) along dim 1, or dim 0 for 1-d ones."""
    tensors = atleast_1d(_stack_list("hstack", tensors))
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """cat of the tensors (at least 2-d) along dim 0."""
    return cat(atleast_2d(_stack_list("vstack", tensors)), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """cat of the tensors (at least 3-d) along dim 2."""
    return cat(atleast_3d(_stack_list("dstack", tensors)), 2)


def column_stack(tensors) -> Tensor:
    """cat along dim 1 of the tensors, 0-d and 1-d ones made columns."""
    tensors = _stack_list("column_stack", tensors)
    cols = [Reshape.apply(t_, (t_._data.size, 1)) if t_._data.ndim <= 1 else t_ for t_ in tensors]
    return cat(cols, 1)


class Rot90(Op):
    """z = x rotated k quarter turns in the plane dims (from dims[0] towards dims[1]);  dz/dx = g rotated back"""

    @staticmethod
    def forward(ctx, x, k, dims):
        ctx.k, ctx.dims = k, dims
        return np.rot90(x, k, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return Rot90.apply(g, (-ctx.k) % 4, ctx.dims)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return Rot90.apply(input, int(k) % 4, (d0, d1))


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def ravel(input: Tensor) -> Tensor:
    """The elements in one dim: a view when the memory allows, as reshape."""
    return Reshape.apply(input, (input._data.size,))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place; with a tensor of
    repeats alone, the positions 0, 1, ... each repeated as often as it says."""
    if repeats is None:   # repeat_interleave(repeats): the index form
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype not in (np.int64, np.int32):
            raise RuntimeError("repeats has to be Long or Int tensor")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        out = np.repeat(np.arange(counts.size, dtype=counts.dtype), counts.reshape(-1))
        if output_size is not None and output_size != out.size:
            raise RuntimeError("allocated size does not match required size")
        return Tensor._make(out)
    if dim is None:
        input = Reshape.apply(input, (input._data.size,))
        dim = 0
    elif not input._data.ndim:   # torch's messages: its int form unsqueezes the input first
        if isinstance(repeats, Tensor):
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    ndim = input._data.ndim
    dim = wrap_dim(dim, max(ndim, 1))
    size = input._data.shape[dim] if ndim else 1
    if isinstance(repeats, Tensor):   # a tensor of repeats (one of them is one for every slice)
        counts = repeats._data.reshape(-1)
        if counts.size == 1 and repeats._data.ndim <= 1:
            counts = np.full(size, counts[0], counts.dtype)
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({dim}) = {size}")
        index = repeat_interleave(Tensor._make(counts), output_size=output_size)
        from .index import index_select
        return index_select(input, dim, index)
    r = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != size * r:
        raise RuntimeError("allocated size does not match required size")
    if not ndim:
        input = Reshape.apply(input, (1,))
    shape = input._data.shape
    # copied, then viewed, as torch's (so the result is a view of that copy, never of the input:
    # an in-place op on it is legal also for an empty input that requires grad)
    grown = expand(unsqueeze(input, dim + 1), shape[:dim + 1] + (r,) + shape[dim + 1:]).clone()
    return Reshape.apply(grown, shape[:dim] + (shape[dim] * r,) + shape[dim + 1:])


def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to."""
    from ..tensor import Size
    norm = []
    for s in shapes:
        s = (int(s),) if isinstance(s, (int, np.integer)) else tuple(int(n) for n in s)
        if any(n < 0 for n in s):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(s)}: {list(s)}")
        norm.append(s)
    result = [1] * max((len(s) for s in norm), default=0)
    for k, s in enumerate(norm):
        for i in range(-1, -len(s) - 1, -1):
            if s[i] == 1 or s[i] == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[i]} at {i}! Mismatching "
                                   f"argument at index {k} had {tuple(s)}; but expected shape should be "
                                   f"broadcastable to {result}")
            result[i] = s[i]
    return Size(result)


def broadcast_tensors(*tensors):
    """Views of the tensors expanded to their common shape (a tensor already of it is returned as is)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    from ._util import broadcast_shape
    shape = broadcast_shape(*(t_._data.shape for t_ in tensors))
    return tuple(t_ if t_._data.shape == shape else expand(t_, shape) for t_ in tensors)


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids: the k-th output holds tensors[k] along dim k (``xy``: the first two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t_ in tensors:
        if t_._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t_}")
    vecs = [Reshape.apply(t_, (t_._data.size,)) if t_._data.ndim == 0 else t_ for t_ in tensors]
    swap = indexing == "xy" and len(vecs) >= 2
    if swap:
        vecs[0], vecs[1] = vecs[1], vecs[0]
    shape = tuple(v._data.size for v in vecs)
    out = []
    for k, v in enumerate(vecs):
        lay = [1] * len(vecs)
        lay[k] = shape[k]
        out.append(expand(Reshape.apply(v, tuple(lay)), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


__all__ += ["split_with_sizes", "unsafe_split", "unsafe_chunk", "tensor_split", "hsplit", "vsplit", "dsplit",
            "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack",
            "rot90", "fliplr", "flipud", "ravel", "repeat_interleave", "broadcast_shapes", "broadcast_tensors",
            "meshgrid"]


# -- memory laid out by hand: empty_strided, empty_permuted, resize_ ---------------------------------------
def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    """An uninitialised tensor with the given element strides (over memory just large enough)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    _check_strided(size, stride, 0, 1 << 62, d.np.itemsize)
    needed = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    memory = np.zeros(max(needed, 1), d.np)
    out = Tensor._make(strided(memory, size, stride))
    if device is not None:
        out = out.to(device)
    return out.requires_grad_(requires_grad) if requires_grad else out


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    """An uninitialised tensor of ``size`` whose dims lie in memory in the order ``physical_layout``
    (outermost first)."""
    size, layout = tuple(int(s) for s in size), tuple(int(d) for d in physical_layout)
    if sorted(layout) != list(range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"or physical_layout is not a permutation of the dims")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    memory = np.zeros(tuple(size[k] for k in layout), d.np)
    out = Tensor._make(memory.transpose(tuple(np.argsort(layout))))
    if device is not None:
        out = out.to(device)
    return out.requires_grad_(requires_grad) if requires_grad else out


def resized(array, shape):
    """``array`` as resize_ leaves it: its memory read in order from its first element as ``shape``,
    grown (new elements zero) when too small."""
    n = int(np.prod(shape))
    root, own = _storage(array)
    if isinstance(root, np.ndarray) and root.flags.c_contiguous and own + n <= root.size and array.flags.c_contiguous:
        return root.reshape(-1)[own:own + n].reshape(shape)
    old = array.reshape(-1)
    out = np.zeros(n, array.dtype)
    out[:min(n, old.size)] = old[:n]
    return out.reshape(shape)


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format=None) -> Tensor:
    return input.resize_as_(the_template)


__all__ += ["empty_strided", "empty_permuted", "resize_as_"]
