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
from ._util import Op, overload, Tensor, float_result, norm_dims, wrap_dim, xp
from ._args import differentiable_dtype
from .shape import Expand

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "norm",
           "logsumexp", "cumsum", "all", "any"]


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


# -- sum, mean, prod ----------------------------------------------------------------------------
class Sum(Op):
    """z = sum(x, dims);  dz/dx = 1 (g broadcast back over dims)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if type(x) is np.ndarray:  # np.sum without its Python-level wrapper (same numerics)
            return np.add.reduce(x, axis=dims, dtype=np_dtype, keepdims=keepdim)
        return x.sum(axis=dims, dtype=np_dtype, keepdims=keepdim)  # a GPU (CuPy) array

    @staticmethod
    def backward(ctx, g):
        g = _restore_dims(g, ctx.dims, ctx.keepdim)
        return g if g._data.shape == ctx.shape else Expand.apply(g, ctx.shape)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
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
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.n = int(np.prod([x.shape[d] for d in dims])) if dims else 1
        return np.mean(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        from .shape import expand
        return expand(_restore_dims(g, ctx.dims, ctx.keepdim), ctx.shape) / ctx.n


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
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
        if ctx.dim is None:
            from .shape import reshape
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
            ctx.save_for_backward(hit / np.sum(hit, axis=dims, keepdims=True))
        return out

    @staticmethod
    def backward(ctx, g):
        share, = ctx.saved_tensors
        return _restore_dims(g, ctx.dims, ctx.keepdim) * share


class MaxDim(Op):
    """values, indices = max(x, dim) (or min);  dvalues/dx = 1 at the returned index, 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        ctx.dim, ctx.keepdim = dim, keepdim
        if x.ndim == 0:
            ctx.dim = None
            return x.copy(), xp(x).zeros((), dtype=np.int64)
        index = (np.argmax if largest else np.argmin)(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, index, axis=dim)
        if ctx.needs_input_grad[0]:
            n = x.shape[dim]
            positions = xp(x).arange(n).reshape([n if i == dim else 1 for i in range(x.ndim)])
            ctx.save_for_backward((positions == index).astype(x.dtype))
        if not keepdim:
            values, index = np.squeeze(values, dim), np.squeeze(index, dim)
        return values, index.astype(np.int64, copy=False)

    @staticmethod
    def backward(ctx, g, _g_index):
        if ctx.dim is None:   # a 0-d input
            return g
        picked, = ctx.saved_tensors
        return _restore_dims(g, (ctx.dim,), ctx.keepdim) * picked


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
    wide = x.astype(np.float64) if x.dtype != np.float64 else x
    with np.errstate(over="ignore", invalid="ignore"):
        if x.dtype != np.float16 and int(np.prod(out_shape)) <= 1:
            center = np.mean(x, axis=dims, keepdims=True).astype(np.float64)
        else:
            center = np.mean(wide, axis=dims, keepdims=True)
        dev = wide - center
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.sum(dev * dev, axis=dims, keepdims=keepdim) / builtins.max(0, dof)
        if take_sqrt:
            out = np.sqrt(out)
        return xp(x).asarray(out).astype(x.dtype, copy=False)


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
    if input._data.dtype.kind not in "fc":
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
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
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
            if p in (np.inf, -np.inf):
                full = out if keepdim else np.expand_dims(out, dims)
                hit = ((a == full) | np.isnan(a)).astype(x.dtype)
                ctx.save_for_backward(np.sign(x) * hit / np.sum(hit, axis=dims, keepdims=True))
            elif p == 1:
                ctx.save_for_backward(np.sign(x))
            else:
                ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        p = ctx.p
        g = _restore_dims(g, ctx.dims, ctx.keepdim)
        if p == 0:
            return None   # a count: torch gives no gradient at all (x.grad stays None)
        if p in (1, np.inf, -np.inf):   # the gradient's factor is piecewise constant
            factor, = ctx.saved_tensors
            return g * factor
        # torch's norm_backward, term for term (its masks included)
        x, z = ctx.saved_tensors
        z = _restore_dims(z, ctx.dims, ctx.keepdim)
        zero = z._data == 0
        if p == 2:
            return g * _zero_where(x / z, zero)
        sign = _const(np.sign(x._data))
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
            if p == "fro" or dim is not None and len(dim) != 2:
                dims = " ".join(str(d) for d in (dim if dim is not None else range(input._data.ndim)))
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims}")
            raise NotImplementedError("minigrad.norm: the nuclear norm is not supported")
        else:
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    p = 2.0 if p is None else float(p)
    if input._data.dtype.kind not in "fc":
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
