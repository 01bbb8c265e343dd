"""Indexing: ``tensor[index]``, ``tensor[index] = value``, gather, scatter_add, index_select,
masked_fill. Backward scatters the gradient back with ``add_at`` (``np.add.at``, or CuPy's
``scatter_add`` on the GPU), so repeated indices accumulate.

``tensor[index]`` follows torch, which differs from NumPy in one place: integers (and 0-d integer
tensors) select first, as basic indexing, before the advanced indices (integer and bool tensors)
are applied. An index therefore becomes a pair ``(basic, advanced)``: ``x[basic]`` is a NumPy view,
and ``advanced`` (None, or a tuple of slices and integer arrays) is applied to that view.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..autograd.inplace import check_overlap
from ..device import check_same_device
from ._util import Op, overload, Tensor, broadcast_shape, wrap_dim, xp
from .shape import Slice

__all__ = ["getitem", "index_put", "gather", "scatter_add", "index_select", "masked_fill"]


def add_at(out, key, values):
    """``out[key] += values`` in place, where repeated indices in ``key`` add up (a plain ``+=``
    would keep only one of them): ``np.add.at`` on the CPU, ``cupyx.scatter_add`` on the GPU."""
    if isinstance(out, np.ndarray):
        np.add.at(out, key, values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)


def on_device_of(x, adv):
    """The index arrays of ``adv`` on ``x``'s device. As in torch, CPU indices may index a GPU
    tensor (they are copied there); GPU indices into a CPU tensor are an error."""
    if adv is None:
        return None
    if isinstance(x, np.ndarray):
        if any(hasattr(a, "__cuda_array_interface__") for a in adv):
            raise RuntimeError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")
        return adv
    module = xp(x)
    return tuple(a if isinstance(a, slice) else module.asarray(a) for a in adv)


def _scatter_key(index, dim):
    """The advanced key pairing ``src[i, j, k]`` with ``out[i, index[i, j, k], k]`` (dim 1): what
    gather reads and scatter_add writes. The index may be smaller than the input off ``dim``."""
    ndim = index.ndim
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * ndim
            shape[d] = n
            key.append(xp(index).arange(n).reshape(shape))
    return tuple(key)


# -- parsing an index ------------------------------------------------------------------------------
_NOT_VALID = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
              "(got {})")


def _as_index_array(item):
    """An index tensor, list or array as an ndarray; torch's IndexError for other dtypes."""
    if isinstance(item, Tensor):
        arr = item._data
    elif isinstance(item, np.ndarray):
        arr = item
    else:
        arr = np.asarray(item)
        if arr.dtype.kind == "f" and arr.size == 0:
            arr = arr.astype(np.int64)  # torch reads [] as an empty long index
    if arr.dtype.kind not in "biu" or arr.dtype in (np.int8, np.int16, np.uint16, np.uint32, np.uint64):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr


def _seq_as_tuple(index: list) -> bool:
    """torch reads ``x[[0, slice, ...]]`` (a list holding slices, sequences, tensors, None or ...) as a tuple."""
    for item in index:
        if item is None or item is Ellipsis or isinstance(item, (slice, list, tuple, Tensor, np.ndarray)):
            return True
    return False


def _parse(shape, index, check=False):
    """``(basic, adv)``: x[index] == x[basic][adv] with torch's rules (adv is None for basic-only).

    The index arrays' bounds and broadcast are left to NumPy (which raises IndexError) unless
    ``check``: the callers re-parse with ``check=True`` after an IndexError, for torch's message.
    """
    if type(index) is not tuple:
        if isinstance(index, list) and _seq_as_tuple(index):
            index = tuple(index)
        else:
            index = (index,)
    ndim = len(shape)
    # how many of the input's dims the index consumes, to expand the ellipsis
    consumed, ellipses = 0, 0
    for item in index:
        if item is None or isinstance(item, bool):
            continue
        if item is Ellipsis:
            ellipses += 1
        elif isinstance(item, (Tensor, np.ndarray)):
            arr = item._data if isinstance(item, Tensor) else item
            consumed += arr.ndim if arr.dtype.kind == "b" or arr.dtype == np.uint8 else (arr.ndim > 0 or 1)
        elif isinstance(item, list):
            arr = np.asarray(item)
            consumed += arr.ndim if arr.dtype.kind == "b" else 1
        else:
            consumed += 1
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    basic, adv_items = [], []   # adv_items: (position in x[basic], array)
    dim = 0                     # next dim of the input
    pos = 0                     # next dim of x[basic]
    for item in index:
        if item is None:
            basic.append(None)
            pos += 1
        elif item is Ellipsis:
            n = ndim - consumed
            basic.extend((slice(None),) * n)
            dim += n
            pos += n
        elif isinstance(item, slice):
            step = item.step
            if step is not None and int(step) <= 0:
                raise ValueError("slice step cannot be zero" if int(step) == 0 else "step must be greater than zero")
            _check_dims(dim, ndim)
            basic.append(item)
            dim += 1
            pos += 1
        elif isinstance(item, bool) or (isinstance(item, (Tensor, np.ndarray, np.bool_)) and _bool_scalar(item)):
            # a scalar bool adds a dim of size 1 and keeps it (True) or empties it (False)
            basic.append(None)
            adv_items.append((pos, np.zeros(1 if bool(item) else 0, dtype=np.int64)))
            pos += 1
        elif isinstance(item, (numbers.Integral, np.integer)) or (isinstance(item, Tensor) and item._data.ndim == 0
                                                                  and item._data.dtype.kind in "iu"):
            if not ndim:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                                 "in C++ to convert a 0-dim tensor to a number")
            _check_dims(dim, ndim)
            i = int(item)
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            basic.append(i)
            dim += 1
        elif isinstance(item, (Tensor, np.ndarray, list, tuple, range)):
            arr = _as_index_array(list(item) if isinstance(item, range) else item)
            if arr.dtype.kind == "b" or arr.dtype == np.uint8:
                k = arr.ndim
                _check_dims(dim + k - 1, ndim)
                for j in range(k):
                    if arr.shape[j] != shape[dim + j]:
                        raise IndexError(f"The shape of the mask {list(arr.shape)} at index {j} does not match the "
                                         f"shape of the indexed tensor {list(shape)} at index {dim + j}")
                for a in np.nonzero(arr):
                    adv_items.append((pos, a))
                    pos += 1
                basic.extend((slice(None),) * k)
                dim += k
            else:
                _check_dims(dim, ndim)
                adv_items.append((pos, arr, shape[dim]))
                basic.append(slice(None))
                dim += 1
                pos += 1
        else:
            raise IndexError(_NOT_VALID.format(type(item).__name__))
    if ellipses == 0:
        basic.append(Ellipsis)  # so that x[basic] is always a view, even when every dim gets an int
    basic = tuple(basic)
    if not adv_items:
        return basic, None
    if check:
        _check_arrays(adv_items)
    adv = [slice(None)] * (adv_items[-1][0] + 1)
    for entry in adv_items:
        adv[entry[0]] = entry[1]
    return basic, tuple(adv)


def _check_arrays(adv_items):
    """torch's IndexError for an index array out of bounds, or index arrays that do not broadcast."""
    arrays = []
    for k, entry in enumerate(adv_items):
        arr = entry[1]
        if len(entry) == 3 and arr.size:
            size = entry[2]
            lo, hi = arr.min(), arr.max()
            if lo < -size or hi >= size:
                bad = int(lo if lo < -size else hi)
                raise IndexError(f"index {bad} is out of bounds for dimension {k} with size {size}")
        arrays.append(arr)
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            shapes = ", ".join(str(list(a.shape)) for a in arrays)
            raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                             f"{shapes}") from None


def _bool_scalar(item) -> bool:
    if isinstance(item, np.bool_):
        return True
    arr = item._data if isinstance(item, Tensor) else item
    return arr.ndim == 0 and arr.dtype.kind == "b"


def _check_dims(dim, ndim):
    if dim >= ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")


# -- the ops, each followed by its public functions ----------------------------------------------------
_LONG_OR_INT = (np.dtype(np.int64), np.dtype(np.int32))


class Index(Op):
    """z = x[basic][adv];  dz/dx = zeros with g added at [basic][adv] (repeats accumulate)

    ``index_tensors`` are the tensors ``adv`` was made from: saved, so that changing them in
    place before backward raises, as in torch."""

    @staticmethod
    def forward(ctx, x, basic, adv, *index_tensors):
        ctx.shape, ctx.basic, ctx.adv = x.shape, basic, adv
        ctx.save_for_backward(*index_tensors)
        return x[basic][adv]

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the index tensors)
        return IndexBackward.apply(g, ctx.shape, ctx.basic, ctx.adv)


class IndexBackward(Op):
    """z = zeros(shape) with x added at [basic][adv];  dz/dx = g[basic][adv]"""

    @staticmethod
    def forward(ctx, x, shape, basic, adv):
        ctx.basic, ctx.adv = basic, adv
        out = xp(x).zeros_like(x, shape=shape)
        add_at(out[basic], adv, x)
        return out

    @staticmethod
    def backward(ctx, g):
        return Index.apply(g, ctx.basic, ctx.adv)


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]``: basic indexing gives a view; advanced indexing (tensors, lists, masks) a copy."""
    shape = input._data.shape
    # fast paths: a single int or slice
    if type(index) is int and shape:
        size = shape[0]
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {size}")
        return Slice.apply(input, (index, Ellipsis))
    if type(index) is slice and shape and (index.step is None or (type(index.step) is int and index.step > 0)):
        return Slice.apply(input, index)
    if type(index) is Tensor and index._data.ndim == 1 and index._data.dtype in _LONG_OR_INT and shape:
        basic, adv = (Ellipsis,), (index._data,)   # x[index_tensor]: the common advanced case
    else:
        basic, adv = _parse(shape, index)
        if adv is None:
            return Slice.apply(input, basic)
    adv = on_device_of(input._data, adv)
    try:
        return Index.apply(input, basic, adv, *_index_tensors(index))
    except IndexError:
        _parse(shape, index, check=True)  # raises torch's message
        raise


class IndexPut(Op):
    """z = x with z[basic][adv] = v;  dz/dx = g with zeros at [basic][adv],  dz/dv = g[basic][adv]

    ``index_tensors`` are saved as in Index."""

    @staticmethod
    def forward(ctx, x, v, basic, adv, whole=False, *index_tensors):
        ctx.basic, ctx.adv, ctx.whole = basic, adv, whole
        ctx.save_for_backward(*index_tensors)
        ctx.v_ndim = getattr(v, "ndim", 0)
        out = x.copy()
        if adv is None:
            out[basic] = v
        else:
            out[basic][adv] = v
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the index tensors)
        basic, adv = ctx.basic, ctx.adv
        gx = None
        if ctx.needs_input_grad[0]:
            # every element overwritten: a constant zero, as torch's copy_/fill_ backward gives
            gx = Tensor._make(np.zeros_like(g._data)) if ctx.whole else IndexPut.apply(g, 0, basic, adv)
        gv = None
        if ctx.needs_input_grad[1]:
            gv = Slice.apply(g, basic) if adv is None else Index.apply(g, basic, adv)
            extra = ctx.v_ndim - gv._data.ndim
            if extra > 0:  # torch drops a value's leading 1-dims; put them back
                from .shape import Reshape
                gv = Reshape.apply(gv, (1,) * extra + gv._data.shape)
        return gx, gv


def _index_tensors(index) -> tuple:
    """The tensors (of one or more dims) in an index: what backward reads, so what is saved."""
    items = index if isinstance(index, (tuple, list)) else (index,)
    return tuple(i for i in items if isinstance(i, Tensor) and i._data.ndim)


def index_put(input: Tensor, index, value) -> Tensor:
    """The out-of-place half of ``input[index] = value`` (Tensor.__setitem__ writes it back in place)."""
    basic, adv = _parse(input._data.shape, index)
    adv = on_device_of(input._data, adv)
    if isinstance(value, Tensor) and value._data.ndim:
        try:
            target_shape = input._data[basic][adv].shape if adv is not None else input._data[basic].shape
        except IndexError:
            _parse(input._data.shape, index, check=True)
            raise
        vshape = value._data.shape
        stripped = vshape
        while len(stripped) > len(target_shape) and stripped[0] == 1:
            stripped = stripped[1:]
        try:
            ok = np.broadcast_shapes(stripped, target_shape) == target_shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                               f"indexing result of shape {list(target_shape)}")
        if stripped != vshape:
            from .shape import Reshape
            value = Reshape.apply(value, stripped)
    if isinstance(value, Tensor):
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
    elif isinstance(value, (numbers.Number, np.generic)):
        pass
    else:
        return index_put(input, index, Tensor._make(xp(input._data).asarray(value, dtype=input._data.dtype)))
    try:
        return IndexPut.apply(input, value, basic, adv, adv is None and _is_whole(basic, input._data.shape),
                              *_index_tensors(index))
    except IndexError:
        _parse(input._data.shape, index, check=True)  # raises torch's message
        raise


def _is_whole(basic, shape) -> bool:
    """Whether a basic key selects the whole tensor unchanged (``...``, ``:``, ``0:n``), as torch
    detects it: such a write is a plain copy, whose backward to the destination is a constant zero."""
    dim = 0
    for item in basic:
        if item is Ellipsis:
            dim += len(shape) - sum(1 for i in basic if i is not Ellipsis)
            continue
        if type(item) is not slice or item.start not in (None, 0) or item.step not in (None, 1) \
                or (item.stop is not None and item.stop < shape[dim]):
            return False
        dim += 1
    return True


def setitem(input: Tensor, index, value) -> None:
    """``input[index] = value``. With nothing to record (grad off, or neither side requiring grad)
    the value is written straight into input's memory; otherwise through :func:`index_put` and
    ``Tensor._inplace``, which links the write into the graph."""
    if (grad_mode.state.grad_enabled and (input._requires_grad or (isinstance(value, Tensor) and value._requires_grad))) \
            or not getattr(input._data.flags, "writeable", True):   # (CuPy arrays have no such flag)
        if grad_mode.state.grad_enabled and input._requires_grad and input.grad_fn is None \
                and _parse(input._data.shape, index)[1] is None:
            # torch writes a basic index through a view of the leaf (x[0] = v is x[0].copy_(v))
            from ..autograd.inplace import VIEW_OF_LEAF_MSG
            raise RuntimeError(VIEW_OF_LEAF_MSG)
        _check_overlap(input, index, value)
        input._inplace(index_put(input, index, value))
        return
    shape = input._data.shape
    basic, adv = _parse(shape, index)
    adv = on_device_of(input._data, adv)
    if adv is None and isinstance(value, Tensor):
        check_overlap(input._data[basic], (value,))
    v = value._data if isinstance(value, Tensor) else value
    try:
        if adv is None:
            input._data[basic] = v
        else:
            input._data[basic][adv] = v
    except IndexError:
        _parse(shape, index, check=True)  # raises torch's message
        raise
    except ValueError:
        index_put(input, index, value)  # raises torch's shape-mismatch message
        raise
    input._vc[0] += 1


def _check_overlap(input: Tensor, index, value) -> None:
    """torch's error for a value that partly overlaps the region a basic index writes."""
    if isinstance(value, Tensor):
        basic, adv = _parse(input._data.shape, index)
        if adv is None:
            check_overlap(input._data[basic], (value,))


class Gather(Op):
    """z[i][j][k] = x[i][index[i][j][k]][k] (dim 1);  dz/dx = scatter_add(zeros, dim, index, g)"""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(index)
        return x[_scatter_key(index, dim)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        zeros = Tensor._make(np.zeros_like(g._data, shape=ctx.shape))
        return ScatterAdd.apply(zeros, g, index, ctx.dim)


def _index_tensor(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    return index._data


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    idx = _index_tensor(index, "gather")
    check_same_device(input, idx)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    x = input._data
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    if max(ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    xshape, ishape = x.shape or (1,), idx.shape or (1,)
    for d in range(len(xshape)):
        if d != dim and ishape[d] > xshape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(x.shape)} apart from dimension {dim}")
    if idx.size and idx.min() < 0:  # NumPy would wrap these; too-large ones it rejects itself
        _check_index_range(idx, xshape[dim], dim)
    try:
        if not ndim or not idx.ndim:
            # torch treats 0-d tensors as 1-d here; the result takes the index's shape
            from .shape import Reshape
            out = Gather.apply(Reshape.apply(input, xshape) if not ndim else input, Reshape.apply(index, ishape), dim)
            return Reshape.apply(out, idx.shape)
        return Gather.apply(input, index, dim)
    except IndexError:
        _check_index_range(idx, xshape[dim], dim)
        raise


class ScatterAdd(Op):
    """z = x, then z[i][index[i][j][k]][k] += src[i][j][k] (dim 1);  dz/dx = g,  dz/dsrc = gather(g)"""

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.dim = dim
        ctx.src_shape = src.shape
        ctx.save_for_backward(index)
        out = x.copy()
        add_at(out, _scatter_key(index, dim), src[tuple(slice(0, n) for n in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gsrc = None
        if ctx.needs_input_grad[1]:
            gsrc = Gather.apply(g, index, ctx.dim)
            if gsrc._data.shape != ctx.src_shape:  # src larger than index: the rest was unused
                from .shape import SliceBackward
                gsrc = SliceBackward.apply(gsrc, ctx.src_shape, tuple(slice(0, n) for n in index._data.shape))
        return g, gsrc


def _check_index_range(idx, size, dim):
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            bad = int(lo if lo < 0 else hi)
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    idx = _index_tensor(index, "scatter_add")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    x, s = input._data, src._data
    check_same_device(x, idx, s)
    if s.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    if max(ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    xshape, ishape, sshape = x.shape or (1,), idx.shape or (1,), s.shape or (1,)
    if len(sshape) != len(ishape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(len(xshape)):
        if (d != dim and ishape[d] > xshape[d]) or ishape[d] > sshape[d]:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {dim} and to be no larger size than src {list(s.shape)}")
    if idx.size and idx.min() < 0:  # NumPy would wrap these; too-large ones it rejects itself
        _check_index_range(idx, xshape[dim], dim)
    try:
        if not ndim or not idx.ndim or not s.ndim:
            from .shape import Reshape
            out = ScatterAdd.apply(Reshape.apply(input, xshape), Reshape.apply(src, sshape),
                                   Reshape.apply(index, ishape), dim)
            return Reshape.apply(out, x.shape)
        return ScatterAdd.apply(input, src, index, dim)
    except IndexError:
        _check_index_range(idx, xshape[dim], dim)
        raise


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    idx = _index_tensor(index, "index_select")
    check_same_device(input, idx)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    x = input._data
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    size = x.shape[dim] if ndim else 1
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(lo if lo < 0 else hi)} "
                               f"axis_dim={size}")
    if not ndim:
        if idx.size != 1:
            raise IndexError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        from .shape import Reshape
        return Reshape.apply(Index.apply(input, (None, Ellipsis), (idx.reshape(1),), index), ())
    return Index.apply(input, (), (slice(None),) * dim + (idx.reshape(-1),), index)


class MaskedFill(Op):
    """z = where(mask, value, x);  dz/dx = where(mask, 0, g),  dz/dvalue = sum(g where mask)"""

    @staticmethod
    def forward(ctx, x, value, mask):
        ctx.save_for_backward(mask)
        value = value.astype(x.dtype) if hasattr(value, "astype") else np.array(value).astype(x.dtype)[()]
        return xp(x).where(mask, value, x)

    @staticmethod
    def backward(ctx, g):
        mask, = ctx.saved_tensors
        gx = MaskedFill.apply(g, 0, mask) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[1]:
            gv = MaskedFill.apply(g, 0, xp(mask._data).logical_not(mask._data)).sum()
        return gx, gv


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    check_same_device(input, m)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{dtypes.c_name(m.dtype)}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif isinstance(value, (int, float)):   # a number must fit input's dtype, as torch checks it
        value = dtypes.checked_scalar(value, input.dtype)
    if m.shape != input._data.shape:
        broadcast_shape(m.shape, input._data.shape)
    return overload(MaskedFill.apply(input, value, mask if isinstance(mask, Tensor) else m),
                    "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0")
