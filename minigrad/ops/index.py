"""Indexing: ``tensor[index]``, ``tensor[index] = value``, index_put, gather, index_select, the
scatter family (scatter, scatter_add, scatter_reduce and the index_add/copy/fill/reduce ops, which
are scatters along one dim), take, put, take_along_dim, the masked ops and nonzero. Backward
scatters the gradient back with ``add_at`` (``np.add.at``, or CuPy's ``scatter_add`` on the GPU),
so repeated indices accumulate.

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
from ..autograd.inplace import check_setitem_overlap, rederive_after_untracked_write
from ..device import check_same_device
from ._util import Op, SavesOperands, overload, saving, Tensor, broadcast_shape, wrap_dim, xp
from .shape import Slice

__all__ = ["getitem", "index_put", "gather", "scatter_add", "index_select", "masked_fill"]


def add_at(out, key, values):
    """``out[key] += values`` in place, where repeated indices in ``key`` add up (a plain ``+=``
    would keep only one of them): ``np.add.at`` on the CPU, ``cupyx.scatter_add`` on the GPU.
    Whole rows picked by one integer array (embedding's gradient, ``x[idx]``'s) go through a row
    kernel from ROW_KERNELS_MIN values: the same additions in the same order, without np.add.at's
    per-element cost."""
    if isinstance(out, np.ndarray):
        rows = _row_scatter(out, key, values)
        if rows is None:
            np.add.at(out, key, values)
        else:
            rows.add_rows_at(out, rows_index(key, len(out)), values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)


def _row_scatter(out, key, values):
    """``kernels.rows`` when ``out[key] += values`` adds whole rows of values to rows of ``out``
    picked by one 1-D integer array, in range (np.add.at raises torch's IndexError otherwise), and
    the arrays suit the row kernels; else None."""
    from .reduce import row_kernels
    if isinstance(key, tuple):
        if len(key) != 1:
            return None
        key = key[0]
    if type(key) is not np.ndarray or key.ndim != 1 or key.dtype.kind not in "iu" or out.ndim == 0 \
            or type(values) is not np.ndarray or values.dtype != out.dtype or not values.flags.c_contiguous \
            or values.shape != key.shape + out.shape[1:] or row_kernels(values) is None \
            or not out.flags.c_contiguous:
        return None
    n = len(out)
    if key.size and (key.min() < -n or key.max() >= n):
        return None
    return row_kernels(values)


def rows_index(key, n):
    """The row numbers of a key ``_row_scatter`` accepted, negatives counted from the end."""
    key = key[0] if isinstance(key, tuple) else key
    return np.where(key < 0, key + n, key) if key.dtype.kind == "i" else key


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
    if ellipses == 0 or not basic:
        # so that x[basic] is always a view, even when every dim gets an int (and for x[...] of a 0-d
        # x: NumPy's x[()] is a scalar copy)
        basic.append(Ellipsis)
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
        # NumPy lays the advanced dims out first when they follow a slice; torch's result of an input in
        # row-major order is contiguous (a later .view() relies on it)
        out = x[basic][adv]
        return out if out.flags.c_contiguous else out.copy()

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the index tensors)
        return IndexBackward.apply(g, ctx.shape, ctx.basic, ctx.adv)


class IndexSavingInput(Index):
    """z = x[basic][adv], saving x as well (torch's take and masked_select nodes save their input);
    dz/dx = zeros with g added at [basic][adv]"""

    @staticmethod
    def forward(ctx, x, basic, adv, *index_tensors):
        out = Index.forward(ctx, x, basic, adv, *index_tensors)
        ctx.save_for_backward(x, *index_tensors)
        return out


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


def _index_put(input: Tensor, index, value) -> Tensor:
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
        return _index_put(input, index, Tensor._make(xp(input._data).asarray(value, dtype=input._data.dtype)))
    try:
        return IndexPut.apply(input, value, basic, adv, adv is None and _is_whole(basic, input._data.shape),
                              *_index_tensors(index))
    except IndexError:
        _parse(input._data.shape, index, check=True)  # raises torch's message
        raise


class IndexPutAccumulate(Op):
    """z = x with v added at [basic][adv] (repeats add up);  dz/dx = g,  dz/dv = g[basic][adv] summed to v's shape"""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, basic, adv, *index_tensors):
        ctx.basic, ctx.adv, ctx.v_shape = basic, adv, v.shape
        ctx.save_for_backward(*index_tensors)   # (as in Index: their versions are checked)
        out = x.copy()
        target = out[basic]
        add_at(target, adv, xp(x).broadcast_to(v, target[adv].shape))
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the index tensors)
        gv = None
        if ctx.needs_input_grad[1]:
            from .shape import sum_to_size
            gv = sum_to_size(Index.apply(g, ctx.basic, ctx.adv), ctx.v_shape)
        return g, gv


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``values`` written (accumulate: added) at ``input[indices]``; ``indices`` is a
    tuple of index tensors, None standing for a whole dim (torch's ``index_put``)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    index = tuple(slice(None) if i is None else i for i in indices)
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{dtypes.scalar_name(input._data.dtype)} for the destination and "
                           f"{dtypes.scalar_name(values._data.dtype)} for the source.")
    if not accumulate:
        return _index_put(input, index, values)
    basic, adv = _parse(input._data.shape, index)
    if adv is None:   # only whole dims: every element once
        from .elementwise import add
        return add(input, values)
    adv = on_device_of(input._data, adv)
    try:
        return IndexPutAccumulate.apply(input, values, basic, adv, *_index_tensors(index))
    except IndexError:
        _parse(input._data.shape, index, check=True)
        raise
    except ValueError:
        _index_put(input, index, values)  # raises torch's shape-mismatch message
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
    the value is written straight into input's memory; otherwise through :func:`_index_put` and
    ``Tensor._inplace``, which links the write into the graph."""
    if (grad_mode.state.grad_enabled and (input._requires_grad or (isinstance(value, Tensor) and value._requires_grad))) \
            or not getattr(input._data.flags, "writeable", True):   # (CuPy arrays have no such flag)
        if grad_mode.state.grad_enabled and input._requires_grad and input.grad_fn is None \
                and _parse(input._data.shape, index)[1] is None:
            # torch writes a basic index through a view of the leaf (x[0] = v is x[0].copy_(v))
            from ..autograd.inplace import VIEW_OF_LEAF_MSG
            raise RuntimeError(VIEW_OF_LEAF_MSG)
        _check_overlap(input, index, value)
        input._inplace(_index_put(input, index, value))
        return
    shape = input._data.shape
    basic, adv = _parse(shape, index)
    adv = on_device_of(input._data, adv)
    if adv is None and isinstance(value, Tensor):
        check_setitem_overlap(input._data[basic], value)
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
        _index_put(input, index, value)  # raises torch's shape-mismatch message
        raise
    input._vc[0] += 1
    rederive_after_untracked_write(input)   # (the views of a base that requires grad, as write() does)


def _check_overlap(input: Tensor, index, value) -> None:
    """torch's error for a value that partly overlaps the region a basic index writes."""
    if isinstance(value, Tensor):
        basic, adv = _parse(input._data.shape, index)
        if adv is None:
            check_setitem_overlap(input._data[basic], value)


class Gather(Op):
    """z[i][j][k] = x[i][index[i][j][k]][k] (dim 1);  dz/dx = scatter_add(zeros, dim, index, g)"""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.save_for_backward(x, index)   # (x too, as torch's node: writing it before backward raises)
        return x[_scatter_key(index, dim)]

    @staticmethod
    def backward(ctx, g):
        _, index = ctx.saved_tensors
        zeros = Tensor._make(np.zeros_like(g._data, shape=ctx.shape))
        return ScatterAdd.apply(zeros, g, index, ctx.dim)


def _index_tensor(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    return index._data


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    idx = _index_tensor(index, "gather")
    check_same_device(input, idx)
    if idx.dtype not in (np.int64, np.int32) and idx.size:   # (torch lets an empty index of any dtype by)
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    x = input._data
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    if not idx.size:   # an empty index reads nothing: torch checks neither its dtype nor its dims
        if ndim == 0:
            from .shape import Reshape
            input = Reshape.apply(input, (1,))
        empty = tuple(xp(x).zeros(idx.shape, np.int64) for _ in range(max(ndim, 1)))
        return overload(IndexSavingInput.apply(input, (Ellipsis,), empty, index), "GatherBackward0")   # (input, index: version-checked)
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
        ctx.index_shape = index.shape
        ctx.save_for_backward(index if ctx.needs_input_grad[1] else None)   # (only src's gradient reads it)
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
                gsrc = SliceBackward.apply(gsrc, ctx.src_shape, tuple(slice(0, n) for n in ctx.index_shape))
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
    if not isinstance(input, Tensor) and getattr(input, "is_sparse", False):
        from ..sparse import index_select as sparse_index_select
        return sparse_index_select(input, dim, index)
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
    if not ndim and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= size:
            # torch's kernels: 0-d and 1-d inputs, and dims other than 1 of a non-empty input, check with
            # an IndexError; dim 1 and empty inputs name the first bad index in a RuntimeError
            if ndim <= 1:
                raise IndexError("index out of range in self")
            if size == 0:
                raise RuntimeError("index_select(): self indexing axis dim should be positive")
            if x.size == 0 or dim == 1:
                bad = idx.reshape(-1)
                first = int(bad[int(xp(bad).argmax((bad < 0) | (bad >= size)))])
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={first} axis_dim={size}")
            raise IndexError("index out of range in self")
    if not ndim:
        from .shape import Reshape
        return Reshape.apply(Index.apply(input, (None, Ellipsis), (idx.reshape(1),), index), ())
    return overload(Index.apply(input, (), (slice(None),) * dim + (idx.reshape(-1),), index), "IndexSelectBackward0")


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


# -- scatter with a reduction: scatter, scatter_reduce, the index_* ops, put -------------------------------
# Every op here writes values of ``src`` into a copy of ``x`` at the positions an index names,
# combining them with a reduction. One key (``_scatter_key``) pairs ``src[i, j, k]`` with
# ``out[i, index[i, j, k], k]``; the index_* ops (a vector of positions along one dim) expand their
# vector to that form, and put/take use the flat positions unravelled into one key per dim.
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": "add", "prod": "multiply", "mean": "add", "amax": "maximum", "amin": "minimum"}


def _identity(reduce, dtype):
    """The value a reduction starts from when ``include_self=False`` ignores the input there."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _reduce_at(out, key, values, reduce):
    """``out[key] = reduce(out[key], values)`` element by element, repeats combining: ``ufunc.at``."""
    if isinstance(out, np.ndarray):
        getattr(np, _UFUNCS[reduce]).at(out, key, values)
        return
    import cupyx
    fn = {"add": cupyx.scatter_add, "maximum": cupyx.scatter_max, "minimum": cupyx.scatter_min}.get(_UFUNCS[reduce])
    if fn is None:
        raise NotImplementedError(f"scatter_reduce(reduce='{reduce}') on the GPU")
    fn(out, key, values)


def _scatter_reduce_array(x, key, src, reduce, include_self):
    out = x.copy()
    if reduce == "mean":
        counts = xp(x).zeros(x.shape, np.int64)
        add_at(counts, key, 1)
    if not include_self:
        out[key] = _identity(reduce, x.dtype)
    _reduce_at(out, key, src, reduce)
    if reduce == "mean":
        n = xp(x).where(counts > 0, counts + int(include_self), 1)
        out = out / n if x.dtype.kind in "fc" else out // n
        out = out.astype(x.dtype, copy=False)
    return out


def _src_part(src, index):
    """The part of ``src`` that ``index`` (no larger in any dim) pairs with output positions."""
    return src[tuple(slice(0, n) for n in index.shape)]


class ScatterReduce(Op):
    """z = x, then z[..index..] = reduce(z[..index..], src) (include_self: x takes part);
    dz/dx, dz/dsrc: g, g gathered (sum); g/N (mean); g times the product of the others (prod);
    g shared among the ties that reach the result (amax, amin)"""

    @staticmethod
    def forward(ctx, x, src, index, dim, reduce, include_self, out_shape=None):
        """``out_shape``: the result's shape when it differs from x's (a 0-d input read as 1-d), so that
        the result the formulas below read is the caller's tensor itself, as torch's formula reads it."""
        ctx.dim, ctx.reduce, ctx.include_self, ctx.src_shape = dim, reduce, include_self, src.shape
        out = _scatter_reduce_array(x, _scatter_key(index, dim), _src_part(src, index), reduce, include_self)
        if out_shape is not None:
            out = out.reshape(out_shape)
        ctx.save_for_backward(x, src, index, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, src, index, out = ctx.saved_tensors
        if out.shape != x.shape:   # (a 0-d result of a 1-d computation)
            g, out = g.reshape(x.shape), out.reshape(x.shape)
        dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
        src = _narrow_to(src, index._data.shape)
        if reduce == "sum":
            gx, gsrc = g, gather(g, dim, index)
        elif reduce == "mean":
            n = g.new_ones(g.shape) if include_self else g.new_zeros(g.shape)
            n = scatter_add(n, dim, index, src.new_ones(src.shape))
            n = masked_fill(n, n == 0, 1)
            gx, gsrc = g / n, gather(g, dim, index) / gather(n, dim, index)
        elif reduce == "prod":
            # products that leave one factor out, without dividing by a zero factor
            masked_x = masked_fill(x, x == 0, 1)
            gx = g * scatter_reduce(masked_x, dim, index, src, "prod", include_self=include_self) / masked_x
            src_zero = src == 0
            zeros_at = scatter_add(x.new_zeros(x.shape), dim, index, src_zero.to(x.dtype))
            single_zero = src_zero & (gather(zeros_at, dim, index) == 1)
            masked_src_out = scatter_reduce(x, dim, index, masked_fill(src, single_zero, 1), "prod",
                                            include_self=include_self)
            from .math import where
            gsrc = where(single_zero, gather(g * masked_src_out, dim, index),
                         gather(g * out, dim, index) / masked_fill(src, src_zero, 1))
        else:   # amax, amin: the gradient is shared equally among the values equal to the result
            value = gather(out, dim, index)
            x_is_result = (x == out).to(x.dtype)
            src_is_result = (src == value).to(x.dtype)
            shared = g / scatter_add(x_is_result, dim, index, src_is_result)
            gx, gsrc = x_is_result * shared, src_is_result * gather(shared, dim, index)
        if not include_self:
            gx = scatter(gx, dim, index, 0)
        return gx, _pad_to(gsrc, ctx.src_shape)


def _narrow_to(t, shape):
    """``t`` cut down to ``shape`` (from the start of each dim), differentiably."""
    if t._data.shape == tuple(shape):
        return t
    return Slice.apply(t, tuple(slice(0, n) for n in shape))


def _pad_to(t, shape):
    """``t`` padded with zeros up to ``shape``: the gradient of :func:`_narrow_to`."""
    if t is None or t._data.shape == tuple(shape):
        return t
    from .shape import SliceBackward
    return SliceBackward.apply(t, tuple(shape), tuple(slice(0, n) for n in t._data.shape))


class Scatter(Op):
    """z = x, then z[..index..] = src (a tensor, or a number);  dz/dx = g with zeros there,  dz/dsrc = gather(g)"""

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.dim, ctx.src_shape = dim, getattr(src, "shape", ())
        ctx.save_for_backward(index)
        out = x.copy()
        key = _scatter_key(index, dim)
        out[key] = _src_part(src, index) if ctx.src_shape else src
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        gx = Scatter.apply(g, 0, index, ctx.dim) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[1]:
            gsrc = _pad_to(Gather.apply(g, index, ctx.dim), ctx.src_shape)
        return gx, gsrc


class ScatterLegacyReduce(Op):
    """z = x, then z[..index..] combined with src by add or multiply: torch defines no derivative"""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, x, src, index, dim, reduce):
        key = _scatter_key(index, dim)
        out = x.copy()
        _reduce_at(out, key, _src_part(src, index) if getattr(src, "shape", ()) else src, reduce)
        return out

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_checks(name, input, dim, index, src, src_name="src"):
    """torch's checks shared by scatter, scatter_add and scatter_reduce; returns (dim, shapes as 1-d
    at least: input, index, src or None)."""
    idx = _index_tensor(index, name)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    x = input._data
    s = src._data if isinstance(src, Tensor) else None
    check_same_device(x, idx, *(() if s is None else (s,)))
    if s is not None and s.dtype != x.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    if idx.size and max(ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    xshape, ishape = x.shape or (1,), idx.shape or (1,)
    sshape = None if s is None else (s.shape or (1,))
    if idx.size:
        if sshape is not None and len(sshape) != len(ishape):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        for d in range(len(xshape)):
            if (d != dim and ishape[d] > xshape[d]) or (sshape is not None and ishape[d] > sshape[d]):
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} "
                                   f"apart from dimension {dim} and to be no larger size than {src_name} "
                                   f"{list(s.shape) if s is not None else []}")
        _check_index_range(idx, xshape[dim], dim)
    return dim, xshape, ishape, sshape


def _as_1d_call(apply, input, index, src, shapes):
    """Run ``apply(input, index, src)`` with 0-d tensors read as 1-d (as torch does), and the
    result in input's shape; an empty index changes nothing (torch returns a copy)."""
    from .shape import Reshape
    xshape, ishape, sshape = shapes
    if not index._data.size:
        empty = Tensor._make(index._data.reshape((0,) * len(xshape)))
        empty._vc = index._vc   # the node saves the index, as torch's: a write into it is a version error
        index = empty
    elif index._data.shape != ishape:
        index = Reshape.apply(index, ishape)
    x = input if input._data.shape == xshape else Reshape.apply(input, xshape)
    if isinstance(src, Tensor) and src._data.shape != sshape and sshape is not None:
        src = Reshape.apply(src, sshape)
    out = apply(x, index, src)
    if out._data.shape != input._data.shape:
        node = out.grad_fn
        out = Reshape.apply(out, input._data.shape)
        if node is not None and out.grad_fn is not None:
            out.grad_fn.node_name = node.name()   # (the reshape of a 0-d result keeps the op's name)
    return out


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """``input`` with ``src`` (a tensor, or a number: ``value``) written at the positions ``index``
    names along ``dim``; ``reduce='add'|'multiply'`` combines instead of overwriting (no gradient)."""
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        src = dtypes.checked_scalar(src, input.dtype) if isinstance(src, (int, float, bool)) else src
    dim, *shapes = _scatter_checks("scatter", input, dim, index, src)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        name = {"add": "sum", "multiply": "prod"}[reduce]
        return _as_1d_call(lambda x, i, s: ScatterLegacyReduce.apply(x, s, i, dim, name), input, index, src, shapes)
    out = _as_1d_call(lambda x, i, s: Scatter.apply(x, s, i, dim), input, index, src, shapes)
    return overload(out, "ScatterBackward0" if isinstance(src, Tensor) else "ScatterBackward1")


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """``input`` with each value of ``src`` combined into the position ``index`` names along ``dim``
    by ``reduce`` (sum, prod, mean, amax, amin); ``include_self=False`` leaves input's values there out."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    dim, *shapes = _scatter_checks("scatter_reduce", input, dim, index, src)
    shape = input._data.shape if input._data.shape != shapes[0] else None   # (a 0-d input read as 1-d)
    return _as_1d_call(lambda x, i, s: ScatterReduce.apply(x, s, i, dim, reduce, bool(include_self), shape),
                       input, index, src, shapes)


# -- the index_* ops: a vector of positions along dim, expanded to scatter's index ---------------------------
def _index_vector(name, input, dim, index, source=None, negative_ok=False, oob=None):
    """Checks shared by index_add/copy/fill/reduce; returns (dim, the index as scatter's index: the
    vector laid along ``dim`` and expanded to the shape of the values it places)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{dtypes.scalar_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{dtypes.scalar_name(idx.dtype)}")
    x = input._data
    check_same_device(x, idx)
    ndim = x.ndim
    dim = wrap_dim(dim, ndim)
    size = x.shape[dim] if ndim else 1
    idx = idx.reshape(-1)
    if source is not None:
        s = source._data
        if s.dtype != x.dtype:
            raise RuntimeError(f"{name}(): self ({dtypes.scalar_name(x.dtype)}) and source "
                               f"({dtypes.scalar_name(s.dtype)}) must have the same scalar type")
        n = s.shape[dim] if s.ndim else 1
        if n != idx.size:
            raise (IndexError if name == "index_copy_" else RuntimeError)(
                f"{name}(): Number of indices ({idx.size}) should be equal to source.size(dim)"
                f"{':' if name != 'index_copy_' else ''} ({n}){', for dim: ' + str(dim) if name != 'index_copy_' else ''}")
        if max(s.ndim, 1) != max(ndim, 1) or any(a != b for d, (a, b) in enumerate(zip(s.shape, x.shape)) if d != dim):
            raise RuntimeError(f"{name}(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {list(x.shape[:dim] + x.shape[dim + 1:])} at dimension {dim} and "
                               f"source slice shape: {list(s.shape[:dim] + s.shape[dim + 1:])} at dimension 0.")
    if idx.size and not x.size and name in ("index_fill_", "index_copy_") and size == 0:
        # (torch's kernels fail restriding the empty storage along a dim of size 0)
        raise RuntimeError(f"setStorage: {name}() of {idx.size} indices along dimension {dim} of size 0 is "
                           f"out of bounds for storage of size 0")
    if idx.size and not x.size and (size or (name == "index_add_" and ndim > 1)) \
            and name in ("index_fill_", "index_copy_", "index_add_"):
        pass   # another dim is empty: torch's kernels place nothing, so they check no index (docs/parity.md)
    elif idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= size or lo < (-size if negative_ok else 0):
            bad = hi if hi >= size else lo
            if oob == "runtime":
                raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
            if oob is not None:
                raise IndexError(oob)
            prefix = "index_copy_(): " if name == "index_copy_" else ""
            raise IndexError(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")
        if negative_ok and lo < 0:
            idx = np.where(idx < 0, idx + size, idx)
    shape = list(x.shape or (1,))
    shape[dim] = idx.size
    lay = [1] * len(shape)
    lay[dim] = idx.size
    laid = Tensor._make(xp(x).broadcast_to(idx.astype(np.int64).reshape(lay), shape))
    laid._vc = index._vc   # torch's index is this one reshaped: an in-place change of it before backward raises
    return dim, laid


def _as_1d(t):
    from .shape import Reshape
    return t if t._data.ndim else Reshape.apply(t, (1,))


def _named_back(out, input, node_name, also=()):
    """``out`` in input's shape (0-d inputs were read as 1-d), its node named as torch's. A reshaped
    result's last node also saves what the op's node saved (torch has one node: backward(inputs=[out])
    unpacks it, and a write into a saved tensor raises there)."""
    if out._data.shape != input._data.shape:
        from .shape import Reshape
        out = overload(out, node_name)
        node = out.grad_fn
        out = Reshape.apply(out, input._data.shape)
        if node is not None:
            out.grad_fn.node_name = node_name
            if node._saved or also:   # (``also``: what torch's node saves beside that, e.g. index_add's index)
                out = saving(out, tuple(node.saved_tensors) + tuple(also), node_name)
        return out
    return overload(out, node_name)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source[.., i, ..]`` added at position ``index[i]`` along ``dim``."""
    # torch's kernels: an IndexError as index_reduce's for 0-d/1-d inputs, an alpha other than 1 and the
    # dims between the first and the last; a RuntimeError as scatter's for the first and last dims
    nd = input._data.ndim
    d = dim + nd if isinstance(dim, int) and dim < 0 else dim
    middle = isinstance(d, int) and 0 < d < nd - 1
    dim, idx = _index_vector("index_add_", input, dim, index, source,
                             oob="index out of range in self" if nd <= 1 or alpha != 1 or middle else "runtime")
    scaled = source * alpha if alpha != 1 else source
    if input._data.ndim > 1 and input._data.shape[dim] == 0:   # (nothing to add into, no index checked)
        return overload(input.clone(), "IndexAddBackward0")
    out = saving(ScatterAdd.apply(_as_1d(input), _as_1d(scaled), idx, dim), (source,))   # (torch's node saves source)
    return _named_back(out, input, "IndexAddBackward0", (index,))


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with ``source[.., i, ..]`` written at position ``index[i]`` along ``dim``."""
    dim, idx = _index_vector("index_copy_", input, dim, index, source)
    out = saving(Scatter.apply(_as_1d(input), _as_1d(source), idx, dim), (source,))   # (torch's node saves source)
    return _named_back(out, input, "IndexCopyBackward0", (index,))


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) written at the positions ``index`` names along ``dim``."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif isinstance(index, Tensor) and index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    else:
        value = dtypes.checked_scalar(value, input.dtype)
    dim, idx = _index_vector("index_fill_", input, dim, index, negative_ok=True)
    # filling is idempotent: each position once, so that a tensor value's gradient counts it once (as torch)
    if idx._data.size:
        vc, idx = idx._vc, Tensor._make(xp(idx._data).unique(idx._data, axis=dim))
        idx._vc = vc   # (still the user's index, for the version check)
    if isinstance(value, Tensor):
        from .shape import expand
        src = expand(value.to(input.dtype), idx._data.shape)
        return _named_back(Scatter.apply(_as_1d(input), src, idx, dim), input, "IndexFillBackward1")
    return _named_back(Scatter.apply(_as_1d(input), value, idx, dim), input, "IndexFillBackward0")


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """``input`` with ``source[.., i, ..]`` combined into position ``index[i]`` along ``dim`` by
    ``reduce`` (prod, mean, amax, amin)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    dim, idx = _index_vector("index_reduce_", input, dim, index, source, oob="index out of range in self")
    shape = input._data.shape if not input._data.ndim else None   # (a 0-d input read as 1-d: see ScatterReduce)
    out = ScatterReduce.apply(_as_1d(input), _as_1d(source), idx, dim, reduce, bool(include_self), shape)
    return _named_back(out, input, "IndexReduceBackward0")


# -- flat positions: take, put ---------------------------------------------------------------------------
def _flat_key(name, input, index):
    """The flat positions ``index`` (negative ones counting from the end) as one index array per
    dim of ``input``: what take reads and put writes."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {dtypes.scalar_name(idx.dtype)}")
    check_same_device(input, idx)
    n = input._data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            raise IndexError(f"out of range: tried to access index {lo if lo < -n else hi} on a tensor of {n} "
                             f"elements.")
    flat = xp(idx).where(idx < 0, idx + n, idx)
    return xp(idx).unravel_index(flat, input._data.shape) if input._data.ndim else (flat * 0,)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` at flat positions ``index``, in index's shape."""
    key = _flat_key("take", input, index)
    x = input if input._data.ndim else _as_1d(input)
    return overload(IndexSavingInput.apply(x, (Ellipsis,), key, index), "TakeBackward0")


class Put(Op):
    """z = x with z.flat[index] = src (accumulate: += );  dz/dx = g (zeros at index unless accumulate),
    dz/dsrc = g.flat[index]"""

    @staticmethod
    def forward(ctx, x, src, key, accumulate, index=None):
        ctx.key, ctx.accumulate, ctx.src_shape = key, accumulate, src.shape
        # (the index tensor ``key`` was made from, and src as torch's node: their versions are checked)
        ctx.save_for_backward(src, index)
        out = x.copy()
        values = src.reshape(-1)
        if accumulate:
            add_at(out, key, values)
        else:
            out[key] = values
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the index tensor)
        key = ctx.key
        gx = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, 0, (Ellipsis,), key)
        gsrc = None
        if ctx.needs_input_grad[1]:
            from .shape import Reshape
            gsrc = Reshape.apply(Index.apply(g, (Ellipsis,), key), ctx.src_shape)
        return gx, gsrc


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``source`` written (or, accumulate, added) at flat positions ``index``."""
    if not isinstance(source, Tensor):
        raise TypeError(f"put(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {dtypes.scalar_name(input._data.dtype)} and source.dtype = "
                           f"{dtypes.scalar_name(source._data.dtype)}")
    if source._data.size != index._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {index._data.size}")
    key = [k.reshape(-1) for k in _flat_key("put", input, index)]
    if not input._data.ndim:
        return _named_back(Put.apply(_as_1d(input), source, tuple(key), bool(accumulate), index), input,
                           "PutBackward0")
    return Put.apply(input, source, tuple(key), bool(accumulate), index)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``input``'s values at ``indices`` along ``dim`` (both broadcast off ``dim``); with no dim, of
    the flattened input."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' must be Tensor, not {type(indices).__name__}")
    if indices._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{dtypes.scalar_name(indices._data.dtype)} instead")
    from .shape import Reshape, expand
    if dim is None:
        return gather(Reshape.apply(input, (input._data.size,)), 0,
                      Reshape.apply(indices, (indices._data.size,)))
    x, i = input._data, indices._data
    if x.ndim != i.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {i.ndim} dimensions for indices")
    dim = wrap_dim(dim, x.ndim)
    xs, is_ = list(x.shape), list(i.shape)
    if x.ndim:
        xs[dim] = is_[dim] = 1
    common = broadcast_shape(tuple(xs), tuple(is_))
    xb, ib = list(common), list(common)
    if x.ndim:
        xb[dim], ib[dim] = x.shape[dim], i.shape[dim]
    if tuple(xb) != x.shape:
        input = expand(input, xb)
    size = x.shape[dim] if x.ndim else 1
    if i.size and i.min() < 0:   # with a dim, torch counts negative indices from the end
        if i.min() < -size:
            _check_index_range(i, size, dim)
        i = xp(i).where(i < 0, i + size, i)
    # always a new index tensor, as torch's (its negative indices wrapped by at::where): a later
    # in-place change of ``indices`` neither reaches the gradient nor raises at backward
    indices = Tensor._make(xp(i).array(xp(i).broadcast_to(i, ib), copy=True))
    return gather(input, dim, indices)


# -- masks ---------------------------------------------------------------------------------------------------
def _bool_mask(mask, message):
    if not isinstance(mask, Tensor):
        raise TypeError(f"argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(message.format(dtypes.scalar_name(mask._data.dtype)))
    return mask._data


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-d tensor."""
    m = _bool_mask(mask, "masked_select: expected BoolTensor for mask")
    check_same_device(input, m)
    shape = broadcast_shape(input._data.shape, m.shape)
    from .shape import expand
    x = input if input._data.shape == shape else expand(input, shape)
    key = xp(m).nonzero(xp(m).broadcast_to(m, shape)) if shape else (xp(m).zeros(int(m), np.int64),)
    if not shape:
        from .shape import Reshape
        x = Reshape.apply(x, (1,))
    return overload(IndexSavingInput.apply(x, (Ellipsis,), key, mask), "MaskedSelectBackward0")


class MaskedScatter(Op):
    """z = x with z[mask] = src.flat[:count];  dz/dx = g with zeros at mask,  dz/dsrc = g[mask] then zeros"""

    @staticmethod
    def forward(ctx, x, src, key, mask=None):
        ctx.key, ctx.src_shape = key, src.shape
        ctx.save_for_backward(mask)   # (the mask ``key`` was made from: its version is checked)
        out = x.copy()
        n = key[0].size
        out[key] = src.reshape(-1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # (the version check of the mask)
        key, src_shape = ctx.key, ctx.src_shape
        gx = IndexPut.apply(g, 0, (Ellipsis,), key) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[1]:
            from .shape import Reshape, SliceBackward
            picked = Index.apply(g, (Ellipsis,), key)
            size = int(np.prod(src_shape))
            gsrc = Reshape.apply(SliceBackward.apply(picked, (size,), (slice(0, key[0].size),)), src_shape)
        return gx, gsrc


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the leading elements of ``source`` written, in order, where ``mask`` is True."""
    m = _bool_mask(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype {}")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got "
                           f"{dtypes.scalar_name(input._data.dtype)} and {dtypes.scalar_name(source._data.dtype)}")
    check_same_device(input, m, source)
    shape = broadcast_shape(input._data.shape, m.shape)
    from .shape import expand, Reshape
    x = input if input._data.shape == shape else expand(input, shape)
    mb = xp(m).broadcast_to(m, shape)
    if int(mb.sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if not shape:
        out = MaskedScatter.apply(Reshape.apply(x, (1,)), source, (xp(m).zeros(int(m), np.int64),), mask)
        return _named_back(out, input, "MaskedScatterBackward0")
    return MaskedScatter.apply(x, source, xp(m).nonzero(mb), mask)


# -- positions of non-zeros ------------------------------------------------------------------------------------
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The positions of input's non-zero elements: an (n, ndim) int64 tensor, or (as_tuple) one
    1-d tensor per dim (a 0-d input counts as 1-d there)."""
    x = input._data
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64)) for a in xp(x).nonzero(x.reshape(-1) if not x.ndim else x))
    return Tensor._make(xp(x).argwhere(x).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """:func:`nonzero` cut or padded (with ``fill_value``) to exactly ``size`` rows."""
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    rows = nonzero(input)._data[:size]
    pad = xp(rows).full((size - rows.shape[0], rows.shape[1]), fill_value, np.int64)
    return Tensor._make(xp(rows).concatenate([rows, pad]))


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of flat positions ``indices``: one int64 tensor per dim
    (positions wrap around, as torch computes them)."""
    if not isinstance(indices, Tensor):
        indices = Tensor._make(np.asarray(indices))
    i = indices._data
    if i.dtype.kind not in "iu" or i.dtype == np.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    module = xp(i)
    i = i.astype(np.int64)
    out = []
    for size in reversed(shape):
        out.append(i % size if size else i * 0)
        i = i // size if size else i
    return tuple(Tensor._make(module.asarray(a)) for a in reversed(out))


__all__ += ["scatter", "scatter_reduce", "index_add", "index_copy", "index_fill", "index_reduce", "take", "put",
            "take_along_dim", "masked_select", "masked_scatter", "nonzero", "argwhere", "nonzero_static",
            "unravel_index"]


# -- torch's internal masked indexing (its decompositions of interpolation use them) -------------------------
def _clamped_key(input, indices):
    """``indices`` (None: a whole dim) clamped into each dim's range, as torch's unsafe indexing reads them."""
    key = []
    for idx, size in zip(indices, input._data.shape):
        if idx is None:
            key.append(slice(None))
        else:
            if idx._data.dtype not in _LONG_OR_INT:
                raise RuntimeError(f"_unsafe_masked_index found unexpected index type "
                                   f"{dtypes.scalar_name(idx._data.dtype)}")
            clamped = Tensor._make(xp(idx._data).clip(idx._data, -size, size - 1))
            clamped._vc = idx._vc   # (torch saves the index itself: a later in-place change of it raises)
            key.append(clamped)
    return tuple(key)


def _unmasked(mask):
    """``~mask``, sharing mask's version counter: torch saves the mask itself for backward."""
    from .compare import logical_not
    inverse = logical_not(mask)
    inverse._vc = mask._vc
    return inverse


def _unsafe_masked_index(input: Tensor, mask: Tensor, indices, fill) -> Tensor:
    """``input[indices]`` (indices clamped into range) where ``mask``, ``fill`` elsewhere."""
    picked = getitem(input, _clamped_key(input, indices))
    out = masked_fill(picked, _unmasked(mask), fill)
    # one node saving mask and indices, as torch's (a write into them before backward: a version error)
    return overload(SavesOperands.apply_to(out, _mask_and_indices(mask, indices)), "UnsafeMaskedIndexBackward0")


def _mask_and_indices(mask, indices) -> tuple:
    return (mask,) + tuple(k for k in indices if isinstance(k, Tensor))


def _unsafe_masked_index_put_accumulate(input: Tensor, mask: Tensor, indices, values: Tensor) -> Tensor:
    """``input`` with ``values`` added at ``input[indices]`` (indices clamped into range) where ``mask``."""
    kept = masked_fill(values, _unmasked(mask), 0)
    key = tuple(None if isinstance(k, slice) else k for k in _clamped_key(input, indices))
    # (torch's node saves mask and indices for the gradient of values alone)
    saved = _mask_and_indices(mask, indices) if isinstance(values, Tensor) and values.requires_grad else ()
    out = SavesOperands.apply_to(index_put(input, key, kept, accumulate=True), saved)
    return overload(out, "UnsafeMaskedIndexPutAccumulateBackward0")


__all__ += ["_unsafe_masked_index", "_unsafe_masked_index_put_accumulate"]
