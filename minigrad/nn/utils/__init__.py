"""nn.utils: gradient clipping and flattening parameters to one vector, as torch.nn.utils.

These work on the gradient arrays in place (no graph is recorded), as torch's do under no_grad.
"""
from __future__ import annotations

import math

import numpy as np

from ...ops._util import xp as _array_module
from ...tensor import Tensor
from . import parametrizations, parametrize, rnn  # noqa: F401  (nn.utils.rnn: pad_sequence, PackedSequence, ...)
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters", "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def xp(a):
    """numpy for NumPy arrays and scalars, cupy for GPU arrays."""
    return np if isinstance(a, (np.ndarray, np.generic)) else _array_module(a)


def _vector_norm(x, p: float):
    """||x||_p over all elements, as a 0-d array of x's dtype (torch.linalg.vector_norm)."""
    a = xp(x).abs(x)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return xp(x).asarray((a != 0).sum(), dtype=x.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return xp(x).sqrt((x * x).sum())
    return (a ** p).sum() ** (1.0 / p)


def _grads(tensors):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    return [t.grad for t in tensors if t.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The p-norm of the norms of ``tensors`` (the norm of their concatenation)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.asarray(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    total = _vector_norm(xp(norms[0]).stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp(total).isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(xp(total).asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale all gradients by ``min(1, max_norm / (total_norm + 1e-6))``, given the total norm
    (get_total_norm's, perhaps reduced across processes first)."""
    grads = _grads(list(parameters) if not isinstance(parameters, Tensor) else parameters)
    if not grads:
        return
    if not isinstance(total_norm, Tensor):
        raise TypeError(f"clamp() received an invalid combination of arguments: total_norm must be a Tensor, got "
                        f"{type(total_norm).__name__}")
    t = total_norm._data
    coef = xp(t).minimum(xp(t).asarray(max_norm, dtype=t.dtype) / (t + t.dtype.type(1e-6)), t.dtype.type(1.0))
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
        g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients by ``min(1, max_norm / (total_norm + 1e-6))``; returns the total norm."""
    if not isinstance(parameters, Tensor):
        parameters = list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(list(parameters) if not isinstance(parameters, Tensor) else parameters):
        xp(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one (differentiable) vector."""
    from ... import ops
    return ops.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, not recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.data = Tensor._make(vec._data[offset:offset + n].reshape(p.shape).copy())
        offset += n
