"""Sorting, selection and counting: sort, topk, kthvalue, median, mode, unique, searchsorted, histograms.

Every op here that returns values picked out of its input (sort, topk, kthvalue, median(dim), mode,
cummax/cummin in reduce.py) is one mechanism: the indices are worked out on arrays first, then
:class:`SelectAlong` takes the values at them, and its backward scatters the gradient back to those
positions (torch's ``value_selecting_reduction_backward`` and ``cummaxmin_backward``). Only the node
name differs per op. Orderings follow torch's CPU kernels: NaN sorts as the largest value, ``sort``
is stable, ``median`` is the lower median, ``mode`` breaks count ties towards the smallest value
and reports its last index. Where torch's quickselect (topk, kthvalue, median) picks among equal
values its choice of index is not specified; minigrad takes the first in a stable order.
"""
from __future__ import annotations

import builtins
import collections

import numpy as np

from .. import dtypes
from ._util import Op, overload, Tensor, wrap_dim, xp
from .index import ScatterAdd

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
           "unique_consecutive", "searchsorted", "bucketize", "histc", "histogram", "histogramdd", "bincount",
           "count_nonzero"]


def _result_type(name, fields):
    """torch.return_types.NAME: a named tuple of the op's outputs."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "minigrad.return_types"
    return cls


sort_result = _result_type("sort", ["values", "indices"])
topk_result = _result_type("topk", ["values", "indices"])
kthvalue_result = _result_type("kthvalue", ["values", "indices"])
median_result = _result_type("median", ["values", "indices"])
nanmedian_result = _result_type("nanmedian", ["values", "indices"])
mode_result = _result_type("mode", ["values", "indices"])
histogram_result = _result_type("histogram", ["hist", "bin_edges"])
histogramdd_result = _result_type("histogramdd", ["hist", "bin_edges"])


def _tensor(x, fn, arg="input", position=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not {type(x).__name__}")
    return x


# -- the shared mechanism: values taken at indices along a dim ---------------------------------
class SelectAlong(Op):
    """z = x taken at index along dim;  dz/dx = g scattered (added) back to the positions index names, 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, index, dim, keepdim, saves_input=False):
        """``saves_input``: x is saved too, only for the version check (torch's cummax and cummin nodes save it)."""
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        also = (x,) if saves_input else ()
        if x.ndim == 0:
            ctx.dim = None
            index = xp(x).zeros((), dtype=np.int64)
            ctx.save_for_backward(index, *also)   # (unused, but saved as torch saves it: editing it is a version error)
            return x.copy(), index
        values = np.take_along_axis(x, index, axis=dim)
        if not keepdim:
            values, index = np.squeeze(values, dim), np.squeeze(index, dim)
        # the indices output itself, as torch's node saves it: an in-place change of the returned
        # indices before backward is a version error, not a gradient sent elsewhere
        ctx.save_for_backward(index, *also)
        return values, index

    @staticmethod
    def backward(ctx, g, _g_index):
        saved = ctx.saved_tensors
        index = saved[0]
        if len(saved) > 1 and not g._data.size:
            return saved[1]   # an empty input is its own gradient in torch's cummaxmin_backward (it requires grad)
        if ctx.dim is None:   # a 0-d input: its only element was picked
            return g
        index = index.detach()
        if not ctx.keepdim:
            from .reduce import _unsqueeze
            g, index = _unsqueeze(g, ctx.dim), _unsqueeze(index, ctx.dim)
        zeros = Tensor._make(xp(g._data).zeros(ctx.shape, dtype=g._data.dtype))
        return ScatterAdd.apply(zeros, g, index, ctx.dim)


def select_along(input: Tensor, index, dim: int, keepdim: bool, node_name: str, saves_input: bool = False):
    """(values, indices) of ``input`` at the int64 array ``index`` (input's rank) along ``dim``; with
    ``saves_input`` its node saves input too, as torch's cummax node."""
    if index is None:   # a 0-d input: its one element (made by forward)
        index = np.zeros((), dtype=np.int64)
    # (contiguous, as torch's fresh indices are: a reshape of them is then a view that writes through)
    values, indices = SelectAlong.apply(input, np.ascontiguousarray(index, dtype=np.int64), dim, keepdim, saves_input)
    return overload((values, indices), node_name)


def _order(x, dim, descending=False):
    """Stable argsort along dim, NaN as the largest value; descending keeps equal values in index order."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    # ascending order of the reversed array, read backwards: largest first, ties by increasing index
    rev = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
    return (n - 1) - np.flip(rev, dim)


def _dim_arg(dim, ndim, fn):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(dim, ndim)


# -- sort, argsort, msort, topk, kthvalue ------------------------------------------------------
_UNSET = object()


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable=_UNSET):
    """Values and indices in order along dim (always stable: equal values keep their order; NaN is largest)."""
    _tensor(input, "sort")
    x = input._data
    dim = _dim_arg(dim, x.ndim, "sort")
    index = _order(x, dim, descending) if x.ndim else None
    # torch's sort(stable=...) is its second overload, whatever the value
    return sort_result(*select_along(input, index, dim, True, "SortBackward0" if stable is _UNSET else "SortBackward1"))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along dim."""
    _tensor(input, "argsort")
    x = input._data
    dim = _dim_arg(dim, x.ndim, "argsort")
    if not x.ndim:
        return Tensor._make(np.zeros((), dtype=np.int64))
    return Tensor._make(_order(x, dim, descending).astype(np.int64))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def _check_k(k, fn):
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"{fn}(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    return int(k)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The k largest (or smallest) values along dim and their indices, in order."""
    _tensor(input, "topk")
    x = input._data
    dim = _dim_arg(dim, x.ndim, "topk")
    k = _check_k(k, "topk")
    size = x.shape[dim] if x.ndim else 1
    if k < 0 or k > size:
        raise RuntimeError("selected index k out of range")
    index = _order(x, dim, largest)[(slice(None),) * dim + (slice(0, k),)] if x.ndim else None
    return topk_result(*select_along(input, index, dim, True, "TopkBackward0"))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The k-th smallest value along dim (k from 1) and its index."""
    _tensor(input, "kthvalue")
    x = input._data
    dim = _dim_arg(dim, x.ndim, "kthvalue")
    k = _check_k(k, "kthvalue")
    size = x.shape[dim] if x.ndim else 1
    if k < 1 or k > size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    index = _order(x, dim)[(slice(None),) * dim + (slice(k - 1, k),)] if x.ndim else None
    return kthvalue_result(*select_along(input, index, dim, keepdim, "KthvalueBackward0"))


# -- median, nanmedian --------------------------------------------------------------------------
def _median_position(x, dim, ignore_nan):
    """Per slice along dim, the position in the stable sorted order of the lower median: the first
    NaN where a NaN is present (median), or the lower median of the non-NaN values (nanmedian)."""
    n = x.shape[dim]
    if not dtypes.is_inexact(x.dtype):
        return np.full(np.delete(x.shape, dim), (n - 1) // 2, dtype=np.int64)
    valid = np.sum(~np.isnan(x), axis=dim)
    if ignore_nan:
        return np.maximum(valid - 1, 0) // 2
    return np.where(valid < n, valid, (n - 1) // 2)


class MedianAll(Op):
    """z = the lower median of all x;  dz/dx = g shared evenly among the elements equal to z (the NaNs if z is NaN)"""

    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x, ignore_nan):
        flat = x.reshape(-1)
        if flat.size == 0:   # torch's median of nothing is NaN
            z = np.full((), np.nan, dtype=x.dtype)
        else:
            order = np.argsort(flat, kind="stable")
            z = np.asarray(flat[order[_median_position(flat, 0, ignore_nan)]], dtype=x.dtype)
        # the input and the result, as torch saves them: an in-place change of either before
        # backward raises, and the elements that get the gradient are found at backward
        ctx.save_for_backward(x, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        xd, zd = x._data, z._data
        hit = xp(xd).isnan(xd) if bool(zd != zd) else xd == zd
        share = (hit / builtins.max(int(hit.sum()), 1)).astype(xd.dtype)
        from .reduce import _zero_where   # the median's elements only, 0 elsewhere (also for a NaN g), as torch
        return _zero_where(g * Tensor._make(share), np.asarray(share == 0))


def _median(name, input, dim, keepdim, ignore_nan, result):
    _tensor(input, name)
    x = input._data
    if dim is None:
        out = MedianAll.apply(input, ignore_nan)
        return overload(out, "NanmedianBackward0" if ignore_nan else "MedianBackward0")
    dim = _dim_arg(dim, x.ndim, name)
    if x.ndim and x.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    index = None
    if x.ndim:
        order = _order(x, dim)
        pos = np.expand_dims(_median_position(x, dim, ignore_nan), dim)
        index = np.take_along_axis(order, pos, axis=dim)
    node = "NanmedianBackward1" if ignore_nan else "MedianBackward1"
    return result(*select_along(input, index, dim, keepdim, node))


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median (of all elements, or along dim with its index); NaN if there is a NaN."""
    return _median("median", input, dim, keepdim, False, median_result)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """median ignoring NaNs (NaN only where every value is NaN)."""
    return _median("nanmedian", input, dim, keepdim, True, nanmedian_result)


# -- mode ---------------------------------------------------------------------------------------
def _mode_index(x, dim):
    """Per slice along dim, the index of the most frequent value (ties: the smallest value; its last index)."""
    moved = np.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        order = np.argsort(row, kind="stable")
        v = row[order]
        starts = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))   # NaNs never equal: runs of one
        counts = np.diff(np.append(starts, len(v)))
        best = int(np.argmax(counts))        # the first longest run is the smallest value
        out[r] = order[starts[best]:starts[best] + counts[best]].max()
    return np.expand_dims(out.reshape(moved.shape[:-1]), dim)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along dim and its (last) index."""
    _tensor(input, "mode")
    x = input._data
    dim = _dim_arg(dim, x.ndim, "mode")
    if x.ndim and x.shape[dim] == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size.")
    index = _mode_index(x, dim) if x.ndim else None
    return mode_result(*select_along(input, index, dim, keepdim, "ModeBackward0"))


# -- unique, unique_consecutive (no gradient) --------------------------------------------------
def _unique_rows(x, dim, consecutive):
    """unique slices along dim: (kept slice positions in output order, inverse, counts)."""
    moved = np.moveaxis(x, dim, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, int(np.prod(moved.shape[1:])))
    if consecutive:
        order = np.arange(n)
    else:
        order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(n)
    r = rows[order]
    if n:
        new = np.concatenate([[True], np.any(r[1:] != r[:-1], axis=1)]) if rows.shape[1] else \
            np.concatenate([[True], np.zeros(n - 1, dtype=bool)])
    else:
        new = np.zeros(0, dtype=bool)
    group = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    counts = np.bincount(group, minlength=int(new.sum())).astype(np.int64) if n else np.zeros(0, np.int64)
    return order[new], inverse, counts


class UniqueValues(Op):
    """z = the distinct values of x (found by the caller);  no derivative: torch's backward raises"""

    NODE_NAMES = {"_unique2": "Unique2Backward0", "unique_dim": "UniqueDimBackward0",
                  "unique_consecutive": "UniqueConsecutiveBackward0"}

    @staticmethod
    def forward(ctx, x, values, derivative):
        ctx.derivative = derivative
        return values

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for '{ctx.derivative}' is not implemented.")


def _unique(name, input, sorted_, return_inverse, return_counts, dim, consecutive):
    _tensor(input, name)
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        if consecutive:
            keep = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, dtype=bool)
            group = np.cumsum(keep) - 1
            values, inverse = flat[keep], group.reshape(x.shape)
            counts = np.bincount(group, minlength=values.size) if flat.size else np.zeros(0, np.int64)
        else:
            order = np.argsort(flat, kind="stable")
            v = flat[order]
            keep = np.concatenate([[True], v[1:] != v[:-1]]) if v.size else np.zeros(0, dtype=bool)
            group = np.cumsum(keep) - 1
            inv = np.empty(flat.size, dtype=np.int64)
            inv[order] = group
            values, inverse = v[keep], inv.reshape(x.shape)
            counts = np.bincount(group, minlength=values.size) if v.size else np.zeros(0, np.int64)
    else:
        dim = wrap_dim(dim, x.ndim)
        zero_dims = [d for d, n in enumerate(x.shape) if n == 0]
        if len(zero_dims) > 1:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
        if zero_dims and zero_dims[0] != dim:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        kept, inverse, counts = _unique_rows(x, dim, consecutive)
        values = np.take(x, kept, axis=dim)
    derivative = "unique_consecutive" if consecutive else "_unique2" if dim is None else "unique_dim"
    out = [overload(UniqueValues.apply(input, np.ascontiguousarray(values), derivative),
                    UniqueValues.NODE_NAMES[derivative])]
    if return_inverse:
        out.append(Tensor._make(np.asarray(inverse, dtype=np.int64)))
    if return_counts:
        out.append(Tensor._make(np.asarray(counts, dtype=np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """The distinct values (or slices along dim) in increasing order; NaNs are each distinct."""
    return _unique("unique", input, sorted, return_inverse, return_counts, dim, False)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """Each run of equal consecutive values (or slices along dim) collapsed to one."""
    return _unique("unique_consecutive", input, True, return_inverse, return_counts, dim, True)


# -- searchsorted, bucketize ---------------------------------------------------------------------
def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False, side=None,
                 sorter=None) -> Tensor:
    """For each value, the index where it would be inserted in the (last dim of) sorted_sequence."""
    _tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if sorter is not None:
        sort_idx = sorter._data
        if sort_idx.dtype != np.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{dtypes.SCALAR_NAMES.get(sort_idx.dtype.name, sort_idx.dtype.name)}")
        if sort_idx.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(sort_idx.shape)}")
        if sort_idx.size and (sort_idx.min() < 0 or sort_idx.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, sort_idx, axis=-1)
    if seq.ndim > 1:
        if scalar:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                               f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
                               "dim(0) numel(1)")
        if values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    side_name = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side_name)
    else:
        rows = int(np.prod(seq.shape[:-1]))
        s2, v2 = seq.reshape(rows, seq.shape[-1]), values.reshape(rows, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=side_name) for s, v in zip(s2, v2)]).reshape(values.shape) \
            if v2.shape[0] else np.zeros(values.shape, dtype=np.int64)
    return Tensor._make(np.asarray(out, dtype=np.int32 if out_int32 else np.int64).reshape(np.shape(values)))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (right: <= x <)."""
    _tensor(boundaries, "bucketize", "boundaries", 2)
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# -- histc, histogram, histogramdd, bincount, count_nonzero ---------------------------------------
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts in ``bins`` equal bins over [min, max] (the data's range when min == max), outside values ignored."""
    _tensor(input, "histc")
    x = input._data
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{dtypes.scalar_name(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = x.dtype.type(min), x.dtype.type(max)
    if lo == hi and x.size:
        lo, hi = x.min(), x.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {min} max {max}")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc(): range of [{lo}, {hi}] is not finite")
    flat = x.reshape(-1)
    inside = flat[(flat >= lo) & (flat <= hi)]
    # torch's linear interpolation, in the input's dtype: pos = (x - lo) * bins / (hi - lo)
    pos = ((inside - lo) * x.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return Tensor._make(np.bincount(pos, minlength=bins).astype(x.dtype))


def _bin_edges(x, bins, range_, name):
    """Bin edges from an int count (over range or the data's min/max) or a Tensor of edges."""
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.ndim != 1:
            raise RuntimeError(f"{name}(): bins tensor should have one dimension, but got {edges.ndim} dimensions "
                               "in the bins tensor")
        return edges
    if bins <= 0:
        raise RuntimeError(f"{name}(): bins must be > 0, but got {bins} for dimension 0")
    if range_ is not None:
        lo, hi = x.dtype.type(range_[0]), x.dtype.type(range_[1])
    elif x.size:
        lo, hi = x.min(), x.max()
    else:   # no data: torch's bins span [0, 1]
        lo, hi = x.dtype.type(0), x.dtype.type(1)
    if lo > hi:
        raise RuntimeError(f"{name}(): max must be larger than min, but got min {lo} max {hi}")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1, dtype=x.dtype)


def _counts(columns, edges_list, weight, dtype):
    """Histogram of points (rows of columns) in bins [e_i, e_i+1), the last one closed."""
    shape = tuple(max(len(e) - 1, 0) for e in edges_list)
    keep = np.ones(columns.shape[0], dtype=bool)
    cells = []
    for d, e in enumerate(edges_list):
        v = columns[:, d]
        keep &= (v >= e[0]) & (v <= e[-1]) if len(e) else False
        pos = np.searchsorted(e, v, side="right") - 1
        pos = np.minimum(pos, len(e) - 2)
        cells.append(pos)
    hist = np.zeros(shape, dtype=np.float64)
    if columns.shape[0] and builtins.all(shape):
        idx = tuple(c[keep] for c in cells)
        np.add.at(hist, idx, 1 if weight is None else weight[keep].astype(np.float64))
    return hist.astype(dtype)


def _density(hist, edges_list):
    total = hist.sum()
    widths = np.ones(hist.shape, dtype=hist.dtype)
    for d, e in enumerate(edges_list):
        w = np.diff(e).astype(hist.dtype)
        widths = widths * w.reshape([-1 if i == d else 1 for i in range(hist.ndim)])
    with np.errstate(divide="ignore", invalid="ignore"):
        return hist / (total * widths)


class NoDerivative(Op):
    """z = a result torch computes from the tensor arguments without a derivative;  backward raises
    torch's error (the result requires grad when an argument does, as torch's)"""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, result, aten, *tensors):
        ctx.aten = aten
        return result

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


def _no_derivative(result, aten, *tensors) -> Tensor:
    return NoDerivative.apply(result, aten, *(t for t in tensors if isinstance(t, Tensor)))


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """(hist, bin_edges): counts (or weights, or a density) of input in the bins."""
    _tensor(input, "histogram")
    x = input._data
    if not dtypes.is_floating(x.dtype):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{dtypes.scalar_name(x.dtype)}'")
    edges = _bin_edges(x, bins, range, "torch.histogram")
    w = None
    if weight is not None:
        w = weight._data.reshape(-1)
        if weight._data.shape != x.shape:
            raise RuntimeError("torch.histogram(): if weight tensor is provided it should have the same shape as "
                               f"the input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(x.shape)} and weight with shape {list(weight._data.shape)}")
    hist = _counts(x.reshape(-1, 1), [edges], w, x.dtype)
    if density:
        hist = _density(hist, [edges])
    also = (bins,) if isinstance(bins, Tensor) else ()   # (bin edges that require grad make both results require it)
    return histogram_result(_no_derivative(hist.astype(x.dtype), "histogram", input, weight, *also),
                            _no_derivative(edges.copy(), "histogram", input, weight, *also))


def histogramdd(input: Tensor, bins=10, *, range=None, weight=None, density: bool = False):
    """(hist, bin_edges): a histogram of the points in input's last dim (one bin count or edge tensor per dim)."""
    _tensor(input, "histogramdd")
    x = input._data
    if x.ndim < 1:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 1 dimension, but got 0")
    d = x.shape[-1]
    points = x.reshape(-1, d)
    if isinstance(bins, (int, np.integer)):
        bins = [int(bins)] * d
    edges_list = []
    for i in builtins.range(d):
        r = None if range is None else (range[2 * i], range[2 * i + 1])
        edges_list.append(_bin_edges(points[:, i], bins[i], r, "torch.histogramdd"))
    w = None if weight is None else weight._data.reshape(-1)
    hist = _counts(points, edges_list, w, x.dtype)
    if density:
        hist = _density(hist, edges_list)
    also = tuple(b for b in bins if isinstance(b, Tensor)) if isinstance(bins, (list, tuple)) else ()
    return histogramdd_result(_no_derivative(hist.astype(x.dtype), "_histogramdd_from_bin_cts", input, weight, *also),
                              [_no_derivative(e.copy(), "_histogramdd_bin_edges", input, weight, *also)
                               for e in edges_list])


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in a 1-d non-negative int tensor (or the sum of its weights)."""
    _tensor(input, "bincount")
    x = input._data
    if x.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{dtypes.scalar_name(x.dtype)}'")
    if x.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None or x.size == 0:   # (torch counts an empty input in int64 even with weights)
        return Tensor._make(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _no_derivative(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(dtype),
                          "bincount", weights)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements (over dim, an int or a tuple)."""
    _tensor(input, "count_nonzero")
    from ._util import norm_dims
    dims = norm_dims(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=dims), dtype=np.int64))
