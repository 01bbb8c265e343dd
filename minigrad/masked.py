"""minigrad.masked: torch.masked's reductions and normalizations on plain tensors with a ``mask=``.

One mechanism for all of them, as torch's own ``torch/masked/_ops.py``: the masked-out elements are
replaced (with ``where``, so their gradient is 0) by the identity of the operation (0 for sum, 1 for
prod, -inf for amax and logsumexp, +inf for amin, NaN for median, which then ignores them), and the
ordinary op runs on the result. ``mask`` is a bool tensor broadcastable to ``input``; ``mask=None``
keeps every element. mean, var and std divide by the number of kept elements (NaN where none are
kept), as torch does. The outputs are plain tensors (no MaskedTensor): the values at masked-out
positions of the elementwise ops (cumsum, softmax...) are whatever the identity gives, as torch's.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from . import ops as _ops
from .ops._util import Tensor, norm_dims, overload

__all__ = ["sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "var", "std", "norm", "logsumexp",
           "cumsum", "cumprod", "softmax", "log_softmax", "softmin", "normalize", "logaddexp"]


def _mask(input: Tensor, mask):
    """The mask as a bool array of input's shape (all True for None)."""
    if mask is None:
        return np.ones(input._data.shape, dtype=bool)
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise ValueError(f"masked reduction: mask must be a bool tensor, got {m.dtype}")
    try:
        return np.broadcast_to(m, input._data.shape)
    except ValueError:
        if m.ndim > input._data.ndim:
            raise ValueError(f"_input_mask expected broadcastable mask (got mask of shape {list(m.shape)} and "
                             f"input of shape {list(input._data.shape)})") from None
        raise RuntimeError(f"The expanded size of the mask {list(m.shape)} must match the input's "
                           f"{list(input._data.shape)}") from None


def _identity(dtype, value):
    """``value`` (an infinity) in dtype; integer dtypes take their extreme values."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.min if value == -np.inf else info.max if value == np.inf else value
    if dtype.kind == "b":
        return value > 0
    return value


def _filled(input: Tensor, mask, value) -> Tensor:
    """input where mask is True, ``value`` elsewhere (differentiable: 0 gradient at the filled places)."""
    m = _mask(input, mask)
    given = isinstance(mask, Tensor)
    if m.all() and not given:
        return input
    fill = np.asarray(_identity(input._data.dtype, value), dtype=input._data.dtype)
    condition = Tensor._make(np.array(m))   # (ascontiguousarray makes 0-d 1-d)
    if given and mask._data.shape == input._data.shape:
        # torch's where reads the mask itself: writing into it before backward is a version error (a mask
        # that must be broadcast is cloned first there, so writing into it is not)
        condition._vc = mask._vc
    return _ops.where(condition, input, Tensor._make(fill))


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


def _dims(input, dim):
    return norm_dims(dim, input._data.ndim)


def sum(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """sum of the kept elements (0 where none is kept)."""
    input = _cast(input, dtype)
    out = _ops.sum(_filled(input, mask, 0), _dims(input, dim), keepdim)
    return overload(out, "SumBackward1")


def prod(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """product of the kept elements (1 where none is kept), one dim at a time, as torch's."""
    input = _cast(input, dtype)
    out = _filled(input, mask, 1)
    for d in sorted(_dims(input, dim), reverse=True):
        out = _ops.prod(out, d, keepdim)
    if input._data.ndim == 0 and dim is None:
        out = _ops.prod(out)
    return out


def amax(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """max of the kept elements (-inf where none is kept)."""
    input = _cast(input, dtype)
    return _ops.amax(_filled(input, mask, -np.inf), _dims(input, dim), keepdim)


def amin(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """min of the kept elements (+inf where none is kept)."""
    input = _cast(input, dtype)
    return _ops.amin(_filled(input, mask, np.inf), _dims(input, dim), keepdim)


def argmax(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """index of the max of the kept elements (in input's dtype, as torch.masked returns it)."""
    input = _cast(input, dtype)
    return _ops.argmax(_filled(input, mask, -np.inf), dim, keepdim).to(input.dtype)


def argmin(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """index of the min of the kept elements (in input's dtype, as torch.masked returns it)."""
    input = _cast(input, dtype)
    return _ops.argmin(_filled(input, mask, np.inf), dim, keepdim).to(input.dtype)


def _count(input, mask, dims, keepdim):
    """The number of kept elements per result, in input's dtype."""
    m = _mask(input, mask)
    return Tensor._make(np.asarray(np.sum(m, axis=dims, keepdims=keepdim), dtype=input._data.dtype))


def mean(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """sum / count of the kept elements (NaN where none is kept)."""
    input = _cast(input, dtype)
    if not dtypes.is_inexact(input._data.dtype):
        raise ValueError(f"mean(): expected a floating point input, got {dtypes.scalar_name(input._data.dtype)}")
    dims = _dims(input, dim)
    if mask is None:
        return _ops.sum(input, dims, keepdim) / _count(input, None, dims, keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sum(input, dims, keepdim=keepdim, mask=mask) / _count(input, mask, dims, keepdim)


def _var(input, dim, unbiased, correction, keepdim, dtype, mask):
    input = _cast(input, dtype)
    if unbiased is not None and correction is not None:
        raise ValueError("Only one of unbiased and correction may be given")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(input, dim)
    count = _count(input, mask, dims, True)
    centre = sum(input, dims, keepdim=True, mask=mask) / count
    x = input - centre
    total = sum(x * x, dims, keepdim=keepdim, mask=mask)
    n = count._data if keepdim else count._data.reshape(total._data.shape)
    dof = np.maximum(n - correction, 0) if correction != 0 else n
    return total / Tensor._make(np.asarray(dof, dtype=total._data.dtype))


def var(input: Tensor, dim=None, unbiased=None, *, correction=None, keepdim: bool = False, dtype=None,
        mask=None) -> Tensor:
    """the variance of the kept elements (N - correction in the denominator; correction 1 by default)."""
    return _var(input, dim, unbiased, correction, keepdim, dtype, mask)


def std(input: Tensor, dim=None, unbiased=None, *, correction=None, keepdim: bool = False, dtype=None,
        mask=None) -> Tensor:
    """sqrt of masked var."""
    return _ops.sqrt(_var(input, dim, unbiased, correction, keepdim, dtype, mask))


def norm(input: Tensor, ord=2.0, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """the vector ord-norm of the kept elements (masked-out ones count as 0; +inf for ord=-inf)."""
    input = _cast(input, dtype)
    fill = np.inf if ord == -np.inf else 0
    return _ops.norm(_filled(input, mask, fill), ord, _dims(input, dim), keepdim)


def logsumexp(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """log sum exp of the kept elements (-inf where none is kept)."""
    input = _cast(input, dtype)
    return _ops.logsumexp(_filled(input, mask, -np.inf), _dims(input, dim), keepdim)


def median(input: Tensor, dim: int = -1, *, keepdim: bool = False, dtype=None, mask=None) -> Tensor:
    """the lower median of the kept elements (NaN where none is kept): nanmedian with the rest set to NaN."""
    input = _cast(input, dtype)
    if not dtypes.is_floating(input._data.dtype):
        raise ValueError("masked median expects a floating point input")
    return _ops.nanmedian(_filled(input, mask, np.nan), dim, keepdim).values


def cumsum(input: Tensor, dim: int, *, dtype=None, mask=None) -> Tensor:
    """the running sum of the kept elements along dim."""
    input = _cast(input, dtype)
    return _ops.cumsum(_filled(input, mask, 0), dim)


def cumprod(input: Tensor, dim: int, *, dtype=None, mask=None) -> Tensor:
    """the running product of the kept elements along dim."""
    input = _cast(input, dtype)
    return _ops.cumprod(_filled(input, mask, 1), dim)


def softmax(input: Tensor, dim: int, *, dtype=None, mask=None) -> Tensor:
    """softmax over the kept elements (0 at the others; NaN where none is kept)."""
    input = _cast(input, dtype)
    return _ops.softmax(_filled(input, mask, -np.inf), dim)


def log_softmax(input: Tensor, dim: int, *, dtype=None, mask=None) -> Tensor:
    """log_softmax over the kept elements (-inf at the others)."""
    input = _cast(input, dtype)
    return _ops.log_softmax(_filled(input, mask, -np.inf), dim)


def softmin(input: Tensor, dim: int, *, dtype=None, mask=None) -> Tensor:
    """softmax of -input over the kept elements."""
    input = _cast(input, dtype)
    return _ops.softmax(-_filled(input, mask, np.inf), dim)


def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12, dtype=None, mask=None) -> Tensor:
    """input / max(masked norm, eps) at the kept elements, 0 at the others."""
    input = _cast(input, dtype)
    nrm = norm(input, ord, dim, keepdim=True, mask=mask)
    return _filled(input, mask, 0) / _ops.clamp(nrm, min=eps)


def logaddexp(input: Tensor, other: Tensor, *, dtype=None, input_mask=None, other_mask=None) -> Tensor:
    """log(exp(input) + exp(other)), each side's masked-out elements taken as -inf."""
    input, other = _cast(input, dtype), _cast(other, dtype)
    # (torch's logaddexp of the filled inputs: its node saves them, not the result)
    return _ops.logaddexp(_filled(input, input_mask, -np.inf), _filled(other, other_mask, -np.inf))
