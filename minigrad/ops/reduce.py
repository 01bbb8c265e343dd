"""Reductions over dims. Backward re-expands the gradient over the reduced dims.

Where torch picks a subgradient, minigrad picks the same one: ``max(x)`` and ``amax`` share the
gradient evenly among ties, ``max(x, dim)`` gives it all to the returned index (the first
occurrence), ``prod`` is exact at zeros, the 2-norm's gradient at 0 is 0, and ``std``'s is 0
where the std is 0. Masks that select elements (ties, indices) are piecewise constant, so they
are saved as constants; every other factor is a Tensor expression, so grad-of-grad works.
"""
from __future__ import annotations

import builtins
import collections
import warnings

import numpy as np

from .. import dtypes
from ._util import Op, overload, Tensor, float_result, norm_dims, sign_array, wrap_dim, xp
from ._args import autocast, differentiable_dtype
from .shape import Expand

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "norm",
           "logsumexp", "cumsum", "all", "any",
           "aminmax", "cummax", "cummin", "cumprod", "logcumsumexp", "nansum", "nanmean", "var_mean", "std_mean",
           "quantile", "nanquantile", "cov", "corrcoef", "diff", "trapezoid", "trapz", "cumulative_trapezoid",
           "gradient"]


# torch.return_types.max / .min: a named (values, indices) pair
max_result = collections.namedtuple("max", ["values", "indices"])


min_result = collections.namedtuple("min", ["values", "indices"])


max_result.__module__ = min_result.__module__ = "minigrad.return_types"


def _restore_dims(g: Tensor, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dims as size 1, so that g broadcasts against the input."""
    if keepdim or not dims or g._data.ndim == 0:
        return g  # a 0-d gradient broadcasts as it is
    from .shape import reshape
    shape = list(g.shape)
    for d in dims:
        shape.insert(d, 1)
    return reshape(g, tuple(shape))


def _unsqueeze(t: Tensor, dim: int) -> Tensor:
    from .shape import reshape
    shape = list(t._data.shape)
    shape.insert(dim, 1)
    return reshape(t, tuple(shape))


def _const(array) -> Tensor:
    return Tensor._make(array)


def _numel(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


# -- the row kernels (kernels/rows.py) ------------------------------------------------------------
ROW_KERNELS_MIN = 1 << 14   # from this many values on; smaller tensors never import Numba
_rows = None                # kernels.rows, once imported


def row_kernels(x):
    """``kernels.rows`` (imported on first use: it loads Numba) when x suits its row kernels (a
    C-contiguous NumPy float32/float64 array of at least ROW_KERNELS_MIN values), else None."""
    global _rows
    if type(x) is not np.ndarray or x.size < ROW_KERNELS_MIN or x.dtype.char not in "fd" \
            or not x.flags.c_contiguous:
        return None
    if _rows is None:
        from ..kernels import rows
        _rows = rows
    return _rows


def _row_sum(x, dims, keepdim):
    """sum(x, dims) through the row kernels' vectorised cascade sum, or None where they do not
    apply (see docs/parity.md for its summation order). The sums are written straight into a
    fresh array of the result's shape: an output that is no view needs no view bookkeeping.
    (Callers test ``x.size >= ROW_KERNELS_MIN`` first, saving small sums, the common ones, a call.)"""
    lead = x.ndim - len(dims)   # dims are sorted: trailing dims start at lead
    if not dims or dims[0] != lead or row_kernels(x) is None:
        return None
    kept = x.shape[:lead]
    return _rows.row_sums(x, kept + (1,) * len(dims) if keepdim else kept)


# -- sum, mean, prod ----------------------------------------------------------------------------
class Sum(Op):
    """z = sum(x, dims);  dz/dx = 1 (g broadcast back over dims)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        if ctx.needs_input_grad[0]:   # (what backward reads: an unrecorded call stores nothing)
            ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if type(x) is np.ndarray:  # np.sum without its Python-level wrapper (same numerics)
            if x.size >= ROW_KERNELS_MIN and (np_dtype is None or np_dtype == x.dtype):
                z = _row_sum(x, dims, keepdim)
                if z is not None:
                    return z
            return np.add.reduce(x, axis=dims, dtype=np_dtype, keepdims=keepdim)
        return x.sum(axis=dims, dtype=np_dtype, keepdims=keepdim)  # a GPU (CuPy) array

    @staticmethod
    def backward(ctx, g):
        g = _restore_dims(g, ctx.dims, ctx.keepdim)
        return g if g._data.shape == ctx.shape else Expand.apply(g, ctx.shape)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if not isinstance(input, Tensor) and getattr(input, "is_sparse", False):
        from ..sparse import sum as sparse_sum   # torch.sum of a sparse tensor is torch.sparse.sum
        return sparse_sum(input, dim, dtype)
    dims = norm_dims(dim, input._data.ndim)
    if dtype is not None:
        differentiable_dtype(input, dtype)
        np_dtype = dtypes.as_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        np_dtype = np.int64  # torch sums integers and bools in int64
    else:
        np_dtype = None
    return overload(Sum.apply(input, dims, keepdim, np_dtype), "SumBackward0" if dim is None else "SumBackward1")


class Mean(Op):
    """z = mean(x, dims);  dz/dx = 1/n (g broadcast back over dims)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = _numel(x.shape, dims)
        if ctx.needs_input_grad[0]:   # (what backward reads: an unrecorded call stores nothing)
            ctx.shape, ctx.dims, ctx.keepdim, ctx.n = x.shape, dims, keepdim, n
        if type(x) is np.ndarray and x.dtype.char in "fd" and x.size:
            # np.mean's numerics (the sum in x's dtype, divided) without its Python-level wrapper
            z = _row_sum(x, dims, keepdim) if x.size >= ROW_KERNELS_MIN else None
            if z is None:
                z = np.add.reduce(x, axis=dims, keepdims=keepdim)
            if z.ndim:
                return np.divide(z, x.dtype.type(n), out=z)
            return z[()] / x.dtype.type(n)   # a full mean: scalar arithmetic (a ufunc on a 0-d array costs 0.9 us)
        return np.mean(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        from .shape import expand
        return expand(_restore_dims(g, ctx.dims, ctx.keepdim), ctx.shape) / ctx.n


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if not dtypes.is_inexact(input._data.dtype):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {dtypes.SCALAR_NAMES[input.dtype.name]}")
    return overload(Mean.apply(input, norm_dims(dim, input._data.ndim), keepdim),
                    "MeanBackward0" if dim is None else "MeanBackward1")


class Prod(Op):
    """z = prod(x, dim);  dz/dx_i = prod_{j != i} x_j  (computed as z / x_i when no x is zero, as torch does)"""

    @staticmethod
    def forward(ctx, x, dim, keepdim, np_dtype):
        out = np.prod(x, axis=dim, keepdims=keepdim, dtype=np_dtype)
        if ctx.needs_input_grad[0]:
            ctx.dim, ctx.keepdim = dim, keepdim
            ctx.has_zero = x.size > 0 and not np.all(x)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if x.ndim == 0:
            return g
        dims = tuple(range(x.ndim)) if ctx.dim is None else (ctx.dim,)
        g = _restore_dims(g, dims, ctx.keepdim)
        if not ctx.has_zero:
            return g * (_restore_dims(out, dims, ctx.keepdim) / x)
        from .shape import reshape
        if builtins.all(x._data.shape[d] == 1 for d in dims):
            # torch's prod_safe_zeros_backward passes g through over a dim of size 1 (outside x's graph)
            return reshape(g, x._data.shape)
        if ctx.dim is None:
            from ..autograd.grad_mode import is_grad_enabled
            if not is_grad_enabled() and np.count_nonzero(x._data == 0) > 1:
                # torch's prod_backward: two zeros make every product-of-the-others 0, and torch
                # returns zeros without multiplying (an inf or NaN g gives 0, not NaN)
                return Tensor._make(xp(x._data).zeros_like(x._data))
            return g * reshape(ProdOthers.apply(reshape(x, (x._data.size,)), 0), x._data.shape)
        return g * ProdOthers.apply(x, ctx.dim)


class ProdOthers(Op):
    """z_i = prod_{j != i} x_j along dim;  dz_i/dx_k = prod_{j != i,k} x_j  (k != i),  0  (k == i)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        if x.shape[dim] == 0:
            return x.copy()
        ones = xp(x).ones_like(x[_along(dim, slice(0, 1))])
        # exclusive products from the left and from the right, as torch's prod_safe_zeros_backward
        before = np.concatenate([ones, np.cumprod(x, axis=dim)[_along(dim, slice(None, -1))]], axis=dim)
        after = np.flip(np.cumprod(np.flip(x, dim), axis=dim), dim)[_along(dim, slice(1, None))]
        return before * np.concatenate([after, ones], axis=dim)

    @staticmethod
    def backward(ctx, v):
        x, = ctx.saved_tensors
        d, n = ctx.dim, x._data.shape[ctx.dim]
        view = [1] * (x._data.ndim + 1)
        view[d] = view[d + 1] = n
        eye = xp(x._data).eye(n, dtype=x._data.dtype).reshape(view)
        off = _const(1 - eye)
        # rows[k] is x with x_k replaced by 1: its products-of-the-others leave out both i and k
        rows = _unsqueeze(x, d) * off + _const(eye)
        pairs = ProdOthers.apply(rows, d + 1)
        return sum(_unsqueeze(v, d) * pairs * off, d + 1)


def _along(dim, index):
    """An index tuple applying ``index`` along ``dim`` (all of every other dim)."""
    return (slice(None),) * dim + (index,)


@autocast("fp32")
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        differentiable_dtype(input, dtype)
        input = input.to(dtype)
    np_dtype = np.int64 if input._data.dtype.kind in "biu" else None  # integers multiply in int64
    node_name = "ProdBackward0" if dim is None else "ProdBackward1"
    if dim is not None:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        dim = wrap_dim(dim, input._data.ndim)
        if input._data.ndim == 0:
            dim = None
    return overload(Prod.apply(input, dim, keepdim, np_dtype), node_name)


# -- max, min, amax, amin, argmax, argmin -----------------------------------------------------
class Amax(Op):
    """z = max(x) over dims (or min);  dz/dx = 1/count on the elements equal to z (ties share it), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest, nan_picks=False):
        out = np.max(x, axis=dims, keepdims=keepdim) if largest else np.min(x, axis=dims, keepdims=keepdim)
        if ctx.needs_input_grad[0]:
            ctx.dims, ctx.keepdim = dims, keepdim
            full = out if keepdim else np.expand_dims(out, dims)
            hit = x == full
            if nan_picks and np.isnan(full).any():   # max(x): a NaN result came from the NaNs
                hit = np.isnan(x)
            hit = hit.astype(x.dtype)
            ctx.only_ties = nan_picks   # max()/min(): torch's evenly_distribute_backward
            # the input and the result too, as torch's amax/amin/max()/min() save them: changing
            # either in place before backward is a version error
            ctx.save_for_backward(hit / np.sum(hit, axis=dims, keepdims=True), out, x)
        return out

    @staticmethod
    def backward(ctx, g):
        share, _result, _input = ctx.saved_tensors
        gx = _restore_dims(g, ctx.dims, ctx.keepdim) * share
        # max()/min() write the shared gradient into the ties only (torch's index_put): elsewhere
        # 0 even for an infinite or NaN gradient; amax/amin multiply by the mask (NaN * 0 is NaN)
        return _zero_where(gx, np.asarray(getattr(share, "_data", share) == 0)) if ctx.only_ties else gx  # (0-d: a NumPy scalar)


class MaxDim(Op):
    """values, indices = max(x, dim) (or min);  dvalues/dx = 1 at the returned index, 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        ctx.dim, ctx.keepdim = dim, keepdim
        # (the indices output is saved as torch's node saves it: editing it before backward is a
        # version error; backward itself reads the mask of the picked positions)
        if x.ndim == 0:
            ctx.dim = None
            index = xp(x).zeros((), dtype=np.int64)
            ctx.save_for_backward(None, index)
            return x.copy(), index
        index = (np.argmax if largest else np.argmin)(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, index, axis=dim)
        picked = None
        if ctx.needs_input_grad[0]:
            n = x.shape[dim]
            positions = xp(x).arange(n).reshape([n if i == dim else 1 for i in range(x.ndim)])
            picked = positions == index
        if not keepdim:
            values, index = np.squeeze(values, dim), np.squeeze(index, dim)
        index = index.astype(np.int64, copy=False)
        ctx.save_for_backward(picked, index)
        return values, index

    @staticmethod
    def backward(ctx, g, _g_index):
        picked, _index = ctx.saved_tensors
        if ctx.dim is None:   # a 0-d input
            return g
        from .activation import KeepWhere
        # selected, not multiplied by a one-hot (torch scatters g to the index): an inf or NaN g
        # leaves the other positions 0
        return KeepWhere.apply(_restore_dims(g, (ctx.dim,), ctx.keepdim), picked._data)


def _check_nonempty(name, input, dims):
    shape = input._data.shape
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _max_or_min(name, largest, input, dim, keepdim):
    if isinstance(dim, Tensor):      # torch.max(input, other): the elementwise maximum
        from . import math as math_ops
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, Tensor, keepdim)")
        return math_ops.maximum(input, dim) if largest else math_ops.minimum(input, dim)
    ndim = input._data.ndim
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, keepdim=bool), "
                            f"but expected (Tensor input, int dim, bool keepdim)")
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                               f"reduction dim with the 'dim' argument.")
        return overload(Amax.apply(input, tuple(range(ndim)), False, largest, nan_picks=True),
                        "MaxBackward1" if largest else "MinBackward1")
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected (Tensor input, int dim, bool keepdim)")
    d = wrap_dim(dim, ndim)
    if ndim:
        _check_nonempty(name, input, (d,))
    result = max_result if largest else min_result
    return result(*overload(MaxDim.apply(input, d, keepdim, largest), "MaxBackward0" if largest else "MinBackward0"))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """max(input): the largest element; max(input, dim, keepdim): (values, indices); max(input, other): maximum."""
    return _max_or_min("max", True, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """min(input): the smallest element; min(input, dim, keepdim): (values, indices); min(input, other): minimum."""
    return _max_or_min("min", False, input, dim, keepdim)


def _amax_or_amin(name, largest, input, dim, keepdim):
    dims = norm_dims(dim, input._data.ndim)
    if input._data.size == 0:
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                               f"the reduction dim with the 'dim' argument.")
        _check_nonempty(name, input, dims)
    return overload(Amax.apply(input, dims, keepdim, largest), "AmaxBackward0" if largest else "AminBackward0")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return _amax_or_amin("amax", True, input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return _amax_or_amin("amin", False, input, dim, keepdim)


class ArgMax(Op):
    """index of the max (or min): no gradient"""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        arg = np.argmax if largest else np.argmin
        if dim is None:
            out = arg(x) if x.ndim else xp(x).zeros((), dtype=np.int64)
            return out.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64, copy=False)
        if x.ndim == 0:
            return xp(x).zeros((), dtype=np.int64)
        return arg(x, axis=dim, keepdims=keepdim).astype(np.int64, copy=False)


def _argmax_or_argmin(name, largest, input, dim, keepdim):
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    ndim = input._data.ndim
    if dim is None:
        if input._data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        return ArgMax.apply(input, None, keepdim, largest)
    d = wrap_dim(dim, ndim)
    if ndim:
        _check_nonempty(name, input, (d,))
    return ArgMax.apply(input, d, keepdim, largest)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _argmax_or_argmin("argmax", True, input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _argmax_or_argmin("argmin", False, input, dim, keepdim)


# -- var, std -----------------------------------------------------------------------------------
def _variance(x, dims, correction, keepdim, n, name, take_sqrt=False):
    """sum((x - mean)^2) / max(0, N - correction), or its square root, in x's dtype.

    As torch's CPU kernels: the deviations are accumulated in float64 and the square root is taken
    there too, before the cast, so a float32 std of values near 1e20 or 1e-23 is finite and
    nonzero even where the variance itself over- or underflows float32. For a reduction to a single
    value torch takes the mean in x's own dtype (its std_var_all_cpu), which this follows as well.
    """
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      f"factor (input numel divided by output numel).", UserWarning, stacklevel=4)
    out_shape = tuple(1 if i in dims else s for i, s in enumerate(x.shape)) if keepdim else \
        tuple(s for i, s in enumerate(x.shape) if i not in dims)
    if n == 0:
        return xp(x).full(out_shape, np.nan, dtype=x.dtype)
    squares = _squared_deviations(x, dims, out_shape)
    if squares is None:
        wide = x.astype(np.float64) if x.dtype != np.float64 else x
        with np.errstate(over="ignore", invalid="ignore"):
            if x.dtype != np.float16 and int(np.prod(out_shape)) <= 1:
                center = np.mean(x, axis=dims, keepdims=True).astype(np.float64)
            else:
                center = np.mean(wide, axis=dims, keepdims=True)
            # In place where wide is a copy: one full-size float64 temporary instead of three
            dev = np.subtract(wide, center, out=wide) if wide is not x else wide - center
            dev = np.multiply(dev, dev, out=dev) if type(dev) is np.ndarray else dev * dev   # (or a 0-d result's scalar)
        squares = np.sum(dev, axis=dims, keepdims=keepdim)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = squares / builtins.max(0, dof)
        if take_sqrt:
            out = np.sqrt(out)
        return xp(x).asarray(out).astype(x.dtype, copy=False)


def _squared_deviations(x, dims, out_shape):
    """sum((x - mean)**2) over dims in float64, shaped out_shape, by the row kernels (no float64
    copy of x), or None where they do not apply. Trailing dims: per row, blocks summed pairwise;
    leading dims: per column, in row order (NumPy's order for a reduction over leading dims)."""
    rows = row_kernels(x)
    if rows is None or not dims:
        return None
    if dims[0] == x.ndim - len(dims):      # trailing dims: per row
        x2 = x.reshape(-1, _numel(x.shape, dims))
        centers = None
        if len(x2) == 1:   # one value: the mean in x's own dtype, as torch's std_var_all_cpu
            with np.errstate(over="ignore", invalid="ignore"):
                centers = np.array([np.mean(x)], np.float64)
        return rows.squared_deviations(x2, False, centers).reshape(out_shape)
    if dims[-1] == len(dims) - 1:          # leading dims: per column
        x2 = x.reshape(_numel(x.shape, dims), -1)
        return rows.squared_deviations(x2, True).reshape(out_shape)
    return None


def _var_backward(g, x, ctx):
    """torch's var_backward: 2 (x - mean) / (N - correction), with its own rule when N - correction <= 0."""
    dof = ctx.n - ctx.correction
    if ctx.full and dof <= 0:
        # 2 / 0 is infinite: inf where x differs from its mean, NaN (inf * 0) where it equals it
        data = x._data
        return g * _const(xp(data).where(data == data.mean(), np.nan, np.inf).astype(data.dtype))
    if not ctx.full:
        g = _restore_dims(g, ctx.dims, ctx.keepdim)
    scale = 2.0 / dof if dof != 0 else float("inf")
    return (g * scale) * (x - mean(x, ctx.dims, True))


def _var_args(name, input, dim, unbiased, correction):
    if isinstance(dim, bool):           # var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: unbiased and correction cannot be "
                        f"given together")
    if not dtypes.is_inexact(input._data.dtype):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 0 if unbiased is False else 1
    ndim = input._data.ndim
    dims = norm_dims(dim, ndim)
    full = dim is None or ndim == 0
    return dims, correction, full, _numel(input._data.shape, dims)


class Var(Op):
    """z = sum((x - mean)^2) / (N - c);  dz/dx = 2 (x - mean) / (N - c)"""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, full, n):
        ctx.dims, ctx.correction, ctx.keepdim, ctx.full, ctx.n = dims, correction, keepdim, full, n
        ctx.save_for_backward(x)
        return _variance(x, dims, correction, keepdim, n, "var")

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _var_backward(g, x, ctx)


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    dims, correction, full, n = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, dims, correction, keepdim, full, n)


def _zero_where(t: Tensor, mask) -> Tensor:
    """torch's ``t.masked_fill_(mask, 0)``, the subgradient it picks where a norm or std is 0."""
    if not mask.any():
        return t
    from .index import masked_fill
    return masked_fill(t, _const(mask), 0)


class Std(Op):
    """z = sqrt(var(x));  dz/dx = (x - mean) / ((N - c) z),  0 where z = 0"""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, full, n):
        ctx.dims, ctx.correction, ctx.keepdim, ctx.full, ctx.n = dims, correction, keepdim, full, n
        out = _variance(x, dims, correction, keepdim, n, "std", take_sqrt=True)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _var_backward(_zero_where(g / (out * 2), out._data == 0), x, ctx)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    dims, correction, full, n = _var_args("std", input, dim, unbiased, correction)
    return Std.apply(input, dims, correction, keepdim, full, n)


# -- norm ---------------------------------------------------------------------------------------
class VectorNorm(Op):
    """z = (sum |x|^p)^(1/p) over dims;  dz/dx = sgn(x) |x|^(p-1) / z^(p-1)  (p=2: x / z, 0 where z = 0;
    p=1: sgn(x);  p=inf: sgn(x) on the ties for the max |x|, shared evenly;  p=0: none)"""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, pdist=False):
        """``pdist``: the gradient of torch's pdist kernel instead of norm's: zeros for p = 0, every tie
        for the largest |x| takes the whole gradient (p = inf), and a NaN's sign is NaN."""
        ctx.p, ctx.dims, ctx.keepdim, ctx.pdist = p, dims, keepdim, pdist
        sign = np.sign if pdist else sign_array
        a = np.abs(x)
        if _numel(x.shape, dims) == 1 and p != 0:
            # one element per result: torch returns |x| as it is, without squaring it first, so
            # the norm of a lone 1.85e-229 is 1.85e-229, not sqrt(0)
            out = a if keepdim else a.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))
        elif p == 2:
            out = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
        elif p == 1:
            out = np.sum(a, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = np.sum(a != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
        elif p == np.inf:
            out = np.max(a, axis=dims, keepdims=keepdim)
        elif p == -np.inf:
            out = np.min(a, axis=dims, keepdims=keepdim)
        else:
            with np.errstate(divide="ignore"):
                out = np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        out = xp(x).asarray(out).astype(x.dtype, copy=False)
        if ctx.needs_input_grad[0]:
            # x and the result in every case, as torch's node saves them: editing either in place
            # before backward is a version error (p = 1 and +-inf need only the factor beside them)
            if p in (np.inf, -np.inf):
                full = out if keepdim else np.expand_dims(out, dims)
                if pdist:
                    ctx.save_for_backward(sign(x) * (a == full), x, out)
                else:
                    hit = ((a == full) | np.isnan(a)).astype(x.dtype)
                    ctx.save_for_backward(sign(x) * hit / np.sum(hit, axis=dims, keepdims=True), x, out)
            elif p == 1:
                ctx.save_for_backward(sign(x), x, out)
            else:
                ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        p = ctx.p
        g = _restore_dims(g, ctx.dims, ctx.keepdim)
        if p == 0:   # a count: torch's norm gives no gradient at all (x.grad stays None), its pdist zeros
            return Tensor._make(xp(g._data).zeros(ctx.saved_tensors[0].shape, g._data.dtype)) if ctx.pdist else None
        if p in (1, np.inf, -np.inf):   # the gradient's factor is piecewise constant
            factor, x, _result = ctx.saved_tensors
            # in x's graph with a zero derivative, as torch's norm_backward reads x (its sgn)
            from .activation import kink_scale
            return kink_scale(g, factor._data if isinstance(factor, Tensor) else factor, x)   # (0-d: a scalar)
        # torch's norm_backward, term for term (its masks included)
        x, z = ctx.saved_tensors
        z = _restore_dims(z, ctx.dims, ctx.keepdim)
        zero = z._data == 0
        if p == 2:
            return g * _zero_where(x / z, zero)
        sign = _const(sign_array(x._data))
        a = x * sign   # |x|, differentiable
        if p < 1:
            return _zero_where(sign * a ** (p - 1), x._data == 0) * g * z ** (1 - p)
        scaled = sign * a ** (p - 1) if p < 2 else x * a ** (p - 2)
        return scaled * _zero_where(g / z ** (p - 1), zero)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro" and (dim is None or len(dim) <= 2):
            p = 2
        elif p in ("fro", "nuc"):
            if p == "fro" or len(dim if dim is not None else range(input._data.ndim)) != 2:
                dims = " ".join(str(d) for d in (dim if dim is not None else range(input._data.ndim)))
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims}")
            return _nuclear_norm(input, dim if dim is not None else (0, 1), keepdim, dtype)
        else:
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    p = 2.0 if p is None else float(p)
    if not dtypes.is_inexact(input._data.dtype):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{dtypes.SCALAR_NAMES[input.dtype.name]}")
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating_point:
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got "
                               f"{dtypes.SCALAR_NAMES[dtype.name]}")
        input = input.to(dtype)
    ndim = input._data.ndim
    dims = norm_dims(dim, ndim)
    if p in (np.inf, -np.inf) and input._data.size == 0:
        name = "inf" if p > 0 else "-inf"
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor because the "
                               f"operation does not have an identity")
        for d in dims:
            if input._data.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the dimension {d}because "
                                   f"this dimension is empty and the operation does not have an identity")
    return VectorNorm.apply(input, p, dims, keepdim)


def _nuclear_norm(input: Tensor, dim, keepdim: bool, dtype) -> Tensor:
    """The sum of the singular values of the matrices over the two dims (torch.norm's 'nuc' is
    linalg.matrix_norm's); its gradient is svdvals'."""
    from .linalg_decomp import check_float, svdvals
    from .shape import movedim, unsqueeze
    check_float(input, "linalg.matrix_norm")
    if dtype is not None:
        input = input.to(dtypes.as_dtype(dtype))
    dims = tuple(wrap_dim(d, input._data.ndim) for d in dim)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    out = sum(svdvals(movedim(input, dims, (-2, -1))), -1)
    for d in sorted(dims) if keepdim else ():
        out = unsqueeze(out, d)
    return out


# -- logsumexp, cumsum ----------------------------------------------------------------------------
class LogSumExp(Op):
    """z = log(sum(exp(x))) over dims (shifted by the max for stability);  dz/dx = exp(x - z)"""

    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        # the max (-inf over an empty reduction; CuPy's max has no initial=)
        shift = np.max(x, axis=dims, keepdims=True) if x.size else \
            xp(x).full(tuple(1 if i in dims else n for i, n in enumerate(x.shape)), -np.inf, x.dtype)
        shift = np.where(np.isinf(shift), 0, shift).astype(x.dtype)   # all -inf (or +inf): no shift
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - shift), axis=dims, keepdims=True)) + shift
        if not keepdim:
            out = np.squeeze(out, dims) if dims else out
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .math import exp
        x, out = ctx.saved_tensors
        return _restore_dims(g, ctx.dims, ctx.keepdim) * exp(x - _restore_dims(out, ctx.dims, ctx.keepdim))


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    input = float_result(input)
    ndim = input._data.ndim
    if isinstance(dim, (tuple, list)) and not dim and ndim:
        # torch fails here too (it reduces nothing, then cannot fit the result), with this message
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * ndim}")
    return LogSumExp.apply(input, norm_dims(dim, ndim), keepdim)


class Cumsum(Op):
    """z_i = sum_{j<=i} x_j along dim;  dz/dx_j = sum_{i>=j} g_i (a reversed cumsum of g)"""

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        if x.ndim == 0:
            return x.astype(np_dtype or x.dtype, copy=True)
        return np.cumsum(x, axis=dim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        return ReverseCumsum.apply(g, ctx.dim)


class ReverseCumsum(Op):
    """z_i = sum_{j>=i} x_j along dim;  dz/dx = cumsum of g"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.ndim == 0:
            return x.copy()
        return np.flip(np.cumsum(np.flip(x, dim), axis=dim), dim)

    @staticmethod
    def backward(ctx, g):
        return Cumsum.apply(g, ctx.dim, None)


def cumsum(input: Tensor, dim, *, dtype=None) -> Tensor:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"cumsum(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    dim = wrap_dim(dim, input._data.ndim)
    if dtype is not None:
        differentiable_dtype(input, dtype)
        input = input.to(dtype)
    np_dtype = np.int64 if input._data.dtype.kind in "biu" else None  # integers add up in int64
    return Cumsum.apply(input, dim, np_dtype)


# -- all, any -----------------------------------------------------------------------------------
class AllAny(Op):
    """all / any over dims: no gradient (bool result; uint8 stays uint8, as in torch)"""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dims, keepdim, every):
        out = (np.all if every else np.any)(x, axis=dims, keepdims=keepdim)
        return xp(x).asarray(out).astype(np.uint8 if x.dtype == np.uint8 else np.bool_, copy=False)


def _logical_dims(dim, ndim):
    if isinstance(dim, (tuple, list)) and not dim:
        return ()   # all(x, dim=()) reduces nothing in torch (unlike sum's "every dim")
    return norm_dims(dim, ndim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return AllAny.apply(input, _logical_dims(dim, input._data.ndim), keepdim, True)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return AllAny.apply(input, _logical_dims(dim, input._data.ndim), keepdim, False)



# -- aminmax --------------------------------------------------------------------------------------
aminmax_result = collections.namedtuple("aminmax", ["min", "max"])
aminmax_result.__module__ = "minigrad.return_types"


def _even_share(x, full_result, dims):
    """1/count on the elements equal to the (keepdim) result: torch's scale_grad_by_count. A NaN
    result equals nothing, so its slice's share is 0/0 = NaN, as torch's."""
    hit = (x == full_result).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hit / np.sum(hit, axis=dims, keepdims=True)


class Aminmax(Op):
    """(min, max) over dims;  d/dx = g_min shared evenly among the ties for the min, plus g_max among those for the max"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        lo, hi = np.min(x, axis=dims, keepdims=True), np.max(x, axis=dims, keepdims=True)
        if not keepdim:
            lo, hi = lo.reshape(np.delete(x.shape, dims)), hi.reshape(np.delete(x.shape, dims))
        # the input and both results, as torch saves them: an in-place change of any of them before
        # backward raises; the ties that share the gradient are found at backward
        ctx.save_for_backward(x, lo, hi)
        ctx.set_materialize_grads(False)   # an unused result adds nothing (not 0 * a NaN share), as in torch
        return lo, hi

    @staticmethod
    def backward(ctx, g_min, g_max):
        x, lo, hi = (t._data for t in ctx.saved_tensors)
        kept = tuple(1 if d in ctx.dims else n for d, n in enumerate(x.shape))
        terms = [_restore_dims(g, ctx.dims, ctx.keepdim) * _even_share(x, result.reshape(kept), ctx.dims)
                 for g, result in ((g_min, lo), (g_max, hi)) if g is not None]
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """The min and the max (over all elements, or along dim) in one call."""
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        dims = tuple(range(x.ndim))
    else:
        dims = (wrap_dim(dim, x.ndim),) if x.ndim else ()
        if dims and x.shape[dims[0]] == 0:
            raise IndexError(f"aminmax(): Expected reduction dim {dims[0]} to have non-zero size.")
    return aminmax_result(*Aminmax.apply(input, dims, keepdim))


# -- cummax, cummin, cumprod, logcumsumexp ---------------------------------------------------------
cummax_result = collections.namedtuple("cummax", ["values", "indices"])
cummin_result = collections.namedtuple("cummin", ["values", "indices"])
cummax_result.__module__ = cummin_result.__module__ = "minigrad.return_types"


def _running_index(x, dim, largest):
    """Per position along dim, the index of the running max (min) so far: a later equal value or a
    NaN takes over, as in torch's cummax_cummin_helper (``x >= best || isnan(x)``)."""
    moved = np.moveaxis(x, dim, 0)
    out = np.zeros(moved.shape, dtype=np.int64)
    if moved.shape[0] == 0:
        return np.moveaxis(out, 0, dim)
    best, best_i = moved[0].copy(), np.zeros(moved.shape[1:], dtype=np.int64)
    for i in range(moved.shape[0]):
        v = moved[i]
        with np.errstate(invalid="ignore"):
            take = (v >= best) if largest else (v <= best)
        if x.dtype.kind == "f":
            take = (take & ~np.isnan(best)) | np.isnan(v)
        best = np.where(take, v, best)
        best_i = np.where(take, i, best_i)
        out[i] = best_i
    return np.moveaxis(out, 0, dim)


def _cummaxmin(name, input, dim, largest, result):
    from .sort import select_along
    x = input._data
    dim = wrap_dim(dim, x.ndim)
    index = _running_index(x, dim, largest) if x.ndim else None
    return result(*select_along(input, index, dim, True, "CummaxBackward0" if largest else "CumminBackward0",
                                saves_input=True))   # (torch's node saves self and the indices)


def cummax(input: Tensor, dim: int):
    """The running max along dim and where it was found (the latest among equal values)."""
    return _cummaxmin("cummax", input, dim, True, cummax_result)


def cummin(input: Tensor, dim: int):
    """The running min along dim and where it was found (the latest among equal values)."""
    return _cummaxmin("cummin", input, dim, False, cummin_result)


class Cumprod(Op):
    """z_i = prod_{k<=i} x_k along dim;  dz_i/dx_j = prod_{k<=i, k!=j} x_k  (i >= j): sum_i g_i z_i / x_j when no x is 0"""

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        out = x.astype(np_dtype or x.dtype, copy=True) if x.ndim == 0 else np.cumprod(x, axis=dim, dtype=np_dtype)
        if ctx.needs_input_grad[0]:
            ctx.has_zero = x.size > 0 and not np.all(x)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        if x._data.ndim == 0 or x._data.shape[ctx.dim] <= 1:
            return g
        if not ctx.has_zero:
            return ReverseCumsum.apply(g * out, ctx.dim) / x
        # with zeros, each x_j's products-without-it: the cumprod of x with x_j set to 1, in a new dim
        d, n = ctx.dim, x._data.shape[ctx.dim]
        view = [1] * (x._data.ndim + 1)
        view[d] = view[d + 1] = n
        eye = xp(x._data).eye(n, dtype=x._data.dtype).reshape(view)     # [j, k] = (j == k)
        rows = _unsqueeze(x, d) * _const(1 - eye) + _const(eye)        # rows[j] = x with x_j = 1
        later = _const(np.triu(np.ones((n, n), dtype=x._data.dtype)).reshape(view))   # [j, i] = (i >= j)
        return sum(_unsqueeze(g, d) * Cumprod.apply(rows, d + 1, None) * later, d + 1)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    dim = wrap_dim(dim, input._data.ndim)
    if dtype is not None:
        input = input.to(dtype)
    np_dtype = np.int64 if input._data.dtype.kind in "biu" else None   # integers multiply in int64
    return Cumprod.apply(input, dim, np_dtype)


class Logcumsumexp(Op):
    """z_i = log sum_{k<=i} exp(x_k) along dim;  dz_i/dx_j = exp(x_j - z_i) (i >= j), summed against g in log
    space as torch's logcumsumexp_backward: exp(x_j + log sum_{i>=j} exp(log g_i - z_i)), g's positive and
    negative parts apart (reversed logcumsumexps: O(n), not an n x n block)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = x.copy() if x.ndim == 0 else np.logaddexp.accumulate(x, axis=dim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .compare import gt, lt
        from .math import abs, exp, log, where
        from .shape import flip
        x, z = ctx.saved_tensors
        if x._data.ndim == 0 or g._data.size == 0:
            return g
        d = ctx.dim
        lowest = _const(np.array(np.finfo(g._data.dtype).min, dtype=g._data.dtype))   # log 0, kept finite

        def reversed_logcumsumexp(t):   # log sum_{i >= j} exp(t_i)
            return flip(Logcumsumexp.apply(flip(t, (d,)), d), (d,))
        log_abs_g = log(abs(g))
        positive = reversed_logcumsumexp(where(gt(g, 0), log_abs_g, lowest) - z)
        negative = reversed_logcumsumexp(where(lt(g, 0), log_abs_g, lowest) - z)
        return exp(positive + x) - exp(negative + x)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    return Logcumsumexp.apply(float_result(input), wrap_dim(dim, input._data.ndim))


# -- nansum, nanmean --------------------------------------------------------------------------------
class Nansum(Op):
    """z = sum of the non-NaN x;  dz/dx = 1 (0 at the NaNs)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.dims, ctx.keepdim = dims, keepdim
        keep = np.asarray(~np.isnan(x) if x.dtype.kind == "f" else np.ones(x.shape), dtype=x.dtype)
        ctx.save_for_backward(keep, x)   # (x too, as torch's node: writing it before backward raises)
        return np.nansum(x, axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        keep, _ = ctx.saved_tensors
        return _restore_dims(g, ctx.dims, ctx.keepdim) * keep


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    np_dtype = np.int64 if input._data.dtype.kind in "biu" else None
    return Nansum.apply(input, norm_dims(dim, input._data.ndim), keepdim, np_dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """nansum / the number of non-NaN elements (as torch computes it: a DivBackward0 node)."""
    if dtype is not None:
        input = input.to(dtype)
    if not dtypes.is_inexact(input._data.dtype):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{dtypes.SCALAR_NAMES[input.dtype.name]}")
    dims = norm_dims(dim, input._data.ndim)
    count = np.sum(~np.isnan(input._data), axis=dims, keepdims=keepdim)
    return nansum(input, dim, keepdim) / _const(np.asarray(count, dtype=input._data.dtype))


# -- var_mean, std_mean -----------------------------------------------------------------------------
class VarMean(Op):
    """(var, mean) = (sum((x - mean)^2) / (N - c), sum(x) / N);  d/dx = g_var 2 (x - mean) / (N - c) + g_mean / N
    (std_mean: g_std (x - mean) / ((N - c) std), 0 where std = 0)"""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, full, n, take_sqrt):
        ctx.dims, ctx.correction, ctx.keepdim, ctx.full, ctx.n, ctx.sqrt = dims, correction, keepdim, full, n, take_sqrt
        spread = _variance(x, dims, correction, keepdim, n, "std_mean" if take_sqrt else "var_mean", take_sqrt)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.mean(x, axis=dims, keepdims=keepdim) if x.size else \
                xp(x).full(spread.shape, np.nan, dtype=x.dtype)
        # (std_mean's std, not var_mean's var, as torch's nodes save them: writing it is a version error)
        ctx.save_for_backward(x, spread if take_sqrt else None)
        # an unused result adds nothing, as torch's var_mean_backward: the mean's gradient alone
        # does not depend on x (after create_graph it does not require grad)
        ctx.set_materialize_grads(False)
        return spread, xp(x).asarray(centre).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g_spread, g_mean):
        from .shape import expand
        x, spread = ctx.saved_tensors
        terms = []
        if g_spread is not None:
            if ctx.sqrt:
                g_spread = _zero_where(g_spread / (spread * 2), spread._data == 0)
            terms.append(_var_backward(g_spread, x, ctx))
        if g_mean is not None:
            terms.append(expand(_restore_dims(g_mean, ctx.dims, ctx.keepdim), x._data.shape) / builtins.max(ctx.n, 1))
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over dims in one pass."""
    dims, correction, full, n = _var_args("var_mean", input, dim, unbiased, correction)
    return VarMean.apply(input, dims, correction, keepdim, full, n, False)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over dims in one pass."""
    dims, correction, full, n = _var_args("std_mean", input, dim, unbiased, correction)
    out = VarMean.apply(input, dims, correction, keepdim, full, n, True)
    return overload(out, "StdMeanBackward0")


# -- quantile, nanquantile --------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    """torch's quantile: sort, find each q's rank q (k - 1) among the k (non-NaN) values, and take or
    interpolate the sorted values there. A NaN in a slice makes its quantile NaN (quantile), or is
    left out (nanquantile; all NaN: NaN). The gradient flows through sort and the gather."""
    from .index import gather
    from .shape import movedim, reshape, squeeze
    from .sort import sort
    x = input._data
    if not dtypes.is_floating(x.dtype):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. Got "
                         f"{interpolation}")
    scalar_q = not isinstance(q, Tensor)
    qs = np.asarray(q, dtype=np.float64) if scalar_q else q._data
    if not scalar_q:
        if qs.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qs.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if np.any((qs < 0) | (qs > 1)):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]" if not scalar_q else
                           f"{name}() q must be in the range [0, 1] but got {float(q)}")
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    qs = np.atleast_1d(qs).astype(x.dtype)
    nq = qs.shape[0]
    # the reduced slices along the last dim: (..., n)
    if dim is None:
        flat = reshape(input, (x.size,))
        out_shape = (1,) * x.ndim if keepdim else ()
    else:
        dim = wrap_dim(dim, x.ndim)
        flat = movedim(input, dim, -1) if x.ndim else reshape(input, (1,))
        out_shape = tuple(1 if i == dim else s for i, s in enumerate(x.shape)) if keepdim else \
            tuple(s for i, s in enumerate(x.shape) if i != dim)
    values = sort(flat, -1).values                                   # NaNs last
    data = values._data
    n = data.shape[-1]
    valid = np.sum(~np.isnan(data), axis=-1, keepdims=True)           # (..., 1)
    k = valid if ignore_nan else np.where(valid < n, n, n)
    rank = qs.astype(np.float64) * (np.maximum(k, 1) - 1)              # (..., nq)
    if not ignore_nan:
        rank = np.where(valid < n, n - 1, rank)                        # a NaN present: pick it
    if interpolation == "lower":
        rank = np.floor(rank)
    elif interpolation == "higher":
        rank = np.ceil(rank)
    elif interpolation == "nearest":
        rank = np.round(rank)                                          # half to even, as torch's round
    lo = np.floor(rank).astype(np.int64)
    hi = np.minimum(np.ceil(rank).astype(np.int64), n - 1)
    weight = (rank - lo).astype(x.dtype) if interpolation != "midpoint" else \
        np.where(hi > lo, 0.5, 0).astype(x.dtype)
    if interpolation == "linear" and not scalar_q and q.requires_grad:
        # the weight depends on q: rank - lo = q (k - 1) - lo, differentiable in q (0 where a NaN
        # decides); the other interpolations round the rank, and torch gives q no gradient there
        scale = np.where(valid < n, 0, np.maximum(k, 1) - 1) if not ignore_nan else np.maximum(k, 1) - 1
        weight = reshape(q, (nq,)) * _const(scale.astype(x.dtype)) - _const(
            np.where(scale > 0, lo, 0).astype(x.dtype))
    else:
        weight = _const(weight)
    below, above = gather(values, -1, Tensor._make(lo)), gather(values, -1, Tensor._make(hi))
    result = below + (above - below) * weight   # all NaN: rank 0, a NaN
    result = reshape(movedim(result, -1, 0), (nq,) + tuple(out_shape))
    if scalar_q or q._data.ndim == 0:
        result = squeeze(result, 0)
    return overload(result, "SqueezeBackward4")   # torch's last step squeezes the reduced dims away


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """The q-th quantiles (q a float or a 1-d tensor) over all elements or along dim."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaNs."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# -- cov, corrcoef -----------------------------------------------------------------------------------
def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance of the rows of input (variables) over its columns (observations), weighted as torch's."""
    from .linalg import mm
    from .shape import reshape, squeeze, transpose
    x = input
    if x._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{x._data.ndim} dimensions")
    if x._data.ndim < 2:
        x = reshape(x, (1, -1))
    n_obs = x._data.shape[1]
    w = None
    if fweights is not None:
        f = fweights._data
        if f.ndim > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                             f"{f.ndim} dimensions")
        if f.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                             f"{dtypes.SCALAR_NAMES[fweights.dtype.name]} dtype")
        if f.size != n_obs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                             f"input but got {f.size} != {n_obs}")
        if f.size and f.min() < 0:
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        a = aweights._data
        if a.ndim > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                             f"{a.ndim} dimensions")
        if not dtypes.is_floating(a.dtype):
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                             f"{dtypes.SCALAR_NAMES[aweights.dtype.name]} dtype")
        if a.size != n_obs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                             f"input but got {a.size} != {n_obs}")
        if a.size and not (a >= 0).all():   # (torch's all(aweights >= 0): a NaN weight fails it too)
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if not dtypes.is_inexact(x._data.dtype):
        x = x.to(dtypes.get_default_dtype())
    if w is None:
        w_sum = n_obs
        avg = mean(x, 1) if n_obs else sum(x, 1) / 0.0
        norm_factor = w_sum - correction
    else:
        w_sum = sum(w)
        if float(w_sum._data) == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = sum(x * w, 1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * sum(w * aweights) / w_sum
    nf = norm_factor if isinstance(norm_factor, (int, float)) else float(norm_factor._data)
    if nf <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = 0 if isinstance(norm_factor, (int, float)) else norm_factor * 0
    centred = x - reshape(avg, (-1, 1))
    c = mm(centred, transpose(centred if w is None else centred * w, 0, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = c / norm_factor
    return squeeze(c)


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of input: cov / (std_i std_j), clamped to [-1, 1]."""
    from .math import clamp, sqrt
    from .shape import reshape
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    from .index import getitem
    diagonal = Tensor._make(np.arange(c._data.shape[0]))
    d = getitem(c, (diagonal, diagonal))
    stddev = sqrt(d)
    c = c / reshape(stddev, (-1, 1))
    c = c / reshape(stddev, (1, -1))
    return clamp(c, -1, 1)


# -- diff, trapezoid, cumulative_trapezoid, gradient ------------------------------------------------
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along dim (bool: logical xor), after joining prepend and append."""
    from .compare import logical_xor
    from .shape import cat, narrow
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = wrap_dim(dim, x.ndim)
    if n == 0:   # a copy, as torch's (empty_like(input).copy_(input): prepend and append are left out)
        return overload(input.clone(), "CopyBackwards")
    parts = [t for t in (prepend, input, append) if t is not None]
    if len(parts) > 1:
        parts = [p if p._data.ndim else p.expand(*(1 if i == dim else s for i, s in enumerate(x.shape)))
                 for p in parts]
        input = cat(parts, dim)
    for _ in range(n):
        size = input._data.shape[dim]
        if size == 0:
            break
        later, earlier = narrow(input, dim, 1, size - 1), narrow(input, dim, 0, size - 1)
        input = logical_xor(later, earlier) if input._data.dtype == np.bool_ else later - earlier
    return input


def _empty_integral(y, dim):
    """The integral over an empty dim: zeros, with no gradient (as torch returns them)."""
    shape = tuple(n for i, n in enumerate(y._data.shape) if i != dim)
    return Tensor._make(xp(y._data).zeros(shape, dtype=y._data.dtype))


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along dim: sum of (y_i + y_{i+1}) / 2 times the spacing (dx, or diff(x))."""
    from .shape import narrow
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: x and dx cannot both be given")
    ydata = y._data
    if ydata.ndim == 0:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
    dim = wrap_dim(dim, ydata.ndim)
    y = float_result(y)
    size = ydata.shape[dim]
    if isinstance(x, Tensor):
        if size == 0:
            return _empty_integral(y, dim)
        if x._data.ndim == 1:
            if x._data.shape[0] != size:
                raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
            spacing = diff(x)
            spacing = spacing.reshape(*(-1 if i == dim else 1 for i in range(ydata.ndim)))
        else:
            spacing = diff(x, dim=dim)
        return sum(spacing * (narrow(y, dim, 1, size - 1) + narrow(y, dim, 0, size - 1)), dim) / 2.0
    step = 1 if dx is None else dx
    if x is not None:   # trapz(y, dx) positional: a number
        step = x
    if size == 0:
        return _empty_integral(y, dim)
    return (sum(y, dim) - (y.select(dim, 0) + y.select(dim, -1)) * 0.5) * step


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """An alias of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal rule along dim (one value fewer than y)."""
    from .shape import narrow
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: x and dx cannot both "
                        "be given")
    ydata = y._data
    if ydata.ndim == 0:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
    dim = wrap_dim(dim, ydata.ndim)
    y = float_result(y)
    size = ydata.shape[dim]
    pairs = narrow(y, dim, 1, builtins.max(size - 1, 0)) + narrow(y, dim, 0, builtins.max(size - 1, 0)) \
        if size else y
    if isinstance(x, Tensor):
        if x._data.ndim == 1:
            if x._data.shape[0] != size:
                raise RuntimeError("cumulative_trapezoid: There must be one `x` value for each sample point")
            spacing = diff(x).reshape(*(-1 if i == dim else 1 for i in range(ydata.ndim)))
        else:
            spacing = diff(x, dim=dim)
        return cumsum(spacing * pairs, dim) / 2.0
    step = x if x is not None else (1 if dx is None else dx)
    return cumsum(pairs * (step / 2.0), dim)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1):
    """The derivative estimate along each dim (central differences inside, one-sided at the edges of
    order edge_order), with uniform spacing (numbers) or sample coordinates (1-d tensors), as numpy.gradient."""
    from .shape import cat, narrow
    x = input._data
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(x.ndim)) if dim is None else \
        [wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    if spacing is None:
        spacing = 1
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    for d in dims:
        if x.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = float_result(input)
    outs = []
    for d, h in zip(dims, spacings):
        n = x.shape[d]
        sl = lambda start, length: narrow(f, d, start, length)          # noqa: E731
        view = [-1 if i == d else 1 for i in range(x.ndim)]
        if isinstance(h, Tensor):    # coordinates: numpy's second-order accurate non-uniform formulas
            # written in minigrad ops of the coordinates: the result depends on them (torch's gradient
            # flows into coordinates that require grad)
            dx = diff(h.to(f.dtype))

            def step(start, length):
                return narrow(dx, 0, start, length).reshape(*view)
            h1, h2 = step(0, n - 2), step(1, n - 2)
            a = -h2 / (h1 * (h1 + h2))
            b = (h2 - h1) / (h1 * h2)
            cc = h1 / (h2 * (h1 + h2))
            inner = sl(0, n - 2) * a + sl(1, n - 2) * b + sl(2, n - 2) * cc
            if edge_order == 1:
                first = (sl(1, 1) - sl(0, 1)) / step(0, 1)
                last = (sl(n - 1, 1) - sl(n - 2, 1)) / step(n - 2, 1)
            else:
                d1, d2 = step(0, 1), step(1, 1)
                first = sl(0, 1) * (-(2 * d1 + d2) / (d1 * (d1 + d2))) + sl(1, 1) * ((d1 + d2) / (d1 * d2)) + \
                    sl(2, 1) * (-d1 / (d2 * (d1 + d2)))
                d1, d2 = step(n - 3, 1), step(n - 2, 1)
                last = sl(n - 3, 1) * (d2 / (d1 * (d1 + d2))) + sl(n - 2, 1) * (-(d2 + d1) / (d1 * d2)) + \
                    sl(n - 1, 1) * ((2 * d2 + d1) / (d2 * (d1 + d2)))
        else:
            inner = (sl(2, n - 2) - sl(0, n - 2)) / (2.0 * h)
            if edge_order == 1:
                first = (sl(1, 1) - sl(0, 1)) / h
                last = (sl(n - 1, 1) - sl(n - 2, 1)) / h
            else:
                first = (sl(0, 1) * -1.5 + sl(1, 1) * 2.0 - sl(2, 1) * 0.5) / h
                last = (sl(n - 3, 1) * 0.5 - sl(n - 2, 1) * 2.0 + sl(n - 1, 1) * 1.5) / h
        outs.append(cat([first, inner, last], d))
    return tuple(outs)
